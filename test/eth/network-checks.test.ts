// Signing-root recomputation (docs/SAFETY.md): the signing root comes from the typed request and our network, never from the client.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ssz } from "@lodestar/types";
import { resolveNetwork } from "../../src/config/networks.js";
import {
  computeSigningRoot,
  parseSigningRequest,
  SigningRootMismatchError,
  WrongNetworkError,
} from "../../src/eth/index.js";
import { bytes, forkInfoJson, hex } from "./helpers.js";

const mainnet = resolveNetwork("mainnet");
const hoodi = resolveNetwork("hoodi");

function attestationBody(network = mainnet): Record<string, unknown> {
  const data = ssz.phase0.AttestationData.defaultValue();
  data.slot = 12_000_000;
  data.beaconBlockRoot = bytes(32, 1);
  data.source = { epoch: 374_998, root: bytes(32, 2) };
  data.target = { epoch: 374_999, root: bytes(32, 3) };
  return {
    type: "ATTESTATION",
    fork_info: forkInfoJson(network, data.slot),
    attestation: ssz.phase0.AttestationData.toJson(data),
  };
}

describe("genesis validators root", () => {
  test("a request for another chain is refused, naming both roots", () => {
    const request = parseSigningRequest(attestationBody(hoodi));
    assert.throws(
      () => computeSigningRoot(mainnet, request),
      (e: unknown) =>
        e instanceof WrongNetworkError &&
        e.message.includes(`expected ${mainnet.genesisValidatorsRoot}`) &&
        e.message.includes(`got ${hoodi.genesisValidatorsRoot}`) &&
        e.expected === mainnet.genesisValidatorsRoot &&
        e.got === hoodi.genesisValidatorsRoot,
    );
  });

  test("the comparison ignores hex case", () => {
    const body = attestationBody();
    (body.fork_info as Record<string, unknown>).genesis_validators_root =
      mainnet.genesisValidatorsRoot.toUpperCase().replace("0X", "0x");
    assert.doesNotThrow(() => computeSigningRoot(mainnet, parseSigningRequest(body)));
  });

  test("the same request computes on its own network", () => {
    const body = attestationBody(hoodi);
    assert.equal(computeSigningRoot(hoodi, parseSigningRequest(body)).signingRoot.length, 32);
  });

  test("VALIDATOR_REGISTRATION is bound to each network by its genesis fork version", () => {
    const body = {
      type: "VALIDATOR_REGISTRATION",
      validator_registration: {
        fee_recipient: hex(bytes(20, 1)),
        gas_limit: "30000000",
        timestamp: "1700000000",
        pubkey: hex(bytes(48, 2)),
      },
    };
    const onMainnet = computeSigningRoot(mainnet, parseSigningRequest(body)).signingRoot;
    const onHoodi = computeSigningRoot(hoodi, parseSigningRequest(body)).signingRoot;
    // Builder domain is bound to each network's genesis fork version.
    assert.notDeepEqual(onMainnet, onHoodi);
  });
});

describe("client-supplied signing root", () => {
  const computed = hex(computeSigningRoot(mainnet, parseSigningRequest(attestationBody())).signingRoot);

  test("a matching signingRoot or signing_root is accepted", () => {
    for (const key of ["signingRoot", "signing_root"]) {
      const body = { ...attestationBody(), [key]: computed };
      assert.equal(hex(computeSigningRoot(mainnet, parseSigningRequest(body)).signingRoot), computed);
    }
  });

  test("a matching root in upper-case hex is accepted", () => {
    const body = { ...attestationBody(), signingRoot: "0x" + computed.slice(2).toUpperCase() };
    assert.equal(hex(computeSigningRoot(mainnet, parseSigningRequest(body)).signingRoot), computed);
  });

  test("a different root is refused, giving both", () => {
    const supplied = hex(bytes(32, 99));
    for (const key of ["signingRoot", "signing_root"]) {
      const request = parseSigningRequest({ ...attestationBody(), [key]: supplied });
      assert.throws(
        () => computeSigningRoot(mainnet, request),
        (e: unknown) =>
          e instanceof SigningRootMismatchError &&
          e.message.includes(supplied) &&
          e.message.includes(computed) &&
          e.computed === computed &&
          e.supplied === supplied,
      );
    }
  });

  test("a mismatch is also caught for types without fork_info", () => {
    const request = parseSigningRequest({
      type: "DEPOSIT",
      signingRoot: hex(bytes(32, 5)),
      deposit: {
        pubkey: hex(bytes(48, 1)),
        withdrawal_credentials: hex(bytes(32, 2)),
        amount: "32000000000",
        genesis_fork_version: "0x00000000",
      },
    });
    assert.throws(() => computeSigningRoot(mainnet, request), SigningRootMismatchError);
  });
});
