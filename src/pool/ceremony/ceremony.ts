/**
 * The key ceremony, on the aggregator: generate one validator key, split it M-of-N among the
 * operators, encrypt each share to its operator, sign the deposit with the whole key, write the
 * pool definition and the share files, and keep the whole key sealed until the exit is pre-signed
 * (see exit/exit.ts, which then destroys it).
 *
 * Everything is checked before anything is written: each share against the commitments, a test
 * signature recovered from two different M-subsets against the composite key, the deposit
 * signature, and the finished pool definition as a joining operator will check it.
 */
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { SecretKey, Signature, verify, PublicKey } from "@chainsafe/blst";
import type { Network } from "../../config/networks.js";
import { initThreshold, recoverSignature, splitSecret, verifyShare, type ThresholdSplit } from "../../bls/threshold.js";
import { depositFileName, writeDepositFile } from "../../eth/deposit-file.js";
import { createDeposit, DEFAULT_DEPOSIT_GWEI, DepositError, executionWithdrawalCredentials, parseExecutionAddress } from "../../eth/deposit.js";
import { serializePoolDefinition, type PoolDefinition } from "../definition.js";
import { writeFileDurably } from "../../util/durable-file.js";
import { PoolError } from "../errors.js";
import type { OperatorSpec } from "./operator-spec.js";
import { savePoolDefinitionCopy } from "../storage/pool-files.js";
import { encryptShare } from "./share-crypto.js";
import { defaultThreshold, majorityThreshold, verifyPoolDefinition } from "./verify-pool.js";
import { sealWholeKey } from "../storage/whole-key.js";
import { toHex as hex } from "../../util/hex.js";

export const POOL_FILE_NAME = "pool.json";

export function shareFileName(id: number): string {
  return `share-${id}.json`;
}

export interface CreatePoolOptions {
  network: Network;
  /** M; default: the smallest M with M > 2N/3. */
  threshold?: number;
  /** The N operators; their ids must be exactly 1..N. */
  operators: readonly OperatorSpec[];
  /** 0x-prefixed execution address (EIP-55 checked when mixed case). */
  withdrawalAddress: string;
  /** 0x02 (compounding) withdrawal credentials instead of 0x01. */
  compounding?: boolean;
  /** Deposit amount in gwei; default 32 ETH. */
  amountGwei?: number;
  /** Accept M below a majority of N (two disjoint quorums could then each sign). */
  allowMinorityThreshold?: boolean;
  /** The aggregator's data directory: the whole key is sealed there, and a copy of pool.json kept. */
  dataDir: string;
  sealingSecret: Uint8Array;
  /** Where pool.json and share-<id>.json are written (created 0700 if needed). */
  outDir: string;
  now?: Date;
}

export interface CreatePoolResult {
  pool: PoolDefinition;
  /** OUT/pool.json */
  poolFile: string;
  /** OUT/share-<id>.json, one per operator, in id order. */
  shareFiles: Array<{ id: number; path: string }>;
  /** DATA_DIR/pools/<composite>.json */
  definitionCopy: string;
  /** DATA_DIR/pool-whole-keys.json */
  wholeKeyStore: string;
  /** OUT/deposit_data-<timestamp>.json: the deposit in the launchpad's format (also in pool.json). */
  depositFile: string;
}

/** Checks (or picks) the threshold M for N participants; PoolError("invalid-parameters") explains a refusal. */
export function chooseThreshold(participants: number, requested: number | undefined, allowMinority = false): number {
  const threshold = requested ?? defaultThreshold(participants);
  if (!Number.isSafeInteger(threshold)) throw new PoolError("invalid-parameters", `threshold must be an integer, got ${String(requested)}`);
  if (threshold < 2) {
    throw new PoolError("invalid-parameters", `threshold ${threshold} is refused: with M < 2 every operator alone holds the whole key`);
  }
  if (threshold > participants) {
    throw new PoolError("invalid-parameters", `threshold ${threshold} is more than the ${participants} operators: the pool could never sign`);
  }
  const majority = majorityThreshold(participants);
  if (threshold < majority && !allowMinority) {
    throw new PoolError(
      "invalid-parameters",
      `threshold ${threshold} of ${participants} is a minority: two disjoint groups of ${threshold} operators could each sign, e.g. two conflicting attestations, without any operator seeing both. Use at least ${majority} (default ${defaultThreshold(participants)}), or pass --allow-minority-threshold if you accept that`,
    );
  }
  return threshold;
}

function checkOperators(operators: readonly OperatorSpec[]): OperatorSpec[] {
  const n = operators.length;
  if (n < 2) throw new PoolError("invalid-parameters", `a pool needs at least 2 operators (--operator), got ${n}`);
  const sorted = [...operators].sort((a, b) => a.id - b.id);
  sorted.forEach((operator, i) => {
    if (operator.id !== i + 1) {
      throw new PoolError("invalid-parameters", `operator ids must be exactly 1..${n} (each once); got ${operators.map((o) => o.id).join(", ")}`);
    }
  });
  const seenIdentity = new Map<string, number>();
  const seenEndpoint = new Map<string, number>();
  for (const operator of sorted) {
    const sameIdentity = seenIdentity.get(operator.identity);
    if (sameIdentity !== undefined) {
      throw new PoolError(
        "invalid-parameters",
        `operators ${sameIdentity} and ${operator.id} have the same identity ${operator.identity}: one operator would hold two shares`,
      );
    }
    seenIdentity.set(operator.identity, operator.id);
    const sameEndpoint = seenEndpoint.get(operator.endpoint);
    if (sameEndpoint !== undefined) {
      throw new PoolError("invalid-parameters", `operators ${sameEndpoint} and ${operator.id} have the same endpoint ${operator.endpoint}`);
    }
    seenEndpoint.set(operator.endpoint, operator.id);
  }
  return sorted;
}

/** Signs a fixed test message with two M-subsets of shares, recovers, and verifies against the composite key. */
function selfTest(split: ThresholdSplit): void {
  const message = Uint8Array.from(Buffer.from("bulwark pool ceremony self-test".padEnd(32, ".")));
  const composite = PublicKey.fromBytes(split.compositePublicKey, true);
  const m = split.threshold;
  const subsets = [split.shares.slice(0, m), split.shares.slice(split.shares.length - m)];
  for (const subset of subsets) {
    const partials = subset.map((share) => ({ id: share.id, signature: SecretKey.fromBytes(share.secretKey).sign(message).toBytes(true) }));
    const recovered = recoverSignature(partials, m, { participants: split.participants });
    if (!verify(message, composite, Signature.fromBytes(recovered, true, true), true, true)) {
      throw new PoolError("verification-failed", "ceremony self-test failed: a signature recovered from the shares does not verify; nothing written");
    }
  }
}

export async function createPool(options: CreatePoolOptions): Promise<CreatePoolResult> {
  const { network, outDir, dataDir } = options;
  const operators = checkOperators(options.operators);
  const n = operators.length;
  const threshold = chooseThreshold(n, options.threshold, options.allowMinorityThreshold ?? false);
  let withdrawalCredentials: Uint8Array;
  try {
    withdrawalCredentials = executionWithdrawalCredentials(parseExecutionAddress(options.withdrawalAddress), options.compounding ?? false);
  } catch (err) {
    if (err instanceof DepositError) throw new PoolError("invalid-parameters", err.message, { cause: err });
    throw err;
  }
  const createdAt = options.now ?? new Date();
  const timestamp = Math.floor(createdAt.getTime() / 1000);
  const poolFile = join(outDir, POOL_FILE_NAME);
  const shareFiles = operators.map((o) => ({ id: o.id, path: join(outDir, shareFileName(o.id)) }));
  for (const path of [poolFile, join(outDir, depositFileName(timestamp)), ...shareFiles.map((s) => s.path)]) {
    if (existsSync(path)) throw new PoolError("file-exists", `${path} already exists; choose a new --out directory`);
  }

  await initThreshold();
  const ikm = randomBytes(32);
  const secretKey = SecretKey.fromKeygen(ikm);
  ikm.fill(0);
  const whole = secretKey.toBytes();
  let split: ThresholdSplit | undefined;
  try {
    split = splitSecret(whole, threshold, n);
    const commitments = split.commitments;
    for (const share of split.shares) {
      if (!verifyShare(share.id, share.secretKey, commitments)) {
        throw new PoolError("verification-failed", `ceremony self-test failed: share ${share.id} does not match the commitments; nothing written`);
      }
    }
    selfTest(split);

    let depositData;
    try {
      depositData = createDeposit(secretKey, { withdrawalCredentials, amount: options.amountGwei ?? DEFAULT_DEPOSIT_GWEI, network });
    } catch (err) {
      if (err instanceof DepositError) throw new PoolError("invalid-parameters", err.message, { cause: err });
      throw err;
    }
    const composite = hex(split.compositePublicKey);
    const pool: PoolDefinition = {
      network: network.name,
      genesisValidatorsRoot: network.genesisValidatorsRoot.toLowerCase(),
      compositePublicKey: composite,
      threshold,
      participants: operators.map((operator) => ({
        id: operator.id,
        identity: operator.identity,
        componentPublicKey: hex(SecretKey.fromBytes(split!.shares[operator.id - 1]!.secretKey).toPublicKey().toBytes(true)),
        endpoint: operator.endpoint,
      })),
      commitments: commitments.map(hex),
      depositData,
      createdAt: createdAt.toISOString(),
    };
    await verifyPoolDefinition(pool, network, "the new pool definition");
    const envelopes = operators.map((operator) =>
      encryptShare({
        shareSecret: split!.shares[operator.id - 1]!.secretKey,
        shareId: operator.id,
        compositePublicKey: composite,
        recipientIdentityPublicKey: operator.identity,
      }),
    );

    // The whole key is sealed first: shares must never be handed out without it kept for the exit.
    const wholeKeyStore = await sealWholeKey(dataDir, options.sealingSecret, composite, whole);
    try {
      envelopes.forEach((envelope, i) => {
        writeFileDurably(shareFiles[i]!.path, JSON.stringify(envelope, null, 2) + "\n", { mode: 0o600, exclusive: true });
      });
      writeFileDurably(poolFile, serializePoolDefinition(pool), { mode: 0o644, exclusive: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "EEXIST") {
        throw new PoolError("file-exists", `a file in ${outDir} appeared while writing; the whole key of ${composite} stays sealed in ${wholeKeyStore}`);
      }
      throw err;
    }
    const definitionCopy = savePoolDefinitionCopy(dataDir, pool);
    const depositFile = await writeDepositFile(outDir, [depositData], timestamp);
    return { pool, poolFile, shareFiles, definitionCopy, wholeKeyStore, depositFile };
  } finally {
    whole.fill(0);
    for (const share of split?.shares ?? []) share.secretKey.fill(0);
  }
}
