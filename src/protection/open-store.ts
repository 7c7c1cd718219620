import { PostgresProtectionStore, redactDatabaseUrl } from "./postgres-store.js";
import type { ProtectionStore } from "./store.js";
import { ProtectionStoreError } from "./store.js";
import { SqliteProtectionStore } from "./sqlite-store.js";
import type { Root } from "./types.js";

/** The environment variable the CLI reads `--db` from. */
export const DB_ENV = "BULWARK_DB";

export interface StoreLocation {
  /** Data directory holding the embedded SQLite database (the default store). */
  dataDir: string;
  genesisValidatorsRoot: Root;
  /**
   * Which database: undefined, "" or "sqlite" for the SQLite file in `dataDir`;
   * "postgres://..." or "postgresql://..." for a PostgreSQL database shared by several signers.
   */
  db?: string;
  /** PostgreSQL only: connections in the pool (default 10). */
  poolSize?: number;
  /** PostgreSQL only: statement timeout in ms, lock waits included (default 5000). */
  statementTimeoutMs?: number;
}

export type StoreKind = "sqlite" | "postgres";

/** Which store `db` names; throws ProtectionStoreError for anything else. */
export function storeKind(db: string | undefined): StoreKind {
  if (db === undefined || db === "" || db === "sqlite") return "sqlite";
  if (/^postgres(ql)?:\/\//i.test(db)) return "postgres";
  throw new ProtectionStoreError(`unsupported database ${JSON.stringify(redactDatabaseUrl(db))}: expected "sqlite" or a postgres:// URL`);
}

/** Where the store lives, for messages (no password). */
export function describeStoreLocation(location: Pick<StoreLocation, "dataDir" | "db">): string {
  return storeKind(location.db) === "sqlite" ? `SQLite in ${location.dataDir}` : `PostgreSQL ${redactDatabaseUrl(location.db!)}`;
}

/** Opens the protection store the operator configured. */
export async function openProtectionStore(location: StoreLocation): Promise<ProtectionStore> {
  if (storeKind(location.db) === "sqlite") {
    return SqliteProtectionStore.open({ dataDir: location.dataDir, genesisValidatorsRoot: location.genesisValidatorsRoot });
  }
  return PostgresProtectionStore.open(location.db!, location.genesisValidatorsRoot, {
    ...(location.poolSize === undefined ? {} : { poolSize: location.poolSize }),
    ...(location.statementTimeoutMs === undefined ? {} : { statementTimeoutMs: location.statementTimeoutMs }),
  });
}
