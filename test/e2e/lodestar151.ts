/**
 * Loads the @lodestar/* 1.5.1 packages exactly as @lodestar/validator 1.5.1 itself resolves them
 * (its own node_modules first, then the hoisted copy), so the test builds the config, the SSZ
 * values and the signing roots with the same code the 1.5.1 validator client runs. Bulwark's own
 * @lodestar/* (much newer) copies are never used here.
 */
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";

export const LODESTAR_VERSION = "1.5.1";

/* The 1.5.1 packages are loaded by path, so their types are described here as far as used. */
export interface Lodestar151 {
  validator: {
    externalSignerPostSignature(
      config: unknown,
      url: string,
      pubkeyHex: string,
      signingRoot: Uint8Array,
      signingSlot: number,
      message: { type: string; data: unknown },
    ): Promise<string>;
    externalSignerGetKeys(url: string): Promise<string[]>;
    externalSignerUpCheck(url: string): Promise<boolean>;
    SignableMessageType: Record<string, string>;
  };
  config: { createIBeaconConfig(chainConfig: unknown, genesisValidatorsRoot: Uint8Array): any };
  networks: { mainnetChainConfig: any; genesisData: Record<string, { genesisValidatorsRoot: string; genesisTime: number }> };
  params: Record<string, any>;
  types: { ssz: any };
  stateTransition: {
    computeSigningRoot(type: unknown, value: unknown, domain: Uint8Array): Uint8Array;
    computeDomain(domainType: Uint8Array, forkVersion: Uint8Array, genesisValidatorsRoot: Uint8Array): Uint8Array;
    computeEpochAtSlot(slot: number): number;
    computeStartSlotAtEpoch(epoch: number): number;
    blindedOrFullBlockHashTreeRoot(config: unknown, block: unknown): Uint8Array;
    ZERO_HASH: Uint8Array;
  };
  /** Where each package was found, with its version: for messages. */
  locations: Record<string, string>;
}

/** The directory of `@lodestar/<name>` as seen from `fromDir` (a package directory), by Node's walk up node_modules. */
function packageDirFrom(fromDir: URL, name: string): URL {
  let dir = new URL("./", fromDir);
  for (;;) {
    const candidate = new URL(`node_modules/@lodestar/${name}/`, dir);
    if (existsSync(new URL("package.json", candidate))) return candidate;
    const parent = new URL("../", dir);
    if (parent.href === dir.href) throw new Error(`@lodestar/${name} not found from ${fileURLToPath(fromDir)}`);
    dir = parent;
  }
}

function versionOf(dir: URL): string {
  return (JSON.parse(readFileSync(new URL("package.json", dir), "utf8")) as { version: string }).version;
}

export async function loadLodestar151(): Promise<Lodestar151> {
  const validatorEntry = new URL(import.meta.resolve("@lodestar/validator"));
  const validatorDir = new URL("../", validatorEntry); // .../@lodestar/validator/
  const locations: Record<string, string> = {};
  const dirOf = (name: string): URL => {
    const dir = name === "validator" ? validatorDir : packageDirFrom(validatorDir, name);
    const version = versionOf(dir);
    locations[name] = `${fileURLToPath(dir)} (${version})`;
    if (version !== LODESTAR_VERSION) {
      throw new Error(`@lodestar/${name} as resolved by @lodestar/validator is ${version}, expected ${LODESTAR_VERSION} (${fileURLToPath(dir)}); check the npm overrides`);
    }
    return dir;
  };
  const load = async (name: string, file = "lib/index.js"): Promise<any> => import(pathToFileURL(fileURLToPath(new URL(file, dirOf(name)))).href);
  return {
    validator: await load("validator"),
    config: await load("config"),
    networks: await load("config", "lib/networks.js"),
    params: await load("params"),
    types: await load("types"),
    stateTransition: await load("state-transition"),
    locations,
  };
}
