/**
 * The one decision path of every protection store. A backend reads, under its locks and before
 * deciding anything, what the database holds for each request of a group (`StoredHistory`); this
 * decides the requests in order, letting the records allowed earlier in the group count for the
 * later ones, and returns the records the backend must write before it commits. Pure: no database.
 */
import { checkAttestation, checkBlock } from "./rules.js";
import type { AttestationRecord, BlockRecord, Decision, ProtectionRequest, Pubkey } from "./types.js";

/** What a store read for one request, as committed before its group began. */
export interface StoredHistory {
  /** Blocks: the lowest recorded slot. Attestations: the lowest recorded source epoch. */
  lowest: number | null;
  /** Attestations only: the lowest recorded target epoch. */
  lowestTarget: number | null;
  /** Blocks: every record at the requested slot. */
  blocks: BlockRecord[];
  /** Attestations: a superset of the records that may conflict (same target, surrounding, surrounded). */
  attestations: AttestationRecord[];
}

export const emptyHistory = (): StoredHistory => ({ lowest: null, lowestTarget: null, blocks: [], attestations: [] });

export interface NewBlock {
  pubkey: Pubkey;
  slot: number;
  signingRoot: string;
}

export interface NewAttestation {
  pubkey: Pubkey;
  sourceEpoch: number;
  targetEpoch: number;
  signingRoot: string;
}

export interface GroupOutcome {
  /** One per request, in order. */
  decisions: Decision[];
  /** The records to write, each once; pubkeys are lowercase. */
  newBlocks: NewBlock[];
  newAttestations: NewAttestation[];
}

/** Decides `requests[i]` against `histories[i]` plus every record allowed before it in the group. */
export function decideInOrder(requests: readonly ProtectionRequest[], histories: readonly StoredHistory[]): GroupOutcome {
  if (histories.length !== requests.length) throw new Error(`${requests.length} requests but ${histories.length} histories`);
  const added = new Map<Pubkey, { blocks: BlockRecord[]; attestations: AttestationRecord[] }>();
  const newBlocks: NewBlock[] = [];
  const newAttestations: NewAttestation[] = [];
  const decisions = requests.map((request, i): Decision => {
    const pubkey = request.pubkey.toLowerCase();
    const history = histories[i]!;
    const mine = added.get(pubkey) ?? { blocks: [], attestations: [] };
    added.set(pubkey, mine);
    if (request.kind === "block") {
      const decision = checkBlock(request, {
        lowestSlot: lowestOf(history.lowest, mine.blocks.map((b) => b.slot)),
        sameSlot: [...history.blocks, ...mine.blocks.filter((b) => b.slot === request.slot)],
      });
      if (decision.allowed && decision.record) {
        mine.blocks.push({ slot: request.slot, signingRoot: request.signingRoot });
        newBlocks.push({ pubkey, slot: request.slot, signingRoot: request.signingRoot });
      }
      return decision;
    }
    // Every record added earlier in the group is a candidate: a superset is always valid.
    const decision = checkAttestation(request, {
      lowestSourceEpoch: lowestOf(history.lowest, mine.attestations.map((a) => a.sourceEpoch)),
      lowestTargetEpoch: lowestOf(history.lowestTarget, mine.attestations.map((a) => a.targetEpoch)),
      candidates: [...history.attestations, ...mine.attestations],
    });
    if (decision.allowed && decision.record) {
      const record = { sourceEpoch: request.sourceEpoch, targetEpoch: request.targetEpoch, signingRoot: request.signingRoot };
      mine.attestations.push(record);
      newAttestations.push({ pubkey, ...record });
    }
    return decision;
  });
  return { decisions, newBlocks, newAttestations };
}

function lowestOf(stored: number | null, added: readonly number[]): number | null {
  const all = stored === null ? added : [stored, ...added];
  return all.length === 0 ? null : Math.min(...all);
}
