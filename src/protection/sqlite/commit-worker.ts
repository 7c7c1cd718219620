/**
 * The SQLite commit thread: owns one connection to the database file and runs each signing group
 * (check-and-record.ts) there, so that the fsync of a commit never blocks the event loop that
 * parses HTTP and hands signatures out. Groups arrive one at a time and are committed in order;
 * each group's decisions leave as soon as its transaction has made them, and its `committed` reply
 * only after COMMIT has returned.
 */
import { parentPort, workerData } from "node:worker_threads";
import type Database from "better-sqlite3";
import type { Decision, ProtectionRequest } from "../types.js";
import { groupCommitter } from "./check-and-record.js";
import type { CommitMessage, CommitReply, CommitThreadData } from "./commit-protocol.js";
import { connect } from "./schema.js";

const { path, replies } = workerData as CommitThreadData;
let db: Database.Database | undefined;
let commit: ((requests: readonly ProtectionRequest[], decided: (decisions: Decision[]) => void) => void) | undefined;

parentPort!.on("message", (message: CommitMessage) => {
  if (message.type === "close") {
    db?.close();
    parentPort!.close();
    return;
  }
  let reply: CommitReply;
  try {
    // Prepared lazily, and again after a failure: a table that is back makes the next group work.
    db ??= connect(path, { mustExist: true });
    commit ??= groupCommitter(db);
    const { id } = message;
    // The decisions go out before COMMIT, so that the signing threads work while it waits for the disk.
    commit(message.requests, (decisions) => replies.postMessage({ id, decisions } satisfies CommitReply));
    reply = { id, committed: true };
  } catch (err) {
    commit = undefined;
    reply = { id: message.id, error: (err as Error).message };
  }
  replies.postMessage(reply);
});
