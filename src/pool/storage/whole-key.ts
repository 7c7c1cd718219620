/**
 * The aggregator's whole validator keys, from the ceremony until the exit is pre-signed: a
 * SealedKeyStore file (`pool-whole-keys.json`, see POOL_FILES) keyed by composite public key.
 *
 * Destruction: the key is removed from the store, and the bytes that held it are overwritten. When
 * it is the store's last key, the store file itself is overwritten with zeros (same length),
 * fsync'd and unlinked, and the directory fsync'd. When other pools' keys remain, the store is
 * rewritten without it (atomically: a new file replaces the old), and the replaced file, which
 * still held the key sealed, is overwritten with zeros through a descriptor opened before.
 */
import { FileLockTimeoutError, withFileLock } from "../../util/file-lock.js";
import { SecretKey } from "@chainsafe/blst";
import { closeSync, existsSync, fstatSync, fsyncSync, openSync, rmSync, statSync, writeSync } from "node:fs";
import { dirname, join } from "node:path";
import { SealedKeyStore, SealedStoreError } from "../../keys/sealed-store.js";
import { POOL_FILES } from "../definition.js";
import { fsyncDirectory } from "../../util/durable-file.js";
import { PoolError } from "../errors.js";

export function wholeKeysPath(dataDir: string): string {
  return join(dataDir, POOL_FILES.wholeKeys);
}

function asBuffer(secret: Uint8Array): Buffer {
  return Buffer.isBuffer(secret) ? secret : Buffer.from(secret.buffer, secret.byteOffset, secret.byteLength);
}

async function openStore(dataDir: string, sealingSecret: Uint8Array, create: boolean): Promise<SealedKeyStore> {
  try {
    return await SealedKeyStore.open(dataDir, asBuffer(sealingSecret), { create, fileName: POOL_FILES.wholeKeys });
  } catch (err) {
    if (err instanceof SealedStoreError) {
      throw new PoolError(/^no sealed key store/.test(err.message) ? "no-whole-key" : "sealed-store", err.message, { cause: err });
    }
    throw err;
  }
}

/** Seals a pool's whole key (32 bytes) under its composite public key, which it must match. */
export async function sealWholeKey(dataDir: string, sealingSecret: Uint8Array, compositePublicKey: string, secretKey: Uint8Array): Promise<string> {
  const composite = compositePublicKey.toLowerCase();
  const publicKey = "0x" + Buffer.from(SecretKey.fromBytes(secretKey).toPublicKey().toBytes(true)).toString("hex");
  if (publicKey !== composite) throw new PoolError("invalid-parameters", `the whole key is not the key of ${composite}`);
  const store = await openStore(dataDir, sealingSecret, true);
  const added = await store.add([{ pubkey: composite, secretKey }]);
  if (added.length === 0) throw new PoolError("invalid-parameters", `${store.path} already holds a whole key for ${composite}`);
  return store.path;
}

/** The whole key of a pool (the caller wipes it), or PoolError("no-whole-key"). */
export async function loadWholeKey(dataDir: string, sealingSecret: Uint8Array, compositePublicKey: string): Promise<Uint8Array> {
  const composite = compositePublicKey.toLowerCase();
  const path = wholeKeysPath(dataDir);
  const gone = `no whole key for ${composite} in ${path}: it was destroyed after the exit was pre-signed, or this is not the aggregator's data directory`;
  if (!existsSync(path)) throw new PoolError("no-whole-key", gone);
  const store = await openStore(dataDir, sealingSecret, false);
  const keys = store.keys();
  let found: Uint8Array | undefined;
  for (const key of keys) {
    if (key.pubkey === composite) found = key.secretKey;
    else key.secretKey.fill(0);
  }
  if (found === undefined) throw new PoolError("no-whole-key", gone);
  return found;
}

export type WholeKeyState = "present" | "absent" | "unknown";

/**
 * Whether the whole key of a pool is on disk: "absent" when there is no store file or the store
 * (opened with the sealing secret) does not hold it; "unknown" when a store exists but no secret
 * was given to look inside.
 */
export async function wholeKeyState(dataDir: string, compositePublicKey: string, sealingSecret?: Uint8Array): Promise<WholeKeyState> {
  if (!existsSync(wholeKeysPath(dataDir))) return "absent";
  if (sealingSecret === undefined) return "unknown";
  const store = await openStore(dataDir, sealingSecret, false);
  return store.has(compositePublicKey) ? "present" : "absent";
}

/** The composite keys whose whole keys the store holds (empty when there is no store). */
export async function wholeKeyPubkeys(dataDir: string, sealingSecret: Uint8Array): Promise<Set<string>> {
  if (!existsSync(wholeKeysPath(dataDir))) return new Set();
  const store = await openStore(dataDir, sealingSecret, false);
  return new Set(store.pubkeys());
}

export interface WholeKeyDestruction {
  /** Whether the store held the key (and no longer does). */
  removed: boolean;
  /** Whether the store file was shredded and removed because no key was left in it. */
  storeRemoved: boolean;
  /** Keys of other pools still in the store. */
  remaining: number;
  path: string;
}

/** Removes a pool's whole key from the store and overwrites the bytes that held it (see above). */
export async function destroyWholeKey(dataDir: string, sealingSecret: Uint8Array, compositePublicKey: string): Promise<WholeKeyDestruction> {
  const composite = compositePublicKey.toLowerCase();
  const path = wholeKeysPath(dataDir);
  if (!existsSync(path)) return { removed: false, storeRemoved: false, remaining: 0, path };
  const store = await openStore(dataDir, sealingSecret, false);
  if (!store.has(composite)) {
    return { removed: false, storeRemoved: false, remaining: store.size, path };
  }
  if (store.size === 1) {
    const shredded = await withStoreLock(path, async () => {
      store.refresh();
      if (store.size !== 1 || !store.has(composite)) return false;
      shredFile(path);
      return true;
    });
    if (shredded) return { removed: true, storeRemoved: true, remaining: 0, path };
  }
  // Other keys remain: rewrite without this one, then overwrite the file it replaced.
  const oldFd = openSync(path, "r+");
  try {
    const removed = await store.remove([composite]);
    const current = existsSync(path) ? statSync(path).ino : undefined;
    const old = fstatSync(oldFd);
    if (removed.length > 0 && old.ino !== current) overwriteWithZeros(oldFd, old.size);
    return { removed: removed.length > 0, storeRemoved: false, remaining: store.size, path };
  } finally {
    closeSync(oldFd);
  }
}

/** Overwrites a file in place with zeros of the same length, fsyncs, unlinks it and fsyncs its directory. */
export function shredFile(path: string): void {
  const fd = openSync(path, "r+");
  try {
    overwriteWithZeros(fd, fstatSync(fd).size);
  } finally {
    closeSync(fd);
  }
  rmSync(path);
  fsyncDirectory(dirname(path));
}

function overwriteWithZeros(fd: number, size: number): void {
  const zeros = Buffer.alloc(64 * 1024);
  for (let offset = 0; offset < size; offset += zeros.length) {
    writeSync(fd, zeros, 0, Math.min(zeros.length, size - offset), offset);
  }
  fsyncSync(fd);
}

/**
 * The sealed key store's own writer lock (see src/util/file-lock.ts), so that no writer adds a key
 * to a store while it is shredded.
 */
async function withStoreLock<T>(path: string, action: () => Promise<T>): Promise<T> {
  try {
    return await withFileLock(path, action);
  } catch (err) {
    if (err instanceof FileLockTimeoutError) throw new PoolError("no-whole-key", err.message);
    throw err;
  }
}
