/**
 * The VoluntaryExit a pool signs, its signing root, and its beacon-API JSON.
 *
 * Domain (EIP-7044): on a network that schedules Deneb, exits are signed and verified over
 * CAPELLA_FORK_VERSION whatever their epoch, so a pre-signed exit stays valid forever. The version is
 * the one src/eth picks for a VOLUNTARY_EXIT signing request whose client state is at the network's
 * latest scheduled fork; on a network without Deneb it is the version scheduled at the exit's epoch.
 */
import { PublicKey, Signature, verify } from "@chainsafe/blst";
import { DOMAIN_VOLUNTARY_EXIT } from "@lodestar/params";
import { ssz, type phase0 } from "@lodestar/types";
import type { Network } from "../../config/networks.js";
import { computeDomain, signingRootOf } from "../../eth/domain.js";
import { voluntaryExitForkVersion } from "../../eth/exit-fork.js";
import type { ForkInfo } from "../../eth/types.js";
import { PoolError } from "../errors.js";
import { bytesOfHex } from "../../util/hex.js";

export interface ExitMessage {
  epoch: number;
  validatorIndex: number;
}

/** The beacon-API JSON of a SignedVoluntaryExit (what POST /eth/v1/beacon/pool/voluntary_exits takes). */
export interface SignedVoluntaryExitJson {
  message: { epoch: string; validator_index: string };
  signature: string;
}

/** The fork info of a beacon state at the network's latest scheduled fork. */
function latestForkInfo(network: Network): ForkInfo {
  const scheduled = network.config.forksAscendingEpochOrder.filter((fork) => Number.isFinite(fork.epoch));
  const latest = scheduled[scheduled.length - 1]!;
  return {
    fork: { previousVersion: latest.prevVersion, currentVersion: latest.version, epoch: latest.epoch },
    genesisValidatorsRoot: bytesOfHex(network.genesisValidatorsRoot),
  };
}

/** compute_domain(DOMAIN_VOLUNTARY_EXIT, <EIP-7044 fork version>, genesis_validators_root). */
export function voluntaryExitDomain(network: Network, epoch: number): Uint8Array {
  const forkInfo = latestForkInfo(network);
  const version = voluntaryExitForkVersion(network, forkInfo, epoch);
  return computeDomain(DOMAIN_VOLUNTARY_EXIT, version, forkInfo.genesisValidatorsRoot);
}

export function voluntaryExitSigningRoot(network: Network, message: ExitMessage): Uint8Array {
  const exit: phase0.VoluntaryExit = { epoch: message.epoch, validatorIndex: message.validatorIndex };
  return signingRootOf(ssz.phase0.VoluntaryExit.hashTreeRoot(exit), voluntaryExitDomain(network, message.epoch));
}

/** Whether `signature` (96 bytes) is a valid signature of the exit by `publicKey` (48 bytes). */
export function verifyExitSignature(network: Network, message: ExitMessage, publicKey: Uint8Array, signature: Uint8Array): boolean {
  let pk: PublicKey;
  let sig: Signature;
  try {
    pk = PublicKey.fromBytes(publicKey, true);
    sig = Signature.fromBytes(signature, true, true);
  } catch {
    return false;
  }
  return verify(voluntaryExitSigningRoot(network, message), pk, sig, true, true);
}

export function signedExitJson(message: ExitMessage, signature: Uint8Array): SignedVoluntaryExitJson {
  const signed: phase0.SignedVoluntaryExit = { message: { epoch: message.epoch, validatorIndex: message.validatorIndex }, signature };
  return ssz.phase0.SignedVoluntaryExit.toJson(signed) as unknown as SignedVoluntaryExitJson;
}

/** Parses beacon-API SignedVoluntaryExit JSON strictly (decimal strings, 96-byte hex signature). */
export function parseSignedExitJson(json: unknown, source: string): { message: ExitMessage; signature: Uint8Array } {
  const doc = json as Partial<SignedVoluntaryExitJson> | null;
  if (doc === null || typeof doc !== "object" || doc.message === null || typeof doc.message !== "object") {
    throw new PoolError("no-exit", `${source}: not a SignedVoluntaryExit ({message: {epoch, validator_index}, signature})`);
  }
  const message = {
    epoch: parseUint(doc.message.epoch, `${source}: message.epoch`),
    validatorIndex: parseUint(doc.message.validator_index, `${source}: message.validator_index`),
  };
  if (typeof doc.signature !== "string" || !/^0x[0-9a-fA-F]{192}$/.test(doc.signature)) {
    throw new PoolError("no-exit", `${source}: signature must be 0x and 192 hex digits`);
  }
  return { message, signature: bytesOfHex(doc.signature) };
}

/** A uint64 field in beacon-API form (a decimal string; a number is taken too) within 2^53. */
export function parseUint(value: unknown, what: string): number {
  const text = typeof value === "number" ? String(value) : value;
  if (typeof text !== "string" || !/^(0|[1-9][0-9]*)$/.test(text) || !Number.isSafeInteger(Number(text))) {
    throw new PoolError("invalid-parameters", `${what} must be a non-negative integer, got ${JSON.stringify(value) ?? String(value)}`);
  }
  return Number(text);
}
