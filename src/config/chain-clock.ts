/**
 * The clock of the network a signer serves, for the signing policy's time horizon and start guard:
 * genesis time (the published one of a named network, or --genesis-time) and slot length
 * (SLOT_DURATION_MS, which src/config/networks.ts reconciles with SECONDS_PER_SLOT).
 */
import type { ChainClock } from "../protection/policy.js";
import { slotsPerEpoch } from "../eth/preset.js";
import { genesisTimeOf } from "../pool/pool-network.js";
import { NetworkError, type Network } from "./networks.js";

/** Parses --genesis-time: Unix seconds, a non-negative integer. */
export function parseGenesisTime(text: string): number {
  const value = text.trim();
  if (!/^[0-9]{1,15}$/.test(value)) throw new NetworkError(`--genesis-time ${JSON.stringify(text)}: expected Unix seconds (a non-negative integer)`);
  return Number(value);
}

/**
 * The clock of `network`. A named network uses its published genesis time unless --genesis-time
 * is given; a config.yaml network, the minimal preset and a named network with another genesis
 * validators root have none and need --genesis-time.
 */
export function chainClockFor(network: Network, genesisTime?: string): ChainClock {
  const seconds = genesisTime !== undefined ? parseGenesisTime(genesisTime) : genesisTimeOf(network);
  if (seconds === undefined) {
    throw new NetworkError(
      `network ${network.name} has no well-known genesis time: pass --genesis-time UNIX_SECONDS (the signer refuses blocks and attestations too far ahead of the chain's clock, and needs it)`,
    );
  }
  const slotDurationMs = (network.config as { SLOT_DURATION_MS?: number }).SLOT_DURATION_MS ?? network.config.SECONDS_PER_SLOT * 1000;
  if (!Number.isSafeInteger(slotDurationMs) || slotDurationMs <= 0) throw new NetworkError(`network ${network.name}: invalid slot duration ${slotDurationMs} ms`);
  return { genesisTimeMs: seconds * 1000, slotDurationMs, slotsPerEpoch: slotsPerEpoch(network) };
}
