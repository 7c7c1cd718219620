/**
 * The Commit-Boost signer API over real HTTP (in-process server, real signing core): every route
 * and both schemes verify with blst / noble over roots built here from the spec; JWT refusals; the
 * failed-authentication throttle; a module signs only as itself; admin /reload and /revoke_jwt.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { request as httpRequest } from "node:http";
import { PublicKey, Signature, verify } from "@chainsafe/blst";
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { keccak_256 } from "@noble/hashes/sha3.js";
import type { FastifyInstance } from "fastify";
import { pino } from "pino";
import { after, before, describe, test } from "node:test";
import { buildCommitBoostApp, ROUTES } from "../../src/commit-boost/app.js";
import { type CommitBoostConfig, parseCommitBoostConfig } from "../../src/commit-boost/config.js";
import { CommitBoostSigner } from "../../src/core/commit-boost-signer.js";
import { DEFAULT_HOST_ALLOW_LIST } from "../../src/server/host-allow-list.js";
import { adminJwt, bytes, hex, moduleJwt, SEALING_SECRET, specCommitmentRoot, specDelegationRoot, startCore, TEST_SEAL, type TestCore } from "./fixtures.js";

const SIGNING_ID_A = "0x" + "a1".repeat(32);
const SIGNING_ID_B = "0x" + "b2".repeat(32);
const CONFIG_YAML = `
admin_jwt_secret: admin-secret
jwt_auth_fail_limit: 3
jwt_auth_fail_timeout_seconds: 60
modules:
  - id: MOD_A
    signing_id: "${SIGNING_ID_A}"
    jwt_secret: secret-a
  - id: MOD_B
    signing_id: "${SIGNING_ID_B.slice(2)}"
    jwt_secret: secret-b
`;

interface Reply {
  status: number;
  text: string;
  json: any;
  headers: Record<string, string | string[] | undefined>;
}

let c: TestCore;
let app: FastifyInstance;
let port: number;
let clock = Date.now();
let configText = CONFIG_YAML;

function call(method: string, path: string, options: { token?: string; body?: string; host?: string } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { host: options.host ?? `127.0.0.1:${port}` };
    if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
    if (options.body !== undefined) {
      headers["content-type"] = "application/json";
      headers["content-length"] = String(Buffer.byteLength(options.body));
    }
    const req = httpRequest({ host: "127.0.0.1", port, method, path, headers }, (res) => {
      let text = "";
      res.setEncoding("utf8").on("data", (chunk: string) => (text += chunk));
      res.on("end", () => {
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode!, text, json, headers: res.headers });
      });
    });
    req.on("error", reject);
    req.end(options.body);
  });
}

/** A POST as a module makes it: the JWT covers this route and this exact body. */
async function post(module: string, secret: string, route: string, body: string): Promise<Reply> {
  return call("POST", route, { token: await moduleJwt(module, secret, route, body), body });
}
const postA = (route: string, body: string) => post("MOD_A", "secret-a", route, body);

/** The address an r‖s‖v signature over `root` recovers to. */
function recoverAddress(root: Uint8Array, rsv: string): string {
  const sig = bytes(rsv);
  assert.equal(sig.length, 65);
  assert.ok(sig[64] === 27 || sig[64] === 28);
  const recovered = secp256k1.Signature.fromBytes(Uint8Array.from([sig[64]! - 27, ...sig.subarray(0, 64)]), "recovered");
  return hex(keccak_256(recovered.recoverPublicKey(root).toBytes(false).subarray(1)).subarray(12));
}

before(async () => {
  c = startCore("hoodi", 2);
  const signer = await CommitBoostSigner.open({ core: c.core, network: c.network, dataDir: c.dataDir, sealingSecret: SEALING_SECRET, seal: TEST_SEAL });
  const config: CommitBoostConfig = parseCommitBoostConfig(CONFIG_YAML, "test config");
  app = buildCommitBoostApp({
    signer,
    config,
    loadConfig: () => parseCommitBoostConfig(configText, "test config"),
    logger: pino({ level: "silent" }),
    hostAllowList: DEFAULT_HOST_ALLOW_LIST,
    now: () => clock,
  });
  await app.listen({ host: "127.0.0.1", port: 0 });
  port = (app.server.address() as { port: number }).port;
});
after(async () => {
  // Either may be missing when before() failed part-way; the core must be closed all the same.
  await app?.close();
  await c?.close();
});

describe("Commit-Boost signer API: signing routes", () => {
  test("GET /status is open; get_pubkeys lists the consensus keys", async () => {
    const status = await call("GET", ROUTES.status);
    assert.equal(status.status, 200);
    assert.equal(status.text, "OK");
    const keys = await call("GET", ROUTES.getPubkeys, { token: await moduleJwt("MOD_A", "secret-a", ROUTES.getPubkeys) });
    assert.equal(keys.status, 200);
    assert.deepEqual(
      keys.json.keys.map((k: { consensus: string }) => k.consensus).sort(),
      [...c.pubkeys].sort(),
    );
  });

  test("request_signature/bls: the response echoes the request with the module's signing id and chain id, and verifies (nonce 2^64-1 exact)", async () => {
    const objectRoot = hex(randomBytes(32));
    const nonce = (1n << 64n) - 1n;
    const body = `{"pubkey":"${c.pubkeys[0]}","object_root":"${objectRoot}","nonce":${nonce}}`;
    const res = await postA(ROUTES.signBls, body);
    assert.equal(res.status, 200, res.text);
    assert.match(res.text, new RegExp(`"nonce":${nonce},`));
    assert.deepEqual(Object.keys(res.json), ["pubkey", "object_root", "module_signing_id", "nonce", "chain_id", "signature"]);
    assert.equal(res.json.pubkey, c.pubkeys[0]);
    assert.equal(res.json.object_root, objectRoot);
    assert.equal(res.json.module_signing_id, SIGNING_ID_A);
    assert.equal(res.json.chain_id, "0x" + (560048).toString(16));
    const root = specCommitmentRoot(c.network, objectRoot, SIGNING_ID_A, nonce, 560048n);
    assert.ok(verify(root, PublicKey.fromHex(c.pubkeys[0]!), Signature.fromHex(res.json.signature)));
  });

  test("a module signs only as itself: the same request from MOD_B is signed under MOD_B's signing id", async () => {
    const objectRoot = hex(randomBytes(32));
    const body = JSON.stringify({ pubkey: c.pubkeys[1], object_root: objectRoot, nonce: 5 });
    const a = await postA(ROUTES.signBls, body);
    const b = await post("MOD_B", "secret-b", ROUTES.signBls, body);
    assert.equal(a.status, 200);
    assert.equal(b.status, 200);
    assert.equal(b.json.module_signing_id, SIGNING_ID_B);
    assert.notEqual(a.json.signature, b.json.signature);
    const pk = PublicKey.fromHex(c.pubkeys[1]!);
    assert.ok(verify(specCommitmentRoot(c.network, objectRoot, SIGNING_ID_B, 5n, 560048n), pk, Signature.fromHex(b.json.signature)));
    assert.equal(verify(specCommitmentRoot(c.network, objectRoot, SIGNING_ID_A, 5n, 560048n), pk, Signature.fromHex(b.json.signature)), false);
    // A body naming another module changes nothing: the JWT decides.
    const smuggled = JSON.stringify({ pubkey: c.pubkeys[1], object_root: objectRoot, nonce: 5, module_signing_id: SIGNING_ID_A, module: "MOD_A" });
    const again = await post("MOD_B", "secret-b", ROUTES.signBls, smuggled);
    assert.equal(again.json.module_signing_id, SIGNING_ID_B);
  });

  test("generate_proxy_key for both schemes: delegations verify; proxy-bls and proxy-ecdsa sign; other modules cannot use or see them", async () => {
    const delegator = c.pubkeys[0]!;
    const bls = await postA(ROUTES.generateProxyKey, JSON.stringify({ pubkey: delegator, scheme: "bls" }));
    const ecdsa = await postA(ROUTES.generateProxyKey, JSON.stringify({ pubkey: delegator, scheme: "ecdsa" }));
    assert.equal(bls.status, 200, bls.text);
    assert.equal(ecdsa.status, 200, ecdsa.text);
    for (const made of [bls.json, ecdsa.json]) {
      assert.deepEqual(Object.keys(made), ["message", "signature"]);
      assert.equal(made.message.delegator, delegator);
      assert.ok(verify(specDelegationRoot(c.network, delegator, made.message.proxy), PublicKey.fromHex(delegator), Signature.fromHex(made.signature)));
    }
    const proxyBls = bls.json.message.proxy as string;
    const address = ecdsa.json.message.proxy as string;
    assert.match(address, /^0x[0-9a-f]{40}$/);

    const listed = await call("GET", ROUTES.getPubkeys, { token: await moduleJwt("MOD_A", "secret-a", ROUTES.getPubkeys) });
    const entry = listed.json.keys.find((k: { consensus: string }) => k.consensus === delegator);
    assert.ok(entry.proxy_bls.includes(proxyBls));
    assert.ok(entry.proxy_ecdsa.includes(address));
    const listedB = await call("GET", ROUTES.getPubkeys, { token: await moduleJwt("MOD_B", "secret-b", ROUTES.getPubkeys) });
    assert.ok(listedB.json.keys.every((k: { proxy_bls: string[]; proxy_ecdsa: string[] }) => !k.proxy_bls.includes(proxyBls) && !k.proxy_ecdsa.includes(address)));

    const objectRoot = hex(randomBytes(32));
    const sigBls = await postA(ROUTES.signProxyBls, JSON.stringify({ proxy: proxyBls, object_root: objectRoot, nonce: 9 }));
    assert.equal(sigBls.status, 200, sigBls.text);
    assert.equal(sigBls.json.pubkey, proxyBls);
    assert.ok(verify(specCommitmentRoot(c.network, objectRoot, SIGNING_ID_A, 9n, 560048n), PublicKey.fromHex(proxyBls), Signature.fromHex(sigBls.json.signature)));

    const sigEcdsa = await postA(ROUTES.signProxyEcdsa, JSON.stringify({ proxy: address, object_root: objectRoot, nonce: 9 }));
    assert.equal(sigEcdsa.status, 200, sigEcdsa.text);
    assert.deepEqual(Object.keys(sigEcdsa.json), ["address", "object_root", "module_signing_id", "nonce", "chain_id", "signature"]);
    assert.equal(sigEcdsa.json.address, address);
    assert.match(sigEcdsa.json.signature, /^0x[0-9a-f]{130}$/);
    assert.equal(recoverAddress(specCommitmentRoot(c.network, objectRoot, SIGNING_ID_A, 9n, 560048n), sigEcdsa.json.signature), address);

    const stolen = await post("MOD_B", "secret-b", ROUTES.signProxyEcdsa, JSON.stringify({ proxy: address, object_root: objectRoot, nonce: 9 }));
    assert.equal(stolen.status, 404);
    assert.equal(stolen.json.code, 404);
  });

  test("bad bodies are 400 {code, message}; unknown keys 404", async () => {
    const cases = [
      JSON.stringify({ pubkey: c.pubkeys[0], object_root: "0x12", nonce: 1 }),
      JSON.stringify({ pubkey: c.pubkeys[0], object_root: hex(randomBytes(32)) }),
      JSON.stringify({ pubkey: c.pubkeys[0], object_root: hex(randomBytes(32)), nonce: 1.5 }),
      JSON.stringify({ pubkey: c.pubkeys[0], object_root: hex(randomBytes(32)), nonce: -1 }),
      `{"pubkey":"${c.pubkeys[0]}","object_root":"${hex(randomBytes(32))}","nonce":18446744073709551616}`,
      "{not json",
    ];
    for (const body of cases) {
      const res = await postA(ROUTES.signBls, body);
      assert.equal(res.status, 400, body);
      assert.equal(res.json.code, 400);
      assert.equal(typeof res.json.message, "string");
    }
    const unknown = await postA(ROUTES.signBls, JSON.stringify({ pubkey: hex(randomBytes(48)), object_root: hex(randomBytes(32)), nonce: 1 }));
    assert.equal(unknown.status, 404);
    const badScheme = await postA(ROUTES.generateProxyKey, JSON.stringify({ pubkey: c.pubkeys[0], scheme: "rsa" }));
    assert.equal(badScheme.status, 400);
  });

  test("a Host outside the allow-list is refused (403)", async () => {
    const res = await call("GET", ROUTES.status, { host: "evil.example:80" });
    assert.equal(res.status, 403);
  });
});

describe("Commit-Boost signer API: authentication", () => {
  const body = () => JSON.stringify({ pubkey: c.pubkeys[0], object_root: hex(randomBytes(32)), nonce: 1 });

  test("wrong secret, expired, another route, another body, missing payload hash, unknown module, alg none, no token: all 401", async () => {
    const b = body();
    const refusals: Array<[string, string | undefined]> = [
      ["wrong secret", await moduleJwt("MOD_A", "secret-b", ROUTES.signBls, b)],
      ["expired", await moduleJwt("MOD_A", "secret-a", ROUTES.signBls, b, { expSecondsFromNow: -60 })],
      ["another route", await moduleJwt("MOD_A", "secret-a", ROUTES.signProxyBls, b)],
      ["another body", await moduleJwt("MOD_A", "secret-a", ROUTES.signBls, body())],
      ["no payload hash", await moduleJwt("MOD_A", "secret-a", ROUTES.signBls, "")],
      ["unknown module", await moduleJwt("MOD_X", "secret-a", ROUTES.signBls, b)],
      ["HS512", await moduleJwt("MOD_A", "secret-a", ROUTES.signBls, b, { alg: "HS512" })],
      ["alg none", Buffer.from('{"alg":"none"}').toString("base64url") + "." + Buffer.from(JSON.stringify({ module: "MOD_A", route: ROUTES.signBls, exp: 9e9 })).toString("base64url") + "."],
      ["no token", undefined],
    ];
    for (const [label, token] of refusals) {
      clock += 120_000; // past the lock-out window: each refusal is judged on its own
      const res = await call("POST", ROUTES.signBls, { ...(token !== undefined ? { token } : {}), body: b });
      assert.equal(res.status, 401, `${label}: ${res.text}`);
      assert.equal(res.json.code, 401);
    }
    clock += 120_000;
    // A GET token may not carry a payload hash it has no body for.
    const getWithHash = await moduleJwt("MOD_A", "secret-a", ROUTES.getPubkeys, undefined, { payloadHash: "0x" + "00".repeat(32) });
    assert.equal((await call("GET", ROUTES.getPubkeys, { token: getWithHash })).status, 401);
    clock += 120_000;
    const good = await call("POST", ROUTES.signBls, { token: await moduleJwt("MOD_A", "secret-a", ROUTES.signBls, b), body: b });
    assert.equal(good.status, 200, good.text);
  });

  test("the throttle: 3 failures lock the client out (429, even with a valid token); it releases after the timeout", async () => {
    clock += 120_000;
    const bad = await moduleJwt("MOD_A", "wrong", ROUTES.getPubkeys);
    const goodToken = await moduleJwt("MOD_A", "secret-a", ROUTES.getPubkeys);
    for (let i = 0; i < 3; i++) assert.equal((await call("GET", ROUTES.getPubkeys, { token: bad })).status, 401);
    const locked = await call("GET", ROUTES.getPubkeys, { token: goodToken });
    assert.equal(locked.status, 429);
    assert.equal(locked.json.code, 429);
    assert.ok(Number(locked.headers["retry-after"]) > 0);
    const adminLocked = await call("POST", ROUTES.revokeJwt, { token: await adminJwt("admin-secret", ROUTES.revokeJwt, '{"module_id":"MOD_X"}'), body: '{"module_id":"MOD_X"}' });
    assert.equal(adminLocked.status, 429);
    clock += 59_000;
    assert.equal((await call("GET", ROUTES.getPubkeys, { token: goodToken })).status, 429);
    clock += 2_000;
    assert.equal((await call("GET", ROUTES.getPubkeys, { token: goodToken })).status, 200);
    assert.equal((await call("GET", ROUTES.status)).status, 200);
  });

  test("admin: a module token cannot revoke; the admin token revokes a module, /reload restores it and can rotate its secret", async () => {
    clock += 120_000;
    const revokeBody = JSON.stringify({ module_id: "MOD_B" });
    const asModule = await call("POST", ROUTES.revokeJwt, { token: await moduleJwt("MOD_A", "secret-a", ROUTES.revokeJwt, revokeBody), body: revokeBody });
    assert.equal(asModule.status, 401);
    clock += 120_000;
    const adminForOtherRoute = await call("POST", ROUTES.revokeJwt, { token: await adminJwt("admin-secret", ROUTES.reload, revokeBody), body: revokeBody });
    assert.equal(adminForOtherRoute.status, 401);
    clock += 120_000;

    const revoked = await call("POST", ROUTES.revokeJwt, { token: await adminJwt("admin-secret", ROUTES.revokeJwt, revokeBody), body: revokeBody });
    assert.equal(revoked.status, 200, revoked.text);
    const b = body();
    assert.equal((await post("MOD_B", "secret-b", ROUTES.signBls, b)).status, 401);
    clock += 120_000;
    const missing = await call("POST", ROUTES.revokeJwt, { token: await adminJwt("admin-secret", ROUTES.revokeJwt, revokeBody), body: revokeBody });
    assert.equal(missing.status, 404);

    const reload = await call("POST", ROUTES.reload, { token: await adminJwt("admin-secret", ROUTES.reload) });
    assert.equal(reload.status, 200, reload.text);
    assert.equal((await post("MOD_B", "secret-b", ROUTES.signBls, body())).status, 200);

    const rotate = JSON.stringify({ jwt_secrets: "MOD_B=rotated-b", admin_secret: "new-admin" });
    const rotated = await call("POST", ROUTES.reload, { token: await adminJwt("admin-secret", ROUTES.reload, rotate), body: rotate });
    assert.equal(rotated.status, 200, rotated.text);
    assert.equal((await post("MOD_B", "rotated-b", ROUTES.signBls, body())).status, 200);
    assert.equal((await post("MOD_B", "secret-b", ROUTES.signBls, body())).status, 401);
    clock += 120_000;
    const unknownOverride = JSON.stringify({ jwt_secrets: "MOD_Z=x" });
    const refused = await call("POST", ROUTES.reload, { token: await adminJwt("new-admin", ROUTES.reload, unknownOverride), body: unknownOverride });
    assert.equal(refused.status, 400);

    configText = "modules: []";
    const broken = await call("POST", ROUTES.reload, { token: await adminJwt("new-admin", ROUTES.reload) });
    assert.equal(broken.status, 500);
    assert.equal((await post("MOD_B", "rotated-b", ROUTES.signBls, body())).status, 200, "a failed reload keeps the previous state");
    configText = CONFIG_YAML;
    assert.equal((await call("POST", ROUTES.reload, { token: await adminJwt("new-admin", ROUTES.reload) })).status, 200);
    assert.equal((await post("MOD_B", "secret-b", ROUTES.signBls, body())).status, 200);
  });
});
