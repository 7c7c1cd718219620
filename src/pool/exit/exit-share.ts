/**
 * Operator exit without the aggregator: each operator signs the pool's VoluntaryExit with its share
 * (a partial exit, EIP-7044 domain), and anyone holding M partials of the same message combines
 * them into a SignedVoluntaryExit that verifies against the composite key.
 *
 * Partial exit file (JSON):
 * ```json
 * {"composite_public_key": "0x…", "participant_id": 2,
 *  "message": {"epoch": "123", "validator_index": "456"}, "signature": "0x…"}
 * ```
 * Combining refuses, naming the file: another pool's partial, an unknown participant id, a
 * duplicate participant id, a message differing from the others, and a signature that does not
 * verify against its participant's component key (forged, or made by another participant). Fewer
 * than M partials are refused, and the recovered signature is verified before it is returned.
 */
import { SecretKey } from "@chainsafe/blst";
import { initThreshold, recoverSignature, ThresholdError } from "../../bls/threshold.js";
import type { Network } from "../../config/networks.js";
import { serializePoolDefinition, type PoolDefinition } from "../definition.js";
import { PoolError } from "../errors.js";
import { parseUint, signedExitJson, verifyExitSignature, voluntaryExitSigningRoot, type ExitMessage, type SignedVoluntaryExitJson } from "./exit-message.js";
import { loadOperatorShare } from "../storage/operator-store.js";
import { poolNetwork, type NetworkChoice } from "../pool-network.js";
import { bytesOfHex, toHex as hex } from "../../util/hex.js";

export interface PartialExitJson {
  composite_public_key: string;
  participant_id: number;
  message: { epoch: string; validator_index: string };
  signature: string;
}

export interface SignExitShareOptions extends NetworkChoice {
  dataDir: string;
  sealingSecret: Uint8Array;
  pool: PoolDefinition;
  validatorIndex: number;
  epoch: number;
}

/** This operator's partial signature of the pool's exit, verified against its component key. */
export async function signExitShare(options: SignExitShareOptions): Promise<PartialExitJson> {
  const { pool } = options;
  const network = poolNetwork(pool, options);
  const message: ExitMessage = {
    epoch: parseUint(options.epoch, "the exit epoch"),
    validatorIndex: parseUint(options.validatorIndex, "the validator index"),
  };
  const share = await loadOperatorShare(options.dataDir, options.sealingSecret, pool.compositePublicKey);
  let signature: Uint8Array;
  try {
    if (serializePoolDefinition(share.pool) !== serializePoolDefinition(pool)) {
      throw new PoolError("invalid-pool", `the pool definition given differs from the one this operator joined (${pool.compositePublicKey}), kept in ${options.dataDir}`);
    }
    signature = SecretKey.fromBytes(share.shareSecret).sign(voluntaryExitSigningRoot(network, message)).toBytes(true);
  } finally {
    share.shareSecret.fill(0);
  }
  const participant = pool.participants.find((p) => p.id === share.participantId);
  if (participant === undefined || !verifyExitSignature(network, message, bytesOfHex(participant.componentPublicKey), signature)) {
    throw new PoolError("verification-failed", `the partial exit of participant ${share.participantId} does not verify against its component key; nothing written`);
  }
  return {
    composite_public_key: pool.compositePublicKey,
    participant_id: share.participantId,
    message: { epoch: String(message.epoch), validator_index: String(message.validatorIndex) },
    signature: hex(signature),
  };
}

export interface PartialExitSource {
  /** Where it came from (a file name), for messages. */
  source: string;
  json: unknown;
}

export interface CombinedExit {
  signedExit: SignedVoluntaryExitJson;
  message: ExitMessage;
  /** The participant ids whose partials were combined. */
  participants: number[];
}

function invalid(source: string, problem: string): PoolError {
  return new PoolError("invalid-partial", `${source}: ${problem}`);
}

interface ParsedPartial {
  source: string;
  id: number;
  message: ExitMessage;
  signature: Uint8Array;
}

function parsePartial(pool: PoolDefinition, { source, json }: PartialExitSource): ParsedPartial {
  if (json === null || typeof json !== "object" || Array.isArray(json)) throw invalid(source, "not a partial exit (a JSON object)");
  const doc = json as Partial<Record<keyof PartialExitJson, unknown>>;
  if (typeof doc.composite_public_key !== "string" || doc.composite_public_key.toLowerCase() !== pool.compositePublicKey) {
    throw invalid(source, `is for composite public key ${String(doc.composite_public_key)}, not this pool's ${pool.compositePublicKey}`);
  }
  const id = doc.participant_id;
  if (typeof id !== "number" || !pool.participants.some((p) => p.id === id)) {
    throw invalid(source, `participant_id ${JSON.stringify(id) ?? String(id)} is not a participant of the pool (ids 1..${pool.participants.length})`);
  }
  const m = doc.message as { epoch?: unknown; validator_index?: unknown } | null | undefined;
  if (m === null || typeof m !== "object") throw invalid(source, "no message {epoch, validator_index}");
  let message: ExitMessage;
  try {
    message = { epoch: parseUint(m.epoch, "message.epoch"), validatorIndex: parseUint(m.validator_index, "message.validator_index") };
  } catch (err) {
    throw invalid(source, (err as Error).message);
  }
  if (typeof doc.signature !== "string" || !/^0x[0-9a-fA-F]{192}$/.test(doc.signature)) throw invalid(source, "signature must be 0x and 192 hex digits");
  return { source, id, message, signature: bytesOfHex(doc.signature) };
}

/** Verifies and combines partial exits (see above). */
export async function combineExitShares(pool: PoolDefinition, partials: readonly PartialExitSource[], choice: NetworkChoice = {}): Promise<CombinedExit> {
  const network: Network = poolNetwork(pool, choice);
  const parsed = partials.map((p) => parsePartial(pool, p));
  if (parsed.length === 0) throw new PoolError("invalid-partial", `no partial exits given; ${pool.threshold} are needed`);
  const first = parsed[0]!;
  const bySource = new Map<number, string>();
  for (const partial of parsed) {
    if (partial.message.epoch !== first.message.epoch || partial.message.validatorIndex !== first.message.validatorIndex) {
      throw invalid(
        partial.source,
        `signs the exit of validator ${partial.message.validatorIndex} at epoch ${partial.message.epoch}, but ${first.source} signs validator ${first.message.validatorIndex} at epoch ${first.message.epoch}: all partials must sign the same message`,
      );
    }
    const earlier = bySource.get(partial.id);
    if (earlier !== undefined) throw invalid(partial.source, `participant ${partial.id} already signed in ${earlier}: each participant counts once`);
    bySource.set(partial.id, partial.source);
  }
  for (const partial of parsed) {
    const participant = pool.participants.find((p) => p.id === partial.id)!;
    if (!verifyExitSignature(network, partial.message, bytesOfHex(participant.componentPublicKey), partial.signature)) {
      throw invalid(
        partial.source,
        `the signature does not verify against participant ${partial.id}'s component key: it is forged, damaged, or made by another participant`,
      );
    }
  }
  if (parsed.length < pool.threshold) {
    throw new PoolError("invalid-partial", `${parsed.length} valid partial exits (participants ${parsed.map((p) => p.id).join(", ")}); the pool's threshold is ${pool.threshold}`);
  }
  await initThreshold();
  const used = parsed.slice(0, pool.threshold);
  let signature: Uint8Array;
  try {
    signature = recoverSignature(
      used.map((p) => ({ id: p.id, signature: p.signature })),
      pool.threshold,
      { participants: pool.participants.length },
    );
  } catch (err) {
    if (err instanceof ThresholdError) throw new PoolError("invalid-partial", err.message, { cause: err });
    throw err;
  }
  if (!verifyExitSignature(network, first.message, bytesOfHex(pool.compositePublicKey), signature)) {
    throw new PoolError("verification-failed", `the combined exit does not verify against ${pool.compositePublicKey}; nothing written`);
  }
  return { signedExit: signedExitJson(first.message, signature), message: first.message, participants: used.map((p) => p.id) };
}
