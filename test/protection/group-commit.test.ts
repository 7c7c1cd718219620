/**
 * Group commit's scheduling, with a commit function that records the groups it is given (the
 * stores' transactions are tested by the store contract): calls are never split, groups stay under
 * the limit, a partial group waits for a single writer while a full one queues behind it, every
 * caller of a failed group is refused, and each caller gets its own decisions; work on the
 * decisions starts before the commit returns, and its result reaches the caller only after.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { GroupCommit } from "../../src/protection/group-commit.js";
import { ProtectionStoreError } from "../../src/protection/store.js";
import type { Decision, ProtectionRequest } from "../../src/protection/types.js";
import { att } from "../helpers/protection-records.js";

interface HeldGroup {
  requests: readonly ProtectionRequest[];
  /** The transaction makes its decisions (allowing every request); the commit has not returned. */
  decide: () => void;
  /** The commit returns (after deciding, if not done yet), or fails with `error`. */
  release: (error?: Error) => void;
}

/** A commit that holds each group until `decide` / `release` is called. */
function heldCommits() {
  const groups: HeldGroup[] = [];
  const commit = (requests: readonly ProtectionRequest[], decided: (decisions: Decision[]) => void) =>
    new Promise<void>((resolve, reject) => {
      let made = false;
      const decide = () => {
        if (!made) decided(requests.map(() => ({ allowed: true, record: true })));
        made = true;
      };
      groups.push({ requests, decide, release: (error) => (error ? reject(error) : (decide(), resolve())) });
    });
  return { groups, commit };
}

const decisionsOnly = () => undefined;

const turn = () => new Promise((resolve) => setImmediate(resolve));
const calls = (n: number, size: number, from = 0) => Array.from({ length: n }, (_, i) => Array.from({ length: size }, (_, j) => att(from + i, from + i + 1, j + 1)));

test("the calls of one event-loop turn share one group; a call is never split", async () => {
  const { groups, commit } = heldCommits();
  const group = new GroupCommit({ maxGroupRequests: 10, maxInFlight: 4, commit });
  const results = calls(3, 4).map((requests) => group.submit(requests, decisionsOnly));
  await turn();
  // 4 + 4 fit, the third call would make 12 > 10: it starts the next group.
  assert.deepEqual(groups.map((g) => g.requests.length), [8, 4]);
  for (const g of groups) g.release();
  assert.deepEqual((await Promise.all(results)).map((r) => r.decisions.length), [4, 4, 4]);
});

test("a single writer: a partial group waits for the one in flight, a full one queues behind it", async () => {
  const { groups, commit } = heldCommits();
  const group = new GroupCommit({ maxGroupRequests: 4, maxInFlight: 2, partialGroupsWait: true, commit });
  const first = group.submit(calls(1, 2)[0]!, decisionsOnly);
  await turn();
  assert.equal(groups.length, 1);
  const partial = group.submit(calls(1, 1, 10)[0]!, decisionsOnly);
  await turn();
  assert.equal(groups.length, 1, "a partial group waits while the writer is busy");
  const full = group.submit(calls(1, 3, 20)[0]!, decisionsOnly);
  await turn();
  assert.deepEqual(groups.map((g) => g.requests.length), [2, 4], "1 + 3 requests make a full group, which queues at once");
  const more = group.submit(calls(1, 4, 30)[0]!, decisionsOnly);
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
  const failing = calls(2, 1).map((requests) => group.submit(requests, decisionsOnly));
  await turn();
  groups[0]!.release(new Error("disk full"));
  for (const result of failing) {
    await assert.rejects(result, (err: Error) => err instanceof ProtectionStoreError && /write failed, nothing signed: disk full/.test(err.message));
  }
  assert.equal(group.lastWriteError, "disk full");
  const next = group.submit(calls(1, 1, 5)[0]!, decisionsOnly);
  await turn();
  groups[1]!.release();
  assert.equal((await next).decisions.length, 1);
  assert.equal(group.lastWriteError, undefined, "a commit that succeeds clears the failure");
});

test("close settles every queued group, then refuses new calls", async () => {
  const { groups, commit } = heldCommits();
  const group = new GroupCommit({ maxGroupRequests: 2, maxInFlight: 1, commit });
  const queued = calls(3, 2).map((requests) => group.submit(requests, decisionsOnly));
  await turn();
  const closing = group.close();
  await assert.rejects(group.submit(calls(1, 1)[0]!, decisionsOnly), /closed/);
  for (let i = 0; i < 3; i++) {
    while (groups.length <= i) await turn();
    groups[i]!.release();
  }
  await closing;
  assert.equal((await Promise.all(queued)).length, 3);
});

test("work on the decisions starts before the commit returns; the caller gets its result only after", async () => {
  const { groups, commit } = heldCommits();
  const group = new GroupCommit({ maxGroupRequests: 10, maxInFlight: 1, commit });
  const seen: Decision[][] = [];
  const [a, b] = calls(2, 2);
  const settled: string[] = [];
  const first = group.submit(a!, (decisions) => (seen.push(decisions), "signed a"));
  const second = group.submit(b!, (decisions) => (seen.push(decisions), Promise.resolve("signed b")));
  void first.then(() => settled.push("a"));
  void second.then(() => settled.push("b"));
  await turn();
  assert.equal(groups.length, 1, "one group for both calls");
  await turn();
  assert.equal(seen.length, 0, "nothing prepared before the transaction has decided");
  groups[0]!.decide();
  await turn();
  assert.deepEqual(seen.map((d) => d.length), [2, 2], "each call's work gets its own decisions, before the commit returns");
  await turn();
  assert.deepEqual(settled, [], "no call settles while its commit has not returned");
  const before = performance.now();
  groups[0]!.release();
  const [ra, rb] = await Promise.all([first, second]);
  assert.equal(ra.prepared, "signed a");
  assert.equal(rb.prepared, "signed b");
  assert.equal(ra.decisions.length, 2);
  assert.ok(ra.committedAt >= before, "committedAt is when the commit returned");
});

test("a commit that fails after the decisions refuses the calls and drops the work's result", async () => {
  const { groups, commit } = heldCommits();
  const group = new GroupCommit({ maxGroupRequests: 10, maxInFlight: 1, commit });
  let prepared = 0;
  const result = group.submit(calls(1, 3)[0]!, () => (prepared++, "a signature"));
  await turn();
  groups[0]!.decide();
  await turn();
  assert.equal(prepared, 1, "the work ran on the decisions");
  groups[0]!.release(new Error("fsync failed"));
  await assert.rejects(result, (err: Error) => err instanceof ProtectionStoreError && /write failed, nothing signed: fsync failed/.test(err.message));
  assert.equal(group.lastWriteError, "fsync failed");
});

test("a commit that returns without deciding, or with the wrong number of decisions, refuses its calls", async () => {
  const cases: Array<[string, (requests: readonly ProtectionRequest[], decided: (decisions: Decision[]) => void) => Promise<void>]> = [
    ["no decisions", async () => undefined],
    ["one decision short", async (requests, decided) => decided(requests.slice(1).map(() => ({ allowed: true, record: true })))],
  ];
  for (const [name, commit] of cases) {
    const group = new GroupCommit({ maxGroupRequests: 10, maxInFlight: 1, commit });
    let prepared = 0;
    await assert.rejects(
      group.submit(calls(1, 2)[0]!, () => prepared++),
      (err: Error) => err instanceof ProtectionStoreError && /returned without 2 decisions/.test(err.message),
      name,
    );
    assert.equal(prepared, 0, `${name}: no work on decisions that do not fit the group`);
  }
});

test("work that fails reaches its caller, after the commit; the group's other calls are unaffected", async () => {
  const { groups, commit } = heldCommits();
  const group = new GroupCommit({ maxGroupRequests: 10, maxInFlight: 1, commit });
  const [a, b] = calls(2, 1);
  const failing = group.submit(a!, () => Promise.reject(new Error("signing thread died")));
  const fine = group.submit(b!, () => "ok");
  await turn();
  groups[0]!.release();
  await assert.rejects(failing, /signing thread died/);
  assert.equal((await fine).prepared, "ok");
});

test("a partial group is held while every caller can wait, at most maxHoldMs; a full group, or a caller that cannot wait, ends the hold", async () => {
  const { groups, commit } = heldCommits();
  const maxHoldMs = 200;
  const group = new GroupCommit({ maxGroupRequests: 6, maxInFlight: 1, partialGroupsWait: true, maxHoldMs, commit });
  const canWait = { holdWhile: () => true };
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  // Held for at most maxHoldMs from the oldest call, gathering the calls that come meanwhile.
  const started = performance.now();
  const held = [group.submit(calls(1, 1)[0]!, decisionsOnly, canWait)];
  await turn();
  assert.equal(groups.length, 0, "held while its caller can wait");
  await sleep(2);
  held.push(group.submit(calls(1, 2, 10)[0]!, decisionsOnly, canWait));
  while (groups.length === 0 && performance.now() - started < 1000) await sleep(1);
  assert.equal(groups.length, 1, "the hold ends");
  assert.ok(performance.now() - started >= maxHoldMs, "not before maxHoldMs");
  assert.deepEqual(groups.map((g) => g.requests.length), [3], "the calls that came meanwhile share the commit");
  groups[0]!.release();
  await Promise.all(held);

  // A caller that cannot wait ends the hold of the whole group at once.
  const waiting = group.submit(calls(1, 1, 20)[0]!, decisionsOnly, canWait);
  await turn();
  assert.equal(groups.length, 1);
  const urgent = group.submit(calls(1, 1, 30)[0]!, decisionsOnly);
  await turn();
  assert.deepEqual(groups.slice(1).map((g) => g.requests.length), [2], "an urgent caller takes the held ones along");
  groups[1]!.release();
  await Promise.all([waiting, urgent]);

  // A full group never waits.
  const full = group.submit(calls(1, 6, 40)[0]!, decisionsOnly, canWait);
  assert.equal(groups.length, 3, "a full group goes at once, without even a turn");
  groups[2]!.release();
  await full;
});

test("a hold ends as soon as its callers can no longer wait", async () => {
  const { groups, commit } = heldCommits();
  // A long hold, so that only the callers' change can end it within the test.
  const group = new GroupCommit({ maxGroupRequests: 6, maxInFlight: 1, partialGroupsWait: true, maxHoldMs: 60_000, commit });
  let busy = true;
  const held = group.submit(calls(1, 1)[0]!, decisionsOnly, { holdWhile: () => busy });
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(groups.length, 0, "held");
  busy = false;
  const ended = performance.now();
  while (groups.length === 0 && performance.now() - ended < 5000) await new Promise((resolve) => setTimeout(resolve, 1));
  assert.equal(groups.length, 1, "sent once the caller can no longer wait");
  assert.ok(performance.now() - ended < 1000, "looked at again every few milliseconds");
  groups[0]!.release();
  await held;
});

test("close does not wait for a hold", async () => {
  const { groups, commit } = heldCommits();
  const group = new GroupCommit({ maxGroupRequests: 6, maxInFlight: 1, commit });
  const held = group.submit(calls(1, 1)[0]!, decisionsOnly, { holdWhile: () => true });
  await turn();
  assert.equal(groups.length, 0);
  const closing = group.close();
  assert.equal(groups.length, 1, "closing sends the held group at once");
  groups[0]!.release();
  await Promise.all([closing, held]);
});
