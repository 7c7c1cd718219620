/**
 * Joining a pool, on an operator: decrypt its share with the operator's identity, check it against
 * the pool's commitments and the participant's component key, and keep it sealed.
 *
 * Before anything is decrypted the pool definition is checked as a whole (network known, genesis
 * validators root that network's, component keys from the commitments, deposit data verifying).
 * Refusals are PoolErrors whose code names the case: "identity-mismatch" (this operator is not in
 * the pool, or the share is encrypted to someone else), "wrong-participant" (another participant's
 * share), "share-for-another-pool", "tampered-share" (altered, truncated or not an envelope),
 * "invalid-share" (decrypts but is not this participant's share: a dishonest dealer),
 * "already-joined" (a different share of the same pool is already held).
 */
import { readFileSync } from "node:fs";
import { initThreshold, secretKeyToPublicKey, verifyShare } from "../../bls/threshold.js";
import type { Network } from "../../config/networks.js";
import type { PoolDefinition } from "../definition.js";
import { PoolError } from "../errors.js";
import { ensureCoordinatorToken } from "../storage/coordinator-token.js";
import { openOperatorIdentity, openShareStore, sharePublicKey } from "../storage/operator-store.js";
import { readPoolDefinitionFile, savePoolDefinitionCopy } from "../storage/pool-files.js";
import { poolNetwork, type NetworkChoice } from "../pool-network.js";
import {
  decryptShare,
  IntegrityError,
  MalformedEnvelopeError,
  ParticipantMismatchError,
  PoolMismatchError,
  RecipientMismatchError,
  ShareEnvelopeError,
  UnsupportedEnvelopeVersionError,
} from "./share-crypto.js";
import { majorityThreshold, verifyPoolDefinition } from "./verify-pool.js";

export interface JoinPoolOptions extends NetworkChoice {
  dataDir: string;
  sealingSecret: Uint8Array;
  /** Path of the pool.json the aggregator published. */
  poolFile: string;
  /** Path of this operator's share-<id>.json. */
  shareFile: string;
}

export interface JoinPoolResult {
  pool: PoolDefinition;
  network: Network;
  participantId: number;
  componentPublicKey: string;
  /** DATA_DIR/pool-shares.json */
  sharesFile: string;
  /** DATA_DIR/pools/<composite>.json */
  definitionCopy: string;
  /** DATA_DIR/pools/<composite>/coordinator-token.txt: give it to this pool's aggregator only. */
  coordinatorTokenFile: string;
  /** True when this very share was already held (nothing changed). */
  alreadyJoined: boolean;
  /** Warnings for the operator (e.g. a minority threshold). */
  warnings: string[];
}

function readEnvelope(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new PoolError("tampered-share", `cannot read share file ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new PoolError("tampered-share", `share file ${path} is damaged (not valid JSON: ${(err as Error).message}); ask the aggregator for it again`);
  }
}

export async function joinPool(options: JoinPoolOptions): Promise<JoinPoolResult> {
  const { dataDir, sealingSecret, shareFile } = options;
  const pool = readPoolDefinitionFile(options.poolFile);
  const network = poolNetwork(pool, options);
  await initThreshold();
  await verifyPoolDefinition(pool, network, options.poolFile);
  const warnings: string[] = [];
  if (pool.threshold < majorityThreshold(pool.participants.length)) {
    warnings.push(
      `threshold ${pool.threshold} of ${pool.participants.length} is a minority: two disjoint groups of operators could each sign`,
    );
  }

  const identity = await openOperatorIdentity(dataDir, sealingSecret);
  const participant = pool.participants.find((p) => p.identity === identity.id);
  if (participant === undefined) {
    throw new PoolError(
      "identity-mismatch",
      `this operator's identity ${identity.id} (${dataDir}) is not a participant of pool ${pool.compositePublicKey}; its participants are ${pool.participants.map((p) => `${p.id}=${p.identity}`).join(", ")}`,
    );
  }

  const envelope = readEnvelope(shareFile);
  let share: Uint8Array;
  try {
    share = decryptShare(envelope, identity.privateKey, { compositePublicKey: pool.compositePublicKey, shareId: participant.id });
  } catch (err) {
    throw joinRefusal(err, shareFile, envelope, pool, participant.id, identity.id);
  }
  try {
    if (!verifyShare(participant.id, share, pool.commitments.map((c) => Uint8Array.from(Buffer.from(c.slice(2), "hex"))))) {
      throw new PoolError(
        "invalid-share",
        `the share in ${shareFile} decrypts but does not match pool ${pool.compositePublicKey}'s commitments for participant ${participant.id}: the aggregator dealt a bad share; do not use this pool`,
      );
    }
    const publicKey = "0x" + Buffer.from(secretKeyToPublicKey(share)).toString("hex");
    if (publicKey !== participant.componentPublicKey || sharePublicKey(share) !== publicKey) {
      throw new PoolError(
        "invalid-share",
        `the share in ${shareFile} is not participant ${participant.id}'s: its public key ${publicKey} is not the component_public_key in the pool definition`,
      );
    }

    const store = await openShareStore(dataDir, sealingSecret, true);
    let alreadyJoined = false;
    if (store.has(pool.compositePublicKey)) {
      const keys = store.keys();
      const same = keys.some((k) => k.pubkey === pool.compositePublicKey && Buffer.from(k.secretKey).equals(Buffer.from(share)));
      for (const k of keys) k.secretKey.fill(0);
      if (!same) {
        throw new PoolError("already-joined", `${store.path} already holds a different share of pool ${pool.compositePublicKey}; nothing changed`);
      }
      alreadyJoined = true;
    }
    // The definition first: a share is never stored without the pool it belongs to.
    const definitionCopy = savePoolDefinitionCopy(dataDir, pool);
    if (!alreadyJoined) await store.add([{ pubkey: pool.compositePublicKey, secretKey: share }]);
    const token = ensureCoordinatorToken(dataDir, pool.compositePublicKey);
    return {
      pool,
      network,
      participantId: participant.id,
      componentPublicKey: participant.componentPublicKey,
      sharesFile: store.path,
      definitionCopy,
      coordinatorTokenFile: token.path,
      alreadyJoined,
      warnings,
    };
  } finally {
    share.fill(0);
  }
}

/** Turns a share-envelope refusal into the join refusal an operator can act on. */
function joinRefusal(err: unknown, shareFile: string, envelope: unknown, pool: PoolDefinition, ownId: number, ownIdentity: string): unknown {
  if (!(err instanceof ShareEnvelopeError)) return err;
  const options = { cause: err };
  if (err instanceof PoolMismatchError) {
    return new PoolError(
      "share-for-another-pool",
      `${shareFile} holds a share of another pool: ${err.message}. Use the share file that came with this pool.json`,
      options,
    );
  }
  if (err instanceof ParticipantMismatchError) {
    const found = (envelope as { shareId?: unknown }).shareId;
    return new PoolError(
      "wrong-participant",
      `${shareFile} holds participant ${String(found)}'s share, but this operator (${ownIdentity}) is participant ${ownId} of pool ${pool.compositePublicKey}: use share-${ownId}.json`,
      options,
    );
  }
  if (err instanceof RecipientMismatchError) {
    return new PoolError("identity-mismatch", `${shareFile}: ${err.message}`, options);
  }
  if (err instanceof IntegrityError || err instanceof MalformedEnvelopeError || err instanceof UnsupportedEnvelopeVersionError) {
    return new PoolError("tampered-share", `${shareFile} is not a valid share for this operator: ${err.message}`, options);
  }
  return new PoolError("tampered-share", `${shareFile}: ${err.message}`, options);
}

/** The operator's shares for the participant server: see storage/operator-store.ts. */
export { loadOperatorShares, type OperatorShare } from "../storage/operator-store.js";
