// Electra and Fulu aggregates as Lighthouse and Teku send them: unversioned AGGREGATE_AND_PROOF
// with the Electra body (committee_bits, Electra-length aggregation_bits) and a signingRoot over
// electra.AggregateAndProof. Bodies are built the way each client serialises them:
// - Lighthouse (validator_client/signing_method/src/web3signer.rs): `type`, `fork_info` (the
//   spec's Fork at the message epoch), `signingRoot`, then the untagged AggregateAndProof flattened
//   under `aggregate_and_proof`;
// - Teku (SigningRequestBody / ExternalSigner): `signingRoot`, `type`, `fork_info` of the slot,
//   `aggregate_and_proof` with the schema of fork_info's fork.
// Expected roots and signatures come from lodestar's types and blst in this file, on mainnet and
// on the Gloas devnet.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { DOMAIN_AGGREGATE_AND_PROOF, SLOTS_PER_EPOCH } from "@lodestar/params";
import { ssz } from "@lodestar/types";
import { type Network, resolveNetwork } from "../../src/config/networks.js";
import { beaconConfig, forkInfoJson, specSigningRoot } from "../eth/helpers.js";
import { DEVNET_GVR, devnetSlot, LODESTAR_DEVNET, writeDevnetConfig } from "../eth/gloas-network.js";
import { gloasAggregate } from "../eth/gloas-cases.js";
import { electraAggregateAndProof, phase0AggregateAndProof } from "../eth/ssz-objects.js";
import { expectedSignature, LODESTAR_MAINNET, type Signer, startSigner, verifies } from "./harness.js";

type Client = "Lighthouse" | "Teku";

function clientBody(client: Client, network: Network, aggregate: unknown, slot: number, signingRoot?: string): Record<string, unknown> {
  const forkInfo = forkInfoJson(network, slot);
  const root = signingRoot === undefined ? {} : { signingRoot };
  return client === "Lighthouse"
    ? { type: "AGGREGATE_AND_PROOF", fork_info: forkInfo, ...root, aggregate_and_proof: aggregate }
    : { ...root, type: "AGGREGATE_AND_PROOF", fork_info: forkInfo, aggregate_and_proof: aggregate };
}

function electraCase(network: Network, slot: number) {
  const aap = electraAggregateAndProof(slot);
  const domain = beaconConfig(network).getDomain(slot, DOMAIN_AGGREGATE_AND_PROOF, slot);
  const json = ssz.electra.AggregateAndProof.toJson(aap) as { aggregate: Record<string, unknown> };
  // What a signer that drops committee_bits hashes (a fresh value: lodestar caches roots on values).
  const { committee_bits: _dropped, ...phase0Aggregate } = json.aggregate;
  const dropped = ssz.phase0.AggregateAndProof.fromJson({ ...json, aggregate: phase0Aggregate });
  return {
    json,
    root: specSigningRoot(ssz.electra.AggregateAndProof.hashTreeRoot(aap), domain),
    phase0Root: specSigningRoot(ssz.phase0.AggregateAndProof.hashTreeRoot(dropped), domain),
  };
}

const networks: Array<{ name: string; lodestar: Network; slotIn(fork: "DENEB" | "ELECTRA" | "FULU" | "GLOAS", offset: number): number | undefined }> = [
  {
    name: "mainnet",
    lodestar: LODESTAR_MAINNET,
    slotIn: (fork, offset) =>
      fork === "GLOAS" ? undefined : LODESTAR_MAINNET.config.forks[fork.toLowerCase() as "deneb"].epoch * SLOTS_PER_EPOCH + offset,
  },
  { name: "Gloas devnet", lodestar: LODESTAR_DEVNET, slotIn: (fork, offset) => devnetSlot(fork, offset) },
];

for (const { name, lodestar, slotIn } of networks) {
  describe(`Lighthouse's and Teku's AGGREGATE_AND_PROOF on ${name}`, () => {
    let signer: Signer;
    let config: { path: string; cleanup: () => void } | undefined;
    before(async () => {
      config = name === "mainnet" ? undefined : writeDevnetConfig();
      const network = config === undefined ? resolveNetwork("mainnet") : resolveNetwork(config.path, DEVNET_GVR);
      signer = await startSigner({ network, keys: 2 });
    });
    after(async () => {
      await signer?.close();
      config?.cleanup();
    });

    for (const fork of ["ELECTRA", "FULU"] as const) {
      for (const client of ["Lighthouse", "Teku"] as const) {
        test(`${client} ${fork}: signs electra.AggregateAndProof's root, with and without signingRoot`, async () => {
          const slot = slotIn(fork, 7)!;
          const c = electraCase(lodestar, slot);
          assert.notEqual(c.root, c.phase0Root, "committee_bits changes the root");
          for (const signingRoot of [c.root, undefined]) {
            const key = signer.keys[0]!;
            const { status, json } = await signer.sign(key.pubkey, clientBody(client, lodestar, c.json, slot, signingRoot));
            assert.equal(status, 200, JSON.stringify(json));
            assert.ok(verifies(key, c.root, json.signature as string), "verifies over electra.AggregateAndProof's root");
            assert.equal((json.signature as string).toLowerCase(), expectedSignature(key, c.root));
          }
          // The root of the aggregate with committee_bits dropped (what was signed before) is refused.
          const old = await signer.sign(signer.keys[0]!.pubkey, clientBody(client, lodestar, c.json, slot, c.phase0Root));
          assert.equal(old.status, 400);
          assert.equal(old.json.error, "root-mismatch");
        });
      }
    }

    test("the schema must be the fork's: a phase0 body at an Electra slot and an Electra body at a Deneb slot are refused", async () => {
      const key = signer.keys[1]!;
      const electraSlot = slotIn("ELECTRA", 9)!;
      const phase0Body = ssz.phase0.AggregateAndProof.toJson(phase0AggregateAndProof(electraSlot));
      const missing = await signer.sign(key.pubkey, clientBody("Teku", lodestar, phase0Body, electraSlot));
      assert.equal(missing.status, 400);
      assert.match(missing.json.message as string, /^aggregate_and_proof\.aggregate\.committee_bits: missing: slot \d+ is in ELECTRA/);

      const denebSlot = slotIn("DENEB", 9)!;
      const electraBody = electraCase(lodestar, denebSlot).json;
      const present = await signer.sign(key.pubkey, clientBody("Lighthouse", lodestar, electraBody, denebSlot));
      assert.equal(present.status, 400);
      assert.match(present.json.message as string, /^aggregate_and_proof\.aggregate\.committee_bits: present, but slot \d+ is in DENEB/);

      // Before Electra the phase0 body still signs the phase0 root.
      const aap = phase0AggregateAndProof(denebSlot);
      const root = specSigningRoot(
        ssz.phase0.AggregateAndProof.hashTreeRoot(aap),
        beaconConfig(lodestar).getDomain(denebSlot, DOMAIN_AGGREGATE_AND_PROOF, denebSlot),
      );
      const deneb = await signer.sign(key.pubkey, clientBody("Teku", lodestar, ssz.phase0.AggregateAndProof.toJson(aap), denebSlot, root));
      assert.equal(deneb.status, 200, JSON.stringify(deneb.json));
      assert.ok(verifies(key, root, deneb.json.signature as string));
    });

    test("an unknown field in the aggregate is refused, not dropped", async () => {
      const slot = slotIn("FULU", 11)!;
      const c = electraCase(lodestar, slot);
      const json = c.json as { aggregate: Record<string, unknown> };
      const body = clientBody("Lighthouse", lodestar, { ...json, aggregate: { ...json.aggregate, committee_index: "3" } }, slot);
      const { status, json: answer } = await signer.sign(signer.keys[1]!.pubkey, body);
      assert.equal(status, 400);
      assert.match(answer.message as string, /^aggregate_and_proof\.aggregate\.committee_index: unknown field/);
    });

    if (slotIn("GLOAS", 0) !== undefined) {
      test("at a Gloas slot the same body signs gloas.AggregateAndProof's root", async () => {
        const slot = slotIn("GLOAS", 13)!;
        const aap = gloasAggregate(slot);
        const root = specSigningRoot(
          ssz.gloas.AggregateAndProof.hashTreeRoot(aap),
          beaconConfig(lodestar).getDomain(slot, DOMAIN_AGGREGATE_AND_PROOF, slot),
        );
        const key = signer.keys[1]!;
        const { status, json } = await signer.sign(key.pubkey, clientBody("Teku", lodestar, ssz.gloas.AggregateAndProof.toJson(aap), slot, root));
        assert.equal(status, 200, JSON.stringify(json));
        assert.ok(verifies(key, root, json.signature as string));
      });
    }
  });
}
