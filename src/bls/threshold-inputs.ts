/**
 * Inputs to threshold BLS checked before herumi sees them: split parameters, participant ids and
 * partial sets (range, duplicates, count), secret keys (length, below the group order, non-zero),
 * and G1/G2 points (length, not infinity, subgroup-checked by blst). Every refusal is a
 * ThresholdError naming the input.
 */
import { PublicKey as BlstPublicKey, Signature as BlstSignature } from "@chainsafe/blst";
import {
  herumiModule,
  herumiPublicKeyFromValidated,
  herumiSignatureFromValidated,
  type HerumiId,
  type HerumiPublicKey,
  type HerumiSecretKey,
  type HerumiSignature,
} from "./threshold-herumi.js";
import {
  MAX_PARTICIPANTS,
  PUBLIC_KEY_LENGTH,
  PUBLIC_KEY_LENGTH_UNCOMPRESSED,
  SECRET_KEY_LENGTH,
  SIGNATURE_LENGTH,
  SIGNATURE_LENGTH_UNCOMPRESSED,
  ThresholdError,
  type ThresholdErrorCode,
} from "./threshold-types.js";

export function checkSplitParameters(threshold: number, participants: number): void {
  if (!Number.isSafeInteger(participants) || participants < 2 || participants > MAX_PARTICIPANTS) {
    throw new ThresholdError("invalid-parameters", `participants must be an integer from 2 to ${MAX_PARTICIPANTS}, got ${participants}`);
  }
  // M = 1 would hand every participant the whole key.
  if (!Number.isSafeInteger(threshold) || threshold < 2 || threshold > participants) {
    throw new ThresholdError("invalid-parameters", `threshold must be an integer from 2 to participants (${participants}), got ${threshold}`);
  }
}

export function checkId(id: number, participants: number): void {
  if (!Number.isSafeInteger(id) || id < 1 || id > participants) {
    throw new ThresholdError(
      "invalid-id",
      `participant id ${String(id)} is out of range: ids are integers from 1 to ${participants} (0 is the secret itself)`,
    );
  }
}

export function choosePartials<T extends { id: number }>(
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

export function idsOf(items: readonly { id: number }[]): HerumiId[] {
  const bls = herumiModule();
  return items.map(({ id }) => {
    const x = new bls.Id();
    x.setInt(id);
    return x;
  });
}

export function secretKeyFromBytes(bytes: Uint8Array, what: string): HerumiSecretKey {
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
export function g1Point(bytes: Uint8Array, what: string, code: ThresholdErrorCode): HerumiPublicKey {
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
export function g2Point(bytes: Uint8Array, what: string): HerumiSignature {
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
