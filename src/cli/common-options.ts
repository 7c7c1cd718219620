import { Option } from "commander";
import { NETWORK_NAMES, type Network, resolveNetwork } from "../config/networks.js";
import { CliError } from "./errors.js";
import { DB_ENV } from "../protection/open-store.js";

export const DEFAULT_DATA_DIR = "bulwark-data";

export function dataDirOption(): Option {
  return new Option("--data-dir <dir>", "data directory holding the slashing-protection database")
    .env("BULWARK_DATA_DIR")
    .default(DEFAULT_DATA_DIR);
}

export function networkOption(): Option {
  return new Option("--network <name>", `network: ${NETWORK_NAMES.join(", ")}, or a consensus config.yaml path`)
    .env("BULWARK_NETWORK")
    .makeOptionMandatory();
}

export function genesisValidatorsRootOption(): Option {
  return new Option(
    "--genesis-validators-root <root>",
    "genesis validators root (required with a config.yaml path or to override a named network)",
  ).env("BULWARK_GENESIS_VALIDATORS_ROOT");
}

export function networkFromOptions(options: { network: string; genesisValidatorsRoot?: string }): Network {
  try {
    return resolveNetwork(options.network, options.genesisValidatorsRoot);
  } catch (err) {
    throw new CliError((err as Error).message);
  }
}

export function dbOption(): Option {
  return new Option(
    "--db <url>",
    "slashing-protection database: sqlite (default, in --data-dir) or a postgres:// URL shared by several signers",
  ).env(DB_ENV);
}
