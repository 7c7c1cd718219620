import type { SignErrorCode } from "../core/api.js";

/** HTTP status for each refusal of the core, as Web3Signer clients expect them. */
export const STATUS_OF: Record<SignErrorCode, number> = {
  "bad-request": 400,
  "root-mismatch": 400,
  "unknown-key": 404,
  slashing: 412,
  policy: 412,
  "wrong-network": 412,
  unavailable: 503,
  internal: 500,
};
