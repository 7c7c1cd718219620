/**
 * Encryption of a key share to its operator (the pool ceremony's hand-over).
 *
 * Version 1: ephemeral-static X25519 between a fresh ephemeral key and the operator's identity
 * key; HKDF-SHA256 (random 32-byte salt; info naming Bulwark, the version, the purpose and both
 * public keys) to a 256-bit key; AES-256-GCM with a random 96-bit nonce over the 32-byte share.
 * The associated data binds the composite (validator) public key, the participant id and both
 * X25519 public keys, so an envelope cannot be replayed as another pool's share, another
 * participant's share, or as addressed to someone else.
 *
 * The envelope is plain JSON. Checks on decryption, each with its own error: the version; the
 * shape of every field; the composite key and participant id against what the operator expects
 * (from the pool definition); the recipient against the operator's own identity; and then the
 * GCM tag, which fails for any tampered byte, including the header fields above.
 */
import {
  createCipheriv,
  createDecipheriv,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  hkdfSync,
  randomBytes,
  type KeyObject,
} from "node:crypto";
import { PublicKey } from "@chainsafe/blst";
import { formatIdentity, identityPublicKeyBytes, IdentityError, parseIdentity } from "../identity.js";
import { BulwarkError } from "../../errors/bulwark-error.js";
import type { ShareEnvelopeErrorCode } from "../../errors/codes.js";

export const SHARE_ENVELOPE_VERSION = 1;

const SHARE_LENGTH = 32;
const COMPOSITE_KEY_LENGTH = 48;
const SALT_LENGTH = 32;
const NONCE_LENGTH = 12;
const TAG_LENGTH = 16;
const MAX_SHARE_ID = 0xffffffff;

/** HKDF info prefix; both X25519 public keys (ephemeral, then recipient) follow it. */
const HKDF_INFO = "Bulwark share envelope v1: X25519 HKDF-SHA256 AES-256-GCM, key share for a threshold BLS pool";
/** Associated data prefix; composite key, participant id, recipient and ephemeral keys follow. */
const AAD_LABEL = "bulwark/share-envelope/v1";

/** The JSON form. Binary fields are unpadded base64url, the composite key 0x-prefixed hex. */
export interface ShareEnvelope {
  version: 1;
  /** The participant id x (1..N) of the share. */
  shareId: number;
  /** The validator's (composite) public key: 0x and 96 hex digits. */
  compositePublicKey: string;
  /** The operator's identity the share is encrypted to: `x25519:...`. */
  recipient: string;
  /** The sender's one-time X25519 public key: `x25519:...`. */
  ephemeralPublicKey: string;
  salt: string;
  nonce: string;
  ciphertext: string;
  tag: string;
}

export interface EncryptShareInput {
  /** The 32-byte share secret. Not modified; the caller wipes it. */
  shareSecret: Uint8Array;
  shareId: number;
  /** 48 bytes, or 0x-prefixed hex. */
  compositePublicKey: Uint8Array | string;
  /** The operator's identity: a KeyObject or its `x25519:...` text. */
  recipientIdentityPublicKey: KeyObject | string;
}

export interface ExpectedShare {
  /** The pool's composite public key: 48 bytes, or 0x-prefixed hex. */
  compositePublicKey: Uint8Array | string;
  /** This operator's participant id in the pool. */
  shareId: number;
}

export type { ShareEnvelopeErrorCode } from "../../errors/codes.js";

/** Base class: `code` tells the refusals apart. Messages never contain secret material. */
export class ShareEnvelopeError extends BulwarkError<ShareEnvelopeErrorCode> {
  override name = "ShareEnvelopeError";

  constructor(
    code: ShareEnvelopeErrorCode,
    message: string,
  ) {
    super(code, message);
  }
}

export class UnsupportedEnvelopeVersionError extends ShareEnvelopeError {
  override name = "UnsupportedEnvelopeVersionError";
  constructor(readonly version: unknown) {
    super("unsupported-version", `share envelope version ${JSON.stringify(version) ?? String(version)} is not supported (this program reads version ${SHARE_ENVELOPE_VERSION})`);
  }
}

export class MalformedEnvelopeError extends ShareEnvelopeError {
  override name = "MalformedEnvelopeError";
  constructor(detail: string) {
    super("malformed-envelope", `malformed share envelope: ${detail}`);
  }
}

/** The envelope holds a share of another validator (another pool). */
export class PoolMismatchError extends ShareEnvelopeError {
  override name = "PoolMismatchError";
  constructor(found: string, expected: string) {
    super("pool-mismatch", `share envelope is for composite public key ${found}, this pool's is ${expected}`);
  }
}

/** The envelope holds another participant's share. */
export class ParticipantMismatchError extends ShareEnvelopeError {
  override name = "ParticipantMismatchError";
  constructor(found: number, expected: number) {
    super("participant-mismatch", `share envelope holds the share of participant ${found}, this operator is participant ${expected}`);
  }
}

/** The envelope is encrypted to another operator's identity. */
export class RecipientMismatchError extends ShareEnvelopeError {
  override name = "RecipientMismatchError";
  constructor(found: string, own: string) {
    super("recipient-mismatch", `share envelope is encrypted to ${found}, not to this operator's identity ${own}`);
  }
}

/** Authentication failed: the envelope was altered (or corrupted) after encryption. */
export class IntegrityError extends ShareEnvelopeError {
  override name = "IntegrityError";
  constructor() {
    super("integrity-failure", "share envelope failed authentication: it was altered or corrupted after encryption; ask the aggregator for a new one");
  }
}

/** Encrypts a share to an operator's identity. Every call uses a fresh ephemeral key, salt and nonce. */
export function encryptShare(input: EncryptShareInput): ShareEnvelope {
  const { shareSecret, shareId } = input;
  if (!(shareSecret instanceof Uint8Array) || shareSecret.length !== SHARE_LENGTH) {
    throw new TypeError(`a share secret is ${SHARE_LENGTH} bytes`);
  }
  checkShareId(shareId, (detail) => new TypeError(detail));
  const composite = compositeKeyBytes(input.compositePublicKey, (detail) => new TypeError(detail));
  const recipient =
    typeof input.recipientIdentityPublicKey === "string"
      ? parseIdentity(input.recipientIdentityPublicKey)
      : input.recipientIdentityPublicKey;
  if (recipient?.type !== "public") throw new TypeError("the recipient must be an X25519 public key");
  const recipientBytes = identityPublicKeyBytes(recipient);

  const ephemeral = generateKeyPairSync("x25519");
  const ephemeralBytes = identityPublicKeyBytes(ephemeral.publicKey);
  const salt = randomBytes(SALT_LENGTH);
  const nonce = randomBytes(NONCE_LENGTH);
  const key = deriveKey(ephemeral.privateKey, recipient, salt, ephemeralBytes, recipientBytes);
  let ciphertext: Buffer;
  let tag: Buffer;
  try {
    const cipher = createCipheriv("aes-256-gcm", key, nonce, { authTagLength: TAG_LENGTH });
    cipher.setAAD(associatedData(composite, shareId, recipientBytes, ephemeralBytes));
    ciphertext = Buffer.concat([cipher.update(shareSecret), cipher.final()]);
    tag = cipher.getAuthTag();
  } finally {
    key.fill(0);
  }
  return {
    version: SHARE_ENVELOPE_VERSION,
    shareId,
    compositePublicKey: "0x" + Buffer.from(composite).toString("hex"),
    recipient: formatIdentity(recipient),
    ephemeralPublicKey: formatIdentity(ephemeral.publicKey),
    salt: salt.toString("base64url"),
    nonce: nonce.toString("base64url"),
    ciphertext: ciphertext.toString("base64url"),
    tag: tag.toString("base64url"),
  };
}

/**
 * Decrypts a share envelope (the parsed JSON) with the operator's identity private key, after
 * checking that it is the expected pool's and participant's share and addressed to this operator.
 * Returns the 32-byte share secret; the caller wipes it after use (verifyShare, sealing).
 */
export function decryptShare(envelope: unknown, identityPrivateKey: KeyObject, expected: ExpectedShare): Uint8Array {
  if (identityPrivateKey?.type !== "private" || identityPrivateKey.asymmetricKeyType !== "x25519") {
    throw new TypeError("decryptShare needs the operator's X25519 identity private key");
  }
  checkShareId(expected.shareId, (detail) => new TypeError(`expected ${detail}`));
  const expectedComposite = compositeKeyBytes(expected.compositePublicKey, (detail) => new TypeError(`expected ${detail}`));

  const fields = parseEnvelope(envelope);
  if (!Buffer.from(fields.composite).equals(Buffer.from(expectedComposite))) {
    throw new PoolMismatchError(envelopeField(envelope, "compositePublicKey"), "0x" + Buffer.from(expectedComposite).toString("hex"));
  }
  if (fields.shareId !== expected.shareId) throw new ParticipantMismatchError(fields.shareId, expected.shareId);
  const ownBytes = identityPublicKeyBytes(createPublicKey(identityPrivateKey));
  if (!Buffer.from(fields.recipientBytes).equals(Buffer.from(ownBytes))) {
    throw new RecipientMismatchError(formatIdentity(fields.recipient), formatIdentity(identityPrivateKey));
  }

  const key = deriveKey(identityPrivateKey, fields.ephemeral, fields.salt, fields.ephemeralBytes, ownBytes);
  const decipher = createDecipheriv("aes-256-gcm", key, fields.nonce, { authTagLength: TAG_LENGTH });
  decipher.setAAD(associatedData(fields.composite, fields.shareId, ownBytes, fields.ephemeralBytes));
  decipher.setAuthTag(fields.tag);
  const head = decipher.update(fields.ciphertext);
  let tail: Buffer;
  try {
    tail = decipher.final();
  } catch {
    head.fill(0);
    throw new IntegrityError();
  } finally {
    key.fill(0);
  }
  const share = new Uint8Array(head.length + tail.length);
  share.set(head, 0);
  share.set(tail, head.length);
  head.fill(0);
  tail.fill(0);
  return share;
}

// --- internals

interface EnvelopeFields {
  shareId: number;
  composite: Uint8Array;
  recipient: KeyObject;
  recipientBytes: Uint8Array;
  ephemeral: KeyObject;
  ephemeralBytes: Uint8Array;
  salt: Buffer;
  nonce: Buffer;
  ciphertext: Buffer;
  tag: Buffer;
}

const FIELDS = ["version", "shareId", "compositePublicKey", "recipient", "ephemeralPublicKey", "salt", "nonce", "ciphertext", "tag"];

function parseEnvelope(envelope: unknown): EnvelopeFields {
  if (typeof envelope !== "object" || envelope === null || Array.isArray(envelope)) {
    throw new MalformedEnvelopeError("not a JSON object");
  }
  const record = envelope as Record<string, unknown>;
  // The version decides how to read everything else, so it is checked first.
  if (record.version === undefined) throw new MalformedEnvelopeError('no "version" field');
  if (record.version !== SHARE_ENVELOPE_VERSION) throw new UnsupportedEnvelopeVersionError(record.version);
  for (const name of Object.keys(record)) {
    if (!FIELDS.includes(name)) throw new MalformedEnvelopeError(`unknown field "${name}"`);
  }
  for (const name of FIELDS) {
    if (!(name in record)) throw new MalformedEnvelopeError(`no "${name}" field`);
  }
  const shareId = record.shareId;
  checkShareId(shareId, (detail) => new MalformedEnvelopeError(detail));
  const composite = compositeKeyBytes(record.compositePublicKey, (detail) => new MalformedEnvelopeError(detail));
  const recipient = identityField(record.recipient, "recipient");
  const ephemeral = identityField(record.ephemeralPublicKey, "ephemeralPublicKey");
  return {
    shareId: shareId as number,
    composite,
    recipient,
    recipientBytes: identityPublicKeyBytes(recipient),
    ephemeral,
    ephemeralBytes: identityPublicKeyBytes(ephemeral),
    salt: base64urlField(record.salt, "salt", SALT_LENGTH),
    nonce: base64urlField(record.nonce, "nonce", NONCE_LENGTH),
    ciphertext: base64urlField(record.ciphertext, "ciphertext", SHARE_LENGTH),
    tag: base64urlField(record.tag, "tag", TAG_LENGTH),
  };
}

function identityField(value: unknown, name: string): KeyObject {
  if (typeof value !== "string") throw new MalformedEnvelopeError(`"${name}" is not a string`);
  try {
    return parseIdentity(value);
  } catch (error) {
    if (error instanceof IdentityError) throw new MalformedEnvelopeError(`"${name}": ${error.message}`);
    throw error;
  }
}

function base64urlField(value: unknown, name: string, length: number): Buffer {
  if (typeof value !== "string" || !/^[A-Za-z0-9_-]*$/.test(value)) {
    throw new MalformedEnvelopeError(`"${name}" is not unpadded base64url`);
  }
  const bytes = Buffer.from(value, "base64url");
  if (bytes.length !== length || bytes.toString("base64url") !== value) {
    throw new MalformedEnvelopeError(`"${name}" must encode ${length} bytes`);
  }
  return bytes;
}

function checkShareId(value: unknown, fail: (detail: string) => Error): asserts value is number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1 || value > MAX_SHARE_ID) {
    throw fail(`share id must be an integer from 1 to ${MAX_SHARE_ID}, got ${JSON.stringify(value) ?? String(value)}`);
  }
}

/** 48 bytes of a valid G1 public key (blst's key validation: on the curve, in the subgroup, not infinity). */
function compositeKeyBytes(value: unknown, fail: (detail: string) => Error): Uint8Array {
  let bytes: Uint8Array;
  if (typeof value === "string") {
    if (!/^0x[0-9a-fA-F]{96}$/.test(value)) throw fail("composite public key must be 0x and 96 hex digits");
    bytes = Uint8Array.from(Buffer.from(value.slice(2), "hex"));
  } else if (value instanceof Uint8Array && value.length === COMPOSITE_KEY_LENGTH) {
    bytes = Uint8Array.from(value);
  } else {
    throw fail(`composite public key must be ${COMPOSITE_KEY_LENGTH} bytes`);
  }
  try {
    PublicKey.fromBytes(bytes, true);
  } catch {
    throw fail("composite public key is not a valid BLS public key");
  }
  return bytes;
}

function envelopeField(envelope: unknown, name: string): string {
  return String((envelope as Record<string, unknown>)[name]);
}

/** HKDF-SHA256(X25519(privateKey, publicKey), salt, info || ephemeral || recipient) -> 32 bytes. */
function deriveKey(
  privateKey: KeyObject,
  publicKey: KeyObject,
  salt: Uint8Array,
  ephemeralBytes: Uint8Array,
  recipientBytes: Uint8Array,
): Buffer {
  let shared: Buffer;
  try {
    shared = diffieHellman({ privateKey, publicKey });
  } catch {
    // Small-order keys are refused when parsed; this is a backstop.
    throw new MalformedEnvelopeError("X25519 key agreement failed (a key of small order)");
  }
  try {
    const info = Buffer.concat([Buffer.from(HKDF_INFO, "utf8"), ephemeralBytes, recipientBytes]);
    return Buffer.from(hkdfSync("sha256", shared, salt, info, 32));
  } finally {
    shared.fill(0);
  }
}

/** label || 0x00 || composite key (48) || share id (uint32 big-endian) || recipient (32) || ephemeral (32). */
function associatedData(composite: Uint8Array, shareId: number, recipientBytes: Uint8Array, ephemeralBytes: Uint8Array): Buffer {
  const id = Buffer.alloc(4);
  id.writeUInt32BE(shareId);
  return Buffer.concat([Buffer.from(AAD_LABEL, "utf8"), Buffer.from([0]), composite, id, recipientBytes, ephemeralBytes]);
}
