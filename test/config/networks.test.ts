import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { chainConfigToJson } from "@lodestar/config";
import { genesisData, networksChainConfig } from "@lodestar/config/networks";
import { stringify as toYaml } from "yaml";
import { NetworkError, resolveNetwork } from "../../src/config/networks.js";
import { presetForArgs } from "../../src/config/preset.js";
import { tempDir } from "../helpers/temp.js";

test("named mainnet-preset networks resolve with their own genesis validators root and fork schedule", () => {
  for (const name of ["mainnet", "sepolia", "hoodi"] as const) {
    const network = resolveNetwork(name);
    assert.equal(network.genesisValidatorsRoot, genesisData[name].genesisValidatorsRoot);
    assert.deepEqual(network.config.GENESIS_FORK_VERSION, networksChainConfig[name].GENESIS_FORK_VERSION);
  }
  // Holesky is no longer in @lodestar/config: its published genesis root and versions are ours.
  const holesky = resolveNetwork("holesky");
  assert.equal(holesky.genesisValidatorsRoot, "0x9143aa7c615a7f7115e2b6aac319c03529df8242ae705fba9df39b79c59fa8b1");
  assert.equal(Buffer.from(holesky.config.GENESIS_FORK_VERSION).toString("hex"), "01017000");
});

test("gnosis-preset networks say which preset they need instead of failing obscurely", () => {
  for (const name of ["gnosis", "chiado"]) {
    assert.throws(() => resolveNetwork(name), (err: Error) => err instanceof NetworkError && /LODESTAR_PRESET=gnosis/.test(err.message));
  }
  assert.equal(presetForArgs(["serve", "--network", "chiado"], {}), "gnosis");
  assert.equal(presetForArgs(["serve", "--network=minimal"], {}), "minimal");
  assert.equal(presetForArgs(["serve"], { BULWARK_NETWORK: "gnosis" }), "gnosis");
  assert.equal(presetForArgs(["serve", "--network", "mainnet"], {}), undefined);
  const dir = tempDir();
  try {
    const pool = join(dir.path, "pool.json");
    writeFileSync(pool, JSON.stringify({ format: "bulwark-pool", network: "chiado" }));
    assert.equal(presetForArgs(["pool", "join", "--pool", pool], {}), "gnosis");
  } finally {
    dir.cleanup();
  }
});

test("a consensus config.yaml path with a genesis validators root gives that network", () => {
  const dir = tempDir();
  try {
    const config = { ...chainConfigToJson(networksChainConfig.hoodi), CONFIG_NAME: "my-devnet" };
    const path = join(dir.path, "config.yaml");
    writeFileSync(path, toYaml(config));
    const gvr = "0x" + "5a".repeat(32);
    const network = resolveNetwork(path, gvr);
    assert.equal(network.name, "my-devnet");
    assert.equal(network.genesisValidatorsRoot, gvr);
    assert.deepEqual(network.config.ELECTRA_FORK_VERSION, networksChainConfig.hoodi.ELECTRA_FORK_VERSION);
    assert.equal(network.config.ELECTRA_FORK_EPOCH, networksChainConfig.hoodi.ELECTRA_FORK_EPOCH);
    assert.throws(() => resolveNetwork(path), /pass --genesis-validators-root/);
    assert.throws(() => resolveNetwork(join(dir.path, "missing.yaml"), gvr), /cannot read network config/);
    assert.throws(() => resolveNetwork("nosuchnet"), /unknown network "nosuchnet"/);
    assert.throws(() => resolveNetwork("mainnet", "0x12"), /64 hex digits/);
  } finally {
    dir.cleanup();
  }
});
