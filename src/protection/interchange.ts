/**
 * EIP-3076 slashing-protection interchange, format version 5: parsing with precise errors, and
 * serialisation as a stream of text chunks so that large histories never sit in one string.
 */
import type { ValidatorHistory } from "./history.js";
import { findJsonSyntaxError } from "../util/json-syntax.js";
import { isHex } from "../util/hex.js";
import type { AttestationRecord, BlockRecord, Root } from "./types.js";
import { ZERO_ROOT } from "./types.js";
import { BulwarkError } from "../errors/bulwark-error.js";

export const INTERCHANGE_FORMAT_VERSION = "5";

export interface Interchange {
  genesisValidatorsRoot: Root;
  validators: ValidatorHistory[];
}

/** The file is not a valid interchange document; `location` says where ("line 3 column 7" or a JSON path). */
export class InterchangeFormatError extends BulwarkError<"interchange-format"> {
  override name = "InterchangeFormatError";
  constructor(
    readonly location: string,
    readonly problem: string,
  ) {
    super("interchange-format", `${location}: ${problem}`);
  }
}

/** Parses and validates an interchange document; throws InterchangeFormatError naming the bad field. */
export function parseInterchange(rawText: string): Interchange {
  // Some Windows tools start UTF-8 files with a byte-order mark, which JSON does not allow.
  const text = rawText.charCodeAt(0) === 0xfeff ? rawText.slice(1) : rawText;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    const { location, problem } = syntaxErrorLocation(text, err as Error);
    throw new InterchangeFormatError(location, problem);
  }
  return validateInterchange(json);
}

export function validateInterchange(json: unknown): Interchange {
  const root = expectObject(json, "document");
  const metadata = expectObject(root.metadata, "metadata");
  const version = metadata.interchange_format_version;
  if (version !== INTERCHANGE_FORMAT_VERSION) {
    throw new InterchangeFormatError(
      "metadata.interchange_format_version",
      `expected "${INTERCHANGE_FORMAT_VERSION}", got ${JSON.stringify(version)}`,
    );
  }
  const genesisValidatorsRoot = expectHex(metadata.genesis_validators_root, 32, "metadata.genesis_validators_root");
  const data = expectArray(root.data, "data");
  const validators = data.map((entry, i) => parseValidator(entry, `data[${i}]`));
  return { genesisValidatorsRoot, validators };
}

function parseValidator(entry: unknown, path: string): ValidatorHistory {
  const object = expectObject(entry, path);
  const pubkey = expectHex(object.pubkey, 48, `${path}.pubkey`);
  const blocks = expectArray(object.signed_blocks, `${path}.signed_blocks`).map((block, j): BlockRecord => {
    const where = `${path}.signed_blocks[${j}]`;
    const record = expectObject(block, where);
    return {
      slot: expectUint(record.slot, `${where}.slot`),
      signingRoot: optionalRoot(record.signing_root, `${where}.signing_root`),
    };
  });
  const attestations = expectArray(object.signed_attestations, `${path}.signed_attestations`).map(
    (attestation, j): AttestationRecord => {
      const where = `${path}.signed_attestations[${j}]`;
      const record = expectObject(attestation, where);
      return {
        sourceEpoch: expectUint(record.source_epoch, `${where}.source_epoch`),
        targetEpoch: expectUint(record.target_epoch, `${where}.target_epoch`),
        signingRoot: optionalRoot(record.signing_root, `${where}.signing_root`),
      };
    },
  );
  return { pubkey, blocks, attestations };
}

function expectObject(value: unknown, path: string): Record<string, unknown> {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new InterchangeFormatError(path, `expected an object, got ${describe(value)}`);
  }
  return value as Record<string, unknown>;
}

function expectArray(value: unknown, path: string): unknown[] {
  if (!Array.isArray(value)) throw new InterchangeFormatError(path, `expected an array, got ${describe(value)}`);
  return value;
}

function expectHex(value: unknown, bytes: number, path: string): string {
  if (typeof value !== "string" || !isHex(value, bytes)) {
    throw new InterchangeFormatError(path, `expected 0x followed by ${bytes * 2} hex digits, got ${describe(value)}`);
  }
  return value.toLowerCase();
}

function optionalRoot(value: unknown, path: string): Root | null {
  if (value === undefined || value === null) return null;
  const root = expectHex(value, 32, path);
  return root === ZERO_ROOT ? null : root;
}

/** Integers are decimal strings in the format; plain JSON numbers are accepted too when exact. */
function expectUint(value: unknown, path: string): number {
  let parsed: number | undefined;
  if (typeof value === "string" && /^(0|[1-9][0-9]*)$/.test(value)) parsed = Number(value);
  else if (typeof value === "number" && Number.isInteger(value) && value >= 0) parsed = value;
  if (parsed === undefined) {
    throw new InterchangeFormatError(path, `expected an unsigned integer as a decimal string, got ${describe(value)}`);
  }
  if (!Number.isSafeInteger(parsed)) {
    throw new InterchangeFormatError(path, `${String(value)} is larger than ${Number.MAX_SAFE_INTEGER}, which Bulwark does not accept`);
  }
  return parsed;
}

function describe(value: unknown): string {
  if (value === undefined) return "nothing (field missing)";
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return "an object";
  const text = JSON.stringify(value);
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}

function syntaxErrorLocation(text: string, err: Error): { location: string; problem: string } {
  if (text.trim() === "") return { location: "document", problem: "the file is empty" };
  const found = findJsonSyntaxError(text);
  if (found === undefined) return { location: "document", problem: `invalid JSON (${err.message})` };
  return { location: `line ${found.line} column ${found.column}`, problem: `invalid JSON: ${found.problem}` };
}

/** Serialises an interchange document chunk by chunk (one validator per line). */
export async function* serializeInterchange(
  genesisValidatorsRoot: Root,
  validators: AsyncIterable<ValidatorHistory> | Iterable<ValidatorHistory>,
): AsyncIterable<string> {
  const metadata = { interchange_format_version: INTERCHANGE_FORMAT_VERSION, genesis_validators_root: genesisValidatorsRoot };
  yield `{"metadata":${JSON.stringify(metadata)},"data":[`;
  let first = true;
  for await (const validator of validators) {
    yield `${first ? "" : ","}\n${serializeValidator(validator)}`;
    first = false;
  }
  yield "\n]}\n";
}

function serializeValidator(validator: ValidatorHistory): string {
  const blocks = validator.blocks.map((block) =>
    block.signingRoot === null
      ? `{"slot":"${block.slot}"}`
      : `{"slot":"${block.slot}","signing_root":"${block.signingRoot}"}`,
  );
  const attestations = validator.attestations.map((att) => {
    const epochs = `"source_epoch":"${att.sourceEpoch}","target_epoch":"${att.targetEpoch}"`;
    return att.signingRoot === null ? `{${epochs}}` : `{${epochs},"signing_root":"${att.signingRoot}"}`;
  });
  return `{"pubkey":"${validator.pubkey}","signed_blocks":[${blocks.join(",")}],"signed_attestations":[${attestations.join(",")}]}`;
}
