/**
 * The command line against a real PostgreSQL server, as child processes of `node bin/bulwark.js`:
 * `slashing-protection migrate` from SQLite (round trip, merge, refusals), import/export with --db
 * and BULWARK_DB, `prune` on both stores, and `npm run conformance -- DIR --db URL`.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, test } from "node:test";
import { startTestPostgres, type TestPostgres } from "../helpers/postgres.js";
import { SHARED_DIR, tempDir } from "../helpers/temp.js";

const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const BIN = join(REPO_ROOT, "bin", "bulwark.js");
const CONFORMANCE = join(REPO_ROOT, "dist", "src", "cli", "conformance-main.js");
const SUITE_DIR = join(SHARED_DIR, "vectors/eip3076-interchange-tests/tests");
const MAINNET_GVR = "0x4b363db94e286120d76eb905340fdd4e54bfe9f06bf33ff6cf5ad27f511bfe95";
const SEPOLIA_GVR = "0xd8ea171f3c94aea21ebc42a1ed61052acf3f9209c00e4efbaaddac09ed9b8078";
const PK = ["0x" + "a1".repeat(48), "0x" + "b2".repeat(48), "0x" + "c3".repeat(48)];
const root = (n: number) => "0x" + n.toString(16).padStart(64, "0");

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function interchange(gvr: string, data: unknown[]): string {
  return JSON.stringify({ metadata: { interchange_format_version: "5", genesis_validators_root: gvr }, data });
}

/** Three validators over 40 epochs, with unknown roots here and there. */
function history(): unknown[] {
  return PK.map((pubkey, k) => ({
    pubkey,
    signed_blocks: Array.from({ length: 40 }, (_, e) => ({ slot: String(e * 32 + k), ...(e % 7 === 0 ? {} : { signing_root: root(e + 1) }) })),
    signed_attestations: Array.from({ length: 40 }, (_, e) => ({
      source_epoch: String(e),
      target_epoch: String(e + 1),
      ...(e % 5 === 0 ? {} : { signing_root: root(1000 + e) }),
    })),
  }));
}

/** Sorted record lines per key: a canonical form of an export. */
function canonical(text: string): Record<string, string[]> {
  const doc = JSON.parse(text) as { data: { pubkey: string; signed_blocks: { slot: string; signing_root?: string }[]; signed_attestations: { source_epoch: string; target_epoch: string; signing_root?: string }[] }[] };
  return Object.fromEntries(
    doc.data.map((v) => [
      v.pubkey,
      [
        ...v.signed_blocks.map((b) => `b/${b.slot}/${b.signing_root ?? "-"}`),
        ...v.signed_attestations.map((a) => `a/${a.source_epoch}/${a.target_epoch}/${a.signing_root ?? "-"}`),
      ].sort(),
    ]),
  );
}

function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (key.startsWith("BULWARK_") || key === "LODESTAR_PRESET") continue;
    env[key] = value;
  }
  return { ...env, CI: "1", ...extra };
}

function run(script: string, args: string[], cwd: string, env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], { cwd, env: cleanEnv(env), stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    child.on("error", reject);
    child.on("exit", (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

function assertOk(result: Run, what: string): void {
  assert.equal(result.status, 0, `${what} failed (status ${result.status}): ${result.stderr}`);
}

describe("slashing-protection commands with PostgreSQL", () => {
  let server: TestPostgres;
  const dir = tempDir();
  const bulwark = (args: string[], env?: Record<string, string>) => run(BIN, ["slashing-protection", ...args], dir.path, env);
  before(async () => {
    server = await startTestPostgres();
  });
  after(async () => {
    await server?.close();
    dir.cleanup();
  });

  test("migrate copies an instance's SQLite history into PostgreSQL, merges, verifies, and refuses another chain", async () => {
    const url = await server.freshDatabase();
    const password = new URL(url).password;
    const dataDir = join(dir.path, "instance");
    const file = join(dir.path, "history.json");
    writeFileSync(file, interchange(MAINNET_GVR, history()));
    assertOk(await bulwark(["import", file, "--data-dir", dataDir, "--network", "mainnet"]), "import into SQLite");

    const migrated = await bulwark(["migrate", "--from", `sqlite:${dataDir}`, "--to", url, "--network", "mainnet"]);
    assertOk(migrated, "migrate");
    assert.match(migrated.stderr, /3 validators, 120 blocks and 120 attestations added, 0 already present; every record verified/);
    if (password !== "") assert.ok(!migrated.stderr.includes(password), "the password must not be printed");

    const fromSqlite = join(dir.path, "sqlite-export.json");
    const fromPostgres = join(dir.path, "postgres-export.json");
    assertOk(await bulwark(["export", fromSqlite, "--data-dir", dataDir, "--network", "mainnet"]), "export SQLite");
    assertOk(await bulwark(["export", fromPostgres, "--db", url, "--network", "mainnet"]), "export PostgreSQL");
    assert.deepEqual(canonical(readFileSync(fromPostgres, "utf8")), canonical(readFileSync(fromSqlite, "utf8")));

    const again = await bulwark(["migrate", "--from", `sqlite:${dataDir}`, "--to", url, "--network", "mainnet"]);
    assertOk(again, "second migrate");
    assert.match(again.stderr, /0 blocks and 0 attestations added, 240 already present/);

    // Another chain: the SQLite database is bound to mainnet, and so is the PostgreSQL one now.
    const wrongSource = await bulwark(["migrate", "--from", `sqlite:${dataDir}`, "--to", url, "--network", "sepolia"]);
    assert.notEqual(wrongSource.status, 0);
    assert.match(wrongSource.stderr, new RegExp(MAINNET_GVR));
    const sepoliaDir = join(dir.path, "sepolia");
    const sepoliaFile = join(dir.path, "sepolia.json");
    writeFileSync(sepoliaFile, interchange(SEPOLIA_GVR, history().slice(0, 1)));
    assertOk(await bulwark(["import", sepoliaFile, "--data-dir", sepoliaDir, "--network", "sepolia"]), "import sepolia");
    const wrongTarget = await bulwark(["migrate", "--from", `sqlite:${sepoliaDir}`, "--to", url, "--network", "sepolia"]);
    assert.notEqual(wrongTarget.status, 0);
    assert.match(wrongTarget.stderr, new RegExp(`${SEPOLIA_GVR}.*${MAINNET_GVR}`));

    const badFrom = await bulwark(["migrate", "--from", dataDir, "--to", url, "--network", "mainnet"]);
    assert.match(badFrom.stderr, /expected sqlite:DIR/);
    const badTo = await bulwark(["migrate", "--from", `sqlite:${dataDir}`, "--to", "mysql://x", "--network", "mainnet"]);
    assert.match(badTo.stderr, /expected a postgres:\/\/ URL/);
  });

  test("import and export take the database from BULWARK_DB; prune gives the same result on both stores", async () => {
    const url = await server.freshDatabase();
    const dataDir = join(dir.path, "prune-sqlite");
    const file = join(dir.path, "prune-history.json");
    writeFileSync(file, interchange(MAINNET_GVR, history()));
    assertOk(await bulwark(["import", file, "--network", "mainnet"], { BULWARK_DB: url }), "import with BULWARK_DB");
    assertOk(await bulwark(["import", file, "--data-dir", dataDir, "--network", "mainnet"]), "import into SQLite");

    const prunedPostgres = await bulwark(["prune", "--network", "mainnet", "--keep-epochs", "10"], { BULWARK_DB: url });
    assertOk(prunedPostgres, "prune PostgreSQL");
    // Latest target 40: targets below 30 go (29 per key); latest slot 39*32+k: 320 slots kept, 29 blocks go.
    assert.match(prunedPostgres.stderr, /pruned PostgreSQL .*: 87 blocks and 87 attestations removed from 3 validators/);
    const prunedSqlite = await bulwark(["prune", "--data-dir", dataDir, "--network", "mainnet", "--keep-epochs", "10"]);
    assertOk(prunedSqlite, "prune SQLite");
    assert.match(prunedSqlite.stderr, /pruned SQLite in .*: 87 blocks and 87 attestations removed from 3 validators/);

    const fromSqlite = join(dir.path, "pruned-sqlite.json");
    const fromPostgres = join(dir.path, "pruned-postgres.json");
    assertOk(await bulwark(["export", fromSqlite, "--data-dir", dataDir, "--network", "mainnet"]), "export SQLite");
    assertOk(await bulwark(["export", fromPostgres, "--network", "mainnet"], { BULWARK_DB: url }), "export PostgreSQL");
    const pruned = canonical(readFileSync(fromPostgres, "utf8"));
    assert.deepEqual(pruned, canonical(readFileSync(fromSqlite, "utf8")));
    assert.equal(pruned[PK[0]!]!.length, 11 + 11);

    const badKeep = await bulwark(["prune", "--data-dir", dataDir, "--network", "mainnet", "--keep-epochs", "-1"]);
    assert.match(badKeep.stderr, /--keep-epochs -1: expected a whole number of epochs/);
    const badDb = await bulwark(["export", join(dir.path, "x.json"), "--db", "mysql://x", "--network", "mainnet"]);
    assert.notEqual(badDb.status, 0);
    assert.match(badDb.stderr, /expected "sqlite" or a postgres:\/\/ URL/);
  });

  test("npm run conformance -- DIR --db URL passes the whole suite on PostgreSQL", async (t) => {
    if (!existsSync(SUITE_DIR)) {
      t.skip(`suite not found at ${SUITE_DIR} (../shared is absent)`);
      return;
    }
    const url = await server.freshDatabase();
    const result = await run(CONFORMANCE, [SUITE_DIR, "--db", url], dir.path);
    assertOk(result, "conformance");
    assert.match(result.stdout, /38 passed, 0 failed/);
    // Every per-file schema was dropped again.
    const left = await server.admin("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'bulwark_conformance_%'", [], url);
    assert.deepEqual(left, []);
  });
});
