/**
 * M-of-N threshold BLS for Ethereum validator keys (the low-bond pool and the distributed signing
 * profile of remote-signing-api).
 *
 * A validator secret s is split with a random polynomial f of degree M-1 over Fr, f(0) = s; the
 * participant with id x (1..N) holds f(x). Feldman commitments are the public keys of f's
 * coefficients, so anyone can compute participant x's public key from them and an operator can
 * check its share. Any M partial signatures (each f(x)·H(m)) recover the validator's signature by
 * Lagrange interpolation at x = 0; M-1 reveal nothing about s.
 *
 * Serialisation is Ethereum's and blst's: secret keys are 32 bytes big-endian, public keys 48-byte
 * compressed G1, signatures 96-byte compressed G2. Share evaluation and recovery use herumi's
 * bls-eth-wasm (blst has no point arithmetic); signing and verification stay with blst.
 *
 * Call `await initThreshold()` once per thread before anything else here; the rest is synchronous.
 */
import { getRandomValues } from "node:crypto";
import { PublicKey as BlstPublicKey, Signature as BlstSignature } from "@chainsafe/blst";
import {
  herumiModule,
  herumiPublicKeyFromValidated,
  herumiSignatureFromValidated,
  initHerumi,
  scrubWasmStack,
  type HerumiId,
  type HerumiPublicKey,
  type HerumiSecretKey,
  type HerumiSignature,
} from "./threshold-herumi.js";
import { BulwarkError } from "../errors/bulwark-error.js";
import type { ThresholdErrorCode } from "../errors/codes.js";

export const SECRET_KEY_LENGTH = 32;
export const PUBLIC_KEY_LENGTH = 48;
export const SIGNATURE_LENGTH = 96;
/** Uncompressed encodings (blst's `toBytes(false)`), also accepted where points are read. */
export const PUBLIC_KEY_LENGTH_UNCOMPRESSED = 96;
export const SIGNATURE_LENGTH_UNCOMPRESSED = 192;
/** The largest N accepted. Far above any pool; bounds the work one malformed file can ask for. */
export const MAX_PARTICIPANTS = 1000;

export type { ThresholdErrorCode } from "../errors/codes.js";

/** Refusals of threshold operations. Messages name ids and reasons, never secret material. */
export class ThresholdError extends BulwarkError<ThresholdErrorCode> {
  override readonly name = "ThresholdError";

  constructor(
    code: ThresholdErrorCode,
    message: string,
  ) {
    super(code, message);
  }
}

export interface SecretShare {
  /** The participant id x, 1..N. */
  id: number;
  /** f(x), 32 bytes big-endian: a BLS secret key as blst and EIP-2335 keystores take it. */
  secretKey: Uint8Array;
}

export interface ThresholdSplit {
  threshold: number;
  participants: number;
  /** One share per participant, ids 1..N in order. */
  shares: SecretShare[];
  /** Feldman commitments: the public keys (48-byte compressed G1) of f's M coefficients. */
  commitments: Uint8Array[];
  /** commitments[0]: the validator's (composite) public key. */
  compositePublicKey: Uint8Array;
}

export interface PartialSignature {
  id: number;
  /** Signature by share `id`: 96 bytes compressed G2 (or 192 bytes uncompressed). */
  signature: Uint8Array;
}

export interface ComponentPublicKey {
  id: number;
  /** Public key of share `id`: 48 bytes compressed G1 (or 96 bytes uncompressed). */
  publicKey: Uint8Array;
}

export interface RecoverOptions {
  /** N: ids above it are refused. Default MAX_PARTICIPANTS. */
  participants?: number;
}

/** Sets up the wasm BLS module for this thread (once; about 80 ms). */
export function initThreshold(): Promise<void> {
  return initHerumi();
}

/**
 * Splits `secret` (32-byte big-endian BLS secret key, non-zero and below the group order) M-of-N:
 * a fresh uniformly random polynomial of degree M-1 with f(0) = secret, evaluated at x = 1..N.
 * The caller owns (and should wipe) the returned share secrets; `secret` is left untouched.
 */
export function splitSecret(secret: Uint8Array, threshold: number, participants: number): ThresholdSplit {
  checkSplitParameters(threshold, participants);
  const bls = herumiModule();
  const coefficients: HerumiSecretKey[] = [];
  try {
    coefficients.push(secretKeyFromBytes(secret, "the secret to split"));
    for (let i = 1; i < threshold; i++) coefficients.push(randomNonZeroScalar(bls));
    return evaluateShares(coefficients, threshold, participants);
  } finally {
    for (const c of coefficients) c.clear();
    scrubWasmStack();
  }
}

/**
 * The split for given polynomial coefficients (coefficients[0] is the secret; M = their number).
 * For known-answer tests such as the remote-signing-api 2-of-3 vector: a real split must use
 * `splitSecret`, whose coefficients are random.
 */
export function splitWithCoefficients(coefficients: readonly Uint8Array[], participants: number): ThresholdSplit {
  checkSplitParameters(coefficients.length, participants);
  herumiModule();
  const keys: HerumiSecretKey[] = [];
  try {
    coefficients.forEach((bytes, i) => keys.push(secretKeyFromBytes(bytes, `coefficient ${i}`)));
    return evaluateShares(keys, coefficients.length, participants);
  } finally {
    for (const k of keys) k.clear();
    scrubWasmStack();
  }
}

/**
 * Feldman check of a share: its public key equals the commitments evaluated at `id`. False for a
 * share that does not match, including one that is not a valid secret key. Throws ThresholdError
 * for an invalid id or invalid commitments (which are the pool's, not the share's, fault).
 */
export function verifyShare(id: number, shareSecret: Uint8Array, commitments: readonly Uint8Array[]): boolean {
  const expected = componentPublicKeyPoint(commitments, id);
  const bls = herumiModule();
  let share: HerumiSecretKey | undefined;
  try {
    if (shareSecret.length !== SECRET_KEY_LENGTH) return false;
    share = new bls.SecretKey();
    try {
      share.deserialize(shareSecret);
    } catch {
      return false;
    }
    if (share.isZero()) return false;
    return share.getPublicKey().isEqual(expected);
  } finally {
    share?.clear();
    scrubWasmStack();
  }
}

/** The public key of share `id` (48-byte compressed G1), computed from the commitments. */
export function componentPublicKey(commitments: readonly Uint8Array[], id: number): Uint8Array {
  return componentPublicKeyPoint(commitments, id).serialize();
}

/** The public key (48-byte compressed G1) of a share secret or any 32-byte BLS secret key. */
export function secretKeyToPublicKey(secret: Uint8Array): Uint8Array {
  herumiModule();
  let key: HerumiSecretKey | undefined;
  try {
    key = secretKeyFromBytes(secret, "the secret key");
    return key.getPublicKey().serialize();
  } finally {
    key?.clear();
    scrubWasmStack();
  }
}

/**
 * Recovers the signature at x = 0 from partial signatures (Lagrange interpolation), as 96 bytes
 * compressed. Uses exactly the first `threshold` partials; all ids are checked (integers 1..N, no
 * duplicates, no 0) and at least `threshold` partials are required. Each partial used must be a
 * valid G2 point (subgroup-checked, not infinity); whether it is a valid signature is not checked
 * here: the coordinator verifies the result against the composite key before it returns anything,
 * and the partials against their component keys only when that fails (src/pool/quorum.ts).
 */
export function recoverSignature(
  partials: readonly PartialSignature[],
  threshold: number,
  options: RecoverOptions = {},
): Uint8Array {
  return recoverAtZero(partials, threshold, options, ({ id, signature }) => g2Point(signature, `partial signature of participant ${id}`));
}

/** A partial signature blst has already parsed with validation (Signature.fromBytes/fromHex(…, true)). */
export interface ValidatedPartial {
  id: number;
  signature: BlstSignature;
}

/**
 * As `recoverSignature`, for partials that blst parsed and subgroup-checked when they arrived
 * (src/pool/fanout.ts): they are not checked a second time, which keeps the check off the
 * critical path of an aggregator. The caller verifies the result against the composite key
 * before using it (a point that escaped the check cannot yield a signature that verifies).
 */
export function recoverValidatedSignature(
  partials: readonly ValidatedPartial[],
  threshold: number,
  options: RecoverOptions = {},
): Uint8Array {
  return recoverAtZero(partials, threshold, options, ({ signature }) => herumiSignatureFromValidated(signature.toBytes(false)));
}

/** Lagrange interpolation at x = 0 of the first `threshold` partials, each turned into a herumi point by `point`. */
function recoverAtZero<T extends { id: number }>(
  partials: readonly T[],
  threshold: number,
  options: RecoverOptions,
  point: (partial: T) => HerumiSignature,
): Uint8Array {
  const chosen = choosePartials(partials, threshold, options.participants ?? MAX_PARTICIPANTS, "partial signatures");
  const bls = herumiModule();
  const signatures = chosen.map(point);
  const recovered = new bls.Signature();
  recovered.recover(signatures, idsOf(chosen));
  return recovered.serialize();
}

/**
 * Recovers the composite public key from component public keys, with the same rules as
 * `recoverSignature`. Lets a coordinator check that the component keys in a pool definition
 * belong to its composite key.
 */
export function recoverPublicKey(
  components: readonly ComponentPublicKey[],
  threshold: number,
  options: RecoverOptions = {},
): Uint8Array {
  const participants = options.participants ?? MAX_PARTICIPANTS;
  const chosen = choosePartials(components, threshold, participants, "component public keys");
  const bls = herumiModule();
  const keys = chosen.map(({ id, publicKey }) => g1Point(publicKey, `public key of participant ${id}`, "invalid-public-key"));
  const recovered = new bls.PublicKey();
  recovered.recover(keys, idsOf(chosen));
  return recovered.serialize();
}

/** Zeroes a buffer holding secret material. */
export function wipe(buffer: Uint8Array | undefined): void {
  buffer?.fill(0);
}

// --- internals

function checkSplitParameters(threshold: number, participants: number): void {
  if (!Number.isSafeInteger(participants) || participants < 2 || participants > MAX_PARTICIPANTS) {
    throw new ThresholdError("invalid-parameters", `participants must be an integer from 2 to ${MAX_PARTICIPANTS}, got ${participants}`);
  }
  // M = 1 would hand every participant the whole key.
  if (!Number.isSafeInteger(threshold) || threshold < 2 || threshold > participants) {
    throw new ThresholdError("invalid-parameters", `threshold must be an integer from 2 to participants (${participants}), got ${threshold}`);
  }
}

function checkId(id: number, participants: number): void {
  if (!Number.isSafeInteger(id) || id < 1 || id > participants) {
    throw new ThresholdError(
      "invalid-id",
      `participant id ${String(id)} is out of range: ids are integers from 1 to ${participants} (0 is the secret itself)`,
    );
  }
}

function choosePartials<T extends { id: number }>(
  items: readonly T[],
  threshold: number,
  participants: number,
  what: string,
): T[] {
  if (!Number.isSafeInteger(participants) || participants < 1 || participants > MAX_PARTICIPANTS) {
    throw new ThresholdError("invalid-parameters", `participants must be an integer from 1 to ${MAX_PARTICIPANTS}, got ${participants}`);
  }
  if (!Number.isSafeInteger(threshold) || threshold < 1 || threshold > participants) {
    throw new ThresholdError("invalid-parameters", `threshold must be an integer from 1 to ${participants}, got ${threshold}`);
  }
  const seen = new Set<number>();
  for (const { id } of items) {
    checkId(id, participants);
    if (seen.has(id)) throw new ThresholdError("duplicate-id", `participant id ${id} appears more than once among the ${what}`);
    seen.add(id);
  }
  if (items.length < threshold) {
    throw new ThresholdError("too-few-partials", `${items.length} ${what} given, ${threshold} needed`);
  }
  return items.slice(0, threshold);
}

function idsOf(items: readonly { id: number }[]): HerumiId[] {
  const bls = herumiModule();
  return items.map(({ id }) => {
    const x = new bls.Id();
    x.setInt(id);
    return x;
  });
}

function secretKeyFromBytes(bytes: Uint8Array, what: string): HerumiSecretKey {
  if (!(bytes instanceof Uint8Array) || bytes.length !== SECRET_KEY_LENGTH) {
    throw new ThresholdError("invalid-secret", `${what} must be ${SECRET_KEY_LENGTH} bytes`);
  }
  const key = new (herumiModule().SecretKey)();
  try {
    key.deserialize(bytes);
  } catch {
    throw new ThresholdError("invalid-secret", `${what} is not below the BLS12-381 group order`);
  }
  if (key.isZero()) throw new ThresholdError("invalid-secret", `${what} is zero`);
  return key;
}

/**
 * A G1 point for herumi, validated by blst (which is several times faster at the subgroup check
 * than herumi's wasm) and handed over uncompressed.
 */
function g1Point(bytes: Uint8Array, what: string, code: ThresholdErrorCode): HerumiPublicKey {
  if (!(bytes instanceof Uint8Array) || (bytes.length !== PUBLIC_KEY_LENGTH && bytes.length !== PUBLIC_KEY_LENGTH_UNCOMPRESSED)) {
    throw new ThresholdError(code, `${what} is not ${PUBLIC_KEY_LENGTH} bytes (compressed) or ${PUBLIC_KEY_LENGTH_UNCOMPRESSED} (uncompressed)`);
  }
  if (isInfinity(bytes)) throw new ThresholdError(code, `${what} is the point at infinity`);
  let point: BlstPublicKey;
  try {
    point = BlstPublicKey.fromBytes(bytes, true);
  } catch {
    throw new ThresholdError(code, `${what} is not a valid G1 point`);
  }
  return herumiPublicKeyFromValidated(point.toBytes(false));
}

/** A G2 point for herumi, validated by blst, as `g1Point`. */
function g2Point(bytes: Uint8Array, what: string): HerumiSignature {
  if (!(bytes instanceof Uint8Array) || (bytes.length !== SIGNATURE_LENGTH && bytes.length !== SIGNATURE_LENGTH_UNCOMPRESSED)) {
    throw new ThresholdError("invalid-signature", `${what} is not ${SIGNATURE_LENGTH} bytes (compressed) or ${SIGNATURE_LENGTH_UNCOMPRESSED} (uncompressed)`);
  }
  if (isInfinity(bytes)) throw new ThresholdError("invalid-signature", `${what} is the point at infinity`);
  let point: BlstSignature;
  try {
    point = BlstSignature.fromBytes(bytes, true);
  } catch {
    throw new ThresholdError("invalid-signature", `${what} is not a valid G2 point`);
  }
  return herumiSignatureFromValidated(point.toBytes(false));
}

/** The ZCash encoding of infinity: the infinity flag (0x40), then zeros; compressed also sets 0x80. */
function isInfinity(bytes: Uint8Array): boolean {
  if ((bytes[0]! & 0x40) === 0) return false;
  return bytes.every((b, i) => (i === 0 ? (b & 0x3f) === 0 : b === 0));
}

/**
 * A uniformly random non-zero scalar: 64 random bytes reduced mod r (bias below 2^-256). herumi's
 * setByCSPRNG masks 32 random bytes to 255 bits and folds values >= r, so about a tenth of Fr is
 * twice as likely as the rest; that is avoided here.
 */
function randomNonZeroScalar(bls: ReturnType<typeof herumiModule>): HerumiSecretKey {
  const bytes = new Uint8Array(64);
  const key = new bls.SecretKey();
  try {
    do {
      getRandomValues(bytes);
      key.setLittleEndianMod(bytes);
    } while (key.isZero());
    return key;
  } finally {
    bytes.fill(0);
  }
}

/** Commitments (public keys of the coefficients) and shares f(1..N). Coefficients stay the caller's. */
function evaluateShares(coefficients: HerumiSecretKey[], threshold: number, participants: number): ThresholdSplit {
  const bls = herumiModule();
  const commitments = coefficients.map((c) => c.getPublicKey().serialize());
  const shares: SecretShare[] = [];
  const share = new bls.SecretKey();
  const id = new bls.Id();
  try {
    for (let x = 1; x <= participants; x++) {
      id.setInt(x);
      share.share(coefficients, id);
      shares.push({ id: x, secretKey: share.serialize() });
    }
  } catch (error) {
    for (const s of shares) s.secretKey.fill(0);
    throw error;
  } finally {
    share.clear();
  }
  return { threshold, participants, shares, commitments, compositePublicKey: commitments[0]! };
}

/**
 * The commitments evaluated at `id`. Refuses commitments that are not valid subgroup points and
 * any commitment at infinity: an honest dealer's coefficients are non-zero (but for probability
 * 2^-255), and a zero top coefficient would make the polynomial's degree, hence the real
 * threshold, lower than the commitments claim.
 */
function componentPublicKeyPoint(commitments: readonly Uint8Array[], id: number): HerumiPublicKey {
  herumiModule();
  if (!Array.isArray(commitments) || commitments.length < 2 || commitments.length > MAX_PARTICIPANTS) {
    throw new ThresholdError("invalid-commitments", `commitments must be a list of 2 to ${MAX_PARTICIPANTS} public keys (one per coefficient)`);
  }
  checkId(id, MAX_PARTICIPANTS);
  const points = commitments.map((c, i) => g1Point(c, `commitment ${i}`, "invalid-commitments"));
  const x = idsOf([{ id }])[0]!;
  const result = new (herumiModule().PublicKey)();
  result.share(points, x);
  return result;
}
