/**
 * End-to-end: the low-bond pool with real processes on loopback. `bulwark pool create` (3-of-4),
 * four `pool operator-init` + `pool join`, four `bulwark pool participant` and one
 * `bulwark pool aggregator`; a validator-client stand-in sends attestations, a block and a
 * sync-committee message to the aggregator's signing API and checks each signature against the
 * composite key; a slashable attestation is refused by the aggregator and by every participant
 * asked directly; one participant stopped: still signs; two stopped: 503, nothing signed.
 */
import assert from "node:assert/strict";
import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { PublicKey, Signature, verify } from "@chainsafe/blst";
import { ForkName } from "@lodestar/params";
import { fromHex } from "../eth/helpers.js";
import { tempDir } from "../helpers/temp.js";
import { attestationCase, headerBlockCase, startSlot, syncCommitteeMessageCase } from "../server/cases.js";
import { type Bulwark, freePort, request, runBulwark, startBulwark } from "./harness.js";

const PASSPHRASE = "e2e pool sealing passphrase 7c1f";
const ENV = { BULWARK_SEALING_PASSPHRASE: PASSPHRASE };
const WITHDRAWAL = "0x00000000219ab540356cbb839cbe05303d7705fa";
const N = 4;
const M = 3;

const servers = new Set<Bulwark>();
const cleanups: Array<() => void> = [];
after(async () => {
  await Promise.all([...servers].map((server) => server.stop("SIGKILL")));
  for (const cleanup of cleanups) cleanup();
});

async function start(args: string[]): Promise<Bulwark> {
  const server = await startBulwark(args, { env: ENV, timeoutMs: 30_000 });
  servers.add(server);
  void server.exited.then(() => servers.delete(server));
  return server;
}

async function run(args: string[]): Promise<string> {
  const result = await runBulwark(args, { env: ENV, timeoutMs: 60_000 });
  assert.equal(result.code, 0, `bulwark ${args.join(" ")}\nstdout:\n${result.stdout}\nstderr:\n${result.stderr}`);
  return result.stdout;
}

describe("pool servers (real processes): create, join, 4 participants, aggregator", () => {
  test("signs through the aggregator, refuses slashable messages everywhere, survives one participant down, 503 with two", async () => {
    const scratch = tempDir("bulwark-e2e-pool-");
    cleanups.push(scratch.cleanup);
    const root = scratch.path;
    const aggregatorDir = join(root, "aggregator");
    const out = join(root, "ceremony");
    const operators = Array.from({ length: N }, (_, i) => ({ id: i + 1, dir: join(root, `operator-${i + 1}`), tokenFile: join(root, `token-${i + 1}.txt`) }));
    const ports: number[] = [];
    for (let i = 0; i < N; i++) ports.push(await freePort());

    // Each operator creates its identity; the aggregator runs the ceremony; each operator joins.
    const identities = await Promise.all(operators.map(async (o) => (await run(["pool", "operator-init", "--data-dir", o.dir])).trim()));
    const created = await run([
      "pool", "create", "--network", "mainnet", "--threshold", String(M),
      ...operators.flatMap((o, i) => ["--operator", `${o.id}=${identities[i]!}@http://127.0.0.1:${ports[i]!}`]),
      "--withdrawal-address", WITHDRAWAL, "--data-dir", aggregatorDir, "--out", out,
    ]);
    const poolFile = join(out, "pool.json");
    const pool = JSON.parse(await readFile(poolFile, "utf8")) as { composite_public_key: string; threshold: number };
    const composite = pool.composite_public_key;
    assert.equal(created.trim(), composite);
    assert.equal(pool.threshold, M);
    const joins = await Promise.all(
      operators.map((o) => runBulwark(["pool", "join", "--data-dir", o.dir, "--pool", poolFile, "--share", join(out, `share-${o.id}.json`)], { env: ENV, timeoutMs: 60_000 })),
    );

    // Four participants, each with the coordinator token `pool join` made for this pool; then the aggregator.
    for (const [i, o] of operators.entries()) {
      o.tokenFile = join(o.dir, "pools", composite, "coordinator-token.txt");
      assert.equal(joins[i]!.code, 0, joins[i]!.stderr);
      assert.ok(joins[i]!.stderr.includes(o.tokenFile), `pool join names the token file:\n${joins[i]!.stderr}`);
      assert.equal((await stat(o.tokenFile)).mode & 0o777, 0o600);
    }

    // Refusals at start-up: a participant for another network, a participant without shares, an
    // aggregator missing a participant's token.
    const refusals = await Promise.all([
      runBulwark(["pool", "participant", "--data-dir", operators[0]!.dir, "--network", "hoodi", "--http-port", "0"], { env: ENV }),
      runBulwark(["pool", "participant", "--data-dir", join(root, "empty"), "--network", "mainnet", "--http-port", "0"], { env: ENV }),
      runBulwark(
        ["pool", "aggregator", "--data-dir", join(root, "aggregator-2"), "--pool", poolFile, "--http-port", "0", ...operators.slice(1).flatMap((o) => ["--participant-token-file", `${o.id}=${o.tokenFile}`])],
        { env: ENV },
      ),
    ]);
    assert.equal(refusals[0]!.code, 1);
    assert.match(refusals[0]!.stderr, /not hoodi/);
    assert.equal(refusals[1]!.code, 1);
    assert.match(refusals[1]!.stderr, /no pool shares/);
    assert.equal(refusals[2]!.code, 1);
    assert.match(refusals[2]!.stderr, /missing: 1/);
    const participants = await Promise.all(
      operators.map((o, i) =>
        start([
          "pool", "participant", "--data-dir", o.dir, "--network", "mainnet", "--http-port", String(ports[i]!),
          "--signing-threads", "1",
        ]),
      ),
    );
    const aggregator = await start([
      "pool", "aggregator", "--data-dir", aggregatorDir, "--network", "mainnet", "--pool", poolFile, "--http-port", "0",
      ...operators.flatMap((o) => ["--participant-token-file", `${o.id}=${o.tokenFile}`]),
      "--deadline-ms", "3000",
    ]);
    const compositeKey = PublicKey.fromHex(composite, true);
    const sign = async (body: unknown) => {
      const response = await request(`${aggregator.url}/api/v1/eth2/sign/${composite}`, { body, headers: { accept: "application/json" } });
      return { status: response.status, body: response.body, json: JSON.parse(response.body) as Record<string, unknown> };
    };
    const verifiesComposite = (rootHex: string, signature: unknown) =>
      typeof signature === "string" && verify(fromHex(rootHex), compositeKey, Signature.fromHex(signature), true, true);

    // The validator-client stand-in: attestations, a block, a sync-committee message.
    const duties = [
      attestationCase(1000, 1001),
      attestationCase(1001, 1002),
      attestationCase(1002, 1003),
      headerBlockCase("ELECTRA", startSlot(ForkName.electra) + 77),
      syncCommitteeMessageCase(startSlot(ForkName.electra) + 78),
    ];
    for (const duty of duties) {
      const { status, json, body } = await sign(duty.body);
      assert.equal(status, 200, `${duty.name}: ${body}`);
      assert.ok(verifiesComposite(duty.root, json.signature), `${duty.name} verifies against the composite key`);
    }
    // A participant lists its account to an authenticated coordinator only.
    const accountUrl = `http://127.0.0.1:${ports[0]!}/api/v1/eth2/distributed/accounts/${composite}`;
    assert.equal((await request(accountUrl)).status, 401);
    const token1 = (await readFile(operators[0]!.tokenFile, "utf8")).trim();
    const account = await request(accountUrl, { headers: { authorization: `Bearer ${token1}` } });
    assert.equal(account.status, 200, account.body);
    assert.equal((JSON.parse(account.body) as { participant_id: string }).participant_id, "1");

    // A slashable attestation (double vote on target 1003): 412 from the aggregator...
    const slashable = attestationCase(1002, 1003, 99);
    const refused = await sign(slashable.body);
    assert.equal(refused.status, 412, refused.body);
    assert.doesNotMatch(refused.body, /0x[0-9a-f]{192}/);
    // ... and from each participant asked directly with its coordinator token.
    for (const [i, o] of operators.entries()) {
      const token = (await readFile(o.tokenFile, "utf8")).trim();
      const direct = await request(`http://127.0.0.1:${ports[i]!}/api/v1/eth2/distributed/sign/${composite}`, {
        body: slashable.body,
        headers: { authorization: `Bearer ${token}` },
      });
      assert.equal(direct.status, 412, `participant ${o.id}: ${direct.body}`);
      assert.doesNotMatch(direct.body, /0x[0-9a-f]{192}/);
    }

    // One participant stopped: still signs.
    assert.equal((await participants[3]!.stop()).code, 0);
    const afterOne = attestationCase(1003, 1004);
    const one = await sign(afterOne.body);
    assert.equal(one.status, 200, one.body);
    assert.ok(verifiesComposite(afterOne.root, one.json.signature));

    // Two stopped: 503 naming both, and nothing signed.
    assert.equal((await participants[2]!.stop()).code, 0);
    const two = await sign(attestationCase(1004, 1005).body);
    assert.equal(two.status, 503, two.body);
    assert.doesNotMatch(two.body, /0x[0-9a-f]{192}/);
    assert.match(String(two.json.message), /participant 3: connection-refused/);
    assert.match(String(two.json.message), /participant 4: connection-refused/);

    // The aggregator's metrics count the failures per participant.
    const metrics = await request(`${aggregator.url}/metrics`);
    assert.match(metrics.body, /bulwark_pool_participant_failures_total\{participant="4",reason="connection_refused"\} [1-9]/);

    assert.equal((await aggregator.stop()).code, 0);
    for (const p of participants.slice(0, 2)) assert.equal((await p.stop()).code, 0);
  });
});
