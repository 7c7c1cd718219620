/**
 * End-to-end with a real validator client: Lodestar 1.5.1's external-signer client
 * (`externalSignerPostSignature`) against `bulwark serve --network mainnet` as a child process.
 * Each signing root is computed as Lodestar 1.5.1's ValidatorStore does (its config.getDomain and
 * computeSigningRoot); each returned signature must verify against it.
 */
import assert from "node:assert/strict";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { PublicKey, Signature, verify } from "@chainsafe/blst";
import { tempDir } from "../helpers/temp.js";
import { cheapKeystore, keystoreName, testKey, type TestKey, writeKeystore } from "../keys/fixtures.js";
import { type Bulwark, startBulwark } from "./harness.js";
import { type Lodestar151, loadLodestar151 } from "./lodestar151.js";

const MAINNET_GENESIS_VALIDATORS_ROOT = "0x4b363db94e286120d76eb905340fdd4e54bfe9f06bf33ff6cf5ad27f511bfe95";
const SLOTS_PER_EPOCH = 32;
/** Mainnet epochs inside the forks Lodestar 1.5.1 knows (its mainnet config has Capella at Infinity). */
const ALTAIR_EPOCH = 100_000;
const BELLATRIX_EPOCH = 150_000;
/** Mainnet's real Capella fork epoch, which Lodestar 1.5.1 predates. */
const CAPELLA_EPOCH = 194_048;

const fill = (byte: number, length = 32) => new Uint8Array(length).fill(byte);
const toHex = (bytes: Uint8Array) => `0x${Buffer.from(bytes).toString("hex")}`;

describe("Lodestar 1.5.1 external signer client against bulwark serve --network mainnet", () => {
  let lodestar: Lodestar151;
  let config: any;
  let server: Bulwark | undefined;
  let key: TestKey;
  const dir = tempDir("bulwark-e2e-lodestar-");

  before(async () => {
    lodestar = await loadLodestar151();
    // As Lodestar's validator CLI does: the network's chain config plus the genesis validators root.
    const { mainnetChainConfig, genesisData } = lodestar.networks;
    assert.equal(genesisData.mainnet!.genesisValidatorsRoot, MAINNET_GENESIS_VALIDATORS_ROOT);
    config = lodestar.config.createIBeaconConfig(mainnetChainConfig, Buffer.from(MAINNET_GENESIS_VALIDATORS_ROOT.slice(2), "hex"));
    assert.equal(toHex(config.genesisValidatorsRoot), MAINNET_GENESIS_VALIDATORS_ROOT);
    assert.equal(config.getForkInfo(BELLATRIX_EPOCH * SLOTS_PER_EPOCH).name, "bellatrix");
    assert.equal(config.getForkInfo(ALTAIR_EPOCH * SLOTS_PER_EPOCH).name, "altair");

    key = testKey(201);
    const layout = { root: dir.path, keystores: join(dir.path, "validator_keys"), passwords: join(dir.path, "secrets") };
    await mkdir(layout.keystores);
    await mkdir(layout.passwords);
    await writeKeystore(layout, keystoreName(0), await cheapKeystore(key, "lodestar-e2e"), "lodestar-e2e");
    server = await startBulwark([
      "serve", "--network", "mainnet", "--data-dir", join(dir.path, "data"), "--http-port", "0", "--signing-threads", "1",
      "--keystores", layout.keystores, "--keystores-passwords", layout.passwords,
    ]);
  });

  after(async () => {
    await server?.stop("SIGKILL");
    dir.cleanup();
  });

  const domain = (slot: number, name: string): Uint8Array => config.getDomain(slot, lodestar.params[name]);
  const rootOf = (type: unknown, value: unknown, slot: number, domainName: string) =>
    lodestar.stateTransition.computeSigningRoot(type, value, domain(slot, domainName));

  /** Signs through the Lodestar client and checks the signature against the root Lodestar computed. */
  async function signAndVerify(signingRoot: Uint8Array, signingSlot: number, message: { type: string; data: unknown }): Promise<string> {
    let signature: string;
    try {
      signature = await lodestar.validator.externalSignerPostSignature(config, server!.url, key.pubkey, signingRoot, signingSlot, message);
    } catch (err) {
      assert.fail(`bulwark refused Lodestar 1.5.1's ${message.type}: ${(err as Error).message}`);
    }
    assert.match(signature, /^0x[0-9a-f]{192}$/);
    assert.ok(
      verify(signingRoot, PublicKey.fromHex(key.pubkey), Signature.fromHex(signature), true, true),
      `${message.type}: signature does not verify against Lodestar's signing root ${toHex(signingRoot)}`,
    );
    return signature;
  }

  function attestationData(target: number, source: number, blockRootByte: number) {
    return {
      slot: target * SLOTS_PER_EPOCH + 7,
      index: 3,
      beaconBlockRoot: fill(blockRootByte),
      source: { epoch: source, root: fill(0x5a) },
      target: { epoch: target, root: fill(0x7a) },
    };
  }

  /** As ValidatorStore.signAttestation: signing slot = first slot of the target epoch. */
  async function signAttestation(data: ReturnType<typeof attestationData>): Promise<string> {
    const { ssz } = lodestar.types;
    const signingSlot = lodestar.stateTransition.computeStartSlotAtEpoch(data.target.epoch);
    const signingRoot = rootOf(ssz.phase0.AttestationData, data, signingSlot, "DOMAIN_BEACON_ATTESTER");
    return signAndVerify(signingRoot, signingSlot, { type: "ATTESTATION", data });
  }

  /** As ValidatorStore.signBlock: hash_tree_root of the (full or blinded) block, proposer domain at its slot. */
  async function signBlock(block: { slot: number }): Promise<string> {
    const { ssz } = lodestar.types;
    const blockRoot = lodestar.stateTransition.blindedOrFullBlockHashTreeRoot(config, block);
    const signingRoot = ssz.phase0.SigningData.hashTreeRoot({ objectRoot: blockRoot, domain: domain(block.slot, "DOMAIN_BEACON_PROPOSER") });
    return signAndVerify(signingRoot, block.slot, { type: "BLOCK_V2", data: block });
  }

  test("the server lists the key through the Lodestar client", async () => {
    assert.deepEqual(await lodestar.validator.externalSignerGetKeys(server!.url), [key.pubkey]);
  });

  test("ATTESTATION", async () => {
    await signAttestation(attestationData(BELLATRIX_EPOCH, BELLATRIX_EPOCH - 1, 0x01));
  });

  test("BLOCK_V2: bellatrix full block, bellatrix blinded block (block_header) and altair (full block)", async () => {
    const { ssz } = lodestar.types;
    const altair = ssz.altair.BeaconBlock.defaultValue();
    altair.slot = ALTAIR_EPOCH * SLOTS_PER_EPOCH + 5;
    altair.proposerIndex = 4242;
    altair.parentRoot = fill(0x11);
    altair.stateRoot = fill(0x12);
    altair.body.graffiti = fill(0x67);
    await signBlock(altair);

    const full = ssz.bellatrix.BeaconBlock.defaultValue();
    full.slot = BELLATRIX_EPOCH * SLOTS_PER_EPOCH + 9;
    full.proposerIndex = 4242;
    full.parentRoot = fill(0x21);
    full.stateRoot = fill(0x22);
    full.body.executionPayload.blockNumber = 16_000_000;
    full.body.executionPayload.transactions = [new Uint8Array([1, 2, 3])];
    await signBlock(full);

    const blinded = ssz.bellatrix.BlindedBeaconBlock.defaultValue();
    blinded.slot = BELLATRIX_EPOCH * SLOTS_PER_EPOCH + 10;
    blinded.proposerIndex = 4242;
    blinded.parentRoot = fill(0x31);
    blinded.stateRoot = fill(0x32);
    blinded.body.executionPayloadHeader.blockNumber = 16_000_001;
    await signBlock(blinded);
  });

  test("RANDAO_REVEAL", async () => {
    const slot = BELLATRIX_EPOCH * SLOTS_PER_EPOCH + 9;
    const epoch = lodestar.stateTransition.computeEpochAtSlot(slot);
    const signingRoot = rootOf(lodestar.types.ssz.Epoch, epoch, slot, "DOMAIN_RANDAO");
    await signAndVerify(signingRoot, slot, { type: "RANDAO_REVEAL", data: { epoch } });
  });

  test("AGGREGATION_SLOT", async () => {
    const slot = BELLATRIX_EPOCH * SLOTS_PER_EPOCH + 7;
    const signingRoot = rootOf(lodestar.types.ssz.Slot, slot, slot, "DOMAIN_SELECTION_PROOF");
    await signAndVerify(signingRoot, slot, { type: "AGGREGATION_SLOT", data: { slot } });
  });

  test("the other types Lodestar 1.5.1 signs remotely: aggregate, sync committee, exit, builder registration", async () => {
    const { ssz } = lodestar.types;
    const slot = BELLATRIX_EPOCH * SLOTS_PER_EPOCH + 11;

    const aggregateAndProof = ssz.phase0.AggregateAndProof.defaultValue();
    aggregateAndProof.aggregatorIndex = 4242;
    aggregateAndProof.aggregate.data = { ...attestationData(BELLATRIX_EPOCH, BELLATRIX_EPOCH - 1, 0x41), slot };
    aggregateAndProof.selectionProof = fill(0, 96);
    aggregateAndProof.selectionProof[0] = 0xc0;
    aggregateAndProof.aggregate.signature = aggregateAndProof.selectionProof;
    await signAndVerify(rootOf(ssz.phase0.AggregateAndProof, aggregateAndProof, slot, "DOMAIN_AGGREGATE_AND_PROOF"), slot, {
      type: "AGGREGATE_AND_PROOF",
      data: aggregateAndProof,
    });

    const beaconBlockRoot = fill(0x51);
    await signAndVerify(rootOf(ssz.Root, beaconBlockRoot, slot, "DOMAIN_SYNC_COMMITTEE"), slot, {
      type: "SYNC_COMMITTEE_MESSAGE",
      data: { beaconBlockRoot, slot },
    });

    const selection = { slot, subcommitteeIndex: 2 };
    await signAndVerify(rootOf(ssz.altair.SyncAggregatorSelectionData, selection, slot, "DOMAIN_SYNC_COMMITTEE_SELECTION_PROOF"), slot, {
      type: "SYNC_COMMITTEE_SELECTION_PROOF",
      data: selection,
    });

    const contributionAndProof = ssz.altair.ContributionAndProof.defaultValue();
    contributionAndProof.aggregatorIndex = 4242;
    contributionAndProof.contribution.slot = slot;
    contributionAndProof.contribution.beaconBlockRoot = beaconBlockRoot;
    contributionAndProof.contribution.subcommitteeIndex = 2;
    contributionAndProof.contribution.signature = aggregateAndProof.selectionProof;
    contributionAndProof.selectionProof = aggregateAndProof.selectionProof;
    await signAndVerify(rootOf(ssz.altair.ContributionAndProof, contributionAndProof, slot, "DOMAIN_CONTRIBUTION_AND_PROOF"), slot, {
      type: "SYNC_COMMITTEE_CONTRIBUTION_AND_PROOF",
      data: contributionAndProof,
    });

    const exitEpoch = BELLATRIX_EPOCH + 1;
    const exitSlot = lodestar.stateTransition.computeStartSlotAtEpoch(exitEpoch);
    const voluntaryExit = { epoch: exitEpoch, validatorIndex: 4242 };
    await signAndVerify(rootOf(ssz.phase0.VoluntaryExit, voluntaryExit, exitSlot, "DOMAIN_VOLUNTARY_EXIT"), exitSlot, {
      type: "VOLUNTARY_EXIT",
      data: voluntaryExit,
    });

    // As ValidatorStore.signValidatorRegistration: builder domain on the genesis fork version, zero root.
    const registration = {
      feeRecipient: fill(0xfe, 20),
      gasLimit: 30_000_000,
      timestamp: 1_700_000_000,
      pubkey: Buffer.from(key.pubkey.slice(2), "hex"),
    };
    const { computeDomain, computeSigningRoot, ZERO_HASH } = lodestar.stateTransition;
    const builderDomain = computeDomain(lodestar.params.DOMAIN_APPLICATION_BUILDER, config.GENESIS_FORK_VERSION, ZERO_HASH);
    await signAndVerify(computeSigningRoot(ssz.bellatrix.ValidatorRegistrationV1, registration, builderDomain), 0, {
      type: "VALIDATOR_REGISTRATION",
      data: registration,
    });
  });

  test("slashable attestations make the client throw with 412", async () => {
    const target = BELLATRIX_EPOCH + 10;
    const first = attestationData(target, target - 5, 0x61);
    const signature = await signAttestation(first);
    assert.equal(await signAttestation(first), signature, "the identical attestation may be signed again");

    const expect412 = async (data: ReturnType<typeof attestationData>, what: string) => {
      const { ssz } = lodestar.types;
      const signingSlot = lodestar.stateTransition.computeStartSlotAtEpoch(data.target.epoch);
      const signingRoot = rootOf(ssz.phase0.AttestationData, data, signingSlot, "DOMAIN_BEACON_ATTESTER");
      await assert.rejects(
        lodestar.validator.externalSignerPostSignature(config, server!.url, key.pubkey, signingRoot, signingSlot, { type: "ATTESTATION", data }),
        (err: Error) => {
          assert.match(err.message, /412/, `${what}: ${err.message}`);
          return true;
        },
        what,
      );
    };
    await expect412(attestationData(target, target - 5, 0x62), "double vote (same target, different root)");
    await expect412(attestationData(target + 1, target - 6, 0x63), "surrounding vote");
    await expect412(attestationData(target - 1, target - 3, 0x64), "surrounded vote");
  });

  test("a signing root that is not the message's (wrong domain) is refused: the client throws with 400", async () => {
    const slot = BELLATRIX_EPOCH * SLOTS_PER_EPOCH + 13;
    const wrongRoot = rootOf(lodestar.types.ssz.Slot, slot, slot, "DOMAIN_RANDAO");
    await assert.rejects(
      lodestar.validator.externalSignerPostSignature(config, server!.url, key.pubkey, wrongRoot, slot, { type: "AGGREGATION_SLOT", data: { slot } }),
      /400/,
    );
  });

  test(
    "past Capella, where Lodestar 1.5.1's mainnet config (CAPELLA_FORK_EPOCH = Infinity) still uses the Bellatrix domain, the request is refused",
    async () => {
      const slot = (CAPELLA_EPOCH + 10) * SLOTS_PER_EPOCH;
      assert.equal(config.getForkInfo(slot).name, "bellatrix", "Lodestar 1.5.1 does not know Capella on mainnet");
      const signingRoot = rootOf(lodestar.types.ssz.Slot, slot, slot, "DOMAIN_SELECTION_PROOF");
      await assert.rejects(
        lodestar.validator.externalSignerPostSignature(config, server!.url, key.pubkey, signingRoot, slot, { type: "AGGREGATION_SLOT", data: { slot } }),
        /40\d|412/,
      );
    },
  );

  test("a key the server does not hold: the client throws with 404", async () => {
    const other = testKey(202);
    const slot = BELLATRIX_EPOCH * SLOTS_PER_EPOCH;
    const signingRoot = rootOf(lodestar.types.ssz.Slot, slot, slot, "DOMAIN_SELECTION_PROOF");
    await assert.rejects(
      lodestar.validator.externalSignerPostSignature(config, server!.url, other.pubkey, signingRoot, slot, { type: "AGGREGATION_SLOT", data: { slot } }),
      /404/,
    );
  });
});
