/**
 * End-to-end with PostgreSQL: real `node bin/bulwark.js serve` processes sharing one real database
 * (BULWARK_TEST_PG_URL, or an embedded server started here).
 *
 *   1. Three signers, one key loaded in all three, 100 concurrent conflicting ATTESTATION requests
 *      spread round-robin over them: exactly one signature; then the same for BLOCK_V2.
 *   2. The database is stopped under a signing load: every request during the outage is refused
 *      (500/503) with no signature, /healthcheck says DOWN; the database is started again and the
 *      same signer process signs again by itself; nothing acknowledged is missing from the database.
 *   3. A bad --db: non-zero exit, a clear message, the password never printed, the port never opened.
 */
import assert from "node:assert/strict";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { DOMAIN_BEACON_PROPOSER, SLOTS_PER_EPOCH } from "@lodestar/params";
import { ssz } from "@lodestar/types";
import { startTestPostgres, TEST_PG_URL_ENV, type TestPostgres } from "../helpers/postgres.js";
import { tempDir } from "../helpers/temp.js";
import { cheapKeystore, keystoreName, type Layout, type TestKey, testKey, writeKeystore } from "../keys/fixtures.js";
import { type Bulwark, freePort, getJson, type HttpResponse, portOpen, request, runBulwark, startBulwark } from "./harness.js";
import { attestation, network, type NetworkFixture, root, signatureOf, type SigningRequestFixture, verifies } from "./requests.js";

const MAINNET = network("mainnet");
/** Mainnet Fulu: target epochs of the attestations, slots of the blocks are around here. */
const BASE_EPOCH = 420_000;
const THREADS = ["--signing-threads", "1"];
const CONFLICTING = 100;
/** A BLS signature in a response body, whatever the status. */
const SIGNATURE_HEX = /0x[0-9a-f]{192}/i;

const servers = new Set<Bulwark>();
const cleanups: Array<() => void> = [];
let pg: TestPostgres | undefined;
let layout: Layout;
let keys: TestKey[];

after(async () => {
  await Promise.all([...servers].map((server) => server.stop("SIGKILL")));
  await pg?.close();
  for (const cleanup of cleanups) cleanup();
});

function scratch(): string {
  const dir = tempDir("bulwark-e2e-pg-");
  cleanups.push(dir.cleanup);
  return dir.path;
}

async function serve(dbUrl: string, extra: string[] = []): Promise<Bulwark> {
  const server = await startBulwark(
    [
      "serve", "--network", "mainnet", "--db", dbUrl, "--data-dir", join(scratch(), "data"), "--http-port", "0", ...THREADS,
      "--keystores", layout.keystores, "--keystores-passwords", layout.passwords, ...extra,
    ],
    { timeoutMs: 30_000 },
  );
  servers.add(server);
  void server.exited.then(() => servers.delete(server));
  return server;
}

function signUrl(server: Bulwark, pubkey: string): string {
  return `${server.url}/api/v1/eth2/sign/${pubkey}`;
}

/** A transport failure counts as status 0 (never a signature). */
async function post(url: string, body: unknown): Promise<HttpResponse> {
  return request(url, { body, headers: { accept: "application/json" }, timeoutMs: 15_000 }).catch(
    (err: Error): HttpResponse => ({ status: 0, headers: {}, body: `transport error: ${err.message}` }),
  );
}

function tally(responses: readonly HttpResponse[]): string {
  const counts = new Map<number, number>();
  for (const r of responses) counts.set(r.status, (counts.get(r.status) ?? 0) + 1);
  return [...counts].sort((a, b) => a[0] - b[0]).map(([status, n]) => `${n} x ${status}`).join(", ");
}

function hex(bytes: Uint8Array): string {
  return `0x${Buffer.from(bytes).toString("hex")}`;
}

/** BLOCK_V2 with a block header (the form post-Bellatrix clients send), computed independently. */
function blockV2(net: NetworkFixture, slot: number, bodyRoot: Uint8Array): SigningRequestFixture {
  const fork = net.config.getForkInfo(slot);
  const header = { slot, proposerIndex: 4242, parentRoot: root(0x01), stateRoot: root(0x02), bodyRoot };
  const domain = net.config.getDomain(slot, DOMAIN_BEACON_PROPOSER, slot);
  const signingRoot = ssz.phase0.SigningData.hashTreeRoot({ objectRoot: ssz.phase0.BeaconBlockHeader.hashTreeRoot(header), domain });
  return {
    body: {
      type: "BLOCK_V2",
      fork_info: {
        fork: { previous_version: hex(fork.prevVersion), current_version: hex(fork.version), epoch: String(fork.epoch) },
        genesis_validators_root: net.genesisValidatorsRoot,
      },
      beacon_block: { version: fork.name.toUpperCase(), block_header: ssz.phase0.BeaconBlockHeader.toJson(header) },
    },
    signingRoot,
  };
}

async function poll<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  for (;;) {
    const value = await probe();
    if (value !== undefined) return { value, ms: performance.now() - started };
    if (performance.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(100);
  }
}

interface HealthBody {
  status: string;
  checks: { id: string; status: string; data?: { error?: string } }[];
}

async function health(server: Bulwark): Promise<{ status: number; protection: string; body: HealthBody }> {
  const { status, json } = await getJson(`${server.url}/healthcheck`);
  const body = json as HealthBody;
  return { status, protection: body.checks.find((c) => c.id === "slashing-protection")?.status ?? "(missing)", body };
}

describe("bulwark serve with PostgreSQL protection (real processes, real database)", () => {
  before(async () => {
    pg = await startTestPostgres();
    layout = { root: scratch(), keystores: "", passwords: "" };
    layout.keystores = join(layout.root, "validator_keys");
    layout.passwords = join(layout.root, "secrets");
    await mkdir(layout.keystores);
    await mkdir(layout.passwords);
    keys = Array.from({ length: 8 }, (_, i) => testKey(0x600 + i));
    for (const [i, key] of keys.entries()) {
      await writeKeystore(layout, keystoreName(i), await cheapKeystore(key, `pw-${i}`), `pw-${i}`);
    }
  });

  test("three signers sharing one database: 100 conflicting attestations, then 100 conflicting blocks, over all three -> exactly one signature each", { timeout: 60_000 }, async (t) => {
    const url = await pg!.freshDatabase();
    const password = decodeURIComponent(new URL(url).password);
    // Started together: they also race to migrate the fresh database.
    const signers = await Promise.all([serve(url), serve(url), serve(url)]);
    const key = keys[0]!;
    for (const signer of signers) {
      const { status, json } = await getJson(`${signer.url}/api/v1/eth2/publicKeys`);
      assert.equal(status, 200);
      assert.ok((json as string[]).includes(key.pubkey), `${signer.url} has not loaded ${key.pubkey}`);
    }

    const race = async (fixtures: SigningRequestFixture[]) => {
      const responses = await Promise.all(fixtures.map((f, i) => post(signUrl(signers[i % signers.length]!, key.pubkey), f.body)));
      const winners = responses.flatMap((r, i) => (r.status === 200 ? [i] : []));
      assert.equal(winners.length, 1, `expected exactly one 200, got ${tally(responses)}`);
      assert.equal(responses.filter((r) => r.status === 412).length, fixtures.length - 1, `the others must be 412: ${tally(responses)}`);
      for (const [i, r] of responses.entries()) if (i !== winners[0]) assert.doesNotMatch(r.body, SIGNATURE_HEX, `refusal ${i} carries a signature`);
      const w = winners[0]!;
      assert.ok(verifies(key.pubkey, fixtures[w]!.signingRoot, signatureOf(responses[w]!.body)), "the one signature does not verify");
      return { winner: w, signer: w % signers.length, root: hex(fixtures[w]!.signingRoot) };
    };

    // Same source and target, 100 different beacon block roots: 100 different signing roots.
    const attestations = Array.from({ length: CONFLICTING }, (_, i) =>
      attestation(MAINNET, { source: BASE_EPOCH - 1, target: BASE_EPOCH, blockRoot: root(i + 1) }),
    );
    assert.equal(new Set(attestations.map((a) => hex(a.signingRoot))).size, CONFLICTING);
    const att = await race(attestations);

    // Same slot, 100 different body roots.
    const slot = BASE_EPOCH * SLOTS_PER_EPOCH + 3;
    const blocks = Array.from({ length: CONFLICTING }, (_, i) => blockV2(MAINNET, slot, root(i + 1)));
    assert.equal(new Set(blocks.map((b) => hex(b.signingRoot))).size, CONFLICTING);
    const block = await race(blocks);

    // The database holds exactly the one record of each, with the released signing root.
    const atts = await pg!.admin<{ s: string; t: string; r: string }>(
      "SELECT source_epoch::text AS s, target_epoch::text AS t, '0x' || encode(signing_root, 'hex') AS r FROM signed_attestations",
      [],
      url,
    );
    assert.deepEqual(atts, [{ s: String(BASE_EPOCH - 1), t: String(BASE_EPOCH), r: att.root }]);
    const blks = await pg!.admin<{ slot: string; r: string }>("SELECT slot::text, '0x' || encode(signing_root, 'hex') AS r FROM signed_blocks", [], url);
    assert.deepEqual(blks, [{ slot: String(slot), r: block.root }]);

    const exits = await Promise.all(signers.map((s) => s.stop()));
    assert.deepEqual(exits.map((e) => e.code), [0, 0, 0]);
    if (password !== "") {
      for (const s of signers) assert.ok(!s.stdout().includes(password) && !s.stderr().includes(password), "a signer printed the database password");
    }
    t.diagnostic(`attestation won by request ${att.winner} on signer ${att.signer}; block won by request ${block.winner} on signer ${block.signer}`);
  });

  test("database stopped under a signing load: refused with no signature, /healthcheck DOWN, resumes by itself after restart, nothing acknowledged lost", { timeout: 60_000 }, async (t) => {
    if (!pg!.embedded) {
      t.skip(`needs the embedded PostgreSQL to stop and restart it (${TEST_PG_URL_ENV} names an external server)`);
      return;
    }
    const url = await pg!.freshDatabase();
    const password = decodeURIComponent(new URL(url).password);
    const signer = await serve(url, ["--db-statement-timeout-ms", "2000"]);
    // Six requests in flight at any time: some are mid-transaction when the server goes away.
    const workerKeys = keys.slice(1, 7);
    const probeKey = keys[7]!;

    type Phase = "before" | "stopping" | "down" | "starting" | "after";
    let phase: Phase = "before";
    interface Sent {
      pubkey: string;
      target: number;
      fixture: SigningRequestFixture;
      sentIn: Phase;
      answeredIn: Phase;
      response: HttpResponse;
    }
    const results: Sent[] = [];
    const sign = async (pubkey: string, target: number, blockByte = 0x11): Promise<Sent> => {
      const fixture = attestation(MAINNET, { source: target - 1, target, blockRoot: root(blockByte) });
      const sentIn = phase;
      const response = await post(signUrl(signer, pubkey), fixture.body);
      const sent = { pubkey, target, fixture, sentIn, answeredIn: phase, response };
      results.push(sent);
      return sent;
    };
    const acknowledged = () => results.filter((r) => r.response.status === 200);

    // One worker per key, each asking for the next epoch once the last one was answered: distinct,
    // rising epochs, so nothing is slashable and every refusal can only be the outage.
    let running = true;
    const workers = workerKeys.map(async (key) => {
      for (let target = BASE_EPOCH + 1; running; target++) {
        const sent = await sign(key.pubkey, target);
        if (sent.response.status !== 200) await sleep(20);
      }
    });
    const stopWorkers = async () => {
      running = false;
      await Promise.all(workers);
    };

    try {
      await poll("60 signatures before the outage", 20_000, async () => (acknowledged().length >= 60 ? true : undefined));
      const ackBefore = acknowledged().length;

      phase = "stopping";
      await pg!.stopServer();
      phase = "down";
      const down = performance.now();

      const unhealthy = await poll("/healthcheck 503 during the outage", 5_000, async () => {
        const h = await health(signer);
        return h.status === 503 ? h : undefined;
      });
      assert.equal(unhealthy.value.protection, "DOWN", JSON.stringify(unhealthy.value.body));
      assert.equal(unhealthy.value.body.status, "DOWN");
      // Fresh requests while the database is down: 20 at once, distinct epochs of an untouched key.
      const probes = await Promise.all(Array.from({ length: 20 }, (_, i) => sign(probeKey.pubkey, BASE_EPOCH + 5_000 + 2 * i)));
      // Keep the database down long enough for the workers to retry several times.
      await sleep(Math.max(0, 1_500 - (performance.now() - down)));
      assert.equal((await health(signer)).status, 503);
      const outage = results.filter((r) => r.sentIn === "down" && r.answeredIn === "down");
      assert.ok(outage.length >= 20 + workerKeys.length, `only ${outage.length} requests were sent and answered during the outage`);

      phase = "starting";
      await pg!.startServer();
      phase = "after";
      const restarted = performance.now();

      // The same signer process, never restarted: signing resumes by itself.
      const resumed = await poll("a signature after the database restarted", 15_000, async () => {
        const sent = await sign(probeKey.pubkey, BASE_EPOCH + 9_000 + Math.floor(performance.now() - restarted));
        return sent.response.status === 200 ? sent : undefined;
      });
      const resumedMs = performance.now() - restarted;
      const ackAtRestart = acknowledged().filter((r) => r.sentIn === "after").length;
      await poll("the workers signing again", 15_000, async () =>
        acknowledged().filter((r) => r.sentIn === "after").length >= ackAtRestart + 30 ? true : undefined,
      );
      await stopWorkers();
      const healthy = await poll("/healthcheck 200 after the restart", 10_000, async () => {
        const h = await health(signer);
        return h.status === 200 ? h : undefined;
      });
      assert.equal(healthy.value.protection, "UP");

      // Nothing signed during the outage: every request sent and answered while the database was
      // down was refused as a server failure, with no signature.
      for (const r of outage) {
        assert.ok([500, 503].includes(r.response.status), `request during the outage answered ${r.response.status}: ${r.response.body}`);
        assert.doesNotMatch(r.response.body, SIGNATURE_HEX);
        assert.match(r.response.body, /slashing.protection/i, "the refusal says why");
        if (password !== "") assert.ok(!r.response.body.includes(password), `the database password in a response: ${r.response.body}`);
      }
      assert.ok(probes.every((p) => p.response.status === 500 || p.response.status === 503), tally(probes.map((p) => p.response)));
      // Nothing was ever slashable here: no 412 at any time, and no refusal carries a signature.
      for (const r of results) {
        assert.notEqual(r.response.status, 412, `unexpected slashing refusal: ${r.response.body}`);
        if (r.response.status !== 200) assert.doesNotMatch(r.response.body, SIGNATURE_HEX);
      }
      // Every released signature is the right one.
      for (const r of acknowledged()) assert.ok(verifies(r.pubkey, r.fixture.signingRoot, signatureOf(r.response.body)), `bad signature for ${r.pubkey}/${r.target}`);

      // Every acknowledged attestation (before, around and after the outage) is in the database,
      // with the signing root that was signed: read back with `bulwark slashing-protection export --db`.
      const exported = await runBulwark(["slashing-protection", "export", "-", "--network", "mainnet", "--db", url, "--data-dir", join(scratch(), "none")]);
      assert.equal(exported.code, 0, exported.stderr);
      const doc = JSON.parse(exported.stdout) as {
        data: { pubkey: string; signed_attestations: { source_epoch: string; target_epoch: string; signing_root?: string }[] }[];
      };
      const recorded = new Set(
        doc.data.flatMap((v) => v.signed_attestations.map((a) => `${v.pubkey}/${a.source_epoch}/${a.target_epoch}/${a.signing_root}`)),
      );
      const lost = acknowledged().filter((r) => !recorded.has(`${r.pubkey}/${r.target - 1}/${r.target}/${hex(r.fixture.signingRoot)}`));
      assert.deepEqual(lost.map((r) => `${r.pubkey}/${r.target}`), [], "acknowledged attestations missing from the database");

      // And enforced: a conflicting vote for the last epoch each key signed before the outage is refused.
      const lastBefore = workerKeys.map((key) => acknowledged().filter((r) => r.pubkey === key.pubkey && r.sentIn === "before").at(-1)!);
      const conflicts = await Promise.all(lastBefore.map((r) => post(signUrl(signer, r.pubkey), attestation(MAINNET, { source: r.target - 1, target: r.target, blockRoot: root(0x22) }).body)));
      assert.deepEqual(conflicts.map((c) => c.status), lastBefore.map(() => 412), tally(conflicts));

      assert.equal((await signer.stop()).code, 0);
      t.diagnostic(
        `${ackBefore} signed before the outage; ${outage.length} requests during it, all refused (${tally(outage.map((r) => r.response))}); ` +
          `/healthcheck DOWN ${unhealthy.ms.toFixed(0)} ms after the stop; first signature ${resumedMs.toFixed(0)} ms after the restart ` +
          `(${resumed.ms.toFixed(0)} ms of polling); ${acknowledged().length} signed in all, ${recorded.size} records exported`,
      );
      t.diagnostic(`a refusal during the outage: ${outage[0]!.response.body}`);
    } finally {
      // Whatever failed above, the workers must end (and the database must be up for the rest).
      await stopWorkers().catch(() => undefined);
      if (phase === "stopping" || phase === "down") await pg!.startServer().catch(() => undefined);
    }
  });

  describe("a bad --db stops start-up: non-zero exit, clear message, password never printed, port never opened", () => {
    const SECRET = "Hunter2-pw-9Qz";
    const cases = (): Array<{ name: string; db: () => string; message: RegExp; secrets: string[] }> => [
      {
        name: "nothing listening",
        db: () => `postgres://alice:${SECRET}@127.0.0.1:1/bulwark`,
        message: /cannot connect to the slashing-protection database postgres:\/\/alice:\*\*\*\*@127\.0\.0\.1:1\/bulwark: .*ECONNREFUSED/,
        secrets: [SECRET],
      },
      // The embedded server checks passwords; an external one may trust every local connection.
      ...(pg!.embedded
        ? [
            {
              name: "wrong password on the real server",
              db: () => {
                const wrong = new URL(pgBaseUrl);
                wrong.password = SECRET;
                return wrong.toString();
              },
              message: /slashing-protection database postgres(ql)?:\/\/[^:/@]+:\*\*\*\*@.*password authentication failed/,
              secrets: [SECRET],
            },
          ]
        : []),
      {
        name: "unknown host, URL-encoded password",
        db: () => `postgresql://alice:${encodeURIComponent(`${SECRET} x/y`)}@no-such-host.invalid:5432/bulwark`,
        message: /cannot connect to the slashing-protection database postgresql:\/\/alice:\*\*\*\*@no-such-host\.invalid:5432\/bulwark: .*ENOTFOUND/,
        secrets: [SECRET, encodeURIComponent(`${SECRET} x/y`)],
      },
      {
        name: "not a PostgreSQL URL",
        db: () => `mysql://alice:${SECRET}@127.0.0.1/bulwark`,
        message: /unsupported database "mysql:\/\/alice:\*\*\*\*@127\.0\.0\.1\/bulwark": expected "sqlite" or a postgres:\/\/ URL/,
        secrets: [SECRET],
      },
      {
        name: "unparseable URL",
        db: () => `postgres://alice:${SECRET}@[not-a-host/bulwark`,
        message: /slashing-protection database \(unparseable database URL\)/,
        secrets: [SECRET],
      },
    ];
    let pgBaseUrl = "";
    before(async () => {
      // A database URL of the test server, for its host and port.
      pgBaseUrl = await pg!.freshDatabase();
    });

    const attempt = async (db: string) => {
      const port = await freePort();
      const result = await runBulwark([
        "serve", "--network", "mainnet", "--db", db, "--data-dir", join(scratch(), "data"), "--http-port", String(port), ...THREADS,
        "--keystores", layout.keystores, "--keystores-passwords", layout.passwords,
      ], { timeoutMs: 30_000 });
      return { ...result, portWasOpened: await portOpen(port) };
    };

    test("each bad URL (run in parallel)", { timeout: 60_000 }, async () => {
      const all = cases();
      const results = await Promise.all(all.map((c) => attempt(c.db())));
      for (const [i, c] of all.entries()) {
        const r = results[i]!;
        const output = `${c.name}: code ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`;
        assert.notEqual(r.code, 0, output);
        assert.notEqual(r.code, null, `killed, not exited: ${output}`);
        assert.match(r.stderr, /^error: /m, output);
        assert.match(r.stderr, c.message, output);
        for (const secret of c.secrets) assert.ok(!r.stderr.includes(secret) && !r.stdout.includes(secret), `password printed: ${output}`);
        assert.ok(!r.stdout.includes("bulwark signer ready"), output);
        assert.equal(r.portWasOpened, false, output);
      }
    });

    // BUG (src/protection/postgres-store.ts, redactDatabaseUrl): node-postgres also takes the
    // password from the query string (?password=...), and that one is printed as is.
    test("a password given as ?password= in the URL is not printed either", async () => {
      const r = await attempt(`postgres://alice@127.0.0.1:1/bulwark?sslmode=disable&password=${SECRET}`);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /cannot connect to the slashing-protection database/);
      assert.ok(!r.stderr.includes(SECRET) && !r.stdout.includes(SECRET), `password printed: ${r.stderr}`);
    });
  });
});
