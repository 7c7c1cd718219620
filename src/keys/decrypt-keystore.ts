/**
 * Decrypts one EIP-2335 keystore and proves the secret belongs to the keystore's public key. Runs
 * inside the keystore workers; plain data in and out so it can cross a thread boundary.
 */
import { decrypt, type IKeystore } from "@chainsafe/bls-keystore";
import { SecretKey } from "@chainsafe/blst";
import type { KeystoreFailureCode } from "./keystore-errors.js";

export type DecryptOutcome =
  | { ok: true; pubkey: string; secretKey: Uint8Array<ArrayBuffer> }
  | { ok: false; code: KeystoreFailureCode; reason: string };

const SECRET_KEY_LENGTH = 32;

export async function decryptKeystore(keystore: IKeystore, password: string): Promise<DecryptOutcome> {
  let plain: Uint8Array;
  try {
    plain = await decrypt(keystore, password);
  } catch (err) {
    // EIP-2335 checks the password through the checksum, so a wrong password and a corrupted
    // checksum or ciphertext are the same failure and cannot be told apart.
    if (err instanceof Error && err.message === "Invalid password") {
      return { ok: false, code: "wrong-password", reason: "wrong password (checksum mismatch)" };
    }
    return { ok: false, code: "decrypt-failed", reason: `decryption failed (${errorLabel(err, password)})` };
  }

  try {
    if (plain.length !== SECRET_KEY_LENGTH) {
      return { ok: false, code: "invalid-secret", reason: `decrypted secret is ${plain.length} bytes, expected ${SECRET_KEY_LENGTH}` };
    }
    let pubkey: string;
    try {
      pubkey = SecretKey.fromBytes(plain).toPublicKey().toHex().toLowerCase();
    } catch {
      return { ok: false, code: "invalid-secret", reason: "decrypted secret is not a valid BLS secret key" };
    }
    const declared = normalizePubkey(keystore.pubkey);
    if (declared !== undefined && declared !== pubkey) {
      return { ok: false, code: "pubkey-mismatch", reason: `pubkey does not match secret (keystore says ${declared}, secret gives ${pubkey})` };
    }
    // A fresh buffer of exactly 32 bytes, so it can be transferred without dragging a pool along.
    const secretKey = new Uint8Array(SECRET_KEY_LENGTH);
    secretKey.set(plain);
    return { ok: true, pubkey, secretKey };
  } finally {
    plain.fill(0);
  }
}

function normalizePubkey(pubkey: string | undefined): string | undefined {
  if (pubkey === undefined || pubkey === "") return undefined;
  const hex = pubkey.toLowerCase();
  return hex.startsWith("0x") ? hex : `0x${hex}`;
}

/** Library messages are not ours to vouch for: drop one that happens to contain the password. */
function errorLabel(err: unknown, password: string): string {
  const code = (err as { code?: unknown } | null)?.code;
  const message = err instanceof Error ? err.message : "";
  const label = [typeof code === "string" ? code : undefined, message].filter(Boolean).join(": ");
  if (label === "" || (password !== "" && label.includes(password))) return "unknown error";
  return label;
}
