// The request examples of Web3Signer's OpenAPI file (../shared/specs), with their signing roots.
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, test } from "node:test";
import { DOMAIN_AGGREGATE_AND_PROOF } from "@lodestar/params";
import { ssz } from "@lodestar/types";
import { parse as parseYaml } from "yaml";
import { createChainForkConfig } from "@lodestar/config";
import { mainnetChainConfig } from "@lodestar/config/configs";
import type { Network } from "../../src/config/networks.js";
import {
  BadRequestError,
  computeSigningRoot,
  parseSigningRequest,
  SigningRootMismatchError,
} from "../../src/eth/index.js";
import { fromHex, hex, specDomain, specSigningRoot } from "./helpers.js";

const SPEC = fileURLToPath(
  new URL("../../../../shared/specs/web3signer-eth2-openapi/signing/paths/sign.yaml", import.meta.url),
);
const W3S_GVR = "0x04700007fabc8282644aed6d1c7c9e21d38a03a0c4ba193f3afe428824b3a673";
// The examples' chain: genesis fork version 0x00000001 and no later fork (their fork_info only uses
// that version), with their chain root. The signer takes versions from the network's schedule.
const network: Network = {
  name: "web3signer-examples",
  config: createChainForkConfig({
    ...mainnetChainConfig,
    GENESIS_FORK_VERSION: fromHex("0x00000001"),
    ALTAIR_FORK_EPOCH: Infinity,
    BELLATRIX_FORK_EPOCH: Infinity,
    CAPELLA_FORK_EPOCH: Infinity,
    DENEB_FORK_EPOCH: Infinity,
    ELECTRA_FORK_EPOCH: Infinity,
    FULU_FORK_EPOCH: Infinity,
  }),
  genesisValidatorsRoot: W3S_GVR,
};

/** Examples whose signingRoot we reproduce exactly. */
const MATCHING = [
  "BLOCK (DEPRECATED)",
  "ATTESTATION",
  "AGGREGATION_SLOT",
  "AGGREGATE_AND_PROOF (DEPRECATED)",
  "AGGREGATE_AND_PROOF_V2 (PHASE 0)",
  "AGGREGATE_AND_PROOF_V2 (ALTAIR)",
  "AGGREGATE_AND_PROOF_V2 (BELLATRIX)",
  "AGGREGATE_AND_PROOF_V2 (CAPELLA)",
  "AGGREGATE_AND_PROOF_V2 (DENEB)",
  "RANDAO_REVEAL",
  "VOLUNTARY_EXIT",
  "SYNC_COMMITTEE_MESSAGE",
  "SYNC_COMMITTEE_SELECTION_PROOF",
  "DEPOSIT",
];

/** Examples with proposer indices or gas limits above 2^53 (impossible on chain; lodestar keeps them as numbers). */
const TOO_LARGE = [
  "BLOCK_V2 (PHASE 0)",
  "BLOCK_V2 (ALTAIR)",
  "BLOCK_V2 (BELLATRIX)",
  "BLOCK_V2 (CAPELLA)",
  "BLOCK_V2 (DENEB)",
  "BLOCK_V2 (ELECTRA)",
  "BLOCK_V2 (FULU)",
  "VALIDATOR_REGISTRATION",
];

type Examples = Record<string, { value: Record<string, unknown> }>;

function loadExamples(): Examples {
  const doc = parseYaml(readFileSync(SPEC, "utf8")) as {
    post: { requestBody: { content: { "application/json": { examples: Examples } } } };
  };
  return doc.post.requestBody.content["application/json"].examples;
}

describe("Web3Signer OpenAPI examples", { skip: existsSync(SPEC) ? false : `${SPEC} not found` }, () => {
  const examples = existsSync(SPEC) ? loadExamples() : {};

  for (const name of MATCHING) {
    test(`${name} gives the example's signing root`, () => {
      const example = examples[name];
      assert.ok(example, `example ${name} is missing from the spec`);
      const result = computeSigningRoot(network, parseSigningRequest(example.value));
      assert.equal(hex(result.signingRoot), example.value.signingRoot);
    });
  }

  for (const name of TOO_LARGE) {
    test(`${name} is refused for its 64-bit index or gas limit`, () => {
      assert.throws(
        () => parseSigningRequest(examples[name].value),
        (e: unknown) =>
          e instanceof BadRequestError &&
          /proposer_index|gas_limit/.test(e.path) &&
          /not supported/.test(e.message),
      );
    });
  }

  test("the contribution example is minimal-preset shaped (checked in preset.test.ts)", () => {
    assert.throws(
      () => parseSigningRequest(examples.SYNC_COMMITTEE_CONTRIBUTION_AND_PROOF.value),
      (e: unknown) =>
        e instanceof BadRequestError && e.path === "contribution_and_proof.contribution.aggregation_bits",
    );
  });

  for (const name of ["AGGREGATE_AND_PROOF_V2 (ELECTRA)", "AGGREGATE_AND_PROOF_V2 (FULU)"]) {
    test(`${name}: the example's root is not the spec's; ours is`, () => {
      const body = examples[name].value;
      const data = (body.aggregate_and_proof as { data: unknown }).data;
      const aggregate = ssz.electra.AggregateAndProof.fromJson(data);
      const domain = specDomain(DOMAIN_AGGREGATE_AND_PROOF, fromHex("0x00000001"), fromHex(W3S_GVR));
      const specRoot = specSigningRoot(ssz.electra.AggregateAndProof.hashTreeRoot(aggregate), domain);
      assert.notEqual(specRoot, body.signingRoot);
      assert.throws(
        () => computeSigningRoot(network, parseSigningRequest(body)),
        (e: unknown) => e instanceof SigningRootMismatchError && e.computed === specRoot,
      );
    });
  }

  test("every example is either computed or refused with a typed error", () => {
    for (const [name, { value }] of Object.entries(examples)) {
      try {
        computeSigningRoot(network, parseSigningRequest(value));
      } catch (e) {
        assert.ok(e instanceof BadRequestError || e instanceof SigningRootMismatchError, `${name}: ${String(e)}`);
      }
    }
  });
});
