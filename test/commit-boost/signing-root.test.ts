/**
 * Commit-Boost signing roots computed by the signing core against the spec: the published vectors
 * reproduce exactly, random inputs agree with containers built here, and no request can reach a
 * beacon-chain domain.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { PublicKey, Signature, verify } from "@chainsafe/blst";
import * as params from "@lodestar/params";
import { ssz } from "@lodestar/types";
import { after, describe, test } from "node:test";
import { resolveNetwork } from "../../src/config/networks.js";
import { beaconDomainCollision, COMMIT_BOOST_DOMAIN_TYPE, commitBoostDomain, commitBoostSigningRoot } from "../../src/core/commit-boost-root.js";
import { bytes, hex, SPEC_DOMAIN_TYPE, specCommitmentRoot, specDelegationRoot, specDomain, startCore, type TestCore } from "./fixtures.js";

const HOODI = resolveNetwork("hoodi");
const HOLESKY = resolveNetwork("holesky");
const ones = hex(new Uint8Array(32).fill(1));
const twos = hex(new Uint8Array(32).fill(2));

const cores: TestCore[] = [];
after(async () => {
  for (const c of cores) await c.close();
});

describe("Commit-Boost signing roots (v0.10)", () => {
  test("the domain is 0x6d6d6f43 over the genesis fork version and a zero root; Hoodi's matches the published value", () => {
    assert.deepEqual(COMMIT_BOOST_DOMAIN_TYPE, SPEC_DOMAIN_TYPE);
    assert.equal(hex(commitBoostDomain(HOODI)), hex(specDomain(HOODI)));
    // As a Commit-Boost module hard-codes it for Hoodi (fixed vector in a module built on cb_common).
    assert.equal(hex(commitBoostDomain(HOODI)), "0x6d6d6f43719103511efa4f1362ff2a50996cccf329cc84cb410c5e5c7d351d03");
  });

  test("Commit-Boost's own vectors (crates/common/src/signer/schemes/ecdsa.rs @ 0ef87871) reproduce", () => {
    // test_ecdsa_signer_noncommit: SigningData([1; 32], Holesky domain).
    const plain = ssz.phase0.SigningData.hashTreeRoot({ objectRoot: bytes(ones), domain: commitBoostDomain(HOLESKY) });
    assert.equal(hex(plain), "0x219ca7a673b2cbbf67bec6c9f60f78bd051336d57b68d1540190f30667e86725");
    // test_ecdsa_signer_prop_commit: data [1; 32], signing id [2; 32], nonce 42, Hoodi.
    const root = commitBoostSigningRoot(HOODI, { kind: "commitment", objectRoot: ones, moduleSigningId: twos, nonce: "42" });
    assert.ok(root.ok);
    assert.equal(hex(root.signingRoot), "0x0b95fcdb3f003fc6f0fd3238d906f359809e97fe7ec71f56771cb05bee4150bd");
    assert.equal(root.chainId, 560048n);
  });

  test("a nonce of 2^64-2 is encoded exactly (a module's fixed vector: object root and signing root)", () => {
    const data = "0x310fefd12df340a4d723608aec3e7471ced2abe290a9458a5ba1832b9fc84653";
    const signingId = "0xcb005700fab121c00ccbc94db58c04675b7847c38f9583815139d1d98bea0cb0";
    const root = commitBoostSigningRoot(HOODI, { kind: "commitment", objectRoot: data, moduleSigningId: signingId, nonce: String((1n << 64n) - 2n) });
    assert.ok(root.ok);
    assert.equal(hex(root.signingRoot), "0x90447b3fac12f371cbb8aa2e1527f2abda7576cd618244c005cdb3c0d63e8a7b");
  });

  test("api/signer-api.yml's generate_proxy_key BLS example is a real delegation: our ProxyDelegation root verifies it", () => {
    // The example (commit c7aa0409) was made by an older Commit-Boost on Holesky, which signed
    // delegations under the application-builder domain; v0.10 signs them under the Commit-Boost
    // domain (SignedProxyDelegation::validate in crates/common/src/commit/request.rs).
    const delegator = "0xa9e9cff900de07e295a044789fd4bdb6785eb0651ad282f9e76d12afd87e75180bdd64caf2e315b815d7322bd31ab48a";
    const proxy = "0xb646318d81b7cff3f8aae5040eab11927b4a99542c02970a1ab8069a83e5b76b302705d0b5e0054831ce2af72088bf30";
    const signature = Signature.fromHex(
      "0x88274f2d78d30ae429cc16f5c64657b491ccf26291c821cf953da34f16d60947d4f245decdce4a492e8d8f949482051b184aaa890d5dd97788387689335a1fee37cbe55c0227f81b073ce6e93b45f96169f497ed322d3d384d79ccaa7846d5ab",
    );
    const pk = PublicKey.fromHex(delegator);
    assert.ok(verify(specDelegationRoot(HOLESKY, delegator, proxy, params.DOMAIN_APPLICATION_BUILDER), pk, signature));
    const v010 = commitBoostSigningRoot(HOLESKY, { kind: "delegation", delegator, proxy });
    assert.ok(v010.ok);
    assert.equal(hex(v010.signingRoot), hex(specDelegationRoot(HOLESKY, delegator, proxy)));
    assert.equal(verify(v010.signingRoot, pk, signature), false);
  });

  test("random commitments and delegations agree with containers built from the spec text", () => {
    for (const network of [HOODI, resolveNetwork("mainnet"), resolveNetwork("sepolia")]) {
      for (let i = 0; i < 20; i++) {
        const data = hex(randomBytes(32));
        const signingId = hex(randomBytes(32));
        const nonce = BigInt("0x" + randomBytes(8).toString("hex"));
        const root = commitBoostSigningRoot(network, { kind: "commitment", objectRoot: data, moduleSigningId: signingId, nonce: nonce.toString() });
        assert.ok(root.ok);
        assert.equal(hex(root.signingRoot), hex(specCommitmentRoot(network, data, signingId, nonce, BigInt(network.config.DEPOSIT_CHAIN_ID))));
        const delegator = hex(randomBytes(48));
        for (const proxy of [hex(randomBytes(48)), hex(randomBytes(20))]) {
          const delegation = commitBoostSigningRoot(network, { kind: "delegation", delegator, proxy });
          assert.ok(delegation.ok);
          assert.equal(hex(delegation.signingRoot), hex(specDelegationRoot(network, delegator, proxy)));
        }
      }
    }
  });

  test("malformed inputs are refused: nonce beyond u64, negative, fractional; short roots", () => {
    const base = { kind: "commitment" as const, objectRoot: ones, moduleSigningId: twos };
    for (const nonce of [String(1n << 64n), "-1", "1.5", "01", "", "0x10"]) {
      const root = commitBoostSigningRoot(HOODI, { ...base, nonce });
      assert.equal(root.ok, false, nonce);
    }
    assert.equal(commitBoostSigningRoot(HOODI, { ...base, objectRoot: "0x1234", nonce: "1" }).ok, false);
    assert.equal(commitBoostSigningRoot(HOODI, { ...base, moduleSigningId: "0x" + "zz".repeat(32), nonce: "1" }).ok, false);
  });
});

describe("Commit-Boost signatures never touch a beacon-chain domain", () => {
  const beaconTypes = Object.entries(params as Record<string, unknown>).filter(([name, value]) => name.startsWith("DOMAIN_") && value instanceof Uint8Array) as Array<[string, Uint8Array]>;

  test("every DOMAIN_* type of @lodestar/params is refused as a Commit-Boost domain type, on every network", () => {
    assert.ok(beaconTypes.length >= 10);
    for (const network of [HOODI, HOLESKY, resolveNetwork("mainnet"), resolveNetwork("sepolia")]) {
      for (const [name, type] of beaconTypes) {
        const problem = beaconDomainCollision(network, type);
        assert.match(problem ?? "", /beacon chain's DOMAIN_/, `${name} on ${network.name}`);
      }
      assert.equal(beaconDomainCollision(network, COMMIT_BOOST_DOMAIN_TYPE), undefined);
    }
  });

  test("the Commit-Boost domain differs from every beacon domain of every fork, and no request can carry its own domain", () => {
    const domain = hex(commitBoostDomain(HOODI));
    for (const fork of HOODI.config.forksAscendingEpochOrder) {
      for (const [, type] of beaconTypes) {
        const forkDataRoot = ssz.phase0.ForkData.hashTreeRoot({ currentVersion: fork.version, genesisValidatorsRoot: bytes(HOODI.genesisValidatorsRoot) });
        assert.notEqual(hex(Uint8Array.from([...type, ...forkDataRoot.subarray(0, 28)])), domain);
      }
    }
    const attesterDomain = hex(params.DOMAIN_BEACON_ATTESTER);
    const smuggled = { kind: "commitment", objectRoot: ones, moduleSigningId: twos, nonce: "1", domain: attesterDomain } as never;
    const refused = commitBoostSigningRoot(HOODI, smuggled);
    assert.equal(refused.ok, false);
    assert.match(refused.ok ? "" : refused.error.message, /unexpected field/);
    const signingRoot = { kind: "delegation", delegator: hex(randomBytes(48)), proxy: hex(randomBytes(48)), signingRoot: ones } as never;
    assert.equal(commitBoostSigningRoot(HOODI, signingRoot).ok, false);
    assert.equal(commitBoostSigningRoot(HOODI, { kind: "attestation" } as never).ok, false);
  });

  test("the core signs an attestation's data root only under the Commit-Boost domain: the result is no attestation signature", async () => {
    const c = startCore("hoodi", 1);
    cores.push(c);
    const data = ssz.phase0.AttestationData.defaultValue();
    data.slot = 100;
    data.target.epoch = 3;
    const dataRoot = hex(ssz.phase0.AttestationData.hashTreeRoot(data));
    const signingId = hex(randomBytes(32));
    const outcome = await c.core.signCommitBoost(c.pubkeys[0]!, { kind: "commitment", objectRoot: dataRoot, moduleSigningId: signingId, nonce: "0" });
    assert.ok(outcome.ok);
    const pk = PublicKey.fromHex(c.pubkeys[0]!);
    const signature = Signature.fromHex(outcome.signature);
    assert.ok(verify(specCommitmentRoot(HOODI, dataRoot, signingId, 0n, 560048n), pk, signature));
    const fork = HOODI.config.getForkInfoAtEpoch(3);
    const forkDataRoot = ssz.phase0.ForkData.hashTreeRoot({ currentVersion: fork.version, genesisValidatorsRoot: bytes(HOODI.genesisValidatorsRoot) });
    const attesterDomain = Uint8Array.from([...params.DOMAIN_BEACON_ATTESTER, ...forkDataRoot.subarray(0, 28)]);
    const attestationRoot = ssz.phase0.SigningData.hashTreeRoot({ objectRoot: bytes(dataRoot), domain: attesterDomain });
    assert.equal(verify(attestationRoot, pk, signature), false);
    assert.equal(verify(bytes(dataRoot), pk, signature), false);
  });

  test("a delegation is signed only by its own delegator", async () => {
    const c = startCore("hoodi", 2);
    cores.push(c);
    const forged = await c.core.signCommitBoost(c.pubkeys[0]!, { kind: "delegation", delegator: c.pubkeys[1]!, proxy: hex(randomBytes(48)) });
    assert.equal(forged.ok ? "" : forged.error.code, "bad-request");
    const own = await c.core.signCommitBoost(c.pubkeys[0]!, { kind: "delegation", delegator: c.pubkeys[0]!.toUpperCase().replace("0X", "0x"), proxy: hex(randomBytes(20)) });
    assert.ok(own.ok);
  });

  test("an unknown consensus key is refused before any root is computed", async () => {
    const c = startCore("hoodi", 1);
    cores.push(c);
    const outcome = await c.core.signCommitBoost(hex(randomBytes(48)), { kind: "commitment", objectRoot: ones, moduleSigningId: twos, nonce: "0" });
    assert.equal(outcome.ok, false);
    assert.equal(outcome.ok ? "" : outcome.error.code, "unknown-key");
  });
});
