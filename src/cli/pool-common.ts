/**
 * What the `bulwark pool …` subcommands share: the sealing-secret option, the pool-file options, the
 * argument parsers, and the one-line CLI errors for the refusals a user can act on.
 */
import { readFileSync } from "node:fs";
import { Option } from "commander";
import { readPoolDefinitionFile } from "../pool/storage/pool-files.js";
import type { PoolDefinition } from "../pool/definition.js";
import { PoolError } from "../pool/errors.js";
import type { NetworkChoice } from "../pool/pool-network.js";
import { writeFileDurably } from "../util/durable-file.js";
import { readSealingSecret, SEALING_ENV, SealedStoreError } from "../keys/sealed-store.js";
import { CliError } from "./errors.js";

export interface SealingOptions {
  dataDir: string;
  sealingPassphraseFile?: string;
}

export interface PoolFileOptions extends NetworkChoice {
  pool: string;
}

export function sealingOption(): Option {
  return new Option("--sealing-passphrase-file <file>", `passphrase that seals this party's pool secrets (or set ${SEALING_ENV})`).env(
    "BULWARK_SEALING_PASSPHRASE_FILE",
  );
}

/** An optional network override for commands that read the network from pool.json. */
export function networkOverrideOption(): Option {
  return new Option("--network <name>", "network (default: the pool definition's); a config.yaml path needs --genesis-validators-root");
}

export function sealingSecret(options: SealingOptions): Buffer {
  try {
    return readSealingSecret(options.sealingPassphraseFile !== undefined ? { passphraseFile: options.sealingPassphraseFile } : {});
  } catch (err) {
    throw new CliError((err as Error).message);
  }
}

/** Runs an action, turning the refusals a user can act on into one-line CLI errors. */
export function run<A extends unknown[]>(action: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await action(...args);
    } catch (err) {
      if (err instanceof PoolError || err instanceof SealedStoreError) throw new CliError(err.message);
      throw err;
    }
  };
}

export function integer(name: string): (value: string) => number {
  return (value: string) => {
    if (!/^(0|[1-9][0-9]*)$/.test(value) || !Number.isSafeInteger(Number(value))) throw new CliError(`${name} must be a non-negative integer, got "${value}"`);
    return Number(value);
  };
}

export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** Repeatable URL flag; the environment variable may hold several, comma-separated. */
export function collectUrls(value: string, previous: string[]): string[] {
  return [...previous, ...value.split(",").map((url) => url.trim()).filter(Boolean)];
}

export function choiceOf(options: NetworkChoice): NetworkChoice {
  return {
    ...(options.network !== undefined ? { network: options.network } : {}),
    ...(options.genesisValidatorsRoot !== undefined ? { genesisValidatorsRoot: options.genesisValidatorsRoot } : {}),
  };
}

export function readPool(options: PoolFileOptions): PoolDefinition {
  return readPoolDefinitionFile(options.pool);
}

export function readJsonFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new CliError(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new CliError(`${path} is not valid JSON: ${(err as Error).message}`);
  }
}

export function writeNewFile(path: string, text: string, mode: number): void {
  try {
    writeFileDurably(path, text, { mode, exclusive: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST") throw new CliError(`${path} already exists; choose a new file`);
    throw err;
  }
}

export const say = (line: string) => process.stderr.write(`${line}\n`);
