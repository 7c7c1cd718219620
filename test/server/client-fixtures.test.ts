// Teku's external-signer request bodies (../shared/vectors/client-fixtures/teku, the JSON Teku's
// ExternalSigner is tested to POST), replayed over HTTP on the Gloas devnet. As the fixtures'
// README says, they use the minimal preset and random values, so each is rewritten onto the test
// network first: fork_info and genesis validators root, the message's slot or epochs, integers
// beyond 2^53 (random values no chain reaches) and the one preset-sized field (the Altair block's
// sync_committee_bits). Everything else is signed as Teku sent it; the expected root is computed
// here with lodestar from the rewritten body.
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import {
  DOMAIN_AGGREGATE_AND_PROOF,
  DOMAIN_APPLICATION_BUILDER,
  DOMAIN_BEACON_ATTESTER,
  DOMAIN_BEACON_PROPOSER,
  DOMAIN_SELECTION_PROOF,
  DOMAIN_SYNC_COMMITTEE,
  DOMAIN_VOLUNTARY_EXIT,
  SLOTS_PER_EPOCH,
  SYNC_COMMITTEE_SIZE,
} from "@lodestar/params";
import { ssz } from "@lodestar/types";
import { resolveNetwork } from "../../src/config/networks.js";
import { SHARED_DIR } from "../helpers/temp.js";
import { beaconConfig, forkInfoJson, fromHex, specDomain, specSigningRoot } from "../eth/helpers.js";
import { DEVNET_GVR, type DevnetFork, devnetSlot, LODESTAR_DEVNET, writeDevnetConfig } from "../eth/gloas-network.js";
import { expectedSignature, type Signer, startSigner, verifies } from "./harness.js";

const TEKU_DIR = join(SHARED_DIR, "vectors/client-fixtures/teku");
const network = LODESTAR_DEVNET;
const config = beaconConfig(network);
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Integers above 2^53 (Teku's random values) made small; slots and epochs are set per fixture. */
function smallIntegers(value: unknown): unknown {
  if (typeof value === "string" && /^[0-9]+$/.test(value) && BigInt(value) > BigInt(Number.MAX_SAFE_INTEGER)) {
    return String(BigInt(value) % 1_000_003n);
  }
  if (Array.isArray(value)) return value.map(smallIntegers);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, smallIntegers(v)]));
  }
  return value;
}

interface Replay {
  /** The fork whose slot the message is moved to on the devnet. */
  fork: DevnetFork;
  /** Moves the message to `slot` (and its epochs with it); returns the spec signing root. */
  rewrite(body: Json, slot: number): string;
}

const hashRoot = (objectRoot: Uint8Array, domainType: Uint8Array, slot: number) =>
  specSigningRoot(objectRoot, config.getDomain(slot, domainType, slot));

const REPLAYS: Record<string, Replay> = {
  "phase0BlockExternalSignerMessage.json": {
    fork: "PHASE0",
    rewrite(body, slot) {
      body.block.slot = String(slot);
      return hashRoot(ssz.phase0.BeaconBlock.hashTreeRoot(ssz.phase0.BeaconBlock.fromJson(body.block)), DOMAIN_BEACON_PROPOSER, slot);
    },
  },
  "altairBlockExternalSignerMessage.json": {
    fork: "ALTAIR",
    rewrite(body, slot) {
      const block = body.beacon_block.block;
      block.slot = String(slot);
      // Minimal's 32-member sync committee bitvector, widened to mainnet's (same bits set).
      const bits = fromHex(block.body.sync_aggregate.sync_committee_bits);
      const wide = new Uint8Array(SYNC_COMMITTEE_SIZE / 8);
      wide.set(bits);
      block.body.sync_aggregate.sync_committee_bits = "0x" + Buffer.from(wide).toString("hex");
      return hashRoot(ssz.altair.BeaconBlock.hashTreeRoot(ssz.altair.BeaconBlock.fromJson(block)), DOMAIN_BEACON_PROPOSER, slot);
    },
  },
  "bellatrixBlockExternalSignerMessage.json": {
    fork: "BELLATRIX",
    rewrite(body, slot) {
      const header = body.beacon_block.block_header;
      header.slot = String(slot);
      return hashRoot(ssz.phase0.BeaconBlockHeader.hashTreeRoot(ssz.phase0.BeaconBlockHeader.fromJson(header)), DOMAIN_BEACON_PROPOSER, slot);
    },
  },
  "phase0AttestationExternalSignerMessage.json": {
    fork: "ALTAIR",
    rewrite(body, slot) {
      const epoch = Math.floor(slot / SLOTS_PER_EPOCH);
      Object.assign(body.attestation, { slot: String(slot) });
      body.attestation.source.epoch = String(epoch - 1);
      body.attestation.target.epoch = String(epoch);
      const data = ssz.phase0.AttestationData.fromJson(body.attestation);
      return specSigningRoot(ssz.phase0.AttestationData.hashTreeRoot(data), config.getDomain(slot, DOMAIN_BEACON_ATTESTER, epoch * SLOTS_PER_EPOCH));
    },
  },
  "altairAggregateAndProofExternalSignerMessage.json": {
    fork: "ALTAIR",
    rewrite(body, slot) {
      body.aggregate_and_proof.aggregate.data.slot = String(slot);
      const aap = ssz.phase0.AggregateAndProof.fromJson(body.aggregate_and_proof);
      return hashRoot(ssz.phase0.AggregateAndProof.hashTreeRoot(aap), DOMAIN_AGGREGATE_AND_PROOF, slot);
    },
  },
  "altairAggregationExternalSignerMessage.json": {
    fork: "ALTAIR",
    rewrite(body, slot) {
      body.aggregation_slot.slot = String(slot);
      return hashRoot(ssz.Slot.hashTreeRoot(slot), DOMAIN_SELECTION_PROOF, slot);
    },
  },
  "altairAggregationSlotExternalSignerMessage.json": {
    fork: "ALTAIR",
    rewrite(body, slot) {
      body.aggregation_slot.slot = String(slot + 1);
      return hashRoot(ssz.Slot.hashTreeRoot(slot + 1), DOMAIN_SELECTION_PROOF, slot + 1);
    },
  },
  "altairSyncCommitteeMessageExternalSignerMessage.json": {
    fork: "ALTAIR",
    rewrite(body, slot) {
      body.sync_committee_message.slot = String(slot);
      return hashRoot(fromHex(body.sync_committee_message.beacon_block_root), DOMAIN_SYNC_COMMITTEE, slot);
    },
  },
  "altairValidatorRegistrationExternalSignerMessage.json": {
    fork: "ALTAIR",
    rewrite(body) {
      const registration = ssz.bellatrix.ValidatorRegistrationV1.fromJson(body.validator_registration);
      const domain = specDomain(DOMAIN_APPLICATION_BUILDER, network.config.GENESIS_FORK_VERSION, new Uint8Array(32));
      return specSigningRoot(ssz.bellatrix.ValidatorRegistrationV1.hashTreeRoot(registration), domain);
    },
  },
  "altairVoluntaryExitExternalSignerMessage.json": {
    fork: "ALTAIR",
    rewrite(body, slot) {
      const epoch = Math.floor(slot / SLOTS_PER_EPOCH);
      body.voluntary_exit.epoch = String(epoch);
      const exit = ssz.phase0.VoluntaryExit.fromJson(body.voluntary_exit);
      // Before Deneb on this network: the fork of the exit's epoch (Altair).
      return specSigningRoot(ssz.phase0.VoluntaryExit.hashTreeRoot(exit), config.getDomain(slot, DOMAIN_VOLUNTARY_EXIT, epoch * SLOTS_PER_EPOCH));
    },
  },
};

/** The two bodies Teku's mock matched partially: no message to sign. */
const WITHOUT_MESSAGE: Record<string, string> = {
  "altairSyncCommitteeSelectionProofExternalSignerMessage.json": "sync_aggregator_selection_data",
  "altairSyncCommitteeContributionAndProofExternalSignerMessage.json": "contribution_and_proof",
};

const present = existsSync(TEKU_DIR);
if (!present) console.log(`# skipping Teku client fixtures: ${TEKU_DIR} not found`);

describe("Teku's external-signer requests, rewritten onto the Gloas devnet", { skip: present ? false : `${TEKU_DIR} not found` }, () => {
  const files = present ? readdirSync(TEKU_DIR).filter((f) => f.endsWith(".json")).sort() : [];
  let signer: Signer;
  let devnet: { path: string; cleanup: () => void };
  before(async () => {
    devnet = writeDevnetConfig();
    signer = await startSigner({ network: resolveNetwork(devnet.path, DEVNET_GVR), keys: files.length });
  });
  after(async () => {
    await signer?.close();
    devnet?.cleanup();
  });

  test("every fixture file is replayed or known to carry no message", () => {
    assert.deepEqual(files, [...Object.keys(REPLAYS), ...Object.keys(WITHOUT_MESSAGE)].sort());
  });

  files.forEach((file, i) => {
    test(file, async () => {
      const teku = JSON.parse(readFileSync(join(TEKU_DIR, file), "utf8")) as Json;
      const key = signer.keys[i]!;
      const missing = WITHOUT_MESSAGE[file];
      if (missing !== undefined) {
        const body = { ...teku, fork_info: forkInfoJson(network, devnetSlot("ALTAIR", 1)) };
        const { status, json } = await signer.sign(key.pubkey, body);
        assert.equal(status, 400);
        assert.equal(json.message, `${missing}: missing`);
        return;
      }
      const replay = REPLAYS[file]!;
      const slot = devnetSlot(replay.fork, 3 + i);
      const body = smallIntegers(teku) as Json;
      if ("fork_info" in body) body.fork_info = forkInfoJson(network, slot);
      const root = replay.rewrite(body, slot);
      // Teku's signingRoot is a placeholder: it must be refused, then the body signs with the real
      // root and without any.
      const placeholder = await signer.sign(key.pubkey, body);
      assert.equal(placeholder.status, 400, JSON.stringify(placeholder.json));
      assert.equal(placeholder.json.error, "root-mismatch");
      for (const signingRoot of [root, undefined]) {
        const { signingRoot: _placeholder, ...rest } = body;
        const request = signingRoot === undefined ? rest : { ...rest, signingRoot };
        const { status, json } = await signer.sign(key.pubkey, request);
        assert.equal(status, 200, JSON.stringify(json));
        assert.equal((json.signature as string).toLowerCase(), expectedSignature(key, root));
        assert.ok(verifies(key, root, json.signature as string));
      }
    });
  });
});
