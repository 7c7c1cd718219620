/** The embedded SQLite protection store; the code lives in ./sqlite/, one file per concern. */
export { SqliteProtectionStore, type SqliteStoreOptions } from "./sqlite/store.js";
export { SQLITE_FILE_NAME } from "./sqlite/schema.js";
