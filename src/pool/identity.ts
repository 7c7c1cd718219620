/**
 * A pool operator's identity: an X25519 key pair. The aggregator encrypts each operator's key
 * share to the operator's public identity (see ceremony/share-crypto.ts); the operator keeps the private
 * key and needs it only to join a pool.
 *
 * The public identity is written as text, `x25519:` followed by the 32-byte public key in
 * unpadded base64url (43 characters), e.g. in a pool definition file or on a command line.
 */
import { createPrivateKey, createPublicKey, diffieHellman, generateKeyPairSync, type KeyObject } from "node:crypto";
import { codedError } from "../errors/bulwark-error.js";

export const IDENTITY_PREFIX = "x25519:";
export const IDENTITY_KEY_LENGTH = 32;

/** PKCS#8 DER of an X25519 private key is this prefix and then the 32 raw bytes (RFC 8410). */
const PKCS8_X25519_PREFIX = Buffer.from("302e020100300506032b656e04220420", "hex");
/** SubjectPublicKeyInfo DER of an X25519 public key: this prefix and then the 32 raw bytes. */
const SPKI_X25519_PREFIX = Buffer.from("302a300506032b656e032100", "hex");
/** 2^255 - 19, the field prime; a canonical u-coordinate is below it. */
const FIELD_PRIME = (1n << 255n) - 19n;

export class IdentityError extends codedError("identity") {
  override readonly name = "IdentityError";
}

export interface OperatorIdentity {
  /** The text form of the public key, `x25519:...`: what the operator hands to the aggregator. */
  id: string;
  publicKey: KeyObject;
  /** Secret. Keep it sealed (see `exportIdentityPrivateKey`). */
  privateKey: KeyObject;
}

/** A fresh identity key pair. */
export function generateIdentity(): OperatorIdentity {
  const { publicKey, privateKey } = generateKeyPairSync("x25519");
  return { id: formatIdentity(publicKey), publicKey, privateKey };
}

/** The 32 raw bytes of an X25519 public key (a private key gives its public key's bytes). */
export function identityPublicKeyBytes(key: KeyObject): Uint8Array {
  const publicKey = key.type === "private" ? createPublicKey(key) : key;
  if (publicKey.type !== "public" || publicKey.asymmetricKeyType !== "x25519") {
    throw new IdentityError("not an X25519 key");
  }
  const spki = publicKey.export({ format: "der", type: "spki" });
  return Uint8Array.from(spki.subarray(SPKI_X25519_PREFIX.length));
}

/** `x25519:<base64url>` for a public key (or for a private key's public key). */
export function formatIdentity(key: KeyObject): string {
  return IDENTITY_PREFIX + Buffer.from(identityPublicKeyBytes(key)).toString("base64url");
}

/**
 * Parses and checks a public identity. Surrounding whitespace is ignored. Refused: another
 * prefix, anything but exactly 43 base64url characters of canonical encoding, a u-coordinate that
 * is not canonical (top bit set or not below 2^255 - 19), and points of small order, which would
 * give a shared secret known to everyone.
 */
export function parseIdentity(text: string): KeyObject {
  if (typeof text !== "string") throw new IdentityError("an operator identity is a string");
  const trimmed = text.trim();
  if (!trimmed.startsWith(IDENTITY_PREFIX)) {
    throw new IdentityError(`operator identity "${abbreviate(trimmed)}" does not start with "${IDENTITY_PREFIX}"`);
  }
  const encoded = trimmed.slice(IDENTITY_PREFIX.length);
  if (!/^[A-Za-z0-9_-]{43}$/.test(encoded)) {
    throw new IdentityError(
      `operator identity "${abbreviate(trimmed)}" must be "${IDENTITY_PREFIX}" and 43 base64url characters (a 32-byte key, no padding)`,
    );
  }
  const bytes = Buffer.from(encoded, "base64url");
  if (bytes.length !== IDENTITY_KEY_LENGTH || bytes.toString("base64url") !== encoded) {
    throw new IdentityError(`operator identity "${abbreviate(trimmed)}" is not a canonical base64url encoding of 32 bytes`);
  }
  return publicKeyFromBytes(bytes);
}

/** An X25519 public key from its 32 raw bytes, with the checks of `parseIdentity`. */
export function publicKeyFromBytes(bytes: Uint8Array): KeyObject {
  if (bytes.length !== IDENTITY_KEY_LENGTH) {
    throw new IdentityError(`an X25519 public key is ${IDENTITY_KEY_LENGTH} bytes, got ${bytes.length}`);
  }
  if ((bytes[31]! & 0x80) !== 0 || littleEndian(bytes) >= FIELD_PRIME) {
    throw new IdentityError("X25519 public key is not canonically encoded (u-coordinate not below 2^255 - 19)");
  }
  const key = createPublicKey({ key: Buffer.concat([SPKI_X25519_PREFIX, bytes]), format: "der", type: "spki" });
  // Clamped scalars are multiples of the cofactor 8, so a point of small order gives the all-zero
  // shared secret with every private key, which OpenSSL refuses: one probe finds them all.
  const probe = generateKeyPairSync("x25519").privateKey;
  let shared: Buffer | undefined;
  try {
    shared = diffieHellman({ privateKey: probe, publicKey: key });
  } catch {
    throw new IdentityError("X25519 public key is a point of small order");
  } finally {
    shared?.fill(0);
  }
  return key;
}

/**
 * The 32 raw bytes of an identity private key, for the caller to seal (encrypt at rest). The
 * caller should wipe the returned buffer once it is sealed.
 */
export function exportIdentityPrivateKey(privateKey: KeyObject): Uint8Array {
  if (privateKey.type !== "private" || privateKey.asymmetricKeyType !== "x25519") {
    throw new IdentityError("not an X25519 private key");
  }
  const der = privateKey.export({ format: "der", type: "pkcs8" });
  try {
    if (der.length !== PKCS8_X25519_PREFIX.length + IDENTITY_KEY_LENGTH || !der.subarray(0, PKCS8_X25519_PREFIX.length).equals(PKCS8_X25519_PREFIX)) {
      throw new IdentityError("unexpected PKCS#8 encoding of an X25519 private key");
    }
    return Uint8Array.from(der.subarray(PKCS8_X25519_PREFIX.length));
  } finally {
    der.fill(0);
  }
}

/** The identity of 32 raw private-key bytes (as `exportIdentityPrivateKey` gives them). */
export function importIdentityPrivateKey(bytes: Uint8Array): OperatorIdentity {
  if (bytes.length !== IDENTITY_KEY_LENGTH) {
    throw new IdentityError(`an X25519 private key is ${IDENTITY_KEY_LENGTH} bytes, got ${bytes.length}`);
  }
  const der = Buffer.concat([PKCS8_X25519_PREFIX, bytes]);
  try {
    const privateKey = createPrivateKey({ key: der, format: "der", type: "pkcs8" });
    const publicKey = createPublicKey(privateKey);
    return { id: formatIdentity(publicKey), publicKey, privateKey };
  } finally {
    der.fill(0);
  }
}

function littleEndian(bytes: Uint8Array): bigint {
  let value = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) value = (value << 8n) | BigInt(bytes[i]!);
  return value;
}

/** Input echoed in an error, cut short: it is public, but may be long or not a key at all. */
function abbreviate(text: string): string {
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
