/**
 * One small secret sealed in its own file under the operator's sealing secret, the way the sealed
 * key store seals keys: scrypt derives a 256-bit key, AES-256-GCM encrypts, and a key-check HMAC
 * tells a wrong sealing secret from a damaged file. Unlike the key store, the file may carry public
 * fields in clear (e.g. the public half of a key pair), bound into the GCM associated data so that
 * they cannot be altered without the file failing to open.
 *
 * ```json
 * {"format": "…", "version": 1, "public": {"…": "…"},
 *  "kdf": {"function": "scrypt", "n": 131072, "r": 8, "p": 1, "salt": "<hex>"},
 *  "cipher": {"function": "aes-256-gcm", "iv": "<hex>", "tag": "<hex>"},
 *  "keyCheck": "<hex>", "ciphertext": "<base64>"}
 * ```
 */
import { createCipheriv, createDecipheriv, createHmac, randomBytes, scrypt as scryptCallback, timingSafeEqual } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { promisify } from "node:util";
import { writeFileDurably } from "../util/durable-file.js";
import { BulwarkError } from "../errors/bulwark-error.js";
import type { SealedFileErrorCode, SealedFileProblem } from "../errors/codes.js";

const scrypt = promisify(scryptCallback) as (password: Buffer, salt: Buffer, keylen: number, options: object) => Promise<Buffer>;

const VERSION = 1;
/** The sealed key store's parameters (src/keys/sealed-store.ts): about 1 s and 128 MiB per open. */
export const DEFAULT_SEAL_KDF = { n: 1 << 17, r: 8, p: 1 } as const;
const KEY_CHECK_LABEL = "bulwark sealed secret key check";

export interface KdfParams {
  n: number;
  r: number;
  p: number;
}

interface SealedSecretDocument {
  format: string;
  version: number;
  public: Record<string, string>;
  kdf: { function: "scrypt"; n: number; r: number; p: number; salt: string };
  cipher: { function: "aes-256-gcm"; iv: string; tag: string };
  keyCheck: string;
  ciphertext: string;
}

/** `problem` is what is wrong with the file; the catalogue code is `sealed-file-<problem>`. */
export class SealedSecretError extends BulwarkError<SealedFileErrorCode> {
  override name = "SealedSecretError";

  constructor(
    readonly problem: SealedFileProblem,
    message: string,
  ) {
    super(`sealed-file-${problem}`, message);
  }
}

export interface SealSecretOptions {
  /** Cheaper scrypt parameters, for tests. Files record their own parameters. */
  kdf?: KdfParams;
}

/**
 * Seals `secret` into a new file at `path` (0600; the directory 0700). Refuses, without touching
 * it, a file that already exists.
 */
export async function writeSealedSecret(
  path: string,
  format: string,
  publicFields: Record<string, string>,
  secret: Uint8Array,
  sealingSecret: Uint8Array,
  options: SealSecretOptions = {},
): Promise<void> {
  if (existsSync(path)) throw new SealedSecretError("exists", `${path} already exists`);
  const params = options.kdf ?? DEFAULT_SEAL_KDF;
  checkKdf(params, path);
  const kdf = { function: "scrypt" as const, n: params.n, r: params.r, p: params.p, salt: randomBytes(32).toString("hex") };
  const key = await deriveKey(sealingSecret, kdf);
  try {
    const iv = randomBytes(12);
    const document: SealedSecretDocument = {
      format,
      version: VERSION,
      public: { ...publicFields },
      kdf,
      cipher: { function: "aes-256-gcm", iv: iv.toString("hex"), tag: "" },
      keyCheck: keyCheck(key),
      ciphertext: "",
    };
    const cipher = createCipheriv("aes-256-gcm", key, iv);
    cipher.setAAD(associatedData(document));
    const ciphertext = Buffer.concat([cipher.update(secret), cipher.final()]);
    document.cipher.tag = cipher.getAuthTag().toString("hex");
    document.ciphertext = ciphertext.toString("base64");
    try {
      writeFileDurably(path, JSON.stringify(document, null, 2) + "\n", { mode: 0o600, exclusive: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "EEXIST") throw new SealedSecretError("exists", `${path} already exists`);
      throw err;
    }
  } finally {
    key.fill(0);
  }
}

/** The public fields of a sealed secret file, without the sealing secret. */
export function readSealedSecretPublic(path: string, format: string): Record<string, string> {
  return readDocument(path, format).public;
}

/** Opens a sealed secret file: its public fields and the secret (the caller wipes it). */
export async function readSealedSecret(
  path: string,
  format: string,
  sealingSecret: Uint8Array,
): Promise<{ publicFields: Record<string, string>; secret: Uint8Array }> {
  const document = readDocument(path, format);
  const key = await deriveKey(sealingSecret, document.kdf);
  try {
    const expected = Buffer.from(keyCheck(key), "hex");
    const stored = Buffer.from(document.keyCheck, "hex");
    if (stored.length !== expected.length || !timingSafeEqual(stored, expected)) {
      throw new SealedSecretError("wrong-secret", `cannot unseal ${path}: wrong sealing secret`);
    }
    try {
      const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(document.cipher.iv, "hex"), { authTagLength: 16 });
      decipher.setAAD(associatedData(document));
      decipher.setAuthTag(Buffer.from(document.cipher.tag, "hex"));
      const plain = Buffer.concat([decipher.update(Buffer.from(document.ciphertext, "base64")), decipher.final()]);
      const secret = Uint8Array.from(plain);
      plain.fill(0);
      return { publicFields: document.public, secret };
    } catch {
      throw new SealedSecretError("corrupted", `${path} is corrupted (authentication failed; the sealing secret is right, the file was altered)`);
    }
  } finally {
    key.fill(0);
  }
}

function readDocument(path: string, format: string): SealedSecretDocument {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") throw new SealedSecretError("missing", `${path} does not exist`);
    throw new SealedSecretError("corrupted", `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  let doc: SealedSecretDocument;
  try {
    doc = JSON.parse(text) as SealedSecretDocument;
  } catch (err) {
    throw new SealedSecretError("corrupted", `${path} is corrupted (not valid JSON: ${(err as Error).message})`);
  }
  if (doc === null || typeof doc !== "object" || doc.format !== format) {
    throw new SealedSecretError("corrupted", `${path} is not a ${format} file`);
  }
  if (typeof doc.version !== "number" || doc.version > VERSION) {
    throw new SealedSecretError("unsupported", `${path} has format version ${String(doc.version)}, newer than this program knows (${VERSION}); upgrade Bulwark`);
  }
  const valid =
    doc.public !== null &&
    typeof doc.public === "object" &&
    Object.values(doc.public).every((v) => typeof v === "string") &&
    doc.kdf?.function === "scrypt" &&
    typeof doc.kdf.salt === "string" &&
    /^[0-9a-f]{64}$/.test(doc.kdf.salt) &&
    doc.cipher?.function === "aes-256-gcm" &&
    typeof doc.cipher.iv === "string" &&
    /^[0-9a-f]{24}$/.test(doc.cipher.iv) &&
    typeof doc.cipher.tag === "string" &&
    /^[0-9a-f]{32}$/.test(doc.cipher.tag) &&
    typeof doc.keyCheck === "string" &&
    /^[0-9a-f]{64}$/.test(doc.keyCheck) &&
    typeof doc.ciphertext === "string";
  if (!valid) throw new SealedSecretError("corrupted", `${path} is corrupted (header fields missing or wrong)`);
  checkKdf(doc.kdf, path);
  return doc;
}

/** Bounds the work and memory a file can ask for, and refuses parameters too weak to mean anything. */
function checkKdf(kdf: KdfParams, path: string): void {
  const powerOfTwo = Number.isSafeInteger(kdf.n) && kdf.n > 1 && (kdf.n & (kdf.n - 1)) === 0;
  if (!powerOfTwo || kdf.n < 1 << 10 || kdf.n > 1 << 20 || !Number.isInteger(kdf.r) || kdf.r < 1 || kdf.r > 32 || !Number.isInteger(kdf.p) || kdf.p < 1 || kdf.p > 16) {
    throw new SealedSecretError("corrupted", `${path}: scrypt parameters out of range (n a power of two from 2^10 to 2^20, r 1..32, p 1..16)`);
  }
}

async function deriveKey(secret: Uint8Array, kdf: SealedSecretDocument["kdf"]): Promise<Buffer> {
  const password = Buffer.from(secret.buffer, secret.byteOffset, secret.byteLength);
  return scrypt(password, Buffer.from(kdf.salt, "hex"), 32, { N: kdf.n, r: kdf.r, p: kdf.p, maxmem: 256 * kdf.n * kdf.r + (1 << 20) });
}

function keyCheck(key: Buffer): string {
  return createHmac("sha256", key).update(KEY_CHECK_LABEL).digest("hex");
}

/** Everything but the tag and ciphertext, in a fixed order. */
function associatedData(doc: SealedSecretDocument): Buffer {
  const publicSorted = Object.fromEntries(Object.entries(doc.public).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return Buffer.from(
    JSON.stringify({
      format: doc.format,
      version: doc.version,
      public: publicSorted,
      kdf: { function: doc.kdf.function, n: doc.kdf.n, r: doc.kdf.r, p: doc.kdf.p, salt: doc.kdf.salt },
      keyCheck: doc.keyCheck,
      iv: doc.cipher.iv,
    }),
    "utf8",
  );
}
