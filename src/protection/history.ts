import type { AttestationRecord, BlockRecord, Pubkey } from "./types.js";

/** Everything recorded for one key: what the EIP-3076 interchange carries per validator. */
export interface ValidatorHistory {
  pubkey: Pubkey;
  blocks: BlockRecord[];
  attestations: AttestationRecord[];
}
