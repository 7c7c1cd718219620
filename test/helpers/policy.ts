/**
 * The signing policy of the signers in tests that are NOT about the policy: the start guard off
 * (they sign small epochs right after start), the network's real clock (mainnet's genesis for a
 * network without a published one), deposits allowed to TEST_DEPOSIT_CREDENTIALS only. Tests
 * about the policy pass overrides (e.g. `{ startGuardEpoch: 5 }`).
 */
import { genesisData } from "@lodestar/config/networks";
import { chainClockFor } from "../../src/config/chain-clock.js";
import type { Network } from "../../src/config/networks.js";
import type { SigningPolicy } from "../../src/protection/policy.js";
import { bytes, hex } from "../eth/helpers.js";

/** The withdrawal credentials of the DEPOSIT request the signing-type tests sign. */
export const TEST_DEPOSIT_CREDENTIALS = bytes(32, 20);

export function testPolicy(network: Network, overrides: Partial<SigningPolicy> = {}): SigningPolicy {
  let clock;
  try {
    clock = chainClockFor(network);
  } catch {
    clock = chainClockFor(network, String(genesisData.mainnet.genesisTime));
  }
  return {
    clock,
    startGuardEpoch: null,
    genesisForkVersion: hex(network.config.GENESIS_FORK_VERSION),
    depositAllow: [{ kind: "credentials", credentials: hex(TEST_DEPOSIT_CREDENTIALS) }],
    allowedFeeRecipients: null,
    refusedTypes: new Set(),
    ...overrides,
  };
}
