/** Messages between the SQLite store and its commit thread (plain data, structured-cloned). */
import type { MessagePort } from "node:worker_threads";
import type { Decision, ProtectionRequest } from "../types.js";

export type CommitMessage = { type: "commit"; id: number; requests: readonly ProtectionRequest[] } | { type: "close" };

/**
 * A group gets two replies: its decisions once its transaction has made them (before COMMIT), then
 * `committed` once COMMIT has returned; or `error` instead of either (also after the decisions:
 * they then count for nothing).
 */
export type CommitReply = { id: number; decisions: Decision[] } | { id: number; committed: true } | { id: number; error: string };

export interface CommitThreadData {
  /** The database file, already created, migrated and bound to its chain by the store. */
  path: string;
  /** The port the thread replies on. */
  replies: MessagePort;
}
