/** Connecting to PostgreSQL: the pool, the settings of every writing transaction, one connection at a time. */
import pg from "pg";
import { ProtectionStoreError } from "../store.js";

export interface PostgresStoreOptions {
  /** Connections in the pool; also how many transactions run at once (default 10). */
  poolSize?: number;
  /**
   * Server-side limit of one statement, lock waits included (default 5000 ms). A request that
   * cannot be decided in time is refused (fail closed).
   */
  statementTimeoutMs?: number;
  /** Schema holding the tables (created if needed); default: the connection's search_path. */
  schema?: string;
}

export const DEFAULT_POOL_SIZE = 10;
export const DEFAULT_STATEMENT_TIMEOUT_MS = 5_000;
/** Client-side grace after the server's statement timeout, for a server that stopped answering. */
const CLIENT_TIMEOUT_MARGIN_MS = 2_000;
/** Imports, prunes and migrations may take long; they run without a statement timeout. */
const MAINTENANCE_TIMEOUT_MS = 60 * 60 * 1000;

/** The URL without its password, for messages and logs. */
export function redactDatabaseUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== "") parsed.password = "****";
    // node-postgres also takes passwords from the query string.
    for (const key of ["password", "sslpassword"]) if (parsed.searchParams.has(key)) parsed.searchParams.set(key, "****");
    return parsed.toString();
  } catch {
    return "(unparseable database URL)";
  }
}

export interface Connection {
  pool: pg.Pool;
  /** Where the data lives, without the password. */
  location: string;
  poolSize: number;
}

/** Checks the options and creates the pool (no connection is opened yet). */
export function createPool(url: string, options: PostgresStoreOptions): Connection {
  const poolSize = options.poolSize ?? DEFAULT_POOL_SIZE;
  const statementTimeoutMs = options.statementTimeoutMs ?? DEFAULT_STATEMENT_TIMEOUT_MS;
  if (!Number.isSafeInteger(poolSize) || poolSize < 1) throw new RangeError(`poolSize must be a positive integer, got ${poolSize}`);
  if (!Number.isSafeInteger(statementTimeoutMs) || statementTimeoutMs < 1) {
    throw new RangeError(`statementTimeoutMs must be a positive integer, got ${statementTimeoutMs}`);
  }
  if (options.schema !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(options.schema)) {
    throw new RangeError(`schema must be a lowercase SQL identifier, got ${JSON.stringify(options.schema)}`);
  }
  const location = redactDatabaseUrl(url) + (options.schema === undefined ? "" : ` (schema ${options.schema})`);
  let connectionString: string;
  try {
    connectionString = options.schema === undefined ? url : withSearchPath(url, options.schema);
  } catch (err) {
    throw new ProtectionStoreError(`invalid database URL ${location}: ${(err as Error).message}`);
  }
  const pool = new pg.Pool({
    connectionString,
    max: poolSize,
    statement_timeout: statementTimeoutMs,
    query_timeout: statementTimeoutMs + CLIENT_TIMEOUT_MARGIN_MS,
    // A process that stalls inside a transaction must not hold validator locks for long.
    idle_in_transaction_session_timeout: Math.max(30_000, 2 * statementTimeoutMs),
    connectionTimeoutMillis: statementTimeoutMs,
    keepAlive: true,
    application_name: "bulwark",
  });
  // An idle connection that breaks is dropped by the pool; without a listener it would crash
  // the process. The next transaction opens a new connection.
  pool.on("error", () => undefined);
  return { pool, location, poolSize };
}

/** Adds `-c search_path=schema` to the URL's startup options. */
function withSearchPath(url: string, schema: string): string {
  const parsed = new URL(url);
  const options = parsed.searchParams.get("options");
  parsed.searchParams.set("options", `${options === null ? "" : `${options} `}-c search_path=${schema}`);
  return parsed.toString();
}

/** BEGIN with the settings every writing transaction needs, whatever the server's defaults. */
export function begin(statementTimeout?: "none"): string {
  return (
    "BEGIN ISOLATION LEVEL READ COMMITTED; SET LOCAL synchronous_commit TO on;" +
    (statementTimeout === "none" ? " SET LOCAL statement_timeout TO 0;" : "")
  );
}

/** COMMIT, and make sure it was one: in an aborted transaction PostgreSQL answers ROLLBACK. */
export async function commit(client: pg.PoolClient): Promise<void> {
  const result = await client.query("COMMIT");
  if (result.command !== "COMMIT") throw new ProtectionStoreError(`transaction was rolled back (${result.command})`);
}

/** A query without the client-side timeout, for imports, prunes and migrations. */
export function maintenanceQuery(client: pg.PoolClient) {
  return <R extends pg.QueryResultRow>(text: string, values?: unknown[]) =>
    client.query<R>({ text, values, query_timeout: MAINTENANCE_TIMEOUT_MS } as pg.QueryConfig);
}

/**
 * Runs `work` on one pooled connection and releases it; on any error the connection is destroyed
 * (so the server rolls back whatever was open) and the error is rethrown. `unreachable` words the
 * error when no connection can be had.
 */
export async function withConnection<T>(
  connection: Connection,
  work: (client: pg.PoolClient) => Promise<T>,
  unreachable = "cannot reach the slashing-protection database",
): Promise<T> {
  let client: pg.PoolClient;
  try {
    client = await connection.pool.connect();
  } catch (err) {
    throw new ProtectionStoreError(`${unreachable} ${connection.location}: ${(err as Error).message}`);
  }
  // A checked-out client has no error listener of the pool's: a connection the server ends
  // between two statements (shutdown, restart) would otherwise be an uncaught exception.
  let broken: Error | undefined;
  const onError = (err: Error) => (broken ??= err);
  client.on("error", onError);
  try {
    const result = await work(client);
    client.removeListener("error", onError);
    if (broken === undefined) client.release();
    else client.release(broken);
    return result;
  } catch (err) {
    client.removeListener("error", onError);
    client.release(err instanceof Error ? err : new Error(String(err)));
    throw err;
  }
}

/** One statement on any pooled connection; a failure is a ProtectionStoreError. */
export async function read<R extends pg.QueryResultRow>(connection: Connection, text: string, values?: unknown[]): Promise<R[]> {
  try {
    return (await connection.pool.query<R>(text, values)).rows;
  } catch (err) {
    throw new ProtectionStoreError(`slashing-protection database read failed: ${(err as Error).message}`);
  }
}
