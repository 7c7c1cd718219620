/**
 * Proxy keys of the Commit-Boost half of the signing core: made inside, delegated by the consensus
 * key (verified with blst over a root built here), sealed, surviving a restart, private to the
 * module that made them; ECDSA signatures are r‖s‖v over the bare signing root.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import { PublicKey, Signature, verify } from "@chainsafe/blst";
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { keccak_256 } from "@noble/hashes/sha3.js";
import { after, describe, test } from "node:test";
import { CommitBoostSigner } from "../../src/core/commit-boost-signer.js";
import { proxyKeyFilePath, writeProxyKeyFile } from "../../src/core/commit-boost-proxy-file.js";
import { bytes, hex, SEALING_SECRET, specCommitmentRoot, specDelegationRoot, startCore, TEST_SEAL, type TestCore } from "./fixtures.js";

const cores: TestCore[] = [];
after(async () => {
  for (const c of cores) await c.close();
});

async function setup(keys = 2): Promise<{ c: TestCore; signer: CommitBoostSigner }> {
  const c = startCore("hoodi", keys);
  cores.push(c);
  const signer = await CommitBoostSigner.open({ core: c.core, network: c.network, dataDir: c.dataDir, sealingSecret: SEALING_SECRET, seal: TEST_SEAL });
  return { c, signer };
}

/** The address an ECDSA r‖s‖v signature over `root` recovers to (v must be 27 or 28). */
function recoverAddress(root: Uint8Array, rsv: string): string {
  const sig = bytes(rsv);
  assert.equal(sig.length, 65);
  assert.ok(sig[64] === 27 || sig[64] === 28, `v = ${sig[64]}`);
  const recovered = secp256k1.Signature.fromBytes(Uint8Array.from([sig[64]! - 27, ...sig.subarray(0, 64)]), "recovered");
  const publicKey = recovered.recoverPublicKey(root).toBytes(false);
  return hex(keccak_256(publicKey.subarray(1)).subarray(12));
}

const request = (module: string, moduleSigningId: string, nonce = "7") => ({ module, moduleSigningId, objectRoot: hex(randomBytes(32)), nonce });

describe("Commit-Boost proxy keys in the signing core", () => {
  test("a BLS proxy: delegation verifies under the consensus key, it is listed for its module only, and signs commitments", async () => {
    const { c, signer } = await setup();
    const delegator = c.pubkeys[0]!;
    const made = await signer.generateProxy("MOD_A", delegator, "bls");
    assert.ok(made.ok);
    const { message, signature } = made.delegation;
    assert.equal(message.delegator, delegator);
    assert.match(message.proxy, /^0x[0-9a-f]{96}$/);
    assert.ok(verify(specDelegationRoot(c.network, delegator, message.proxy), PublicKey.fromHex(delegator), Signature.fromHex(signature)));

    const listedA = await signer.listKeys("MOD_A");
    assert.deepEqual(listedA.find((k) => k.consensus === delegator), { consensus: delegator, proxy_bls: [message.proxy], proxy_ecdsa: [] });
    assert.deepEqual(listedA.map((k) => k.consensus).sort(), [...c.pubkeys].sort());
    assert.ok((await signer.listKeys("MOD_B")).every((k) => k.proxy_bls.length === 0 && k.proxy_ecdsa.length === 0));

    const signingId = hex(randomBytes(32));
    const req = request("MOD_A", signingId);
    const signed = await signer.signProxy("bls", message.proxy, req);
    assert.ok(signed.ok);
    assert.ok(verify(specCommitmentRoot(c.network, req.objectRoot, signingId, 7n, 560048n), PublicKey.fromHex(message.proxy), Signature.fromHex(signed.signature)));

    const other = await signer.signProxy("bls", message.proxy, request("MOD_B", hex(randomBytes(32))));
    assert.equal(other.ok ? "" : other.error.code, "unknown-key");
    const wrongScheme = await signer.signProxy("ecdsa", message.proxy, req);
    assert.equal(wrongScheme.ok, false);
  });

  test("an ECDSA proxy: 20-byte address, delegation verifies, signatures are 65-byte r‖s‖v over the bare root (no EIP-191 prefix)", async () => {
    const { c, signer } = await setup();
    const delegator = c.pubkeys[1]!;
    const made = await signer.generateProxy("MOD_A", delegator, "ecdsa");
    assert.ok(made.ok);
    const address = made.delegation.message.proxy;
    assert.match(address, /^0x[0-9a-f]{40}$/);
    assert.ok(verify(specDelegationRoot(c.network, delegator, address), PublicKey.fromHex(delegator), Signature.fromHex(made.delegation.signature)));
    assert.deepEqual((await signer.listKeys("MOD_A")).find((k) => k.consensus === delegator)?.proxy_ecdsa, [address]);

    const signingId = hex(randomBytes(32));
    const nonce = (1n << 64n) - 1n;
    const req = request("MOD_A", signingId, nonce.toString());
    const signed = await signer.signProxy("ecdsa", address, req);
    assert.ok(signed.ok);
    const root = specCommitmentRoot(c.network, req.objectRoot, signingId, nonce, 560048n);
    assert.equal(recoverAddress(root, signed.signature), address);
    const prefixed = keccak_256(Uint8Array.from([...new TextEncoder().encode("\x19Ethereum Signed Message:\n32"), ...root]));
    assert.notEqual(recoverAddress(prefixed, signed.signature), address);
  });

  test("a module's fixed ECDSA vector reproduces exactly through the core (key 0x0501…d917, nonce 2^64-2, Hoodi), its secret sealed", async () => {
    const c = startCore("hoodi", 1);
    cores.push(c);
    const secretKey = bytes("0501e85d5bc2e95f70efda47409710a7cf01dd02ff238e3efec679b27331d917");
    const address = hex(keccak_256(secp256k1.getPublicKey(secretKey, false).subarray(1)).subarray(12));
    const record = { module: "MOD_A", scheme: "ecdsa" as const, proxy: address, delegator: c.pubkeys[0]!, signature: "0x", secretKey };
    await writeProxyKeyFile(proxyKeyFilePath(c.dataDir), [record], SEALING_SECRET, TEST_SEAL);
    const text = readFileSync(proxyKeyFilePath(c.dataDir), "utf8");
    assert.ok(text.includes(address.slice(2)));
    assert.ok(!text.includes("0501e85d5bc2e95f70efda47") && !text.includes(Buffer.from(secretKey).toString("base64").slice(0, 24)), "the secret must not be in clear");
    const signer = await CommitBoostSigner.open({ core: c.core, network: c.network, dataDir: c.dataDir, sealingSecret: SEALING_SECRET });
    const signed = await signer.signProxy("ecdsa", address, {
      module: "MOD_A",
      moduleSigningId: "0xcb005700fab121c00ccbc94db58c04675b7847c38f9583815139d1d98bea0cb0",
      objectRoot: "0x310fefd12df340a4d723608aec3e7471ced2abe290a9458a5ba1832b9fc84653",
      nonce: String((1n << 64n) - 2n),
    });
    assert.ok(signed.ok);
    assert.equal(signed.signature, "0xf59f6fbee040a98021f55b8aaff8eecd4f1c1c9723ef7b5b9d09a0c0835bf94e20d90fc12a203bb9fcf81f7e838806bd3e67b82802d0bcd842163bd37c2cce581b");
  });

  test("proxies survive a restart from the sealed file (0600); a wrong sealing secret does not open it", async () => {
    const { c, signer } = await setup(1);
    const delegator = c.pubkeys[0]!;
    const bls = await signer.generateProxy("MOD_A", delegator, "bls");
    const ecdsa = await signer.generateProxy("MOD_A", delegator, "ecdsa");
    assert.ok(bls.ok && ecdsa.ok);
    const signingId = hex(randomBytes(32));
    const req = request("MOD_A", signingId);
    const before = await signer.signProxy("bls", bls.delegation.message.proxy, req);

    const path = proxyKeyFilePath(c.dataDir);
    assert.equal(statSync(path).mode & 0o777, 0o600);
    const reopened = await CommitBoostSigner.open({ core: c.core, network: c.network, dataDir: c.dataDir, sealingSecret: SEALING_SECRET });
    assert.deepEqual(await reopened.listKeys("MOD_A"), [{ consensus: delegator, proxy_bls: [bls.delegation.message.proxy], proxy_ecdsa: [ecdsa.delegation.message.proxy] }]);
    const after = await reopened.signProxy("bls", bls.delegation.message.proxy, req);
    assert.deepEqual(after, before);
    const ecdsaSigned = await reopened.signProxy("ecdsa", ecdsa.delegation.message.proxy, req);
    assert.ok(ecdsaSigned.ok);
    assert.equal(recoverAddress(specCommitmentRoot(c.network, req.objectRoot, signingId, 7n, 560048n), ecdsaSigned.signature), ecdsa.delegation.message.proxy);

    await assert.rejects(
      CommitBoostSigner.open({ core: c.core, network: c.network, dataDir: c.dataDir, sealingSecret: new TextEncoder().encode("not the sealing secret") }),
      /wrong sealing secret/,
    );
    // The delegations are public fields of the file; the secrets only ciphertext (see the fixed-vector test).
    assert.match(readFileSync(path, "utf8"), new RegExp(bls.delegation.message.proxy.slice(2)));
  });

  test("concurrent generations are all stored: a reopened signer lists every one", async () => {
    const { c, signer } = await setup(1);
    const made = await Promise.all(["bls", "ecdsa", "bls", "ecdsa"].map((scheme) => signer.generateProxy("MOD_A", c.pubkeys[0]!, scheme as "bls" | "ecdsa")));
    assert.ok(made.every((m) => m.ok));
    const reopened = await CommitBoostSigner.open({ core: c.core, network: c.network, dataDir: c.dataDir, sealingSecret: SEALING_SECRET });
    const [entry] = await reopened.listKeys("MOD_A");
    const proxies = made.map((m) => (m.ok ? m.delegation.message.proxy : ""));
    assert.deepEqual([...entry!.proxy_bls, ...entry!.proxy_ecdsa].sort(), [...proxies].sort());
  });

  test("a proxy is refused for an unknown consensus key and for a bad scheme input; nothing is stored", async () => {
    const { signer } = await setup(1);
    const unknown = await signer.generateProxy("MOD_A", hex(randomBytes(48)), "bls");
    assert.equal(unknown.ok ? "" : unknown.error.code, "unknown-key");
    const malformed = await signer.generateProxy("MOD_A", "0x1234", "ecdsa");
    assert.equal(malformed.ok ? "" : malformed.error.code, "bad-request");
    assert.equal(signer.proxyCount, 0);
  });

  test("a proxy whose consensus key was removed no longer signs", async () => {
    const { c, signer } = await setup(1);
    const made = await signer.generateProxy("MOD_A", c.pubkeys[0]!, "bls");
    assert.ok(made.ok);
    await c.core.removeKeys([c.pubkeys[0]!]);
    const signed = await signer.signProxy("bls", made.delegation.message.proxy, request("MOD_A", hex(randomBytes(32))));
    assert.equal(signed.ok ? "" : signed.error.code, "unknown-key");
  });
});
