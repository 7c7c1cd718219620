import { ssz } from "@lodestar/types";
import { BadRequestError } from "./errors.js";
import { isHex } from "../util/hex.js";
import { expectObject, joinPath } from "./json-fields.js";

/** Any SSZ type from @lodestar/types: all we call on it is `fromJson`. */
export interface SszJsonType<T> {
  fromJson(json: unknown): T;
}

/**
 * What we read from an SSZ type object to check JSON against it. @chainsafe/ssz is not a direct
 * dependency, so the type classes are recognised by their public properties, not by instanceof.
 */
interface SszShape {
  typeName?: string;
  fieldsEntries?: { fieldName: string; fieldType: unknown; jsonKey: string }[];
  lengthBytes?: number;
  limitBytes?: number;
  lengthBits?: number;
  limitBits?: number;
  elementType?: unknown;
  isList?: boolean;
  limit?: number;
  length?: number;
  byteLength?: number;
  isBasic?: boolean;
  clipInfinity?: boolean;
  maxDecimalStr?: string;
  defaultValue?: () => unknown;
}

const DECIMAL = /^[0-9]+$/;

/**
 * Decodes beacon-API JSON into an SSZ value. The SSZ library's own `fromJson` is lax (hex without
 * 0x, non-hex digits read as 0, "12abc" read as 12, negative numbers, unknown keys dropped), which
 * would silently change what gets signed, so the JSON is first checked and normalised against the
 * type, giving errors that name the field path. A key the type does not have is refused: the
 * client's object is then not the one we would sign (an Electra aggregate read as a phase0 one
 * loses its committee_bits). `extraKeys` names keys of the outermost object that the caller reads
 * itself (DEPOSIT's genesis_fork_version).
 */
export function decodeSsz<T>(type: SszJsonType<T>, json: unknown, path: string, extraKeys: readonly string[] = []): T {
  const normalised = normalise(type, json, path, extraKeys);
  try {
    return valueFromJson(type, normalised) as T;
  } catch (err) {
    throw new BadRequestError(path, (err as Error).message);
  }
}

/**
 * The library's own fromJson of a plain container and of a byte array, recognised by identity (a
 * subclass that overrides either is left to its own): every other type is decoded by its own
 * fromJson, inside containers too.
 */
const CONTAINER_FROM_JSON = ssz.phase0.Checkpoint.fromJson;
const BYTE_ARRAY_FROM_JSON = ssz.Root.fromJson;

/**
 * `type.fromJson(json)` for JSON that normalise() has checked, with the same result; containers and
 * byte arrays are built here because the library decodes hex one character at a time in
 * JavaScript (a third of the cost of reading an attestation), where Buffer decodes it natively.
 */
function valueFromJson(type: unknown, json: unknown): unknown {
  const shape = type as SszShape & SszJsonType<unknown> & { assertValidSize?: (length: number) => void };
  if (shape.fromJson === CONTAINER_FROM_JSON && Array.isArray(shape.fieldsEntries) && typeof json === "object" && json !== null) {
    const value: Record<string, unknown> = {};
    for (const { fieldName, fieldType, jsonKey } of shape.fieldsEntries) {
      const field = (json as Record<string, unknown>)[jsonKey];
      if (field === undefined) throw new Error(`JSON expected key ${jsonKey} is undefined`);
      value[fieldName] = valueFromJson(fieldType, field);
    }
    return value;
  }
  if (shape.fromJson === BYTE_ARRAY_FROM_JSON && typeof shape.assertValidSize === "function" && isHex(json)) {
    const bytes = Uint8Array.from(Buffer.from(json.slice(2), "hex"));
    shape.assertValidSize(bytes.length);
    return bytes;
  }
  return shape.fromJson(json);
}

function normalise(type: unknown, json: unknown, path: string, extraKeys: readonly string[] = []): unknown {
  const shape = type as SszShape;
  if (Array.isArray(shape.fieldsEntries)) {
    return container(shape, shape.fieldsEntries, json, path, extraKeys);
  }
  if (typeof shape.lengthBytes === "number") {
    return fixedHex(json, shape.lengthBytes, path);
  }
  if (typeof shape.limitBytes === "number") {
    if (!isHex(json) || json.length > 2 + 2 * shape.limitBytes) {
      throw new BadRequestError(path, `expected 0x-prefixed hex of at most ${shape.limitBytes} bytes`);
    }
    return json;
  }
  if (typeof shape.lengthBits === "number") {
    const bits = fixedHex(json, Math.ceil(shape.lengthBits / 8), path, `${shape.lengthBits}-bit bitvector`);
    return checkedByType(type, bits, path);
  }
  if (typeof shape.limitBits === "number") {
    const maxBytes = Math.floor(shape.limitBits / 8) + 1;
    if (!isHex(json) || json.length < 4 || json.length > 2 + 2 * maxBytes) {
      throw new BadRequestError(
        path,
        `expected 0x-prefixed hex bitlist of 1 to ${maxBytes} bytes (limit ${shape.limitBits} bits)`,
      );
    }
    return checkedByType(type, json, path);
  }
  if (shape.elementType !== undefined) {
    return array(shape, json, path);
  }
  if (shape.isBasic === true && typeof shape.defaultValue === "function") {
    const zero = shape.defaultValue();
    if (typeof zero === "boolean") {
      if (typeof json !== "boolean") throw new BadRequestError(path, "expected true or false");
      return json;
    }
    if (typeof zero === "number" || typeof zero === "bigint") {
      return uint(shape, typeof zero === "number", json, path);
    }
  }
  // A type we do not model: its own fromJson decides.
  return json;
}

function container(
  shape: SszShape,
  fields: NonNullable<SszShape["fieldsEntries"]>,
  json: unknown,
  path: string,
  extraKeys: readonly string[],
): Record<string, unknown> {
  const obj = expectObject(json, path);
  const known = knownKeys(fields, extraKeys);
  const unknown = Object.keys(obj).find((key) => !known.has(key));
  if (unknown !== undefined) {
    const fieldPath = joinPath(path, unknown);
    throw new BadRequestError(fieldPath, `unknown field: ${shape.typeName ?? "this object"} has no such field, and a signature over it without the field would not be what was asked`);
  }
  const out: Record<string, unknown> = {};
  for (const { fieldName, fieldType, jsonKey } of fields) {
    // camelCase spellings are accepted as aliases, but not two different values for one field.
    const [snake, camel] = [obj[jsonKey], fieldName === jsonKey ? undefined : obj[fieldName]];
    const fieldPath = joinPath(path, jsonKey);
    if (snake !== undefined && camel !== undefined && JSON.stringify(snake) !== JSON.stringify(camel)) {
      throw new BadRequestError(fieldPath, `given twice (${jsonKey} and ${fieldName}) with different values`);
    }
    const value = snake !== undefined ? snake : camel;
    if (value === undefined || value === null) throw new BadRequestError(fieldPath, "missing");
    out[jsonKey] = normalise(fieldType, value, fieldPath);
  }
  return out;
}

/** The keys a container accepts, per type (and caller's extra keys): built once, not per request. */
const KNOWN_KEYS = new WeakMap<object, Map<string, ReadonlySet<string>>>();

function knownKeys(fields: NonNullable<SszShape["fieldsEntries"]>, extraKeys: readonly string[]): ReadonlySet<string> {
  let byExtra = KNOWN_KEYS.get(fields);
  if (byExtra === undefined) KNOWN_KEYS.set(fields, (byExtra = new Map()));
  const extra = extraKeys.join(",");
  let known = byExtra.get(extra);
  if (known === undefined) {
    known = new Set([...extraKeys, ...fields.flatMap(({ fieldName, jsonKey }) => [jsonKey, fieldName])]);
    byExtra.set(extra, known);
  }
  return known;
}

/** Lets the type itself check what we do not (bitlist padding bit, unused bitvector bits). */
function checkedByType(type: unknown, json: string, path: string): string {
  try {
    (type as SszJsonType<unknown>).fromJson(json);
  } catch (err) {
    throw new BadRequestError(path, (err as Error).message);
  }
  return json;
}

function fixedHex(json: unknown, bytes: number, path: string, what = `${bytes}-byte hex`): string {
  if (!isHex(json) || json.length !== 2 + 2 * bytes) {
    throw new BadRequestError(path, `expected 0x-prefixed ${what}`);
  }
  return json;
}

function array(shape: SszShape, json: unknown, path: string): unknown[] {
  if (!Array.isArray(json)) throw new BadRequestError(path, "expected a JSON array");
  if (shape.isList === true && typeof shape.limit === "number" && json.length > shape.limit) {
    throw new BadRequestError(path, `at most ${shape.limit} items allowed, got ${json.length}`);
  }
  if (shape.isList !== true && typeof shape.length === "number" && json.length !== shape.length) {
    throw new BadRequestError(path, `exactly ${shape.length} items expected, got ${json.length}`);
  }
  return json.map((item, i) => normalise(shape.elementType, item, `${path}[${i}]`));
}

/** Decimal strings this short are below 2^53: exact as JS numbers, no BigInt needed. */
const SAFE_DIGITS = 15;

function uint(shape: SszShape, asNumber: boolean, json: unknown, path: string): string {
  const bits = 8 * (shape.byteLength ?? 8);
  const expected = `expected a decimal uint${bits} string`;
  // The common case (slots, epochs, indices) without BigInt; the same checks and the same text.
  const small =
    typeof json === "string" && json.length <= SAFE_DIGITS && DECIMAL.test(json)
      ? Number(json)
      : typeof json === "number" && Number.isSafeInteger(json) && json >= 0 && json < 10 ** SAFE_DIGITS
        ? json
        : undefined;
  if (small !== undefined) {
    if (bits < 53 && small >= 2 ** bits) throw new BadRequestError(path, `${expected}, value too large`);
    return String(small);
  }
  let value: bigint;
  if (typeof json === "string" && DECIMAL.test(json)) {
    value = BigInt(json);
  } else if (typeof json === "number" && Number.isSafeInteger(json) && json >= 0) {
    value = BigInt(json);
  } else {
    throw new BadRequestError(path, expected);
  }
  if (value >= 1n << BigInt(bits)) throw new BadRequestError(path, `${expected}, value too large`);
  const text = value.toString();
  // Lodestar keeps slots, epochs and indices as JS numbers; it reads 2^64-1 as "far future".
  if (asNumber && value > BigInt(Number.MAX_SAFE_INTEGER)) {
    if (shape.clipInfinity === true && text === shape.maxDecimalStr) return text;
    throw new BadRequestError(path, `value above ${Number.MAX_SAFE_INTEGER} is not supported`);
  }
  return text;
}
