/**
 * The signer's own key store: every key in one file, encrypted with AES-256-GCM under a key derived
 * (scrypt) from the operator's sealing secret. One KDF run at start-up instead of one scrypt per
 * keystore, so 10,000 keys load in well under a second.
 *
 * File: a JSON header (format, KDF parameters, IV, tag, a key-check value) and the ciphertext of
 * `count` records of [48-byte pubkey | 32-byte secret]. The header is the GCM associated data, so
 * it cannot be altered either. Writes are atomic (temporary file, fsync, rename, fsync directory)
 * and serialised across processes with a lock file.
 */
import { createCipheriv, createDecipheriv, createHmac, randomBytes, scrypt as scryptCallback, timingSafeEqual } from "node:crypto";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { FileLockTimeoutError, withFileLock } from "../util/file-lock.js";
import { writeFileAtomically } from "../util/atomic-file.js";
import { promisify } from "node:util";
import { codedError } from "../errors/bulwark-error.js";

const scrypt = promisify(scryptCallback) as (password: Buffer, salt: Buffer, keylen: number, options: object) => Promise<Buffer>;

export const SEALED_STORE_FILE = "sealed-keys.json";
const FORMAT = "bulwark-sealed-keys";
const VERSION = 1;
const RECORD_BYTES = 48 + 32;
const DEFAULT_KDF = { function: "scrypt", n: 1 << 17, r: 8, p: 1 } as const;

export interface SealedKey {
  pubkey: string;
  secretKey: Uint8Array;
}

interface Header {
  format: string;
  version: number;
  kdf: { function: "scrypt"; n: number; r: number; p: number; salt: string };
  cipher: { function: "aes-256-gcm"; iv: string; tag: string };
  /** HMAC of a fixed label under the derived key: tells a wrong secret from a corrupted file. */
  keyCheck: string;
  count: number;
}

export class SealedStoreError extends codedError("sealed-store") {
  override name = "SealedStoreError";
}

export interface SealingSecretSource {
  passphraseFile?: string;
  /** Environment variable name holding the passphrase (default BULWARK_SEALING_PASSPHRASE). */
  envVariable?: string;
}

export const SEALING_ENV = "BULWARK_SEALING_PASSPHRASE";

/** Reads the sealing passphrase from the file or environment variable the operator chose. */
export function readSealingSecret(source: SealingSecretSource, env: NodeJS.ProcessEnv = process.env): Buffer {
  if (source.passphraseFile !== undefined) {
    let text: string;
    try {
      text = readFileSync(source.passphraseFile, "utf8");
    } catch (err) {
      throw new SealedStoreError(`cannot read sealing passphrase file ${source.passphraseFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    const passphrase = text.replace(/\r?\n$/, "");
    if (passphrase.length < 8) throw new SealedStoreError(`sealing passphrase in ${source.passphraseFile} is shorter than 8 characters`);
    return Buffer.from(passphrase, "utf8");
  }
  const name = source.envVariable ?? SEALING_ENV;
  const value = env[name];
  if (value === undefined || value === "") {
    throw new SealedStoreError(`no sealing secret: give --sealing-passphrase-file FILE or set ${name}`);
  }
  if (value.length < 8) throw new SealedStoreError(`sealing passphrase in ${name} is shorter than 8 characters`);
  return Buffer.from(value, "utf8");
}

export class SealedKeyStore {
  private constructor(
    readonly path: string,
    private readonly key: Buffer,
    private readonly kdf: Header["kdf"],
    private entries: Map<string, Uint8Array>,
  ) {}

  /**
   * Opens the store in `dataDir`, creating an empty one when `create` is set and none exists.
   * Rejects with a message naming the file for a wrong secret or a damaged file.
   */
  static async open(dataDir: string, secret: Buffer, options: { create: boolean; fileName?: string }): Promise<SealedKeyStore> {
    const path = join(dataDir, options.fileName ?? SEALED_STORE_FILE);
    if (!existsSync(path)) {
      if (!options.create) throw new SealedStoreError(`no sealed key store at ${path}`);
      mkdirSync(dataDir, { recursive: true, mode: 0o700 });
      const kdf = { ...DEFAULT_KDF, salt: randomBytes(32).toString("hex") };
      const key = await deriveKey(secret, kdf);
      // Another process may create the store at the same moment: only the first one writes it.
      const created = await lockedStore(path, async () => {
        if (existsSync(path)) return undefined;
        const store = new SealedKeyStore(path, key, kdf, new Map());
        store.write();
        return store;
      });
      if (created !== undefined) return created;
    }
    const { header, ciphertext } = readSealedFile(path);
    const key = await deriveKey(secret, header.kdf);
    const entries = unseal(path, header, ciphertext, key);
    return new SealedKeyStore(path, key, header.kdf, entries);
  }

  static exists(dataDir: string, fileName = SEALED_STORE_FILE): boolean {
    return existsSync(join(dataDir, fileName));
  }

  get size(): number {
    return this.entries.size;
  }

  has(pubkey: string): boolean {
    return this.entries.has(pubkey.toLowerCase());
  }

  pubkeys(): string[] {
    return [...this.entries.keys()];
  }

  /** Copies of the secrets: callers hand them to the signing core, which wipes them. */
  keys(): SealedKey[] {
    return [...this.entries].map(([pubkey, secret]) => ({ pubkey, secretKey: Uint8Array.from(secret) }));
  }

  /** Adds keys (skipping ones already present) and durably rewrites the file. Returns the added pubkeys. */
  async add(keys: readonly SealedKey[]): Promise<string[]> {
    return this.withLock(async () => {
      this.reloadFromDisk();
      const added: string[] = [];
      for (const key of keys) {
        const pubkey = key.pubkey.toLowerCase();
        if (!/^0x[0-9a-f]{96}$/.test(pubkey)) throw new SealedStoreError(`"${key.pubkey}" is not a 0x-prefixed 48-byte public key`);
        if (this.entries.has(pubkey)) continue;
        if (key.secretKey.length !== 32) throw new SealedStoreError(`secret for ${pubkey} is not 32 bytes`);
        this.entries.set(pubkey, Uint8Array.from(key.secretKey));
        added.push(pubkey);
      }
      if (added.length > 0) this.write();
      return added;
    });
  }

  /** Removes keys and durably rewrites the file. Returns the pubkeys that were present. */
  async remove(pubkeys: readonly string[]): Promise<string[]> {
    return this.withLock(async () => {
      this.reloadFromDisk();
      const removed = pubkeys.map((p) => p.toLowerCase()).filter((pubkey) => this.entries.delete(pubkey));
      if (removed.length > 0) this.write();
      return removed;
    });
  }

  /** Re-reads the file, which another process (a `bulwark keys` command) may have changed. */
  refresh(): void {
    this.reloadFromDisk();
  }

  /** Another process (a CLI command) may have changed the file since it was opened. */
  private reloadFromDisk(): void {
    if (!existsSync(this.path)) return;
    const { header, ciphertext } = readSealedFile(this.path);
    this.entries = unseal(this.path, header, ciphertext, this.key);
  }

  private write(): void {
    const plaintext = Buffer.alloc(this.entries.size * RECORD_BYTES);
    let offset = 0;
    for (const [pubkey, secret] of this.entries) {
      Buffer.from(pubkey.slice(2), "hex").copy(plaintext, offset);
      Buffer.from(secret).copy(plaintext, offset + 48);
      offset += RECORD_BYTES;
    }
    const iv = randomBytes(12);
    const header: Header = {
      format: FORMAT,
      version: VERSION,
      kdf: this.kdf,
      cipher: { function: "aes-256-gcm", iv: iv.toString("hex"), tag: "" },
      keyCheck: keyCheck(this.key),
      count: this.entries.size,
    };
    const cipher = createCipheriv("aes-256-gcm", this.key, iv);
    cipher.setAAD(associatedData(header));
    const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    plaintext.fill(0);
    header.cipher.tag = cipher.getAuthTag().toString("hex");
    const text = JSON.stringify({ ...header, ciphertext: ciphertext.toString("base64") }) + "\n";
    writeDurably(this.path, text);
  }

  private async withLock<T>(action: () => Promise<T>): Promise<T> {
    return lockedStore(this.path, action);
  }
}

async function deriveKey(secret: Buffer, kdf: Header["kdf"]): Promise<Buffer> {
  return scrypt(secret, Buffer.from(kdf.salt, "hex"), 32, { N: kdf.n, r: kdf.r, p: kdf.p, maxmem: 256 * kdf.n * kdf.r });
}

function keyCheck(key: Buffer): string {
  return createHmac("sha256", key).update("bulwark sealed key store key check").digest("hex");
}

function associatedData(header: Header): Buffer {
  const { format, version, kdf, count, keyCheck: check } = header;
  return Buffer.from(JSON.stringify({ format, version, kdf, count, keyCheck: check, iv: header.cipher.iv }));
}

function readSealedFile(path: string): { header: Header; ciphertext: Buffer } {
  let parsed: Header & { ciphertext?: unknown };
  try {
    parsed = JSON.parse(readFileSync(path, "utf8")) as Header & { ciphertext?: unknown };
  } catch (err) {
    throw new SealedStoreError(`sealed key store ${path} is corrupted (not valid JSON: ${(err as Error).message})`);
  }
  const valid =
    parsed?.format === FORMAT &&
    parsed.kdf?.function === "scrypt" &&
    Number.isInteger(parsed.kdf.n) &&
    typeof parsed.kdf.salt === "string" &&
    parsed.cipher?.function === "aes-256-gcm" &&
    typeof parsed.cipher.iv === "string" &&
    typeof parsed.cipher.tag === "string" &&
    /^[0-9a-f]{32}$/.test(parsed.cipher.tag) &&
    /^[0-9a-f]{24}$/.test(parsed.cipher.iv) &&
    typeof parsed.keyCheck === "string" &&
    Number.isInteger(parsed.count) &&
    typeof parsed.ciphertext === "string";
  if (!valid) throw new SealedStoreError(`sealed key store ${path} is corrupted (header fields missing or wrong)`);
  if (parsed.version > VERSION) {
    throw new SealedStoreError(`sealed key store ${path} has format version ${parsed.version}, newer than this program knows (${VERSION}); upgrade Bulwark`);
  }
  const { ciphertext, ...header } = parsed;
  return { header, ciphertext: Buffer.from(ciphertext as string, "base64") };
}

function unseal(path: string, header: Header, ciphertext: Buffer, key: Buffer): Map<string, Uint8Array> {
  const expectedCheck = Buffer.from(keyCheck(key), "hex");
  const storedCheck = Buffer.from(header.keyCheck, "hex");
  if (storedCheck.length !== expectedCheck.length || !timingSafeEqual(storedCheck, expectedCheck)) {
    throw new SealedStoreError(`cannot unseal ${path}: wrong sealing secret`);
  }
  let plaintext: Buffer;
  try {
    const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(header.cipher.iv, "hex"), { authTagLength: 16 });
    decipher.setAAD(associatedData(header));
    decipher.setAuthTag(Buffer.from(header.cipher.tag, "hex"));
    plaintext = Buffer.concat([decipher.update(ciphertext), decipher.final()]);
  } catch {
    throw new SealedStoreError(`sealed key store ${path} is corrupted (authentication failed; the secret is right, the file was altered)`);
  }
  if (plaintext.length !== header.count * RECORD_BYTES) {
    plaintext.fill(0);
    throw new SealedStoreError(`sealed key store ${path} is corrupted (${plaintext.length} bytes for ${header.count} keys)`);
  }
  const entries = new Map<string, Uint8Array>();
  for (let offset = 0; offset < plaintext.length; offset += RECORD_BYTES) {
    const pubkey = "0x" + plaintext.subarray(offset, offset + 48).toString("hex");
    entries.set(pubkey, Uint8Array.from(plaintext.subarray(offset + 48, offset + RECORD_BYTES)));
  }
  plaintext.fill(0);
  return entries;
}

async function lockedStore<T>(path: string, action: () => Promise<T>): Promise<T> {
  try {
    return await withFileLock(path, action);
  } catch (err) {
    if (err instanceof FileLockTimeoutError) throw new SealedStoreError(`sealed key store ${err.message}`);
    throw err;
  }
}

function writeDurably(path: string, text: string): void {
  writeFileAtomically(path, text, { mode: 0o600 });
}
