/**
 * Test-only helpers for the sealed key store, written from the format documented in
 * src/keys/sealed-store.ts (not by calling it), so they check that format independently:
 *
 * - `writeSealedFile` seals keys under a deliberately CHEAP scrypt (N = 2^10). The store keeps the
 *   KDF parameters of the file it opened, so a store opened on such a file stays cheap: tests can
 *   open and reopen it many times without paying ~0.7 s of scrypt (N = 2^17) per open. The real
 *   KDF is exercised by the tests that create a store with `SealedKeyStore.open(..., {create:true})`.
 * - `readSealedFile` decrypts a store file on its own, to check what the store wrote.
 *
 * If the file format changes, these helpers (and the tests using them) must change with it.
 */
import { createCipheriv, createDecipheriv, createHmac, randomBytes, scryptSync } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { SecretKey } from "@chainsafe/blst";

export const SEALED_FILE = "sealed-keys.json";
export const CHEAP_KDF = { function: "scrypt", n: 1 << 10, r: 8, p: 1 } as const;

export interface PlainKey {
  pubkey: string;
  secretKey: Uint8Array;
}

/** A deterministic BLS key (distinct for distinct seeds up to 2^24). */
export function sealedTestKey(seed: number): PlainKey {
  const ikm = new Uint8Array(32).fill(0x5a);
  ikm[0] = seed & 0xff;
  ikm[1] = (seed >> 8) & 0xff;
  ikm[2] = (seed >> 16) & 0xff;
  const sk = SecretKey.fromKeygen(ikm);
  return { pubkey: sk.toPublicKey().toHex().toLowerCase(), secretKey: sk.toBytes() };
}

function deriveKey(secret: string | Buffer, kdf: { n: number; r: number; p: number; salt: string }): Buffer {
  return scryptSync(secret, Buffer.from(kdf.salt, "hex"), 32, { N: kdf.n, r: kdf.r, p: kdf.p, maxmem: 256 * kdf.n * kdf.r + (1 << 20) });
}

function keyCheck(key: Buffer): string {
  return createHmac("sha256", key).update("bulwark sealed key store key check").digest("hex");
}

interface Header {
  format: string;
  version: number;
  kdf: { function: string; n: number; r: number; p: number; salt: string };
  cipher: { function: string; iv: string; tag: string };
  keyCheck: string;
  count: number;
}

function aad(header: Header): Buffer {
  const { format, version, kdf, count, keyCheck: check } = header;
  return Buffer.from(JSON.stringify({ format, version, kdf, count, keyCheck: check, iv: header.cipher.iv }));
}

/** Writes DATA_DIR/sealed-keys.json (mode 0600, directory 0700) holding `keys`, sealed under `secret` with a cheap KDF. */
export function writeSealedFile(dataDir: string, secret: string, keys: readonly PlainKey[] = []): string {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const kdf = { ...CHEAP_KDF, salt: randomBytes(32).toString("hex") };
  const key = deriveKey(secret, kdf);
  const plaintext = Buffer.concat(
    keys.map((k) => Buffer.concat([Buffer.from(k.pubkey.replace(/^0x/, ""), "hex"), Buffer.from(k.secretKey)])),
  );
  const iv = randomBytes(12);
  const header: Header = {
    format: "bulwark-sealed-keys",
    version: 1,
    kdf,
    cipher: { function: "aes-256-gcm", iv: iv.toString("hex"), tag: "" },
    keyCheck: keyCheck(key),
    count: keys.length,
  };
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  cipher.setAAD(aad(header));
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  header.cipher.tag = cipher.getAuthTag().toString("hex");
  const path = join(dataDir, SEALED_FILE);
  writeFileSync(path, JSON.stringify({ ...header, ciphertext: ciphertext.toString("base64") }) + "\n", { mode: 0o600 });
  return path;
}

/** Decrypts a store file independently of src/: the keys it holds, in file order. */
export function readSealedFile(path: string, secret: string): { header: Header; keys: PlainKey[] } {
  const parsed = JSON.parse(readFileSync(path, "utf8")) as Header & { ciphertext: string };
  const { ciphertext, ...header } = parsed;
  const key = deriveKey(secret, header.kdf);
  if (keyCheck(key) !== header.keyCheck) throw new Error("key check mismatch");
  const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(header.cipher.iv, "hex"), { authTagLength: 16 });
  decipher.setAAD(aad(header));
  decipher.setAuthTag(Buffer.from(header.cipher.tag, "hex"));
  const plain = Buffer.concat([decipher.update(Buffer.from(ciphertext, "base64")), decipher.final()]);
  const keys: PlainKey[] = [];
  for (let offset = 0; offset < plain.length; offset += 80) {
    keys.push({ pubkey: "0x" + plain.subarray(offset, offset + 48).toString("hex"), secretKey: Uint8Array.from(plain.subarray(offset + 48, offset + 80)) });
  }
  return { header, keys };
}
