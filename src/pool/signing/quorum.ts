/**
 * Turning partial signatures into the pool's signature with one verification in the common case:
 * recover from the first M partials (Lagrange at x = 0) and verify the result once against the
 * composite key. Only when that fails are the M partials verified one by one against their
 * component keys, to name the faulty participants; the caller drops them and tries again when
 * enough partials are in. Nothing here returns a signature that has not been verified.
 */
import { type PublicKey, Signature, verify } from "@chainsafe/blst";
import { recoverValidatedSignature, ThresholdError } from "../../bls/threshold.js";

export interface CandidatePartial {
  id: number;
  /** Parsed and subgroup-checked, not yet verified against the component key. */
  signature: Signature;
  componentKey: PublicKey;
}

export type Combination =
  /** The recovered signature (96 bytes compressed), verified against the composite key. */
  | { ok: true; signature: Uint8Array; used: number[] }
  /** These participants' partials do not verify against their component keys. */
  | { ok: false; faulty: number[] }
  /** Every partial verifies and still the result does not (or recovery failed): a broken pool definition. */
  | { ok: false; faulty: []; error: string };

export interface CombineTarget {
  signingRoot: Uint8Array;
  compositeKey: PublicKey;
  threshold: number;
  participants: number;
}

/** Combines exactly `target.threshold` candidates. */
export function combine(candidates: readonly CandidatePartial[], target: CombineTarget): Combination {
  if (candidates.length !== target.threshold) throw new RangeError(`combine takes ${target.threshold} partials, got ${candidates.length}`);
  const used = candidates.map((c) => c.id);
  let recoveryError: string | undefined;
  try {
    // The candidates were subgroup-checked on arrival; the result is verified right below.
    const recovered = recoverValidatedSignature(candidates, target.threshold, { participants: target.participants });
    if (verifies(target.signingRoot, target.compositeKey, recovered)) return { ok: true, signature: recovered, used };
  } catch (err) {
    recoveryError = err instanceof ThresholdError ? err.message : (err as Error).message;
  }
  const faulty = candidates.filter((c) => !verifiesParsed(target.signingRoot, c.componentKey, c.signature)).map((c) => c.id);
  if (faulty.length > 0) return { ok: false, faulty };
  return {
    ok: false,
    faulty: [],
    error:
      recoveryError === undefined
        ? `the signature recovered from participants ${used.join(", ")} does not verify against the composite key, though each partial verifies`
        : `cannot recover the pool signature: ${recoveryError}`,
  };
}

/** One partial against its component key (used for partials that arrive after the quorum, for the metrics). */
export function verifyPartial(signingRoot: Uint8Array, candidate: CandidatePartial): boolean {
  return verifiesParsed(signingRoot, candidate.componentKey, candidate.signature);
}

function verifies(message: Uint8Array, key: PublicKey, signature: Uint8Array): boolean {
  try {
    return verifiesParsed(message, key, Signature.fromBytes(signature, true));
  } catch {
    return false;
  }
}

function verifiesParsed(message: Uint8Array, key: PublicKey, signature: Signature): boolean {
  try {
    return verify(message, key, signature, false, false);
  } catch {
    return false;
  }
}
