// The signer's clock per network: published genesis times, --genesis-time, and the slot duration of
// a config.yaml (SLOT_DURATION_MS, else SECONDS_PER_SLOT; conflicting values refused).
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { genesisData } from "@lodestar/config/networks";
import { chainClockFor, parseGenesisTime } from "../../src/config/chain-clock.js";
import { NetworkError, resolveNetwork } from "../../src/config/networks.js";
import { tempDir } from "../helpers/temp.js";

const GVR = "0x" + "5a".repeat(32);

test("named networks: their published genesis time, 12 s slots, 32 slots per epoch", () => {
  for (const name of ["mainnet", "sepolia", "hoodi"] as const) {
    assert.deepEqual(chainClockFor(resolveNetwork(name)), { genesisTimeMs: genesisData[name].genesisTime * 1000, slotDurationMs: 12_000, slotsPerEpoch: 32 });
  }
  assert.equal(chainClockFor(resolveNetwork("holesky")).genesisTimeMs, 1_695_902_400_000);
  // --genesis-time overrides.
  assert.equal(chainClockFor(resolveNetwork("mainnet"), "1700000000").genesisTimeMs, 1_700_000_000_000);
});

test("a named network with another genesis validators root has no known genesis time", () => {
  assert.throws(() => chainClockFor(resolveNetwork("mainnet", GVR)), (err: Error) => err instanceof NetworkError && /--genesis-time/.test(err.message));
});

test("--genesis-time must be Unix seconds", () => {
  assert.equal(parseGenesisTime(" 0 "), 0);
  for (const bad of ["-1", "1.5", "abc", "", "1e9", "0x10"]) assert.throws(() => parseGenesisTime(bad), NetworkError, bad);
});

test("config.yaml: needs --genesis-time; slot duration from SLOT_DURATION_MS, else SECONDS_PER_SLOT; conflicting values refused", () => {
  const dir = tempDir();
  try {
    const write = (name: string, text: string) => {
      const path = join(dir.path, name);
      writeFileSync(path, `PRESET_BASE: mainnet\nCONFIG_NAME: devnet\nGENESIS_FORK_VERSION: 0x00000099\n${text}`);
      return path;
    };
    const seconds = resolveNetwork(write("seconds.yaml", "SECONDS_PER_SLOT: 1\n"), GVR);
    assert.throws(() => chainClockFor(seconds), (err: Error) => err instanceof NetworkError && /no well-known genesis time: pass --genesis-time/.test(err.message));
    assert.deepEqual(chainClockFor(seconds, "1000"), { genesisTimeMs: 1_000_000, slotDurationMs: 1000, slotsPerEpoch: 32 });
    assert.equal(seconds.config.SECONDS_PER_SLOT, 1, "both fields agree after loading");

    const ms = resolveNetwork(write("ms.yaml", "SLOT_DURATION_MS: 2500\n"), GVR);
    assert.equal(chainClockFor(ms, "0").slotDurationMs, 2500);
    const both = resolveNetwork(write("both.yaml", "SECONDS_PER_SLOT: 4\nSLOT_DURATION_MS: 4000\n"), GVR);
    assert.equal(chainClockFor(both, "0").slotDurationMs, 4000);
    assert.throws(
      () => resolveNetwork(write("conflict.yaml", "SECONDS_PER_SLOT: 4\nSLOT_DURATION_MS: 6000\n"), GVR),
      (err: Error) => err instanceof NetworkError && /SLOT_DURATION_MS 6000 and SECONDS_PER_SLOT 4 disagree/.test(err.message),
    );
    // Neither: the preset's own (mainnet 12 s).
    assert.equal(chainClockFor(resolveNetwork(write("none.yaml", ""), GVR), "0").slotDurationMs, 12_000);
  } finally {
    dir.cleanup();
  }
});
