/**
 * PostgreSQL protection store, shared by several signer instances (pg Pool).
 *
 * Every `checkAndRecord` group is ONE transaction (check-and-record.ts): advisory locks per
 * validator (locks.ts), the candidate records read under them, the shared decision path
 * (../decide.ts), the new records written, COMMIT before any promise resolves (the decisions go
 * out before COMMIT, so that signing overlaps it; see ProtectionStore.checkAndRecordWith). Calls that arrive
 * while the pool is busy share a transaction (../group-commit.ts). Any failure rejects every call
 * of its group with ProtectionStoreError: the connection is destroyed, the server rolls the
 * transaction back, nothing is signed. The pool opens fresh connections when the database is back;
 * no restart is needed.
 */
import { BackedProtectionStore, type StorageBackend } from "../backed-store.js";
import { HEALTH_PROBE_SQL } from "../store-health.js";
import type { Root } from "../types.js";
import { checkAndRecordGroup } from "./check-and-record.js";
import { begin, commit, type Connection, createPool, type PostgresStoreOptions, withConnection } from "./connection.js";
import { exportHistory, importHistory, listValidators } from "./interchange.js";
import { migrate } from "./migrate.js";
import { prune } from "./prune.js";
import { clearTombstones, listTombstones, tombstone } from "./tombstones.js";

/** Requests merged into one transaction at most (each distinct validator holds one lock). */
const MAX_GROUP_REQUESTS = 128;

function postgresBackend(connection: Connection, genesisValidatorsRoot: Root): StorageBackend {
  return {
    commitGroup: (requests, decided) => withConnection(connection, (client) => checkAndRecordGroup(client, requests, decided)),
    importHistory: (validators, options) => importHistory(connection, validators, options),
    exportHistory: (pubkeys) => exportHistory(connection, pubkeys),
    listValidators: () => listValidators(connection),
    tombstone: (pubkeys) => tombstone(connection, pubkeys),
    clearTombstones: (pubkeys) => clearTombstones(connection, pubkeys),
    listTombstones: () => listTombstones(connection),
    prune: (keepEpochs, slotsPerEpoch) => prune(connection, keepEpochs, slotsPerEpoch),
    async healthProblem(lastWriteError) {
      const { rows } = await connection.pool.query<{ gvr: string | null }>(HEALTH_PROBE_SQL);
      if (rows[0]?.gvr !== genesisValidatorsRoot) return `database is bound to genesis validators root ${rows[0]?.gvr}`;
      if (lastWriteError === undefined) return undefined;
      // Reads work again; a durable write proves the database takes records again.
      try {
        await withConnection(connection, async (client) => {
          await client.query(
            `${begin()} INSERT INTO metadata (key, value) VALUES ('last_health_write', now()::text)
             ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value`,
          );
          await commit(client);
        });
        return undefined;
      } catch {
        return `last write failed: ${lastWriteError}`;
      }
    },
    close: () => connection.pool.end(),
  };
}

export class PostgresProtectionStore extends BackedProtectionStore {
  private constructor(
    private readonly connection: Connection,
    genesisValidatorsRoot: Root,
    created: boolean,
  ) {
    super(genesisValidatorsRoot, created, postgresBackend(connection, genesisValidatorsRoot), {
      maxGroupRequests: MAX_GROUP_REQUESTS,
      maxInFlight: connection.poolSize,
    });
  }

  /** Where the data lives, without the password. */
  get location(): string {
    return this.connection.location;
  }

  /**
   * Connects, applies the pending migrations (under an advisory lock, so concurrent starts do not
   * race) and binds the database to one genesis validators root; refuses another root
   * (GenesisMismatchError) and a schema newer than this program (ProtectionStoreError).
   */
  static async open(url: string, genesisValidatorsRoot: Root, options: PostgresStoreOptions = {}): Promise<PostgresProtectionStore> {
    const gvr = genesisValidatorsRoot.toLowerCase();
    const connection = createPool(url, options);
    let created: boolean;
    try {
      created = await migrate(connection, gvr, options.schema);
    } catch (err) {
      await connection.pool.end().catch(() => undefined);
      throw err;
    }
    return new PostgresProtectionStore(connection, gvr, created);
  }
}
