// Every request type and fork variant over real HTTP: the signature the signer returns is blst's
// signature over the signing root lodestar's SSZ types and config give (computed here, not by src/eth).
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { SIGNING_REQUEST_TYPES } from "../../src/eth/index.js";
import { allCases, attestationCase, randaoCase, type SigningCase } from "./cases.js";
import { expectedSignature, rawRequest, type Signer, startSigner, verifies } from "./harness.js";

const cases = allCases();

describe("signing every request type over HTTP (mainnet)", () => {
  let signer: Signer;
  // One key per case (and a few spare), so blocks and attestations never conflict across cases.
  const SPARE = 6;
  before(async () => {
    signer = await startSigner({ keys: cases.length + SPARE });
  });
  after(async () => {
    await signer?.close();
  });

  test("the cases cover every request type and every fork variant mainnet has", () => {
    // The Gloas-only types and versions need a network that schedules Gloas: gloas-signing.test.ts.
    const gloasOnly = ["EXECUTION_PAYLOAD_BID", "EXECUTION_PAYLOAD_ENVELOPE", "PAYLOAD_ATTESTATION_MESSAGE", "PROPOSER_PREFERENCES", "BUILDER_REQUEST_AUTH"];
    const types = new Set(cases.map((c) => c.body.type as string));
    assert.deepEqual([...types].sort(), SIGNING_REQUEST_TYPES.filter((type) => !gloasOnly.includes(type)).sort());
    const versions = (type: string, wrapper: string) =>
      cases
        .filter((c) => c.body.type === type)
        .map((c) => (c.body[wrapper] as { version: string }).version)
        .sort();
    const all = ["ALTAIR", "BELLATRIX", "CAPELLA", "DENEB", "ELECTRA", "FULU", "PHASE0"];
    assert.deepEqual(versions("BLOCK_V2", "beacon_block"), all);
    assert.deepEqual(versions("AGGREGATE_AND_PROOF_V2", "aggregate_and_proof"), all);
    // All roots are distinct: no case could pass by signing another case's root.
    assert.equal(new Set(cases.map((c) => c.root)).size, cases.length);
  });

  cases.forEach((c: SigningCase, i: number) => {
    test(c.name, async () => {
      const key = signer.keys[i]!;
      const expected = expectedSignature(key, c.root);

      const response = await signer.post(`/api/v1/eth2/sign/${key.pubkey}`, c.body, { accept: "application/json" });
      const text = await response.text();
      assert.equal(response.status, 200, text);
      assert.match(response.headers.get("content-type") ?? "", /^application\/json/);
      const { signature } = JSON.parse(text) as { signature: string };
      assert.equal(signature.toLowerCase(), expected);
      assert.ok(verifies(key, c.root, signature), "signature verifies with blst over the expected root");

      // The same request with the correct root supplied, in both spellings, is accepted
      // (for blocks and attestations it is a harmless repeat of the identical message).
      for (const rootKey of ["signingRoot", "signing_root"]) {
        const withRoot = await signer.sign(key.pubkey, { ...c.body, [rootKey]: c.root });
        assert.equal(withRoot.status, 200, `${rootKey}: ${JSON.stringify(withRoot.json)}`);
        assert.equal((withRoot.json.signature as string).toLowerCase(), expected);
      }
    });
  });

  test("a supplied signingRoot is accepted on the first (recorded) attestation too, and upper-case hex keys work", async () => {
    const key = signer.keys[cases.length]!;
    const c = attestationCase(200, 201);
    const upper = "0x" + key.pubkey.slice(2).toUpperCase();
    const response = await signer.sign(upper, { ...c.body, signing_root: c.root.toUpperCase().replace("0X", "0x") });
    assert.equal(response.status, 200, JSON.stringify(response.json));
    assert.equal((response.json.signature as string).toLowerCase(), expectedSignature(key, c.root));
    const exported = JSON.parse(await signer.core.exportProtection([key.pubkey])) as {
      data: Array<{ signed_attestations: Array<{ source_epoch: string; target_epoch: string; signing_root: string }> }>;
    };
    assert.deepEqual(exported.data[0]!.signed_attestations, [{ source_epoch: "200", target_epoch: "201", signing_root: c.root }]);
  });

  test("the helper really checks: a signature does not verify over another root or key", async () => {
    const c = randaoCase(1234);
    const key = signer.keys[cases.length + 1]!;
    const { json } = await signer.sign(key.pubkey, c.body);
    const signature = json.signature as string;
    assert.ok(verifies(key, c.root, signature));
    assert.ok(!verifies(key, randaoCase(1235).root, signature));
    assert.ok(!verifies(signer.keys[0]!, c.root, signature));
  });

  describe("response forms", () => {
    const c = randaoCase(5000);
    let key: (typeof signer.keys)[number];
    let expected: string;
    before(() => {
      key = signer.keys[cases.length + 2]!;
      expected = expectedSignature(key, c.root);
    });

    test("Accept: text/plain gets the bare hex signature as text/plain", async () => {
      const response = await signer.post(`/api/v1/eth2/sign/${key.pubkey}`, c.body, { accept: "text/plain" });
      assert.equal(response.status, 200);
      assert.match(response.headers.get("content-type") ?? "", /^text\/plain/);
      const body = await response.text();
      assert.equal(body.toLowerCase(), expected);
      assert.match(body, /^0x[0-9a-fA-F]{192}$/);
    });

    test("Accept: application/json gets {signature}", async () => {
      const response = await signer.post(`/api/v1/eth2/sign/${key.pubkey}`, c.body, { accept: "application/json" });
      assert.equal(response.status, 200);
      assert.match(response.headers.get("content-type") ?? "", /^application\/json/);
      assert.deepEqual(await response.json(), { signature: expected });
    });

    test("Accept: */* (fetch's default) gets JSON", async () => {
      const response = await fetch(`${signer.url}/api/v1/eth2/sign/${key.pubkey}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(c.body),
      });
      assert.equal(response.status, 200);
      assert.deepEqual(await response.json(), { signature: expected });
    });

    test("no Accept header at all gets JSON", async () => {
      const body = JSON.stringify(c.body);
      const response = await rawRequest(signer.port, {
        method: "POST",
        path: `/api/v1/eth2/sign/${key.pubkey}`,
        headers: { host: `127.0.0.1:${signer.port}`, "content-type": "application/json", "content-length": String(Buffer.byteLength(body)) },
        body,
      });
      assert.equal(response.status, 200, response.body);
      assert.match(String(response.headers["content-type"]), /^application\/json/);
      assert.deepEqual(JSON.parse(response.body), { signature: expected });
    });
  });
});
