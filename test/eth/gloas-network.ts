/**
 * Test-only: a devnet that schedules Gloas, as an operator would configure it, a consensus
 * config.yaml (no public network schedules Gloas yet). The signer under test reads the file through
 * resolveNetwork; expected values come from `lodestar`, built from the same chain config by
 * lodestar alone (not src/config).
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { type ChainConfig, chainConfigToJson, createChainForkConfig } from "@lodestar/config";
import { mainnetChainConfig } from "@lodestar/config/configs";
import { SLOTS_PER_EPOCH } from "@lodestar/params";
import { stringify as toYaml } from "yaml";
import type { Network } from "../../src/config/networks.js";
import { tempDir } from "../helpers/temp.js";
import { bytes, hex } from "./helpers.js";

/** Fork epochs of the devnet (mainnet preset). */
export const DEVNET_EPOCHS = {
  ALTAIR: 1,
  BELLATRIX: 2,
  CAPELLA: 3,
  DENEB: 4,
  ELECTRA: 5,
  FULU: 6,
  GLOAS: 8,
} as const;

export type DevnetFork = keyof typeof DEVNET_EPOCHS | "PHASE0";

/** The first slot of a fork on the devnet. */
export function devnetSlot(fork: DevnetFork, offset = 0): number {
  return (fork === "PHASE0" ? 0 : DEVNET_EPOCHS[fork] * SLOTS_PER_EPOCH) + offset;
}

export const DEVNET_GVR = hex(bytes(32, 88));

const chainConfig: ChainConfig = {
  ...mainnetChainConfig,
  CONFIG_NAME: "gloas-devnet",
  ...Object.fromEntries(Object.entries(DEVNET_EPOCHS).map(([fork, epoch]) => [`${fork}_FORK_EPOCH`, epoch])),
};

/** The devnet as lodestar itself builds it, for expected values. */
export const LODESTAR_DEVNET: Network = {
  name: "gloas-devnet",
  config: createChainForkConfig(chainConfig),
  genesisValidatorsRoot: DEVNET_GVR,
};

/** Writes the devnet's config.yaml into a fresh directory; `cleanup` removes it. */
export function writeDevnetConfig(): { path: string; cleanup: () => void } {
  const dir = tempDir("bulwark-gloas-devnet-");
  const path = join(dir.path, "config.yaml");
  writeFileSync(path, toYaml(chainConfigToJson(chainConfig)));
  return { path, cleanup: dir.cleanup };
}
