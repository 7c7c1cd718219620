/** The PostgreSQL protection store; the code lives in ./postgres/, one file per concern. */
export { PostgresProtectionStore } from "./postgres/store.js";
export { DEFAULT_POOL_SIZE, DEFAULT_STATEMENT_TIMEOUT_MS, type PostgresStoreOptions, redactDatabaseUrl } from "./postgres/connection.js";
export { advisoryLockKey, validatorLockKey } from "./postgres/locks.js";
export { READ_HISTORY_SQL } from "./postgres/check-and-record.js";
