import { ssz } from "@lodestar/types";
import type { Network } from "../config/networks.js";
import { bytesEqual } from "../util/hex.js";
import type { ForkInfo } from "./types.js";

export const ZERO_ROOT = new Uint8Array(32);

/**
 * A domain depends only on its three inputs, of which a signer sees a handful of combinations
 * (domain types × scheduled forks × one chain); hashing them again for every request is waste.
 */
const domainCache = new Map<string, Uint8Array>();
const DOMAIN_CACHE_LIMIT = 1024;

/** Consensus spec `compute_domain`. */
export function computeDomain(
  domainType: Uint8Array,
  forkVersion: Uint8Array,
  genesisValidatorsRoot: Uint8Array,
): Uint8Array {
  const key = Buffer.concat([domainType, forkVersion, genesisValidatorsRoot]).toString("hex");
  const cached = domainCache.get(key);
  if (cached !== undefined) return cached.slice();
  const domain = computeDomainUncached(domainType, forkVersion, genesisValidatorsRoot);
  if (domainCache.size >= DOMAIN_CACHE_LIMIT) domainCache.clear();
  domainCache.set(key, domain.slice());
  return domain;
}

function computeDomainUncached(
  domainType: Uint8Array,
  forkVersion: Uint8Array,
  genesisValidatorsRoot: Uint8Array,
): Uint8Array {
  const forkDataRoot = ssz.phase0.ForkData.hashTreeRoot({
    currentVersion: forkVersion,
    genesisValidatorsRoot,
  });
  const domain = new Uint8Array(32);
  domain.set(domainType, 0);
  domain.set(forkDataRoot.subarray(0, 28), 4);
  return domain;
}

/** Consensus spec `compute_signing_root`, given the object's hash tree root. */
export function signingRootOf(objectRoot: Uint8Array, domain: Uint8Array): Uint8Array {
  return ssz.phase0.SigningData.hashTreeRoot({ objectRoot, domain });
}

/** The fork version the network's schedule has at `epoch`. */
export function networkForkVersionAt(network: Network, epoch: number): Uint8Array {
  return network.config.getForkInfoAtEpoch(epoch).version;
}

/** Whether `version` is the version of a fork the network has scheduled (genesis included). */
export function isScheduledForkVersion(network: Network, version: Uint8Array): boolean {
  return network.config.forksAscendingEpochOrder.some((fork) => Number.isFinite(fork.epoch) && bytesEqual(fork.version, version));
}

/** The version `get_domain` picks from a state's fork for a message of the given epoch. */
export function forkVersionAt(fork: ForkInfo["fork"], epoch: number): Uint8Array {
  return epoch < fork.epoch ? fork.previousVersion : fork.currentVersion;
}
