/**
 * End-to-end: `node bin/bulwark.js serve ... --commit-boost-port P --commit-boost-config F` as a
 * real process. A module generates proxy keys, gets signatures for every route (verified here over
 * spec roots), the signer restarts, and the sealed proxies come back listed and signing.
 */
import assert from "node:assert/strict";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { PublicKey, Signature, verify } from "@chainsafe/blst";
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { keccak_256 } from "@noble/hashes/sha3.js";
import { resolveNetwork } from "../../src/config/networks.js";
import { tempDir } from "../helpers/temp.js";
import { cheapKeystore, keystoreName, testKey, writeKeystore } from "../keys/fixtures.js";
import { bytes, hex, moduleJwt, specCommitmentRoot, specDelegationRoot } from "../commit-boost/fixtures.js";
import { type Bulwark, freePort, request, runBulwark, startBulwark } from "./harness.js";

const HOODI = resolveNetwork("hoodi");
const SIGNING_ID = "0x" + "5c".repeat(32);
const SEALING = { BULWARK_SEALING_PASSPHRASE: "e2e sealing passphrase" };

const servers = new Set<Bulwark>();
const cleanups: Array<() => void> = [];
after(async () => {
  await Promise.all([...servers].map((server) => server.stop("SIGKILL")));
  for (const cleanup of cleanups) cleanup();
});

interface Setup {
  dataDir: string;
  keystores: string;
  passwords: string;
  configFile: string;
  pubkey: string;
}

async function setup(): Promise<Setup> {
  const dir = tempDir("bulwark-e2e-cb-");
  cleanups.push(dir.cleanup);
  const layout = { root: dir.path, keystores: join(dir.path, "validator_keys"), passwords: join(dir.path, "secrets") };
  await mkdir(layout.keystores, { recursive: true });
  await mkdir(layout.passwords, { recursive: true });
  const key = testKey(16);
  await writeKeystore(layout, keystoreName(0), await cheapKeystore(key, "pw"), "pw");
  const configFile = join(dir.path, "commit-boost.yaml");
  await writeFile(configFile, `admin_jwt_secret: admin\nmodules:\n  - id: E2E_MODULE\n    signing_id: "${SIGNING_ID}"\n    jwt_secret: e2e-secret\n`, { mode: 0o600 });
  return { dataDir: join(dir.path, "data"), keystores: layout.keystores, passwords: layout.passwords, configFile, pubkey: key.pubkey.toLowerCase() };
}

/** Every argument of `serve` for these tests, in one place. */
function serveArgs(s: Setup, commitBoostPort: number, extra: string[] = []): string[] {
  return [
    "serve",
    "--network", "hoodi",
    "--data-dir", s.dataDir,
    "--keystores", s.keystores,
    "--keystores-passwords", s.passwords,
    "--http-port", "0",
    "--signing-threads", "1",
    "--commit-boost-port", String(commitBoostPort),
    "--commit-boost-config", s.configFile,
    ...extra,
  ];
}

async function serve(s: Setup, port: number): Promise<Bulwark> {
  const server = await startBulwark(serveArgs(s, port), { env: SEALING, timeoutMs: 60_000 });
  servers.add(server);
  void server.exited.then(() => servers.delete(server));
  return server;
}

async function call(port: number, route: string, body?: string): Promise<{ status: number; json: any; body: string }> {
  const token = await moduleJwt("E2E_MODULE", "e2e-secret", route, body);
  const res = await request(`http://127.0.0.1:${port}${route}`, {
    method: body === undefined ? "GET" : "POST",
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    ...(body === undefined ? {} : { body }),
  });
  let json: unknown;
  try {
    json = JSON.parse(res.body);
  } catch {
    json = undefined;
  }
  return { status: res.status, json, body: res.body };
}

describe("bulwark serve with the Commit-Boost signer API (real process)", () => {
  test("proxy keys made over HTTP sign every route, and survive a restart", { timeout: 180_000 }, async () => {
    const s = await setup();
    const port = await freePort();
    let server = await serve(s, port);
    assert.ok(server.logs().some((line) => line.msg === "Commit-Boost signer API ready"));

    const status = await request(`http://127.0.0.1:${port}/status`);
    assert.equal(status.status, 200);

    const bls = await call(port, "/signer/v1/generate_proxy_key", JSON.stringify({ pubkey: s.pubkey, scheme: "bls" }));
    const ecdsa = await call(port, "/signer/v1/generate_proxy_key", JSON.stringify({ pubkey: s.pubkey, scheme: "ecdsa" }));
    assert.equal(bls.status, 200, bls.body);
    assert.equal(ecdsa.status, 200, ecdsa.body);
    for (const made of [bls.json, ecdsa.json]) {
      assert.ok(verify(specDelegationRoot(HOODI, s.pubkey, made.message.proxy), PublicKey.fromHex(s.pubkey), Signature.fromHex(made.signature)));
    }
    const proxyBls: string = bls.json.message.proxy;
    const address: string = ecdsa.json.message.proxy;

    const objectRoot = hex(new Uint8Array(32).fill(0x42));
    const root = specCommitmentRoot(HOODI, objectRoot, SIGNING_ID, 3n, 560048n);
    const consensus = await call(port, "/signer/v1/request_signature/bls", JSON.stringify({ pubkey: s.pubkey, object_root: objectRoot, nonce: 3 }));
    assert.equal(consensus.status, 200, consensus.body);
    assert.ok(verify(root, PublicKey.fromHex(s.pubkey), Signature.fromHex(consensus.json.signature)));
    const viaProxy = await call(port, "/signer/v1/request_signature/proxy-bls", JSON.stringify({ proxy: proxyBls, object_root: objectRoot, nonce: 3 }));
    assert.equal(viaProxy.status, 200, viaProxy.body);
    assert.ok(verify(root, PublicKey.fromHex(proxyBls), Signature.fromHex(viaProxy.json.signature)));
    const viaEcdsa = await call(port, "/signer/v1/request_signature/proxy-ecdsa", JSON.stringify({ proxy: address, object_root: objectRoot, nonce: 3 }));
    assert.equal(viaEcdsa.status, 200, viaEcdsa.body);
    const rsv = bytes(viaEcdsa.json.signature);
    const recovered = secp256k1.Signature.fromBytes(Uint8Array.from([rsv[64]! - 27, ...rsv.subarray(0, 64)]), "recovered").recoverPublicKey(root);
    assert.equal(hex(keccak_256(recovered.toBytes(false).subarray(1)).subarray(12)), address);

    // Web3Signer's API on the other port is untouched and still lists the key.
    const keys = await request(`${server.url}/api/v1/eth2/publicKeys`);
    assert.deepEqual(JSON.parse(keys.body), [s.pubkey]);

    assert.equal((await server.stop()).code, 0);
    server = await serve(s, port);
    const listed = await call(port, "/signer/v1/get_pubkeys");
    assert.equal(listed.status, 200, listed.body);
    assert.deepEqual(listed.json, { keys: [{ consensus: s.pubkey, proxy_bls: [proxyBls], proxy_ecdsa: [address] }] });
    const afterRestart = await call(port, "/signer/v1/request_signature/proxy-bls", JSON.stringify({ proxy: proxyBls, object_root: objectRoot, nonce: 3 }));
    assert.equal(afterRestart.json.signature, viaProxy.json.signature);
    await server.stop();
  });

  test("the API is off by default; half the options, a bad config or no sealing secret stop start-up with the reason", { timeout: 120_000 }, async () => {
    const s = await setup();
    const port = await freePort();
    const plain = await startBulwark(serveArgs(s, port).slice(0, -4), { timeoutMs: 60_000 });
    servers.add(plain);
    const refused = await request(`http://127.0.0.1:${port}/status`).then(
      () => "answered",
      () => "refused",
    );
    assert.equal(refused, "refused");
    await plain.stop();

    const half = await runBulwark(serveArgs(s, port).slice(0, -2), { env: SEALING, timeoutMs: 60_000 });
    assert.notEqual(half.code, 0);
    assert.match(half.stderr, /--commit-boost-port and --commit-boost-config go together/);

    const noSecret = await runBulwark(serveArgs(s, port), { timeoutMs: 60_000 });
    assert.notEqual(noSecret.code, 0);
    assert.match(noSecret.stderr, /no sealing secret/);

    await writeFile(s.configFile, "modules:\n  - id: X\n    signing_id: \"0x00\"\n    jwt_secret: s\nadmin_jwt_secret: a\n");
    const badConfig = await runBulwark(serveArgs(s, port), { env: SEALING, timeoutMs: 60_000 });
    assert.notEqual(badConfig.code, 0);
    assert.match(badConfig.stderr, /signing_id/);
  });
});
