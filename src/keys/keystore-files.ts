/**
 * Finding EIP-2335 keystores in a directory and their passwords, in the layout staking-deposit-cli,
 * Lighthouse and Web3Signer use: `keystore-*.json` files, and either one `<base name>.txt` password
 * file per keystore in a passwords directory, or one password file for all of them.
 */
import { readdir, readFile, stat } from "node:fs/promises";
import { basename, extname, join, resolve } from "node:path";
import { schemaValidationErrors, type IKeystore } from "@chainsafe/bls-keystore";
import { findJsonSyntaxError } from "../util/json-syntax.js";
import { KeystoreFileError, KeystoreLoadError } from "./keystore-errors.js";

export interface KeystoreFile {
  /** Absolute path of the keystore file. */
  path: string;
  keystore: IKeystore;
}

export interface SkippedFile {
  path: string;
  reason: string;
}

export interface KeystoreDiscovery {
  /** Keystores in file-name order. */
  keystores: KeystoreFile[];
  /** JSON files that are not EIP-2335 keystores (deposit data, eth1 keystores, ...). */
  skipped: SkippedFile[];
  /** Files that look like keystores, or cannot be told apart from one, but are broken. */
  failures: KeystoreFileError[];
}

export type PasswordSource = { passwordsDir: string } | { passwordFile: string };

/** Enough files in flight to keep the disk busy without running out of file descriptors. */
const READ_CONCURRENCY = 64;

/**
 * Lists the `*.json` files directly in `dir` (not recursive, like the tools that write them) and
 * sorts them into keystores, skipped files and failures. Throws `KeystoreLoadError` only when the
 * directory itself cannot be read.
 */
export async function discoverKeystores(dir: string): Promise<KeystoreDiscovery> {
  const root = resolve(dir);
  let names: string[];
  try {
    names = (await readdir(root)).filter((name) => name.toLowerCase().endsWith(".json")).sort();
  } catch (err) {
    throw new KeystoreLoadError([new KeystoreFileError(root, "unreadable", `cannot read keystores directory (${errorCode(err)})`)]);
  }

  const discovery: KeystoreDiscovery = { keystores: [], skipped: [], failures: [] };
  const classified = await mapLimit(names, READ_CONCURRENCY, (name) => classifyFile(join(root, name)));
  for (const entry of classified) {
    if (entry === undefined) continue;
    if ("keystore" in entry) discovery.keystores.push(entry);
    else if (entry instanceof KeystoreFileError) discovery.failures.push(entry);
    else discovery.skipped.push(entry);
  }
  return discovery;
}

async function classifyFile(path: string): Promise<KeystoreFile | SkippedFile | KeystoreFileError | undefined> {
  let text: string;
  try {
    // stat follows symlinks, so a linked keystore counts and a directory named *.json does not.
    if (!(await stat(path)).isFile()) return undefined;
    text = await readFile(path, "utf8");
  } catch (err) {
    return new KeystoreFileError(path, "unreadable", `cannot read file (${errorCode(err)})`);
  }

  // Editors on Windows may save a byte-order mark, which JSON.parse rejects.
  const body = text.startsWith("\uFEFF") ? text.slice(1) : text;
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (err) {
    return new KeystoreFileError(path, "malformed-json", describeJsonError(err, body));
  }

  const notKeystore = whyNotKeystore(json);
  if (notKeystore !== undefined) return { path, reason: notKeystore };

  const schemaErrors = schemaValidationErrors(json);
  if (schemaErrors) {
    const details = schemaErrors.map((e) => `${e.instancePath || "/"} ${e.message}`).join("; ");
    return new KeystoreFileError(path, "invalid-keystore", `invalid EIP-2335 keystore: ${details}`);
  }
  return { path, keystore: json as IKeystore };
}

/** EIP-2335 keystores are objects with `crypto` and `version: 4`; anything else is not ours. */
function whyNotKeystore(json: unknown): string | undefined {
  if (Array.isArray(json)) return "not an EIP-2335 keystore (a JSON array, e.g. deposit data)";
  if (json === null || typeof json !== "object") return "not an EIP-2335 keystore (not a JSON object)";
  const record = json as Record<string, unknown>;
  if (typeof record.crypto !== "object" || record.crypto === null) return "not an EIP-2335 keystore (no crypto field)";
  if (record.version !== 4) return `not an EIP-2335 keystore (version ${JSON.stringify(record.version)}, expected 4)`;
  return undefined;
}

/**
 * V8 quotes the source around some syntax errors; keep its description, drop the quote (errors stay
 * short and never echo file content) and add a line and column.
 */
function describeJsonError(err: unknown, text: string): string {
  const message = err instanceof Error ? err.message : String(err);
  const what = message.replace(/, ".*" is not valid JSON$/s, "").replace(/ in JSON at position \d+.*$/s, "");
  const found = findJsonSyntaxError(text);
  if (found === undefined) return `malformed JSON (${what})`;
  return `malformed JSON at line ${found.line} column ${found.column} (${what})`;
}

/** `keystore-m_12381_3600_0_0_0-1.json` -> `<passwordsDir>/keystore-m_12381_3600_0_0_0-1.txt`. */
export function passwordFileFor(keystorePath: string, passwordsDir: string): string {
  return join(resolve(passwordsDir), `${basename(keystorePath, extname(keystorePath))}.txt`);
}

/** Drops one trailing `\n` or `\r\n`, as editors and `echo` add one; other whitespace is kept. */
export function trimTrailingNewline(text: string): string {
  if (text.endsWith("\r\n")) return text.slice(0, -2);
  if (text.endsWith("\n")) return text.slice(0, -1);
  return text;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Reads a password file. Throws a plain Error carrying only an error code, so that the caller can
 * say which keystore it belongs to.
 */
export async function readPasswordFile(path: string): Promise<string> {
  const bytes = await readFile(path);
  try {
    // A silent U+FFFD replacement would turn a valid password into a "wrong password".
    return trimTrailingNewline(utf8.decode(bytes));
  } catch {
    throw Object.assign(new Error("password file is not valid UTF-8"), { code: "EILSEQ" });
  }
}

export type PasswordResult = { ok: true; password: string } | { ok: false; error: KeystoreFileError };

/**
 * Resolves the password of each keystore, in the same order. A missing or unreadable password file
 * fails only its keystore; an unreadable single password file fails the whole load at once.
 */
export async function resolvePasswords(keystorePaths: readonly string[], source: PasswordSource): Promise<PasswordResult[]> {
  if ("passwordFile" in source) {
    const file = resolve(source.passwordFile);
    let password: string;
    try {
      password = await readPasswordFile(file);
    } catch (err) {
      throw new KeystoreLoadError([new KeystoreFileError(file, "missing-password", describePasswordError(err))]);
    }
    return keystorePaths.map(() => ({ ok: true, password }));
  }

  return mapLimit(keystorePaths, READ_CONCURRENCY, async (keystorePath): Promise<PasswordResult> => {
    const file = passwordFileFor(keystorePath, source.passwordsDir);
    try {
      return { ok: true, password: await readPasswordFile(file) };
    } catch (err) {
      const reason = `${describePasswordError(err)}: ${file}`;
      return { ok: false, error: new KeystoreFileError(keystorePath, "missing-password", reason) };
    }
  });
}

function describePasswordError(err: unknown): string {
  const code = errorCode(err);
  if (code === "ENOENT") return "password file not found";
  if (code === "EILSEQ") return "password file is not valid UTF-8";
  return `cannot read password file (${code})`;
}

function errorCode(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : "unknown error";
}

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return results;
}
