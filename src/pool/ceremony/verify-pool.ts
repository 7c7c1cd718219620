/**
 * The cryptographic checks of a pool definition that every party can make from public data: the
 * participants' component keys are the commitments evaluated at their ids, the deposit data is the
 * composite key's and verifies on the pool's network, and the threshold is not a minority one
 * (unless the caller accepts that).
 */
import type { Network } from "../../config/networks.js";
import { componentPublicKey, initThreshold, ThresholdError } from "../../bls/threshold.js";
import { verifyDepositFile } from "../../eth/deposit-file.js";
import type { PoolDefinition } from "../definition.js";
import { PoolError } from "../errors.js";

function bytes(hex: string): Uint8Array {
  return Uint8Array.from(Buffer.from(hex.replace(/^0x/, ""), "hex"));
}

/** The smallest M that is a majority of N: two quorums of M always share an operator. */
export function majorityThreshold(participants: number): number {
  return Math.floor(participants / 2) + 1;
}

/** The default threshold: the smallest M with M > 2N/3 (tolerates fewer than a third faulty). */
export function defaultThreshold(participants: number): number {
  return Math.floor((2 * participants) / 3) + 1;
}

/** Throws PoolError("invalid-pool") naming the first problem found. */
export async function verifyPoolDefinition(pool: PoolDefinition, network: Network, source = "pool definition"): Promise<void> {
  await initThreshold();
  const n = pool.participants.length;
  const commitments = pool.commitments.map(bytes);
  if (pool.threshold < 2) throw new PoolError("invalid-pool", `${source}: threshold ${pool.threshold} would give every participant the whole key`);
  for (const participant of pool.participants) {
    let expected: string;
    try {
      expected = "0x" + Buffer.from(componentPublicKey(commitments, participant.id)).toString("hex");
    } catch (err) {
      if (err instanceof ThresholdError) throw new PoolError("invalid-pool", `${source}: commitments: ${err.message}`, { cause: err });
      throw err;
    }
    if (expected !== participant.componentPublicKey) {
      throw new PoolError(
        "invalid-pool",
        `${source}: participant ${participant.id}'s component_public_key is not the commitments evaluated at ${participant.id}`,
      );
    }
  }
  const identities = new Set(pool.participants.map((p) => p.identity));
  if (identities.size !== n) throw new PoolError("invalid-pool", `${source}: one operator identity holds several shares`);
  const deposit = pool.depositData;
  if (typeof deposit.pubkey !== "string" || "0x" + deposit.pubkey.toLowerCase() !== pool.compositePublicKey) {
    throw new PoolError("invalid-pool", `${source}: deposit_data.pubkey is not the composite public key`);
  }
  const report = verifyDepositFile([deposit], network);
  if (!report.ok) {
    const problems = [...report.problems, ...report.entries.flatMap((e) => e.problems)];
    throw new PoolError("invalid-pool", `${source}: deposit_data: ${problems.join("; ")}`);
  }
}
