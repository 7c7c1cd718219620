/**
 * deposit_data-<timestamp>.json files: writing them exactly as staking-deposit-cli does, and
 * checking one from any tool against a network the way the launchpad does (and a little more),
 * with a reason for every problem.
 */
import { constants } from "node:fs";
import { open } from "node:fs/promises";
import { join } from "node:path";
import { ssz, type phase0 } from "@lodestar/types";
import type { Network } from "../config/networks.js";
import { bytesEqual } from "../util/hex.js";
import {
  depositAmountProblem,
  depositForkVersion,
  type DepositDataJson,
  hexNoPrefix,
  MIN_DEPOSIT_CLI_VERSION,
  verifyDepositSignature,
  withdrawalCredentialsProblem,
} from "./deposit.js";

/** Deposit data holds no secret (it goes on chain): readable by all, writable by the owner. */
export const DEPOSIT_FILE_MODE = 0o644;

const FIELD_ORDER = [
  "pubkey",
  "withdrawal_credentials",
  "amount",
  "signature",
  "deposit_message_root",
  "deposit_data_root",
  "fork_version",
  "network_name",
  "deposit_cli_version",
] as const satisfies readonly (keyof DepositDataJson)[];

export function depositFileName(timestamp: number): string {
  return `deposit_data-${timestamp}.json`;
}

/**
 * The file's text byte for byte as staking-deposit-cli writes it (Python's `json.dump`: one line,
 * `", "` and `": "` separators, fields in the tool's order, no trailing newline).
 */
export function serializeDepositFile(entries: readonly DepositDataJson[]): string {
  const entry = (e: DepositDataJson) => `{${FIELD_ORDER.map((k) => `${JSON.stringify(k)}: ${JSON.stringify(e[k])}`).join(", ")}}`;
  return `[${entries.map(entry).join(", ")}]`;
}

/**
 * Writes `deposit_data-<timestamp>.json` into `dir`; never overwrites (fails with EEXIST). Returns
 * the path.
 */
export async function writeDepositFile(dir: string, entries: readonly DepositDataJson[], timestamp: number): Promise<string> {
  const path = join(dir, depositFileName(timestamp));
  const handle = await open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, DEPOSIT_FILE_MODE);
  try {
    await handle.writeFile(serializeDepositFile(entries), "utf8");
    await handle.chmod(DEPOSIT_FILE_MODE);
    await handle.sync();
  } finally {
    await handle.close();
  }
  return path;
}

export interface DepositEntryResult {
  /** Position in the file, from 0. */
  index: number;
  /** The entry's pubkey as written, when it is a string. */
  pubkey: string | undefined;
  ok: boolean;
  /** Every problem found; empty when ok. */
  problems: string[];
}

export interface DepositFileReport {
  /** True when the file is a non-empty array and every entry is ok. */
  ok: boolean;
  /** Problems of the file as a whole (not an array, empty). */
  problems: string[];
  entries: DepositEntryResult[];
}

/**
 * Checks parsed deposit data (a deposit_data-*.json array from this or any launchpad-compatible
 * tool) against `network`: every field present with the right type and length, withdrawal
 * credentials of a known form, amount within bounds for them, fork_version and network_name of
 * the network, both SSZ roots recomputed, the BLS signature verified (with key and signature
 * subgroup checks) over the network's deposit domain, deposit_cli_version at least the launchpad's
 * minimum, and no pubkey twice.
 */
export function verifyDepositFile(json: unknown, network: Network): DepositFileReport {
  if (!Array.isArray(json)) {
    return { ok: false, problems: ["deposit data must be a JSON array of deposits"], entries: [] };
  }
  if (json.length === 0) return { ok: false, problems: ["deposit data holds no deposits"], entries: [] };

  const firstSeen = new Map<string, number>();
  const entries = json.map((entry: unknown, index): DepositEntryResult => {
    const pubkey = isRecord(entry) && typeof entry.pubkey === "string" ? entry.pubkey : undefined;
    const problems = isRecord(entry) ? entryProblems(entry, network) : ["entry is not a JSON object"];
    if (pubkey !== undefined) {
      const key = pubkey.toLowerCase();
      const first = firstSeen.get(key);
      if (first === undefined) firstSeen.set(key, index);
      else problems.push(`pubkey repeats deposit #${first}`);
    }
    return { index, pubkey, ok: problems.length === 0, problems };
  });
  return { ok: entries.every((e) => e.ok), problems: [], entries };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

const HEX_FIELDS = {
  pubkey: 48,
  withdrawal_credentials: 32,
  signature: 96,
  deposit_message_root: 32,
  deposit_data_root: 32,
  fork_version: 4,
} as const;
type HexField = keyof typeof HEX_FIELDS;

function entryProblems(entry: Record<string, unknown>, network: Network): string[] {
  const problems: string[] = [];
  const bytes: Partial<Record<HexField, Uint8Array>> = {};
  for (const [field, length] of Object.entries(HEX_FIELDS) as [HexField, number][]) {
    const value = entry[field];
    if (value === undefined) problems.push(`${field} is missing`);
    else if (typeof value !== "string") problems.push(`${field} must be a hex string`);
    else if (value.startsWith("0x")) problems.push(`${field} must be hex without a 0x prefix`);
    else if (!/^[0-9a-fA-F]*$/.test(value) || value.length !== 2 * length) problems.push(`${field} must be ${2 * length} hex digits (${length} bytes)`);
    else bytes[field] = Uint8Array.from(Buffer.from(value, "hex"));
  }

  const amount = entry.amount;
  let amountOk = false;
  if (amount === undefined) problems.push("amount is missing");
  else if (typeof amount !== "number" || !Number.isSafeInteger(amount) || amount < 0) problems.push("amount must be a whole number of gwei (a JSON number)");
  else amountOk = true;

  const expectedName = network.name;
  if (entry.network_name === undefined) problems.push("network_name is missing");
  else if (entry.network_name !== expectedName) problems.push(`network_name is ${JSON.stringify(entry.network_name)}, expected "${expectedName}"`);

  const cliVersion = entry.deposit_cli_version;
  if (cliVersion === undefined) problems.push("deposit_cli_version is missing");
  else if (typeof cliVersion !== "string" || versionBelow(cliVersion, MIN_DEPOSIT_CLI_VERSION)) {
    problems.push(`deposit_cli_version ${JSON.stringify(cliVersion)} is not a version of at least ${MIN_DEPOSIT_CLI_VERSION} (the launchpad refuses it)`);
  }

  const forkVersion = depositForkVersion(network);
  if (bytes.fork_version !== undefined && !bytesEqual(bytes.fork_version, forkVersion)) {
    problems.push(`fork_version is ${hexNoPrefix(bytes.fork_version)}, but ${expectedName}'s genesis fork version is ${hexNoPrefix(forkVersion)}`);
  }

  const credentials = bytes.withdrawal_credentials;
  if (credentials !== undefined) {
    const problem = withdrawalCredentialsProblem(credentials);
    if (problem !== undefined) problems.push(problem);
    else if (amountOk) {
      const amountProblem = depositAmountProblem(amount as number, credentials);
      if (amountProblem !== undefined) problems.push(amountProblem);
    }
  }

  const { pubkey, signature } = bytes;
  if (pubkey === undefined || credentials === undefined || !amountOk) return problems;
  const message: phase0.DepositMessage = { pubkey, withdrawalCredentials: credentials, amount: amount as number };
  const messageRoot = ssz.phase0.DepositMessage.hashTreeRoot(message);
  if (bytes.deposit_message_root !== undefined && !bytesEqual(bytes.deposit_message_root, messageRoot)) {
    problems.push(`deposit_message_root does not match pubkey, withdrawal_credentials and amount (computed ${hexNoPrefix(messageRoot)})`);
  }
  if (signature === undefined) return problems;
  const dataRoot = ssz.phase0.DepositData.hashTreeRoot({ ...message, signature });
  if (bytes.deposit_data_root !== undefined && !bytesEqual(bytes.deposit_data_root, dataRoot)) {
    problems.push(`deposit_data_root does not match the deposit (computed ${hexNoPrefix(dataRoot)})`);
  }
  if (!verifyDepositSignature(message, signature, forkVersion)) {
    problems.push(`signature does not verify for this pubkey, withdrawal_credentials and amount on ${expectedName} (fork version ${hexNoPrefix(forkVersion)})`);
  }
  return problems;
}

/** `a < b` for dotted numeric versions; anything that is not `N.N.N...` counts as below. */
function versionBelow(a: string, b: string): boolean {
  const parse = (v: string) => (/^\d+(\.\d+)*$/.test(v) ? v.split(".").map(Number) : undefined);
  const x = parse(a);
  const y = parse(b) as number[];
  if (x === undefined) return true;
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d !== 0) return d < 0;
  }
  return false;
}
