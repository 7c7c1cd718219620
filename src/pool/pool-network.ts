/**
 * The network a pool belongs to, and its clock. A pool definition names its network and carries its
 * genesis validators root; every party resolves the name itself (or takes an explicit network, e.g.
 * a config.yaml) and refuses a pool whose root is not that network's: a share or a signature for
 * another chain is never produced.
 */
import { genesisData } from "@lodestar/config/networks";
import { NetworkError, resolveNetwork, type Network } from "../config/networks.js";
import { slotsPerEpoch } from "../eth/preset.js";
import type { PoolDefinition } from "./definition.js";
import { PoolError } from "./errors.js";

export interface NetworkChoice {
  /** A network name or config.yaml path to use instead of the pool's `network` field. */
  network?: string;
  /** Overrides the chosen network's genesis validators root (needed with a config.yaml). */
  genesisValidatorsRoot?: string;
}

/** Resolves the pool's network and checks that its genesis validators root is the pool's. */
export function poolNetwork(pool: PoolDefinition, choice: NetworkChoice = {}): Network {
  let network: Network;
  try {
    network = resolveNetwork(choice.network ?? pool.network, choice.genesisValidatorsRoot);
  } catch (err) {
    if (err instanceof NetworkError) {
      throw new PoolError("unknown-network", `pool ${pool.compositePublicKey} is on network "${pool.network}": ${err.message}`, { cause: err });
    }
    throw err;
  }
  if (network.genesisValidatorsRoot.toLowerCase() !== pool.genesisValidatorsRoot.toLowerCase()) {
    throw new PoolError(
      "unknown-network",
      `pool ${pool.compositePublicKey} has genesis validators root ${pool.genesisValidatorsRoot}, but network ${network.name} has ${network.genesisValidatorsRoot}: this pool is for another chain`,
    );
  }
  return network;
}

/** Published genesis times (unix seconds) of the named networks; undefined for others. */
export function genesisTimeOf(network: Network): number | undefined {
  if (network.name === "holesky") return 1695902400;
  const known = (genesisData as Record<string, { genesisTime: number; genesisValidatorsRoot: string } | undefined>)[network.name];
  if (known === undefined || known.genesisValidatorsRoot.toLowerCase() !== network.genesisValidatorsRoot.toLowerCase()) return undefined;
  return known.genesisTime;
}

/**
 * The network's current epoch by the wall clock, or undefined when its genesis time is unknown
 * (a config.yaml, minimal) or still ahead.
 */
export function currentEpochOf(network: Network, nowMs: number = Date.now()): number | undefined {
  const genesis = genesisTimeOf(network);
  if (genesis === undefined) return undefined;
  const config = network.config as { SLOT_DURATION_MS?: number; SECONDS_PER_SLOT: number };
  const slotMs = config.SLOT_DURATION_MS ?? config.SECONDS_PER_SLOT * 1000;
  const elapsed = nowMs - genesis * 1000;
  if (elapsed < 0) return undefined;
  return Math.floor(elapsed / slotMs / slotsPerEpoch(network));
}
