/**
 * Group commit's scheduling, with a commit function that records the groups it is given (the
 * stores' transactions are tested by the store contract): calls are never split, groups stay under
 * the limit, a partial group waits for a single writer while a full one queues behind it, every
 * caller of a failed group is refused, and each caller gets its own decisions.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { GroupCommit } from "../../src/protection/group-commit.js";
import { ProtectionStoreError } from "../../src/protection/store.js";
import type { Decision, ProtectionRequest } from "../../src/protection/types.js";
import { att } from "../helpers/protection-records.js";

/** A commit that holds each group until `release` is called, then allows every request. */
function heldCommits() {
  const groups: Array<{ requests: readonly ProtectionRequest[]; release: (error?: Error) => void }> = [];
  const commit = (requests: readonly ProtectionRequest[]) =>
    new Promise<Decision[]>((resolve, reject) => {
      groups.push({ requests, release: (error) => (error ? reject(error) : resolve(requests.map(() => ({ allowed: true, record: true })))) });
    });
  return { groups, commit };
}

const turn = () => new Promise((resolve) => setImmediate(resolve));
const calls = (n: number, size: number, from = 0) => Array.from({ length: n }, (_, i) => Array.from({ length: size }, (_, j) => att(from + i, from + i + 1, j + 1)));

test("the calls of one event-loop turn share one group; a call is never split", async () => {
  const { groups, commit } = heldCommits();
  const group = new GroupCommit({ maxGroupRequests: 10, maxInFlight: 4, commit });
  const results = calls(3, 4).map((requests) => group.submit(requests));
  await turn();
  // 4 + 4 fit, the third call would make 12 > 10: it starts the next group.
  assert.deepEqual(groups.map((g) => g.requests.length), [8, 4]);
  for (const g of groups) g.release();
  assert.deepEqual((await Promise.all(results)).map((d) => d.length), [4, 4, 4]);
});

test("a single writer: a partial group waits for the one in flight, a full one queues behind it", async () => {
  const { groups, commit } = heldCommits();
  const group = new GroupCommit({ maxGroupRequests: 4, maxInFlight: 2, partialGroupsWait: true, commit });
  const first = group.submit(calls(1, 2)[0]!);
  await turn();
  assert.equal(groups.length, 1);
  const partial = group.submit(calls(1, 1, 10)[0]!);
  await turn();
  assert.equal(groups.length, 1, "a partial group waits while the writer is busy");
  const full = group.submit(calls(1, 3, 20)[0]!);
  await turn();
  assert.deepEqual(groups.map((g) => g.requests.length), [2, 4], "1 + 3 requests make a full group, which queues at once");
  const more = group.submit(calls(1, 4, 30)[0]!);
  await turn();
  assert.equal(groups.length, 2, "never more than maxInFlight groups");
  groups[0]!.release();
  await first;
  await turn();
  assert.deepEqual(groups.map((g) => g.requests.length), [2, 4, 4]);
  groups[1]!.release();
  groups[2]!.release();
  await Promise.all([partial, full, more]);
});

test("a failed commit refuses every call of its group, with the reason, and later groups go on", async () => {
  const { groups, commit } = heldCommits();
  const group = new GroupCommit({ maxGroupRequests: 10, maxInFlight: 1, commit });
  const failing = calls(2, 1).map((requests) => group.submit(requests));
  await turn();
  groups[0]!.release(new Error("disk full"));
  for (const result of failing) {
    await assert.rejects(result, (err: Error) => err instanceof ProtectionStoreError && /write failed, nothing signed: disk full/.test(err.message));
  }
  assert.equal(group.lastWriteError, "disk full");
  const next = group.submit(calls(1, 1, 5)[0]!);
  await turn();
  groups[1]!.release();
  assert.equal((await next).length, 1);
  assert.equal(group.lastWriteError, undefined, "a commit that succeeds clears the failure");
});

test("close settles every queued group, then refuses new calls", async () => {
  const { groups, commit } = heldCommits();
  const group = new GroupCommit({ maxGroupRequests: 2, maxInFlight: 1, commit });
  const queued = calls(3, 2).map((requests) => group.submit(requests));
  await turn();
  const closing = group.close();
  await assert.rejects(group.submit(calls(1, 1)[0]!), /closed/);
  for (let i = 0; i < 3; i++) {
    while (groups.length <= i) await turn();
    groups[i]!.release();
  }
  await closing;
  assert.equal((await Promise.all(queued)).length, 3);
});
