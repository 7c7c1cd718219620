import type { ProtectionStore } from "./store.js";
import { SqliteProtectionStore } from "./sqlite-store.js";
import type { Root } from "./types.js";

export interface StoreLocation {
  /** Data directory holding the embedded SQLite database (the default store). */
  dataDir: string;
  genesisValidatorsRoot: Root;
}

/** Opens the protection store the operator configured. */
export async function openProtectionStore(location: StoreLocation): Promise<ProtectionStore> {
  return SqliteProtectionStore.open(location);
}
