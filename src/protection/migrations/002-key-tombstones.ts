import type { Migration } from "./migration.js";

/**
 * Keys deleted through the keymanager API or `keys delete`: a key listed here never loads again
 * from a key file, however old the file, until it is imported anew with its history. Prune never
 * removes tombstones.
 */
export const keyTombstones: Migration = {
  version: 2,
  name: "key tombstones",
  sql: `
CREATE TABLE key_tombstones (
  pubkey bytea PRIMARY KEY CHECK (octet_length(pubkey) = 48),
  deleted_at timestamptz NOT NULL DEFAULT now()
);
`,
};
