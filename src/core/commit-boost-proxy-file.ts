/**
 * The sealed file of Commit-Boost proxy keys (DATA_DIR/commit-boost-proxy-keys.json), sealed like
 * every other Bulwark secret (src/keys/sealed-secret.ts: scrypt, AES-256-GCM, key check). The
 * delegations (module, scheme, proxy, delegator, signature) are public fields bound into the GCM
 * associated data; the ciphertext is the 32-byte secrets in the same order. Each change rewrites
 * the whole file under a new name and renames it into place, so a crash leaves the old or the new.
 */
import { renameSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fsyncDirectory } from "../util/durable-file.js";
import { readSealedSecret, type SealSecretOptions, SealedSecretError, writeSealedSecret } from "../keys/sealed-secret.js";
import { codedError } from "../errors/bulwark-error.js";
import type { ProxyScheme } from "./api.js";

export const PROXY_KEY_FILE = "commit-boost-proxy-keys.json";
const FORMAT = "bulwark-commit-boost-proxy-keys";
const SECRET_BYTES = 32;

export type { ProxyScheme };

/** One proxy key: what may be shown (everything but `secretKey`) and its secret. */
export interface ProxyKeyRecord {
  module: string;
  scheme: ProxyScheme;
  /** BLS public key (48 bytes) or Ethereum address (20 bytes), 0x-hex lowercase. */
  proxy: string;
  /** The consensus key that delegated to it. */
  delegator: string;
  /** The delegator's BLS signature over the ProxyDelegation. */
  signature: string;
  secretKey: Uint8Array;
}

export class ProxyKeyFileError extends codedError("proxy-key-file") {
  override name = "ProxyKeyFileError";
}

export function proxyKeyFilePath(dataDir: string): string {
  return join(dataDir, PROXY_KEY_FILE);
}

/** The records of the file, or none when it does not exist yet. */
export async function readProxyKeyFile(path: string, sealingSecret: Uint8Array): Promise<ProxyKeyRecord[]> {
  let opened: { publicFields: Record<string, string>; secret: Uint8Array };
  try {
    opened = await readSealedSecret(path, FORMAT, sealingSecret);
  } catch (err) {
    if (err instanceof SealedSecretError && err.problem === "missing") return [];
    throw new ProxyKeyFileError(`Commit-Boost proxy keys: ${(err as Error).message}`);
  }
  const { publicFields, secret } = opened;
  try {
    const listed = JSON.parse(publicFields.proxies ?? "[]") as Array<Omit<ProxyKeyRecord, "secretKey">>;
    if (!Array.isArray(listed) || secret.length !== listed.length * SECRET_BYTES) {
      throw new ProxyKeyFileError(`${path} is corrupted (${secret.length} secret bytes for ${String(listed.length)} proxies)`);
    }
    return listed.map((entry, i) => ({
      module: entry.module,
      scheme: entry.scheme,
      proxy: entry.proxy,
      delegator: entry.delegator,
      signature: entry.signature,
      secretKey: secret.slice(i * SECRET_BYTES, (i + 1) * SECRET_BYTES),
    }));
  } finally {
    secret.fill(0);
  }
}

/** Durably replaces the file with `records` (0600). */
export async function writeProxyKeyFile(
  path: string,
  records: readonly ProxyKeyRecord[],
  sealingSecret: Uint8Array,
  options: SealSecretOptions = {},
): Promise<void> {
  const listed = records.map(({ module, scheme, proxy, delegator, signature }) => ({ module, scheme, proxy, delegator, signature }));
  const secrets = new Uint8Array(records.length * SECRET_BYTES);
  records.forEach((record, i) => secrets.set(record.secretKey, i * SECRET_BYTES));
  const temporary = `${path}.next-${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
  try {
    await writeSealedSecret(temporary, FORMAT, { proxies: JSON.stringify(listed) }, secrets, sealingSecret, options);
    renameSync(temporary, path);
    fsyncDirectory(dirname(path));
  } catch (err) {
    rmSync(temporary, { force: true });
    throw err;
  } finally {
    secrets.fill(0);
  }
}
