/**
 * The EIP-3076 slashing rules, "complete" strategy: the full history is kept and every new message is
 * checked against all of it, with low watermarks equal to the lowest slot / source / target known
 * for the key (imported or signed). Pure functions: the stores fetch the history, these decide.
 */
import type {
  AttestationRecord,
  AttestationRequest,
  BlockRecord,
  BlockRequest,
  Decision,
  Refusal,
} from "./types.js";

export interface BlockHistory {
  /** Lowest slot of any block recorded for the key, or null when none is. */
  lowestSlot: number | null;
  /** Every block recorded for the key at the requested slot. */
  sameSlot: readonly BlockRecord[];
}

export interface AttestationHistory {
  /** Lowest source and target epochs recorded for the key, or null when none is. */
  lowestSourceEpoch: number | null;
  lowestTargetEpoch: number | null;
  /**
   * Recorded attestations that may conflict with the request. Any superset of the conflicting ones
   * is valid (the full history is); stores pass only those with the same target or that surround
   * or are surrounded by the request.
   */
  candidates: readonly AttestationRecord[];
}

const allowed = (record: boolean): Decision => ({ allowed: true, record });
const refused = (refusal: Refusal): Decision => ({ allowed: false, refusal });

/** A repeat is harmless only when the recorded root is known and is the requested one. */
function isSameMessage(recorded: string | null, requested: string): boolean {
  return recorded !== null && recorded === requested;
}

export function checkBlock(request: BlockRequest, history: BlockHistory): Decision {
  if (history.sameSlot.length > 0) {
    // Every record at the slot must be this very block; an unknown root could be anything.
    const conflicting = history.sameSlot.find((existing) => !isSameMessage(existing.signingRoot, request.signingRoot));
    if (conflicting === undefined) return allowed(false);
    return refused({ reason: "double-block", slot: request.slot, existing: conflicting });
  }
  if (history.lowestSlot !== null && request.slot < history.lowestSlot) {
    return refused({ reason: "block-below-lowest-slot", slot: request.slot, lowestSlot: history.lowestSlot });
  }
  return allowed(true);
}

export function checkAttestation(request: AttestationRequest, history: AttestationHistory): Decision {
  const { sourceEpoch: source, targetEpoch: target } = request;
  const sameTarget = history.candidates.filter((existing) => existing.targetEpoch === target);
  if (sameTarget.length > 0) {
    const conflicting = sameTarget.find(
      (existing) => existing.sourceEpoch !== source || !isSameMessage(existing.signingRoot, request.signingRoot),
    );
    if (conflicting === undefined) return allowed(false);
    return refused({ reason: "double-vote", targetEpoch: target, existing: conflicting });
  }
  if (source > target) {
    return refused({ reason: "source-after-target", sourceEpoch: source, targetEpoch: target });
  }
  if (history.lowestSourceEpoch !== null && source < history.lowestSourceEpoch) {
    return refused({
      reason: "source-below-lowest-source",
      sourceEpoch: source,
      lowestSourceEpoch: history.lowestSourceEpoch,
    });
  }
  if (history.lowestTargetEpoch !== null && target <= history.lowestTargetEpoch) {
    return refused({
      reason: "target-at-or-below-lowest-target",
      targetEpoch: target,
      lowestTargetEpoch: history.lowestTargetEpoch,
    });
  }
  for (const existing of history.candidates) {
    if (source < existing.sourceEpoch && target > existing.targetEpoch) {
      return refused({ reason: "surrounds-existing", existing });
    }
    if (source > existing.sourceEpoch && target < existing.targetEpoch) {
      return refused({ reason: "surrounded-by-existing", existing });
    }
  }
  return allowed(true);
}

/** One line a user can act on, e.g. "refused: surround vote against source 10 target 20". */
export function describeRefusal(refusal: Refusal): string {
  switch (refusal.reason) {
    case "double-block":
      return `refused: double block at slot ${refusal.slot}, a block with ${rootText(refusal.existing.signingRoot)} is already signed`;
    case "block-below-lowest-slot":
      return `refused: slot ${refusal.slot} is below the lowest slot ${refusal.lowestSlot} known for this key`;
    case "source-after-target":
      return `refused: source epoch ${refusal.sourceEpoch} is after target epoch ${refusal.targetEpoch}`;
    case "double-vote":
      return `refused: double vote for target ${refusal.targetEpoch}, already signed source ${refusal.existing.sourceEpoch} target ${refusal.existing.targetEpoch} with ${rootText(refusal.existing.signingRoot)}`;
    case "surrounds-existing":
      return `refused: surround vote, it surrounds the signed vote source ${refusal.existing.sourceEpoch} target ${refusal.existing.targetEpoch}`;
    case "surrounded-by-existing":
      return `refused: surround vote, it is surrounded by the signed vote source ${refusal.existing.sourceEpoch} target ${refusal.existing.targetEpoch}`;
    case "source-below-lowest-source":
      return `refused: source epoch ${refusal.sourceEpoch} is below the lowest source epoch ${refusal.lowestSourceEpoch} known for this key`;
    case "target-at-or-below-lowest-target":
      return `refused: target epoch ${refusal.targetEpoch} is at or below the lowest target epoch ${refusal.lowestTargetEpoch} known for this key`;
  }
}

function rootText(root: string | null): string {
  return root === null ? "an unknown signing root" : `signing root ${root}`;
}
