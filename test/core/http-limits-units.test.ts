/**
 * The small pieces behind holes 5, 6, 7 and 10, each on its own: the batch identifier check (cap,
 * O(n) duplicates), the one-at-a-time reload, the health probe throttle, the loopback test behind
 * the no-TLS warning, and the timeout flags.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { isLoopbackHost, readHttpLimits } from "../../src/cli/server-options.js";
import { BATCH_SLACK, checkBatchIdentifiers } from "../../src/eth/batch-identifiers.js";
import { atMostEvery } from "../../src/pool/signing/probe-cache.js";
import { coalescing } from "../../src/server/reload-route.js";

const key = (i: number) => "0x" + i.toString(16).padStart(96, "0");

describe("batch identifiers", () => {
  test("at most the loaded keys + 400; duplicates found, even differing in case; invalid and empty refused", () => {
    assert.equal(BATCH_SLACK, 400);
    const ok = checkBatchIdentifiers(Array.from({ length: 410 }, (_, i) => key(i)), 10);
    assert.ok(ok.ok && ok.keys.length === 410);
    const over = checkBatchIdentifiers(Array.from({ length: 411 }, (_, i) => key(i)), 10);
    assert.ok(!over.ok && /411 given, at most 410/.test(over.message));
    const big = Array.from({ length: 50_000 }, (_, i) => key(i));
    big.push(key(12_345).toUpperCase().replace("0X", "0x"));
    const duplicate = checkBatchIdentifiers(big, 50_000);
    assert.ok(!duplicate.ok && duplicate.message.includes(`${key(12_345)} appears more than once`));
    const invalid = checkBatchIdentifiers(["0x1234"], 1);
    assert.ok(!invalid.ok && /not a 48-byte hex public key/.test(invalid.message));
    assert.ok(!checkBatchIdentifiers([], 5).ok);
  });
});

describe("one reload at a time", () => {
  test("calls during a run share one queued run; never two at once; a failed run does not block the next", async () => {
    let running = 0;
    let max = 0;
    let runs = 0;
    let fail = false;
    const run = coalescing(async () => {
      runs++;
      running++;
      max = Math.max(max, running);
      await new Promise((resolve) => setTimeout(resolve, 30));
      running--;
      if (fail) throw new Error("broken");
      return runs;
    });
    const results = await Promise.all(Array.from({ length: 20 }, () => run()));
    assert.equal(max, 1);
    assert.equal(runs, 2);
    assert.deepEqual(new Set(results), new Set([1, 2]));
    assert.equal(results[0], 1);
    assert.ok(results.slice(1).every((r) => r === 2), "a call made while a run was under way gets a run that started after it");
    fail = true;
    await assert.rejects(run(), /broken/);
    fail = false;
    assert.equal(await run(), 4);
  });
});

describe("health probes at most every interval", () => {
  test("one probe per 2 s window, shared by every caller in it", async () => {
    let now = 0;
    let probes = 0;
    const probe = atMostEvery(2000, async () => ++probes, () => now);
    const first = await Promise.all(Array.from({ length: 50 }, () => probe()));
    assert.deepEqual(new Set(first), new Set([1]));
    now = 1999;
    assert.equal(await probe(), 1);
    now = 2000;
    assert.equal(await probe(), 2);
    assert.equal(probes, 2);
  });
});

describe("listen address and timeout flags", () => {
  test("loopback addresses are recognised; anything else warns", () => {
    for (const host of ["127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost", "::ffff:127.0.0.1"]) assert.ok(isLoopbackHost(host), host);
    for (const host of ["0.0.0.0", "::", "10.0.0.5", "192.168.1.2", "signer.internal", "::ffff:10.0.0.1"]) assert.ok(!isLoopbackHost(host), host);
  });

  test("defaults 10 s / 30 s / 4096; the request deadline cannot be shorter than the headers deadline", () => {
    assert.deepEqual(readHttpLimits({}), { headersTimeoutMs: 10_000, requestTimeoutMs: 30_000, maxConnections: 4096 });
    assert.deepEqual(readHttpLimits({ httpHeadersTimeoutMs: "500", httpRequestTimeoutMs: "800", httpMaxConnections: "7" }), {
      headersTimeoutMs: 500,
      requestTimeoutMs: 800,
      maxConnections: 7,
    });
    assert.throws(() => readHttpLimits({ httpHeadersTimeoutMs: "5000", httpRequestTimeoutMs: "1000" }), /must be at least --http-headers-timeout-ms/);
    assert.throws(() => readHttpLimits({ httpMaxConnections: "0" }), /--http-max-connections/);
  });
});
