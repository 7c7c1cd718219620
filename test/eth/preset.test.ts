// Presets: SLOTS_PER_EPOCH comes from the network; preset-shaped SSZ types are refused when the
// process was started with another preset; under LODESTAR_PRESET=minimal everything computes.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, test } from "node:test";
import { DOMAIN_SELECTION_PROOF, ForkName, PresetName } from "@lodestar/params";
import { ssz } from "@lodestar/types";
import { type Network, resolveNetwork } from "../../src/config/networks.js";
import {
  computeSigningRoot,
  parseSigningRequest,
  PresetMismatchError,
  slotsPerEpoch,
} from "../../src/eth/index.js";
import { beaconConfig, defaultJson, forkInfoJson, hex, specSigningRoot } from "./helpers.js";

const mainnet = resolveNetwork("mainnet");

/** A mainnet fork schedule claiming another preset, as lodestar itself would never build. */
function withPreset(preset: PresetName): Network {
  return { ...mainnet, name: `mainnet-as-${preset}`, config: { ...mainnet.config, PRESET_BASE: preset } };
}

describe("preset handling in a mainnet-preset process", () => {
  test("SLOTS_PER_EPOCH follows the network's preset", () => {
    assert.equal(slotsPerEpoch(mainnet), 32);
    assert.equal(slotsPerEpoch(withPreset(PresetName.minimal)), 8);
    assert.equal(slotsPerEpoch(withPreset(PresetName.gnosis)), 16);
  });

  test("slot-to-epoch uses the network's SLOTS_PER_EPOCH", () => {
    const minimalish = withPreset(PresetName.minimal);
    const altairStart = mainnet.config.forks.altair.epoch * 32;
    // In an Altair state: with 8 slots per epoch this slot is in the Altair fork epoch (current
    // version); read with 32 it would be a quarter of that, before the fork (previous version).
    const slot = mainnet.config.forks.altair.epoch * 8 + 1;
    const body = {
      type: "AGGREGATION_SLOT",
      fork_info: forkInfoJson(mainnet, altairStart),
      aggregation_slot: { slot: String(slot) },
    };
    const got = hex(computeSigningRoot(minimalish, parseSigningRequest(body)).signingRoot);
    const domain = beaconConfig(mainnet).getDomainAtFork(ForkName.altair, DOMAIN_SELECTION_PROOF);
    assert.equal(got, specSigningRoot(ssz.Slot.hashTreeRoot(slot), domain));
    const mainnetRoot = hex(computeSigningRoot(mainnet, parseSigningRequest(body)).signingRoot);
    assert.notEqual(got, mainnetRoot);
  });

  test("preset-shaped payloads are refused rather than hashed with the wrong shape", () => {
    const minimalish = withPreset(PresetName.minimal);
    const forkInfo = forkInfoJson(mainnet, 0);
    const bodies = [
      { type: "BLOCK", block: defaultJson(ssz.phase0.BeaconBlock) },
      {
        type: "BLOCK_V2",
        beacon_block: { version: "ALTAIR", block: defaultJson(ssz.altair.BeaconBlock) },
      },
      {
        type: "AGGREGATE_AND_PROOF",
        aggregate_and_proof: defaultJson(ssz.phase0.AggregateAndProof),
      },
      {
        type: "AGGREGATE_AND_PROOF_V2",
        aggregate_and_proof: {
          version: "ELECTRA",
          data: defaultJson(ssz.electra.AggregateAndProof),
        },
      },
      {
        type: "SYNC_COMMITTEE_CONTRIBUTION_AND_PROOF",
        contribution_and_proof: defaultJson(ssz.altair.ContributionAndProof),
      },
    ];
    for (const body of bodies) {
      const request = parseSigningRequest({ ...body, fork_info: forkInfo });
      assert.throws(
        () => computeSigningRoot(minimalish, request),
        (e: unknown) => e instanceof PresetMismatchError && /LODESTAR_PRESET=minimal/.test(e.message),
        body.type,
      );
      assert.doesNotThrow(() => computeSigningRoot(mainnet, request));
    }
  });

  test("lodestar refuses to build a minimal network in this process", () => {
    assert.throws(() => resolveNetwork("minimal"), /active preset/);
  });
});

describe("LODESTAR_PRESET=minimal process", () => {
  test("every case matches lodestar's minimal-preset computation", () => {
    const child = fileURLToPath(new URL("./minimal-preset-child.js", import.meta.url));
    const run = spawnSync(process.execPath, [child], {
      env: { ...process.env, LODESTAR_PRESET: "minimal" },
      encoding: "utf8",
    });
    assert.equal(run.status, 0, run.stderr);
    const results = JSON.parse(run.stdout) as { name: string; got: string; expected: string }[];
    assert.ok(results.length >= 9);
    for (const { name, got, expected } of results) assert.equal(got, expected, name);
  });
});
