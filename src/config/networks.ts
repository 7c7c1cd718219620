import { readFileSync } from "node:fs";
import {
  type ChainConfig,
  type ChainForkConfig,
  chainConfigFromJson,
  createChainForkConfig,
} from "@lodestar/config";
import { genesisData, networksChainConfig } from "@lodestar/config/networks";
import { minimalChainConfig } from "@lodestar/config/configs";
import { ACTIVE_PRESET, PresetName } from "@lodestar/params";
import { parse as parseYaml } from "yaml";
import { codedError } from "../errors/bulwark-error.js";

/** A network Bulwark can sign for: its fork schedule and the root that identifies its chain. */
export interface Network {
  name: string;
  config: ChainForkConfig;
  /** 0x-prefixed lowercase hex, 32 bytes. */
  genesisValidatorsRoot: string;
}

export class NetworkError extends codedError("network-config") {
  override name = "NetworkError";
}

const ZERO_ROOT = "0x" + "00".repeat(32);

/**
 * Holesky was dropped from @lodestar/config; its published chain parameters
 * (fork versions and epochs) are enough for signing.
 */
const holeskyChainConfig: Partial<ChainConfig> = {
  CONFIG_NAME: "holesky",
  PRESET_BASE: PresetName.mainnet,
  DEPOSIT_CHAIN_ID: 17000,
  DEPOSIT_NETWORK_ID: 17000,
  MIN_GENESIS_TIME: 1695902100,
  GENESIS_DELAY: 300,
  GENESIS_FORK_VERSION: hexBytes("0x01017000"),
  ALTAIR_FORK_VERSION: hexBytes("0x02017000"),
  ALTAIR_FORK_EPOCH: 0,
  BELLATRIX_FORK_VERSION: hexBytes("0x03017000"),
  BELLATRIX_FORK_EPOCH: 0,
  CAPELLA_FORK_VERSION: hexBytes("0x04017000"),
  CAPELLA_FORK_EPOCH: 256,
  DENEB_FORK_VERSION: hexBytes("0x05017000"),
  DENEB_FORK_EPOCH: 29696,
  ELECTRA_FORK_VERSION: hexBytes("0x06017000"),
  ELECTRA_FORK_EPOCH: 115968,
  FULU_FORK_VERSION: hexBytes("0x07017000"),
  FULU_FORK_EPOCH: 165120,
};
const HOLESKY_GENESIS_VALIDATORS_ROOT =
  "0x9143aa7c615a7f7115e2b6aac319c03529df8242ae705fba9df39b79c59fa8b1";

export const NETWORK_NAMES = [
  "mainnet",
  "sepolia",
  "holesky",
  "hoodi",
  "gnosis",
  "chiado",
  "minimal",
] as const;
export type NetworkName = (typeof NETWORK_NAMES)[number];

function hexBytes(hex: string): Uint8Array {
  return Uint8Array.from(Buffer.from(hex.slice(2), "hex"));
}

export function isGenesisValidatorsRoot(value: string): boolean {
  return /^0x[0-9a-fA-F]{64}$/.test(value);
}

/**
 * Resolves a network by name (mainnet, sepolia, holesky, hoodi, gnosis, chiado, minimal) or by the
 * path of a consensus-spec `config.yaml`. A custom config or the minimal preset has no well-known
 * genesis validators root, so one must be given.
 */
export function resolveNetwork(nameOrPath: string, genesisValidatorsRoot?: string): Network {
  if (genesisValidatorsRoot !== undefined && !isGenesisValidatorsRoot(genesisValidatorsRoot)) {
    throw new NetworkError(
      `genesis validators root must be 0x followed by 64 hex digits, got "${genesisValidatorsRoot}"`,
    );
  }
  const override = genesisValidatorsRoot?.toLowerCase();
  switch (nameOrPath) {
    case "mainnet":
    case "sepolia":
    case "hoodi":
    case "gnosis":
    case "chiado":
      return {
        name: nameOrPath,
        config: forkConfigFor(nameOrPath, networksChainConfig[nameOrPath]),
        genesisValidatorsRoot: override ?? genesisData[nameOrPath].genesisValidatorsRoot,
      };
    case "holesky":
      return {
        name: "holesky",
        config: forkConfigFor("holesky", holeskyChainConfig),
        genesisValidatorsRoot: override ?? HOLESKY_GENESIS_VALIDATORS_ROOT,
      };
    case "minimal":
      return {
        name: "minimal",
        config: forkConfigFor("minimal", minimalChainConfig),
        genesisValidatorsRoot: override ?? ZERO_ROOT,
      };
  }
  if (!nameOrPath.endsWith(".yaml") && !nameOrPath.endsWith(".yml")) {
    throw new NetworkError(
      `unknown network "${nameOrPath}": use one of ${NETWORK_NAMES.join(", ")} or the path of a consensus config.yaml`,
    );
  }
  return loadConfigFile(nameOrPath, override);
}

function loadConfigFile(path: string, genesisValidatorsRoot: string | undefined): Network {
  if (genesisValidatorsRoot === undefined) {
    throw new NetworkError(
      `network config ${path} has no well-known genesis validators root: pass --genesis-validators-root`,
    );
  }
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new NetworkError(`cannot read network config ${path}: ${(err as Error).message}`);
  }
  let json: Record<string, unknown>;
  try {
    // Consensus configs hold hex strings and large integers that YAML would coerce; keep strings.
    json = parseYaml(text, { schema: "failsafe" }) as Record<string, unknown>;
  } catch (err) {
    throw new NetworkError(`network config ${path} is not valid YAML: ${(err as Error).message}`);
  }
  if (json === null || typeof json !== "object") {
    throw new NetworkError(`network config ${path} is not a YAML mapping`);
  }
  let chainConfig: ChainConfig;
  try {
    chainConfig = chainConfigFromJson(json);
  } catch (err) {
    throw new NetworkError(`network config ${path} is invalid: ${(err as Error).message}`);
  }
  const name = typeof json.CONFIG_NAME === "string" ? json.CONFIG_NAME : path;
  return { name, config: forkConfigFor(path, withSlotDuration(chainConfig, path)), genesisValidatorsRoot };
}

/**
 * The slot duration is SLOT_DURATION_MS when the file has it, else SECONDS_PER_SLOT; both are set
 * to agree, since lodestar would otherwise fill the missing one from the preset's defaults (a file
 * with SECONDS_PER_SLOT: 1 would get the preset's SLOT_DURATION_MS). Two values that disagree are
 * refused: the signer's clock (time horizon, start guard) depends on it.
 */
function withSlotDuration(chainConfig: ChainConfig, path: string): ChainConfig {
  const ms = (chainConfig as Partial<ChainConfig>).SLOT_DURATION_MS;
  const seconds = (chainConfig as Partial<ChainConfig>).SECONDS_PER_SLOT;
  if (ms !== undefined && seconds !== undefined && ms !== seconds * 1000) {
    throw new NetworkError(`network config ${path}: SLOT_DURATION_MS ${ms} and SECONDS_PER_SLOT ${seconds} disagree; keep one`);
  }
  const slotMs = ms ?? (seconds !== undefined ? seconds * 1000 : undefined);
  if (slotMs === undefined) return chainConfig;
  if (!Number.isSafeInteger(slotMs) || slotMs <= 0) throw new NetworkError(`network config ${path}: the slot duration must be a positive number of milliseconds, got ${slotMs}`);
  return { ...chainConfig, SLOT_DURATION_MS: slotMs, SECONDS_PER_SLOT: slotMs / 1000 };
}

/** Lodestar serves one preset per process (LODESTAR_PRESET, read at start-up); say so plainly. */
function forkConfigFor(name: string, chainConfig: Partial<ChainConfig>): ChainForkConfig {
  try {
    return createChainForkConfig(chainConfig);
  } catch (err) {
    throw new NetworkError(
      `network ${name} needs the ${String(chainConfig.PRESET_BASE)} preset, but this process runs the ${ACTIVE_PRESET} preset; start bulwark with LODESTAR_PRESET=${String(chainConfig.PRESET_BASE)} (${(err as Error).message})`,
    );
  }
}
