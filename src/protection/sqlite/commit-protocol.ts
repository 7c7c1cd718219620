/** Messages between the SQLite store and its commit thread (plain data, structured-cloned). */
import type { Decision, ProtectionRequest } from "../types.js";

export type CommitMessage = { type: "commit"; id: number; requests: readonly ProtectionRequest[] } | { type: "close" };

export type CommitReply = { id: number; decisions: Decision[] } | { id: number; error: string };

export interface CommitThreadData {
  /** The database file, already created, migrated and bound to its chain by the store. */
  path: string;
}
