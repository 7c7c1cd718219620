/**
 * EIP-2335 keystore creation with @chainsafe/bls-keystore: scrypt (n=262144, r=8, p=1) with a
 * fresh random salt, AES-128-CTR with a fresh random IV, a random UUID, the key's path, pubkey and
 * a description; files named and written as staking-deposit-cli names them, mode 0600. The KDF
 * is deliberately slow and synchronous, so many keystores are made by a pool of worker threads.
 */
import { constants } from "node:fs";
import { open } from "node:fs/promises";
import { join } from "node:path";
import { create, decrypt, defaultScryptModule, type IKdfModule, type IKeystore } from "@chainsafe/bls-keystore";
import { SecretKey } from "@chainsafe/blst";
import { runJobs } from "../util/job-pool.js";
import { parsePath } from "./derive.js";
import { codedError } from "../errors/bulwark-error.js";

export const KEYSTORE_FILE_MODE = 0o600;
const SECRET_KEY_LENGTH = 32;

export type KdfChoice = Pick<IKdfModule, "function" | "params">;

export interface CreateKeystoreOptions {
  /**
   * The KDF and its parameters. By default scrypt n=262144 r=8 p=1 with a new random 32-byte
   * salt, as EIP-2335 and staking-deposit-cli use. Only tests pass anything else; no command does.
   */
  kdf?: KdfChoice;
  /** EIP-2335 `description`; by default one naming the path. */
  description?: string;
  /** Decrypt the new keystore and compare it with the secret before returning (doubles the KDF cost). Default true. */
  verify?: boolean;
}

export class KeystoreCreateError extends codedError("keystore-create") {
  override name = "KeystoreCreateError";
}

export function defaultKeystoreDescription(path: string): string {
  return path === "" ? "validator signing key (bulwark)" : `validator signing key ${path} (bulwark)`;
}

/**
 * Encrypts a 32-byte BLS secret key into an EIP-2335 keystore whose `pubkey` is derived from the
 * secret itself. `path` is the EIP-2334 path (or "" when the key was not derived).
 */
export async function createKeystore(
  secretKey: Uint8Array,
  password: string,
  path: string,
  options: CreateKeystoreOptions = {},
): Promise<IKeystore> {
  if (secretKey.length !== SECRET_KEY_LENGTH) {
    throw new KeystoreCreateError(`a BLS secret key has ${SECRET_KEY_LENGTH} bytes, got ${secretKey.length}`);
  }
  if (path !== "") parsePath(path);
  let pubkey: Uint8Array;
  try {
    pubkey = SecretKey.fromBytes(secretKey).toPublicKey().toBytes(true);
  } catch {
    throw new KeystoreCreateError("not a valid BLS secret key");
  }
  const kdf = options.kdf ?? defaultScryptModule();
  const description = options.description ?? defaultKeystoreDescription(path);
  const keystore = await create(password, secretKey, pubkey, path, description, kdf);
  if (options.verify ?? true) await verifyNewKeystore(keystore, password, secretKey);
  return keystore;
}

/** Decrypts a keystore just made and checks it gives back the secret; throws otherwise. */
async function verifyNewKeystore(keystore: IKeystore, password: string, secretKey: Uint8Array): Promise<void> {
  let plain: Uint8Array;
  try {
    plain = await decrypt(keystore, password);
  } catch {
    throw new KeystoreCreateError("the new keystore does not decrypt with its password");
  }
  const same = plain.length === secretKey.length && plain.every((b, i) => b === secretKey[i]);
  plain.fill(0);
  if (!same) throw new KeystoreCreateError("the new keystore decrypts to a different secret");
}

/** `m/12381/3600/3/0/0` at 1700000000 -> `keystore-m_12381_3600_3_0_0-1700000000.json` (staking-deposit-cli's name). */
export function keystoreFileName(path: string, timestamp: number): string {
  return `keystore-${path.replaceAll("/", "_")}-${timestamp}.json`;
}

/**
 * Writes a keystore to `dir/name` with mode 0600 and fsyncs it; never overwrites (fails with
 * EEXIST). Returns the path.
 */
export async function writeKeystoreFile(dir: string, name: string, keystore: IKeystore): Promise<string> {
  const path = join(dir, name);
  const handle = await open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, KEYSTORE_FILE_MODE);
  try {
    // The mode given to open() is reduced by the umask; make sure it is exactly 0600.
    await handle.chmod(KEYSTORE_FILE_MODE);
    await handle.writeFile(JSON.stringify(keystore), "utf8");
    await handle.sync();
  } finally {
    await handle.close();
  }
  return path;
}

export interface KeystoreJob {
  /** 32-byte secret; copied to a worker, so the caller should zero its own copy afterwards. */
  secretKey: Uint8Array;
  password: string;
  path: string;
  kdf?: KdfChoice;
  description?: string;
}

export type KeystoreOutcome = { ok: true; keystore: IKeystore } | { ok: false; reason: string };

export type KeystoreRequest = KeystoreJob & { id: number };
export type KeystoreReply = KeystoreOutcome & { id: number };

export interface CreateKeystoresOptions {
  /** Worker threads (one per core is right: each runs one KDF at a time). */
  workers: number;
  /** Called once per settled job, for progress. */
  onSettled?: () => void;
}

const WORKER_URL = new URL("./create-keystore-worker.js", import.meta.url);

/**
 * Creates (and verifies, by decrypting) one keystore per job in worker threads. Every job settles;
 * the outcomes are in job order, and all workers have exited when this resolves.
 */
export async function createKeystores(jobs: readonly KeystoreJob[], options: CreateKeystoresOptions): Promise<KeystoreOutcome[]> {
  return runJobs<KeystoreJob, KeystoreOutcome>(WORKER_URL, jobs, {
    workers: options.workers,
    ...(options.onSettled ? { onSettled: options.onSettled } : {}),
    failed: (reason) => ({ ok: false, reason: `keystore ${reason}` }),
  });
}
