/**
 * An independent statement of the "complete" EIP-3076 strategy, written from the consensus spec's
 * slashing conditions over the full history rather than from the rules module. Used as the oracle of
 * the property tests.
 */
export interface ModelBlock {
  slot: number;
  root: string | null;
}
export interface ModelAttestation {
  source: number;
  target: number;
  root: string | null;
}

export class ReferenceModel {
  private readonly blocks = new Map<string, ModelBlock[]>();
  private readonly attestations = new Map<string, ModelAttestation[]>();

  signBlock(pubkey: string, slot: number, root: string): boolean {
    const history = this.blocks.get(pubkey) ?? [];
    const atSlot = history.filter((b) => b.slot === slot);
    const isRepeat = atSlot.length > 0 && atSlot.every((b) => b.root === root);
    if (isRepeat) return true;
    // is_slashable for proposals: same slot, different (or unknown) block.
    if (atSlot.length > 0) return false;
    if (history.length > 0 && slot < Math.min(...history.map((b) => b.slot))) return false;
    this.blocks.set(pubkey, [...history, { slot, root }]);
    return true;
  }

  signAttestation(pubkey: string, source: number, target: number, root: string): boolean {
    const history = this.attestations.get(pubkey) ?? [];
    const sameTarget = history.filter((a) => a.target === target);
    const isRepeat =
      sameTarget.length > 0 && sameTarget.every((a) => a.source === source && a.root === root);
    if (isRepeat) return true;
    const slashable = history.some(
      (a) =>
        a.target === target || // double vote
        (source < a.source && a.target < target) || // new surrounds old
        (a.source < source && target < a.target), // old surrounds new
    );
    if (slashable || source > target) return false;
    if (history.length > 0) {
      if (source < Math.min(...history.map((a) => a.source))) return false;
      if (target <= Math.min(...history.map((a) => a.target))) return false;
    }
    this.attestations.set(pubkey, [...history, { source, target, root }]);
    return true;
  }

  importBlocks(pubkey: string, blocks: ModelBlock[]): void {
    this.blocks.set(pubkey, [...(this.blocks.get(pubkey) ?? []), ...blocks]);
  }

  importAttestations(pubkey: string, attestations: ModelAttestation[]): void {
    this.attestations.set(pubkey, [...(this.attestations.get(pubkey) ?? []), ...attestations]);
  }
}
