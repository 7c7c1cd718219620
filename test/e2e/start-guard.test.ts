/**
 * End-to-end, real `bulwark serve` processes: the rollback holes of issue 9 and how the start guard
 * and key tombstones close them.
 * - the real slashing-protection.sqlite copied, a vote signed, the copy put back, a restart: the
 *   conflicting vote is refused (and, with --start-guard off, signed: the old hole);
 * - the database deleted: recreated with a warning, the guard applies, /healthcheck shows it;
 * - an older sealed-keys.json put back + POST /reload (or a restart) does not revive a key deleted
 *   through the keymanager API; importing it anew with its history does;
 * - on a config.yaml network with 1-second slots and 8-slot epochs: refused right after start,
 *   signing again by itself once the guard's two epochs are over.
 */
import assert from "node:assert/strict";
import { copyFile, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { genesisData } from "@lodestar/config/networks";
import { ssz } from "@lodestar/types";
import { tempDir } from "../helpers/temp.js";
import { cheapKeystore, keystoreName, type Layout, testKey, writeKeystore } from "../keys/fixtures.js";
import { type Bulwark, getJson, request, runBulwark, startBulwark } from "./harness.js";
import { attestation, network, randaoReveal, root } from "./requests.js";

const HOODI = network("hoodi");
const THREADS = ["--signing-threads", "1"];
const DB_FILE = "slashing-protection.sqlite";

const servers = new Set<Bulwark>();
const cleanups: Array<() => void> = [];
after(async () => {
  await Promise.all([...servers].map((server) => server.stop("SIGKILL")));
  for (const cleanup of cleanups) cleanup();
});

function scratch(): string {
  const dir = tempDir("bulwark-guard-e2e-");
  cleanups.push(dir.cleanup);
  return dir.path;
}

async function serve(args: string[]): Promise<Bulwark> {
  const server = await startBulwark(["serve", ...args], { timeoutMs: 60_000 });
  servers.add(server);
  void server.exited.then(() => servers.delete(server));
  return server;
}

async function layoutWithKey(seed: number): Promise<{ layout: Layout; pubkey: string }> {
  const rootDir = scratch();
  const layout = { root: rootDir, keystores: join(rootDir, "validator_keys"), passwords: join(rootDir, "secrets") };
  await mkdir(layout.keystores, { recursive: true });
  await mkdir(layout.passwords, { recursive: true });
  const key = testKey(seed);
  await writeKeystore(layout, keystoreName(0), await cheapKeystore(key, "pw-guard"), "pw-guard");
  return { layout, pubkey: key.pubkey };
}

/** Hoodi's current epoch by the wall clock (12 s slots, 32 per epoch). */
function hoodiEpoch(): number {
  return Math.floor((Date.now() / 1000 - genesisData.hoodi.genesisTime) / 384);
}

async function sign(server: Bulwark, pubkey: string, body: unknown): Promise<{ status: number; body: string }> {
  const res = await request(`${server.url}/api/v1/eth2/sign/${pubkey}`, { body, headers: { accept: "application/json" } });
  return { status: res.status, body: res.body };
}

function vote(source: number, target: number, blockRootByte: number) {
  return attestation(HOODI, { source, target, blockRoot: root(blockRootByte) }).body;
}

describe("start guard and rollback (real processes)", () => {
  test("the real database copied, vote A signed, the copy put back, restart: a conflicting B is refused by the start guard", async () => {
    const { layout, pubkey } = await layoutWithKey(901);
    const dataDir = join(layout.root, "data");
    const base = ["--network", "hoodi", "--data-dir", dataDir, "--http-port", "0", ...THREADS, "--keystores", layout.keystores, "--keystores-passwords", layout.passwords];

    // A first run creates the database; the host keeps a copy of the file.
    const first = await serve([...base, "--start-guard", "off"]);
    assert.equal((await first.stop()).code, 0);
    const copy = join(layout.root, "copy.sqlite");
    await copyFile(join(dataDir, DB_FILE), copy);

    // The next run signs A (the guard is off here so that it can sign right after start).
    const epoch = hoodiEpoch();
    const second = await serve([...base, "--start-guard", "off"]);
    const a = await sign(second, pubkey, vote(epoch, epoch + 1, 0x0a));
    assert.equal(a.status, 200, a.body);
    assert.equal((await second.stop()).code, 0);

    // The older copy goes back in place of the database that knows A.
    const restore = async () => {
      await rm(join(dataDir, `${DB_FILE}-wal`), { force: true });
      await rm(join(dataDir, `${DB_FILE}-shm`), { force: true });
      await copyFile(copy, join(dataDir, DB_FILE));
    };
    await restore();
    const guarded = await serve(base.concat("--start-guard", "on"));
    const b = await sign(guarded, pubkey, vote(epoch, epoch + 1, 0x0b));
    assert.equal(b.status, 412, b.body);
    assert.match(b.body, /start guard/);
    assert.match(b.body, /resumes from epoch \d+, in about/);
    const line = guarded.logs().find((l) => typeof l.msg === "string" && l.msg.startsWith("start guard on"));
    assert.ok(line, `no start-guard log line:\n${guarded.stdout()}`);
    assert.ok(Number(line.startGuardEpoch) >= epoch + 1);
    assert.equal((await guarded.stop()).code, 0);

    // The same restore without the guard signs B: the hole the guard closes.
    await restore();
    const unguarded = await serve([...base, "--start-guard", "off"]);
    const doubleVote = await sign(unguarded, pubkey, vote(epoch, epoch + 1, 0x0b));
    assert.equal(doubleVote.status, 200, "without the guard the restored database lets the double vote through");
    assert.ok(unguarded.logs().some((l) => l.level === 40 && String(l.msg).startsWith("start guard off")), "a warning says the guard is off");
    assert.equal((await unguarded.stop()).code, 0);
  });

  test("a deleted database is recreated with a warning, the guard applies and /healthcheck shows it", async () => {
    const { layout, pubkey } = await layoutWithKey(902);
    const dataDir = join(layout.root, "data");
    const base = ["--network", "hoodi", "--data-dir", dataDir, "--http-port", "0", ...THREADS, "--keystores", layout.keystores, "--keystores-passwords", layout.passwords];
    const epoch = hoodiEpoch();
    const first = await serve([...base, "--start-guard", "off"]);
    assert.equal((await sign(first, pubkey, vote(epoch, epoch + 1, 0x0a))).status, 200);
    assert.equal((await first.stop()).code, 0);
    for (const suffix of ["", "-wal", "-shm"]) await rm(join(dataDir, DB_FILE + suffix), { force: true });

    const second = await serve([...base, "--start-guard", "on"]);
    const warning = second.logs().find((l) => l.level === 40 && String(l.msg).includes("database is new"));
    assert.ok(warning, `no warning about the new database:\n${second.stdout()}`);
    assert.equal(warning.database, `SQLite in ${dataDir}`);
    const b = await sign(second, pubkey, vote(epoch, epoch + 1, 0x0b));
    assert.equal(b.status, 412, b.body);
    assert.match(b.body, /start guard/);
    const health = await getJson(`${second.url}/healthcheck`);
    assert.equal(health.status, 200);
    const guard = (health.json as { checks: Array<{ id: string; data?: Record<string, unknown> }> }).checks.find((c) => c.id === "start-guard");
    assert.equal(guard?.data?.on, true);
    assert.equal(guard?.data?.active, true);
    assert.ok(Number(guard?.data?.epoch) >= epoch + 1);
    assert.ok(Date.parse(String(guard?.data?.resumesAt)) > Date.now());
    assert.equal((await second.stop()).code, 0);
  });

  test("a key deleted through the keymanager API stays deleted when an older sealed-keys.json is put back (reload, restart); a new import with its history brings it back", async () => {
    const dir = scratch();
    const dataDir = join(dir, "data");
    const passphrase = join(dir, "passphrase.txt");
    await writeFile(passphrase, "sealing passphrase for the tombstone test\n", { mode: 0o600 });
    const args = ["--network", "hoodi", "--data-dir", dataDir, "--http-port", "0", ...THREADS, "--keymanager", "--sealing-passphrase-file", passphrase, "--start-guard", "off"];
    const key = testKey(903);
    const keystore = await cheapKeystore(key, "pw-km");
    let server = await serve(args);
    const token = (await readFile(join(dataDir, "api-token.txt"), "utf8")).trim();
    const auth = { authorization: `Bearer ${token}` };
    const keymanager = (method: string, body: unknown) => request(`${server.url}/eth/v1/keystores`, { method, body, headers: auth });
    const listed = async () => JSON.parse((await request(`${server.url}/api/v1/eth2/publicKeys`)).body) as string[];
    const randao = randaoReveal(HOODI, 60_000).body;

    const imported = await keymanager("POST", { keystores: [JSON.stringify(keystore)], passwords: ["pw-km"] });
    assert.equal(imported.status, 200, imported.body);
    assert.equal((JSON.parse(imported.body) as { data: Array<{ status: string }> }).data[0]?.status, "imported");
    const oldSealed = join(dir, "sealed-keys.old.json");
    await copyFile(join(dataDir, "sealed-keys.json"), oldSealed);

    const deleted = await keymanager("DELETE", { pubkeys: [key.pubkey] });
    assert.equal(deleted.status, 200, deleted.body);
    const deletion = JSON.parse(deleted.body) as { data: Array<{ status: string }>; slashing_protection: string };
    assert.equal(deletion.data[0]?.status, "deleted");

    // The host puts the older file back and asks for a reload: the key stays gone.
    await copyFile(oldSealed, join(dataDir, "sealed-keys.json"));
    const reload = await request(`${server.url}/reload`, { method: "POST", headers: auth });
    assert.equal(reload.status, 200, reload.body);
    assert.ok(!(await listed()).includes(key.pubkey.toLowerCase()));
    assert.equal((await sign(server, key.pubkey, randao)).status, 404);
    assert.equal((await server.stop()).code, 0);

    // And after a restart with the old file still there.
    server = await serve(args);
    assert.ok(!(await listed()).includes(key.pubkey.toLowerCase()));
    assert.equal((await sign(server, key.pubkey, randao)).status, 404);
    assert.ok(server.logs().some((l) => l.level === 40 && String(l.msg).includes("tombstoned")), "the log says a deleted key was left out");

    // A new import without its history is refused; with it, the key signs again.
    const again = await keymanager("POST", { keystores: [JSON.stringify(keystore)], passwords: ["pw-km"] });
    const [withoutHistory] = (JSON.parse(again.body) as { data: Array<{ status: string; message?: string }> }).data;
    assert.equal(withoutHistory?.status, "error");
    assert.match(String(withoutHistory?.message), /deleted from this signer earlier.*slashing_protection/);
    const withHistory = await keymanager("POST", { keystores: [JSON.stringify(keystore)], passwords: ["pw-km"], slashing_protection: deletion.slashing_protection });
    assert.equal((JSON.parse(withHistory.body) as { data: Array<{ status: string }> }).data[0]?.status, "imported", withHistory.body);
    assert.equal((await sign(server, key.pubkey, randao)).status, 200);
    assert.equal((await server.stop()).code, 0);
  });
});

describe("keys delete tombstones (real processes)", () => {
  test("`keys delete`, then the older sealed-keys.json put back: serve does not load the key", async () => {
    const { layout, pubkey } = await layoutWithKey(905);
    const dataDir = join(layout.root, "data");
    const env = { BULWARK_SEALING_PASSPHRASE: "sealing passphrase for keys delete" };
    const imported = await runBulwark(["keys", "import", "--data-dir", dataDir, "--keystores", layout.keystores, "--keystores-passwords", layout.passwords], { env });
    assert.equal(imported.code, 0, imported.stderr);
    const oldSealed = join(layout.root, "sealed-keys.old.json");
    await copyFile(join(dataDir, "sealed-keys.json"), oldSealed);
    const deleted = await runBulwark(
      ["keys", "delete", "--data-dir", dataDir, "--network", "hoodi", "--pubkey", pubkey, "--protection-out", join(layout.root, "history.json")],
      { env },
    );
    assert.equal(deleted.code, 0, deleted.stderr);
    await copyFile(oldSealed, join(dataDir, "sealed-keys.json"));
    const server = await startBulwark(["serve", "--network", "hoodi", "--data-dir", dataDir, "--http-port", "0", ...THREADS], { env, timeoutMs: 60_000 });
    servers.add(server);
    const keys = JSON.parse((await request(`${server.url}/api/v1/eth2/publicKeys`)).body) as string[];
    assert.deepEqual(keys, []);
    assert.equal((await sign(server, pubkey, randaoReveal(HOODI, 60_000).body)).status, 404);
    const warning = server.logs().find((l) => l.level === 40 && String(l.msg).includes("tombstoned"));
    assert.deepEqual(warning?.pubkeys, [pubkey.toLowerCase()]);
    assert.equal((await server.stop()).code, 0);
  });
});

describe("start guard resumption on a 1-second-slot network (real process)", () => {
  test("refused right after start, signing again by itself once the guard's epochs are over", { timeout: 120_000 }, async () => {
    const dir = scratch();
    const configFile = join(dir, "config.yaml");
    await writeFile(configFile, "PRESET_BASE: minimal\nCONFIG_NAME: fastnet\nSECONDS_PER_SLOT: 1\nGENESIS_FORK_VERSION: 0x00000099\n");
    const gvr = "0x" + "5a".repeat(32);
    const genesisTime = Math.floor(Date.now() / 1000) - 100;
    const { layout, pubkey } = await layoutWithKey(904);
    const server = await serve([
      "--network", configFile, "--genesis-validators-root", gvr, "--genesis-time", String(genesisTime),
      "--data-dir", join(dir, "data"), "--http-port", "0", ...THREADS,
      "--keystores", layout.keystores, "--keystores-passwords", layout.passwords, "--start-guard", "on",
    ]);
    const SPE = 8; // the minimal preset
    const clockEpoch = () => Math.floor((Date.now() / 1000 - genesisTime) / SPE);
    const fastVote = (source: number, target: number) => ({
      type: "ATTESTATION",
      fork_info: { fork: { previous_version: "0x00000099", current_version: "0x00000099", epoch: "0" }, genesis_validators_root: gvr },
      attestation: ssz.phase0.AttestationData.toJson({
        slot: target * SPE,
        index: 0,
        beaconBlockRoot: root(0x0c),
        source: { epoch: source, root: root(0xaa) },
        target: { epoch: target, root: root(0xbb) },
      }),
    });
    const line = server.logs().find((l) => typeof l.msg === "string" && l.msg.startsWith("start guard on"));
    assert.ok(line, server.stdout());
    const guardEpoch = Number(line.startGuardEpoch);
    const resumesAt = Date.parse(String(line.resumesAt));
    assert.equal(resumesAt, (genesisTime + (guardEpoch + 1) * SPE) * 1000, "the guard ends at the start of epoch E0 + 1 (1 s slots)");

    // Right after start: the honest vote of this epoch is refused.
    const now = clockEpoch();
    const early = await sign(server, pubkey, fastVote(now, now + 1));
    assert.equal(early.status, 412, early.body);
    assert.match(early.body, /start guard/);

    // Once the guard's epochs are over, the vote of the epoch is signed without any action.
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, resumesAt - Date.now()) + 300));
    const later = clockEpoch();
    assert.ok(later >= guardEpoch + 1);
    const resumed = await sign(server, pubkey, fastVote(later - 1, later));
    assert.equal(resumed.status, 200, resumed.body);
    assert.match(resumed.body, /"signature":"0x[0-9a-f]{192}"/);
    // The horizon still holds: three epochs ahead of the clock is refused as future.
    const ahead = await sign(server, pubkey, fastVote(later, later + 3));
    assert.equal(ahead.status, 412, ahead.body);
    assert.match(ahead.body, /future/);
    assert.equal((await server.stop()).code, 0);
  });
});

describe("policy settings at start (real process)", () => {
  test("a network without a genesis time, a bad policy value: the signer refuses to start and says why", async () => {
    const dir = scratch();
    const configFile = join(dir, "config.yaml");
    await writeFile(configFile, "PRESET_BASE: minimal\nCONFIG_NAME: fastnet\nSECONDS_PER_SLOT: 1\n");
    const common = ["--data-dir", join(dir, "data"), "--http-port", "0", ...THREADS];
    const cases: Array<[string[], RegExp]> = [
      [["--network", configFile, "--genesis-validators-root", "0x" + "5a".repeat(32)], /no well-known genesis time: pass --genesis-time/],
      [["--network", "minimal"], /no well-known genesis time: pass --genesis-time/],
      [["--network", "hoodi", "--deposit-allow", "0x1234"], /--deposit-allow "0x1234": expected an execution address/],
      [["--network", "hoodi", "--allowed-fee-recipient", "nope"], /--allowed-fee-recipient "nope"/],
      [["--network", "hoodi", "--refuse-types", "VOLUNTARY_EXIT,NOPE"], /unknown request type NOPE/],
      [["--network", "hoodi", "--start-guard", "maybe"], /--start-guard.*maybe.*(on, off|on,off)/],
    ];
    for (const [args, message] of cases) {
      const result = await runBulwark(["serve", ...args, ...common]);
      assert.notEqual(result.code, 0, args.join(" "));
      assert.match(result.stderr, message, args.join(" "));
      assert.ok(!result.stdout.includes("bulwark signer ready"));
    }
  });
});
