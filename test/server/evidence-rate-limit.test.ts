/** The evidence rate limit: one request in flight, at most N in any sliding minute. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { EvidenceRateLimit } from "../../src/server/evidence-rate-limit.js";

test("one evidence request at a time", () => {
  const limit = new EvidenceRateLimit(10);
  assert.equal(limit.acquire(1_000), 0);
  assert.equal(limit.acquire(1_001), 1);
  limit.release();
  assert.equal(limit.acquire(1_002), 0);
});

test("at most N a minute, with the wait until the oldest leaves the window", () => {
  const limit = new EvidenceRateLimit(2);
  assert.equal(limit.acquire(0), 0);
  limit.release();
  assert.equal(limit.acquire(10_000), 0);
  limit.release();
  assert.equal(limit.acquire(20_000), 40);
  assert.equal(limit.acquire(60_000), 0);
});
