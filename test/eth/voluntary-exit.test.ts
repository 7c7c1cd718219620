// EIP-7044: from Deneb on, exits are signed with CAPELLA_FORK_VERSION whatever fork_info says.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { createChainForkConfig } from "@lodestar/config";
import { mainnetChainConfig } from "@lodestar/config/configs";
import { DOMAIN_VOLUNTARY_EXIT, ForkName, SLOTS_PER_EPOCH } from "@lodestar/params";
import { ssz } from "@lodestar/types";
import { type Network, resolveNetwork } from "../../src/config/networks.js";
import { computeSigningRoot, parseSigningRequest, UnknownForkError } from "../../src/eth/index.js";
import { beaconConfig, forkInfoJson, hex, specSigningRoot } from "./helpers.js";

const mainnet = resolveNetwork("mainnet");

function exitRoot(network: Network, forkInfo: Record<string, unknown>, epoch: number): string {
  const request = parseSigningRequest({
    type: "VOLUNTARY_EXIT",
    fork_info: forkInfo,
    voluntary_exit: { epoch: String(epoch), validator_index: "4242" },
  });
  return hex(computeSigningRoot(network, request).signingRoot);
}

function expected(domain: Uint8Array, epoch: number): string {
  return specSigningRoot(ssz.phase0.VoluntaryExit.hashTreeRoot({ epoch, validatorIndex: 4242 }), domain);
}

describe("VOLUNTARY_EXIT (EIP-7044)", () => {
  const config = beaconConfig(mainnet);
  const capellaDomain = config.getDomainAtFork(ForkName.capella, DOMAIN_VOLUNTARY_EXIT);
  const slotOf = (fork: ForkName): number => mainnet.config.forks[fork].epoch * SLOTS_PER_EPOCH;

  for (const fork of [ForkName.deneb, ForkName.electra, ForkName.fulu]) {
    test(`a ${fork} fork_info still gives the Capella domain`, () => {
      const stateSlot = slotOf(fork) + 5;
      const epoch = Math.floor(stateSlot / SLOTS_PER_EPOCH);
      const got = exitRoot(mainnet, forkInfoJson(mainnet, stateSlot), epoch);
      assert.equal(got, expected(config.getDomainForVoluntaryExit(stateSlot, epoch * SLOTS_PER_EPOCH), epoch));
      assert.equal(got, expected(capellaDomain, epoch));
    });
  }

  test("an old exit epoch signed in a post-Deneb state is still Capella", () => {
    const stateSlot = slotOf(ForkName.electra) + 1;
    assert.equal(exitRoot(mainnet, forkInfoJson(mainnet, stateSlot), 10), expected(capellaDomain, 10));
  });

  test("the Capella fork_info that EIP-7044-aware clients send gives the same root", () => {
    const epoch = mainnet.config.forks.fulu.epoch + 7;
    const capellaForkInfo = forkInfoJson(mainnet, slotOf(ForkName.capella));
    assert.equal(exitRoot(mainnet, capellaForkInfo, epoch), expected(capellaDomain, epoch));
  });

  test("fork.epoch carrying the message epoch (before Deneb) with an Electra version is Capella", () => {
    const forkInfo = forkInfoJson(mainnet, slotOf(ForkName.electra));
    (forkInfo.fork as Record<string, string>).epoch = "1000";
    assert.equal(exitRoot(mainnet, forkInfo, 1000), expected(capellaDomain, 1000));
  });

  test("before Deneb the usual fork_info rule applies (previous version for older epochs)", () => {
    const stateSlot = slotOf(ForkName.bellatrix) + 3;
    const altairEpoch = mainnet.config.forks.altair.epoch + 1;
    const got = exitRoot(mainnet, forkInfoJson(mainnet, stateSlot), altairEpoch);
    const domain = config.getDomainForVoluntaryExit(stateSlot, altairEpoch * SLOTS_PER_EPOCH);
    assert.deepEqual(domain, config.getDomainAtFork(ForkName.altair, DOMAIN_VOLUNTARY_EXIT));
    assert.equal(got, expected(domain, altairEpoch));
  });

  test("on a network without Deneb the schedule at the exit epoch is used", () => {
    const noDeneb: Network = {
      name: "no-deneb",
      config: createChainForkConfig({
        ...mainnetChainConfig,
        DENEB_FORK_EPOCH: Infinity,
        ELECTRA_FORK_EPOCH: Infinity,
        FULU_FORK_EPOCH: Infinity,
      }),
      genesisValidatorsRoot: mainnet.genesisValidatorsRoot,
    };
    const stateSlot = slotOf(ForkName.capella) + 100;
    const epoch = Math.floor(stateSlot / SLOTS_PER_EPOCH);
    const got = exitRoot(noDeneb, forkInfoJson(noDeneb, stateSlot), epoch);
    assert.equal(got, expected(beaconConfig(noDeneb).getDomainForVoluntaryExit(stateSlot), epoch));
    // A Deneb version from the client is a fork this network never scheduled: refused.
    const forkInfo = forkInfoJson(noDeneb, stateSlot);
    (forkInfo.fork as Record<string, string>).current_version = hex(mainnet.config.DENEB_FORK_VERSION);
    assert.throws(() => exitRoot(noDeneb, forkInfo, epoch), UnknownForkError);
  });
});
