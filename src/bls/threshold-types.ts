/**
 * The values, limits and refusals of threshold BLS (src/bls/threshold.ts): shares, splits,
 * partial signatures and component public keys as bytes, and ThresholdError with its codes.
 */
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
