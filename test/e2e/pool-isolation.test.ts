/**
 * End-to-end, real processes on 127.0.0.1, for three holes of issue 9 in the pool:
 *  4. a participant served every pool it joined behind one coordinator token, so pool A's
 *     aggregator could list pool B and get B's partials;
 *  8. the beacon node was trusted blindly: an answer "index 999999, active" for another key made
 *     the aggregator pre-sign a useless exit and destroy the pool's whole key;
 * 10. each unauthenticated aggregator /healthcheck fanned out N authenticated probes, and the
 *     participant had no Host allow-list.
 * Two pools A and B (3 operators each, the same three), operator 1 joins both and runs one
 * participant; B's aggregator is pointed at counting stand-ins for its participants.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { PublicKey, Signature, verify } from "@chainsafe/blst";
import { POOL_FILES } from "../../src/pool/definition.js";
import { PASSPHRASE, Scratch, seedCheapStore, WITHDRAWAL } from "../pool/ceremony/ceremony-fixtures.js";
import { type Bulwark, freePort, logsWhen, request, runBulwark, startBulwark } from "./harness.js";
import { network, randaoReveal } from "./requests.js";

const ENV = { BULWARK_SEALING_PASSPHRASE: PASSPHRASE };
const MAINNET = network("mainnet");
const scratch = new Scratch();
const servers = new Set<Bulwark>();
const stopHttp: Array<() => Promise<void>> = [];
after(async () => {
  await Promise.all([...servers].map((server) => server.stop("SIGKILL")));
  for (const stop of stopHttp) await stop();
  scratch.cleanup();
});

async function bulwark(args: string[], expectCode = 0) {
  const result = await runBulwark(args, { env: ENV, timeoutMs: 60_000 });
  assert.equal(result.code, expectCode, `bulwark ${args.join(" ")}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`);
  return result;
}

async function start(args: string[]): Promise<Bulwark> {
  const server = await startBulwark(args, { env: ENV, timeoutMs: 60_000 });
  servers.add(server);
  void server.exited.then(() => servers.delete(server));
  return server;
}

interface PoolJson {
  composite_public_key: string;
  participants: Array<{ id: number; component_public_key: string; endpoint: string }>;
}

/** A plain HTTP server on loopback; `handle` answers [status, JSON body]. */
async function stubServer(handle: (method: string, url: string) => [number, unknown]): Promise<{ url: string; port: number; seen: string[] }> {
  const seen: string[] = [];
  const server = http.createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    req.resume();
    req.on("end", () => {
      const [status, body] = handle(req.method ?? "GET", req.url ?? "");
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  stopHttp.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, port, seen };
}

/** A beacon node that answers every validator lookup with this document. */
function lyingBeacon(document: unknown): Promise<{ url: string; port: number; seen: string[] }> {
  return stubServer((method, url) => (method === "GET" && url.includes("/validators/") ? [200, document] : [404, { code: 404, message: "Route not found" }]));
}

function validatorDocument(index: string, pubkey: string, options: { finalized?: boolean; status?: string } = {}): unknown {
  return {
    execution_optimistic: false,
    finalized: options.finalized ?? true,
    data: { index, balance: "32000000000", status: options.status ?? "active_ongoing", validator: { pubkey, withdrawal_credentials: "0x01" + "00".repeat(31) } },
  };
}

describe("pool isolation, beacon checks, health amplification and Host allow-list (holes 4, 8, 10)", () => {
  const root = scratch.dir("bulwark-e2e-pool-isolation-");
  const operators = [1, 2, 3].map((id) => ({ id, dir: join(root, `operator-${id}`) }));
  const aggA = join(root, "aggregator-a");
  const aggB = join(root, "aggregator-b");
  const poolFileA = join(root, "ceremony-a", "pool.json");
  const poolFileB = join(root, "ceremony-b", "pool.json");
  let poolA: PoolJson;
  let poolB: PoolJson;
  /** Counting stand-ins for B's participants (health probes only). */
  let standIns: Array<{ url: string; port: number; seen: string[] }> = [];
  let participantPort = 0;

  before(async () => {
    const identities = (await Promise.all(operators.map((o) => bulwark(["pool", "operator-init", "--data-dir", o.dir])))).map((r) => r.stdout.trim());
    for (const o of operators) seedCheapStore(o.dir, POOL_FILES.shares);
    seedCheapStore(aggA, POOL_FILES.wholeKeys);
    seedCheapStore(aggB, POOL_FILES.wholeKeys);
    participantPort = await freePort();
    standIns = await Promise.all(
      operators.map((o) =>
        stubServer((_method, url) => {
          const participant = poolB?.participants.find((p) => p.id === o.id);
          return url.startsWith("/api/v1/eth2/distributed/accounts/") && participant !== undefined
            ? [200, { participant_id: String(o.id), public_key: participant.component_public_key, composite_public_key: poolB.composite_public_key }]
            : [404, {}];
        }),
      ),
    );
    const create = (agg: string, out: string, endpoint: (i: number) => string) =>
      bulwark([
        "pool", "create", "--network", "mainnet",
        ...operators.flatMap((o, i) => ["--operator", `${o.id}=${identities[i]!}@${endpoint(i)}`]),
        "--withdrawal-address", WITHDRAWAL, "--data-dir", agg, "--out", out,
      ]);
    // Only participant 1 of pool A runs here; the others' endpoints are never called.
    await create(aggA, join(root, "ceremony-a"), (i) => (i === 0 ? `http://127.0.0.1:${participantPort}` : `http://127.0.0.1:${participantPort}/unused-${i}`));
    await create(aggB, join(root, "ceremony-b"), (i) => standIns[i]!.url);
    poolA = JSON.parse(readFileSync(poolFileA, "utf8")) as PoolJson;
    poolB = JSON.parse(readFileSync(poolFileB, "utf8")) as PoolJson;
    for (const [file, out] of [[poolFileA, "ceremony-a"], [poolFileB, "ceremony-b"]] as const) {
      const joined = await bulwark(["pool", "join", "--data-dir", operators[0]!.dir, "--pool", file, "--share", join(root, out, "share-1.json")]);
      const composite = (JSON.parse(readFileSync(file, "utf8")) as PoolJson).composite_public_key;
      const tokenFile = join(operators[0]!.dir, "pools", composite, "coordinator-token.txt");
      assert.ok(joined.stderr.includes(tokenFile), `pool join prints the token's path:\n${joined.stderr}`);
      assert.equal(statSync(tokenFile).mode & 0o777, 0o600);
    }
  });

  const tokenOf = (composite: string) => readFileSync(join(operators[0]!.dir, "pools", composite, "coordinator-token.txt"), "utf8").trim();

  test("hole 4: one participant, two pools: A's token lists only A and cannot read or sign B; B's token signs B; the old flag says where the tokens are", async () => {
    const gone = await bulwark(
      ["pool", "participant", "--data-dir", operators[0]!.dir, "--network", "mainnet", "--http-port", "0", "--coordinator-token-file", join(root, "token.txt")],
      1,
    );
    assert.match(gone.stderr, /--coordinator-token-file is gone/);
    assert.ok(gone.stderr.includes(join(operators[0]!.dir, "pools", "<composite key>", "coordinator-token.txt")), gone.stderr);

    const participant = await start(["pool", "participant", "--data-dir", operators[0]!.dir, "--network", "mainnet", "--http-port", String(participantPort), "--signing-threads", "1"]);
    const base = `${participant.url}/api/v1/eth2/distributed`;
    const a = poolA.composite_public_key;
    const b = poolB.composite_public_key;
    const asA = { authorization: `Bearer ${tokenOf(a)}` };
    const asB = { authorization: `Bearer ${tokenOf(b)}` };
    assert.notEqual(tokenOf(a), tokenOf(b));

    const listA = await request(`${base}/accounts`, { headers: asA });
    assert.equal(listA.status, 200, listA.body);
    assert.deepEqual((JSON.parse(listA.body) as Array<{ composite_public_key: string }>).map((x) => x.composite_public_key), [a]);
    const listB = await request(`${base}/accounts`, { headers: asB });
    assert.deepEqual((JSON.parse(listB.body) as Array<{ composite_public_key: string }>).map((x) => x.composite_public_key), [b]);

    const randao = randaoReveal(MAINNET, 90_001);
    const crossAccount = await request(`${base}/accounts/${b}`, { headers: asA });
    assert.equal(crossAccount.status, 404, crossAccount.body);
    const crossSign = await request(`${base}/sign/${b}`, { headers: asA, body: randao.body });
    assert.equal(crossSign.status, 404, crossSign.body);
    assert.doesNotMatch(crossSign.body, /0x[0-9a-f]{192}/, "no partial signature of B for A's coordinator");
    // The refusal is logged (its line may reach us after the answer).
    await logsWhen(participant, (lines) => lines.some((l) => /another pool's coordinator/.test(String(l.msg))), "of the refusal");

    const own = await request(`${base}/sign/${b}`, { headers: asB, body: randao.body });
    assert.equal(own.status, 200, own.body);
    const partial = JSON.parse(own.body) as { participant_id: string; signature: string };
    assert.equal(partial.participant_id, "1");
    const component = PublicKey.fromHex(poolB.participants.find((p) => p.id === 1)!.component_public_key, true);
    assert.ok(verify(randao.signingRoot, component, Signature.fromHex(partial.signature, true), true, true), "B's partial verifies against participant 1's component key");
    assert.equal((await request(`${base}/sign/${a}`, { headers: asA, body: randao.body })).status, 200);
    assert.equal((await request(`${base}/accounts/${a}`, { headers: asB })).status, 404);

    // Hole 10, participant side: the Host allow-list covers every route, authenticated or not.
    const evil = { host: "attacker.example" };
    for (const [path, init] of [
      ["/upcheck", {}],
      ["/healthcheck", {}],
      ["/metrics", {}],
      ["/api/v1/eth2/distributed/accounts", { headers: { ...evil, ...asA } }],
      [`/api/v1/eth2/distributed/sign/${a}`, { headers: { ...evil, ...asA }, body: randao.body }],
    ] as const) {
      const answer = await request(`${participant.url}${path}`, { headers: { ...evil, ...("headers" in init ? init.headers : {}) }, ...("body" in init ? { body: init.body } : {}) });
      assert.equal(answer.status, 403, `${path}: ${answer.body}`);
    }
    await participant.stop();
  });

  test("hole 10: 50 aggregator /healthchecks in a second probe the participants at most once per 2 s; the aggregator has the Host allow-list on every route; hole 8: a lying beacon node never costs the whole key", async () => {
    const tokenFiles = operators.map((o) => {
      const file = join(root, `token-b-${o.id}.txt`);
      writeFileSync(file, `stand-in-token-${o.id}-0123456789abcdef\n`, { mode: 0o600 });
      return file;
    });
    const liar = await lyingBeacon(validatorDocument("999999", "0x" + "b0".repeat(48)));
    const aggregator = await start([
      "pool", "aggregator", "--data-dir", aggB, "--network", "mainnet", "--pool", poolFileB, "--http-port", "0",
      ...operators.flatMap((o, i) => ["--participant-token-file", `${o.id}=${tokenFiles[i]!}`]),
      "--beacon-node", liar.url, "--presign-poll-ms", "200",
    ]);
    const started = Date.now();
    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        new Promise((resolve) => setTimeout(resolve, i * 20)).then(() => request(`${aggregator.url}/healthcheck`, { timeoutMs: 30_000 })),
      ),
    );
    const elapsed = Date.now() - started;
    assert.ok(answers.every((r) => r.status === 200), answers.map((r) => `${r.status} ${r.body}`).join("\n"));
    const allowed = Math.ceil(elapsed / 2000) + 1;
    for (const standIn of standIns) {
      const probes = standIn.seen.filter((line) => line.startsWith("GET /api/v1/eth2/distributed/accounts/")).length;
      assert.ok(probes >= 1 && probes <= allowed, `${probes} probes in ${elapsed} ms (at most ${allowed} allowed) for 50 health checks`);
    }

    const evil = { host: "attacker.example" };
    for (const path of ["/upcheck", "/healthcheck", "/metrics", "/api/v1/eth2/publicKeys"]) {
      assert.equal((await request(`${aggregator.url}${path}`, { headers: evil })).status, 403, path);
    }
    assert.equal((await request(`${aggregator.url}/api/v1/eth2/sign/${poolB.composite_public_key}`, { headers: evil, body: randaoReveal(MAINNET, 90_002).body })).status, 403);

    // The automatic presign asked the lying node (finalized state) and kept the key, saying why.
    const deadline = Date.now() + 20_000;
    const doubt = () => aggregator.logs().find((l) => /in doubt: keeping the whole key/.test(String(l.msg)));
    while (doubt() === undefined && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    assert.ok(doubt(), aggregator.stdout());
    assert.match(String(doubt()!.reason), /answered for another key/);
    assert.ok(liar.seen.some((line) => line.includes("/states/finalized/validators/")), liar.seen.join("\n"));
    await aggregator.stop();
    const composite = poolB.composite_public_key;
    assert.ok(!existsSync(join(aggB, POOL_FILES.exitsDir, `${composite}.json`)), "no exit pre-signed");
    const status = await bulwark(["pool", "status", "--data-dir", aggB]);
    assert.match(status.stdout, new RegExp(`${composite}.*whole key sealed; exit not pre-signed`));

    // presign-exit refuses every doubtful answer and keeps the key.
    const notFinal = await lyingBeacon(validatorDocument("7", composite, { finalized: false }));
    const pending = await lyingBeacon(validatorDocument("7", composite, { status: "pending_queued" }));
    const honest7 = await lyingBeacon(validatorDocument("7", composite));
    const honest8 = await lyingBeacon(validatorDocument("8", composite));
    const presign = (nodes: string[], code: number, extra: string[] = []) =>
      bulwark(["pool", "presign-exit", "--data-dir", aggB, "--pool", poolFileB, "--epoch", "1", ...nodes.flatMap((n) => ["--beacon-node", n]), ...extra], code);
    const refusals: Array<[string[], RegExp, string[]?]> = [
      [[liar.url], /answered for another key/],
      [[notFinal.url], /not finalized/],
      [[pending.url], /pending_queued, not active_ongoing/],
      [[honest7.url, honest8.url], /disagree on the index/],
      [[honest7.url, "http://127.0.0.1:1"], /not every beacon node answered/],
      [[honest7.url], /--validator-index 8, but the beacon nodes say/, ["--validator-index", "8"]],
    ];
    for (const [nodes, reason, extra] of refusals) {
      const refused = await presign(nodes, 1, extra);
      assert.match(refused.stderr, /nothing signed, the whole key is kept/);
      assert.match(refused.stderr, reason);
    }
    assert.match((await bulwark(["pool", "status", "--data-dir", aggB])).stdout, new RegExp(`${composite}.*whole key sealed; exit not pre-signed`));

    // Two honest nodes that agree: pre-signed for their index, and only then the key is destroyed.
    const honestAgain = await lyingBeacon(validatorDocument("7", composite));
    const signed = await presign([honest7.url, honestAgain.url], 0);
    assert.match(signed.stderr, /index 7 \(active_ongoing, finalized state, 2 beacon nodes agree\)/);
    const exit = JSON.parse(readFileSync(join(aggB, POOL_FILES.exitsDir, `${composite}.json`), "utf8")) as { message: { validator_index: string } };
    assert.equal(exit.message.validator_index, "7");
  });
});
