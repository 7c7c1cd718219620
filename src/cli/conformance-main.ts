/**
 * `npm run conformance -- DIR [--db postgres://...]`: runs every EIP-3076 interchange test file in
 * DIR through a real store and ends with "N passed, N failed". Without --db, each file gets a fresh
 * SQLite database in a scratch directory; with a PostgreSQL URL, each file gets a fresh schema in
 * that database (created, then dropped), so the database needs no other preparation.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { listSuiteFiles, runConformanceFile, type StoreFactory } from "../protection/conformance.js";
import { storeKind } from "../protection/open-store.js";
import { PostgresProtectionStore, redactDatabaseUrl } from "../protection/postgres-store.js";
import { SqliteProtectionStore } from "../protection/sqlite-store.js";

const USAGE =
  "usage: npm run conformance -- DIR [--db postgres://...]   (DIR holds the EIP-3076 interchange test files, e.g. ../shared/vectors/eip3076-interchange-tests/tests)";

function parseArgs(argv: string[]): { dir: string; db?: string } | string {
  let dir: string | undefined;
  let db: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--db") {
      db = argv[++i];
      if (db === undefined) return "--db needs a URL";
    } else if (arg.startsWith("--db=")) db = arg.slice("--db=".length);
    else if (arg.startsWith("-")) return `unknown option ${arg}`;
    else if (dir === undefined) dir = arg;
    else return `unexpected argument ${arg}`;
  }
  if (dir === undefined) return "missing DIR";
  return db === undefined ? { dir } : { dir, db };
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  if (typeof args === "string") {
    console.error(`${args}\n${USAGE}`);
    return 2;
  }
  let postgres = false;
  try {
    postgres = storeKind(args.db) === "postgres";
  } catch (err) {
    console.error(`--db: ${(err as Error).message}`);
    return 2;
  }
  let files: string[];
  try {
    files = listSuiteFiles(args.dir);
  } catch (err) {
    console.error(`cannot read ${args.dir}: ${(err as Error).message}`);
    return 2;
  }
  if (files.length === 0) {
    console.error(`no .json test files in ${args.dir}`);
    return 2;
  }
  const scratch = mkdtempSync(join(tmpdir(), "bulwark-conformance-"));
  const admin = postgres ? new pg.Client({ connectionString: args.db }) : undefined;
  let passed = 0;
  let failed = 0;
  try {
    if (admin !== undefined) {
      admin.on("error", () => undefined);
      await admin.connect().catch((err: Error) => {
        throw new Error(`cannot connect to ${redactDatabaseUrl(args.db!)}: ${err.message}`);
      });
      console.log(`running on PostgreSQL ${redactDatabaseUrl(args.db!)}, one schema per file`);
    }
    for (const [i, file] of files.entries()) {
      const schema = `bulwark_conformance_${process.pid}_${i}`;
      const openStore: StoreFactory =
        admin === undefined
          ? async (gvr) => SqliteProtectionStore.open({ dataDir: join(scratch, String(i)), genesisValidatorsRoot: gvr })
          : async (gvr) => PostgresProtectionStore.open(args.db!, gvr, { schema, poolSize: 2 });
      let result;
      try {
        result = await runConformanceFile(file, openStore);
      } finally {
        if (admin !== undefined) await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      }
      if (result.failures.length === 0) {
        passed++;
        console.log(`PASS ${result.name} (${result.checks} checks)`);
      } else {
        failed++;
        console.log(`FAIL ${result.name}`);
        for (const failure of result.failures) console.log(`     ${failure}`);
      }
    }
  } catch (err) {
    console.error((err as Error).message);
    return 2;
  } finally {
    await admin?.end().catch(() => undefined);
    rmSync(scratch, { recursive: true, force: true });
  }
  console.log(`${passed} passed, ${failed} failed`);
  return failed === 0 ? 0 : 1;
}

process.exitCode = await main();
