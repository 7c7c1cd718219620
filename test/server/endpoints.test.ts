// Public keys, upcheck, healthcheck, metrics, the Host allow-list and /reload, over real HTTP.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { bytes, clone, hex } from "../eth/helpers.js";
import { attestationCase, randaoCase } from "./cases.js";
import { expectedSignature, newKey, rawRequest, RELOAD_TOKEN, type Signer, startSigner, type TestKey } from "./harness.js";

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses Prometheus text exposition into samples (label order independent). */
function parsePrometheus(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    assert.ok(match, `unparseable metrics line: ${line}`);
    const labels: Record<string, string> = {};
    for (const pair of (match[2] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[pair[1]!] = pair[2]!;
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return samples;
}

function value(samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  const found = samples.filter(
    (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v) && Object.keys(s.labels).length === Object.keys(labels).length,
  );
  assert.ok(found.length <= 1, `${name} ${JSON.stringify(labels)} is ambiguous`);
  return found[0]?.value;
}

describe("public keys, upcheck, healthcheck", () => {
  let signer: Signer;
  before(async () => {
    signer = await startSigner({ keys: 3 });
  });
  after(async () => {
    await signer?.close();
  });

  test("GET /api/v1/eth2/publicKeys lists exactly the loaded keys as 0x-hex", async () => {
    const response = await signer.get("/api/v1/eth2/publicKeys");
    assert.equal(response.status, 200);
    assert.match(response.headers.get("content-type") ?? "", /^application\/json/);
    const keys = (await response.json()) as string[];
    assert.deepEqual([...keys].sort(), signer.keys.map((k) => k.pubkey).sort());
    for (const key of keys) assert.match(key, /^0x[0-9a-f]{96}$/);
  });

  test("GET /upcheck is 200 OK in plain text", async () => {
    const response = await signer.get("/upcheck");
    assert.equal(response.status, 200);
    assert.match(response.headers.get("content-type") ?? "", /^text\/plain/);
    assert.equal(await response.text(), "OK");
  });

  test("GET /healthcheck is 200 with UP checks for keys, slashing protection and signing", async () => {
    const response = await signer.get("/healthcheck");
    assert.equal(response.status, 200);
    const health = (await response.json()) as {
      status: string;
      outcome: string;
      checks: Array<{ id: string; status: string; data?: Record<string, unknown> }>;
    };
    assert.equal(health.status, "UP");
    assert.equal(health.outcome, "UP");
    const byId = new Map(health.checks.map((c) => [c.id, c]));
    assert.deepEqual([...byId.keys()].sort(), ["keys", "signing", "slashing-protection", "start-guard"]);
    for (const check of health.checks) assert.equal(check.status, "UP", check.id);
    assert.equal(byId.get("keys")!.data!.keysLoaded, 3);
    assert.equal(typeof byId.get("slashing-protection")!.data!.latencyMs, "number");
    // The test harness runs with the start guard off (test/helpers/policy.ts).
    assert.deepEqual(byId.get("start-guard")!.data, { on: false, active: false });
  });

  test("an unknown route is 404, a GET on the signing route is not a signature", async () => {
    assert.equal((await signer.get("/nope")).status, 404);
    const response = await signer.get(`/api/v1/eth2/sign/${signer.keys[0]!.pubkey}`);
    assert.equal(response.status, 404);
  });
});

describe("GET /metrics", () => {
  let signer: Signer;
  let samples: Sample[];
  let contentType: string;
  before(async () => {
    signer = await startSigner({ keys: 2 });
    const [a, b] = signer.keys as [TestKey, TestKey];
    const expectStatus = async (pubkey: string, body: unknown, status: number) => {
      const response = await signer.sign(pubkey, body);
      assert.equal(response.status, status, JSON.stringify(response.json));
    };
    // ATTESTATION: 3 signed, 1 double vote, 1 surround, 1 unknown key, 1 bad request, 1 wrong network.
    await expectStatus(a.pubkey, attestationCase(10, 11).body, 200);
    await expectStatus(a.pubkey, attestationCase(11, 12).body, 200);
    await expectStatus(b.pubkey, attestationCase(10, 11).body, 200);
    await expectStatus(a.pubkey, attestationCase(11, 12, 9).body, 412);
    await expectStatus(a.pubkey, attestationCase(10, 13).body, 412); // surrounds 11->12
    await expectStatus(newKey().pubkey, attestationCase(20, 21).body, 404);
    const bad = clone(attestationCase(20, 21).body) as Record<string, any>;
    bad.attestation.slot = "x";
    await expectStatus(a.pubkey, bad, 400);
    const otherChain = clone(attestationCase(20, 21).body) as Record<string, any>;
    otherChain.fork_info.genesis_validators_root = hex(bytes(32, 5));
    await expectStatus(a.pubkey, otherChain, 412);
    // RANDAO_REVEAL: 2 signed.
    await expectStatus(a.pubkey, randaoCase(100).body, 200);
    await expectStatus(b.pubkey, randaoCase(100).body, 200);
    // A batch of 2 attestations, one slashable (b already voted for target 11 with another root).
    const response = await signer.post("/api/v1/eth2/sign", {
      identifiers: [a.pubkey, b.pubkey],
      signing_request: attestationCase(10, 11, 4).body,
    });
    assert.equal(response.status, 200);

    const metrics = await signer.get("/metrics");
    assert.equal(metrics.status, 200);
    contentType = metrics.headers.get("content-type") ?? "";
    samples = parsePrometheus(await metrics.text());
  });
  after(async () => {
    await signer?.close();
  });

  test("is Prometheus text", () => {
    assert.match(contentType, /^text\/plain/);
    assert.ok(samples.length > 0);
  });

  test("bulwark_signing_requests_total counts by type and outcome", () => {
    const requests = (type: string, outcome: string) => value(samples, "bulwark_signing_requests_total", { type, outcome });
    assert.equal(requests("ATTESTATION", "signed"), 3);
    assert.equal(requests("ATTESTATION", "refused_slashing"), 2 + 2); // 2 single + 2 in the batch
    assert.equal(requests("ATTESTATION", "unknown_key"), 1);
    assert.equal(requests("ATTESTATION", "bad_request"), 1);
    assert.equal(requests("ATTESTATION", "wrong_network"), 1);
    assert.equal(requests("RANDAO_REVEAL", "signed"), 2);
    assert.equal(requests("RANDAO_REVEAL", "refused_slashing"), undefined);
  });

  test("bulwark_slashing_refusals_total counts by reason", () => {
    // Single requests: one double vote and one surround. The batch: a double vote for each key
    // (both signed 10->11 with another beacon_block_root before).
    assert.equal(value(samples, "bulwark_slashing_refusals_total", { reason: "double-vote" }), 3);
    assert.equal(value(samples, "bulwark_slashing_refusals_total", { reason: "surrounds-existing" }), 1);
  });

  test("bulwark_signing_duration_seconds is a histogram per type", () => {
    const count = value(samples, "bulwark_signing_duration_seconds_count", { type: "ATTESTATION" });
    // 8 single requests + 1 batch request.
    assert.equal(count, 9);
    assert.equal(value(samples, "bulwark_signing_duration_seconds_count", { type: "RANDAO_REVEAL" }), 2);
    const buckets = samples
      .filter((s) => s.name === "bulwark_signing_duration_seconds_bucket" && s.labels.type === "ATTESTATION")
      .map((s) => ({ le: s.labels.le === "+Inf" ? Infinity : Number(s.labels.le), value: s.value }))
      .sort((x, y) => x.le - y.le);
    assert.ok(buckets.length >= 5);
    for (let i = 1; i < buckets.length; i++) assert.ok(buckets[i]!.value >= buckets[i - 1]!.value, "cumulative buckets");
    assert.equal(buckets.at(-1)!.le, Infinity);
    assert.equal(buckets.at(-1)!.value, count);
    assert.ok(value(samples, "bulwark_signing_duration_seconds_sum", { type: "ATTESTATION" })! > 0);
  });

  test("bulwark_keys_loaded is the number of keys", () => {
    assert.equal(value(samples, "bulwark_keys_loaded"), 2);
  });

  test("bulwark_protection_db_duration_seconds observes each protection check", () => {
    // Protection is consulted for the 5 single attestations that reached it (3 signed, 2 refused)
    // and once for the batch; never for unknown keys, malformed or wrong-network requests, or RANDAO.
    assert.equal(value(samples, "bulwark_protection_db_duration_seconds_count"), 6);
    assert.ok(value(samples, "bulwark_protection_db_duration_seconds_sum")! > 0);
    assert.equal(value(samples, "bulwark_protection_db_duration_seconds_bucket", { le: "+Inf" }), 6);
  });
});

describe("Host allow-list", () => {
  const get = (signer: Signer, host: string) =>
    rawRequest(signer.port, { method: "GET", path: "/upcheck", headers: { host } });

  describe("default list", () => {
    let signer: Signer;
    before(async () => {
      signer = await startSigner({ keys: 1, hostAllowList: ["localhost", "127.0.0.1", "::1"] });
    });
    after(async () => {
      await signer?.close();
    });

    test("listed hosts, with or without a port, in any case, are served", async () => {
      for (const host of ["localhost", `localhost:${signer.port}`, `127.0.0.1:${signer.port}`, "[::1]:80", "LOCALHOST:1"]) {
        const response = await get(signer, host);
        assert.equal(response.status, 200, host);
        assert.equal(response.body, "OK");
      }
    });

    test("a Host not in the list gets 403 on every route, and a signing request signs nothing", async () => {
      for (const host of ["evil.example", `evil.example:${signer.port}`, "localhost.evil.example", "127.0.0.2"]) {
        const response = await get(signer, host);
        assert.equal(response.status, 403, host);
        assert.match(JSON.parse(response.body).message as string, /allow-list/);
      }
      const key = signer.keys[0]!;
      const body = JSON.stringify(attestationCase(50, 51).body);
      const before = await signer.core.exportProtection();
      const response = await rawRequest(signer.port, {
        method: "POST",
        path: `/api/v1/eth2/sign/${key.pubkey}`,
        headers: { host: "evil.example", "content-type": "application/json", "content-length": String(Buffer.byteLength(body)) },
        body,
      });
      assert.equal(response.status, 403);
      assert.doesNotMatch(response.body, /signature/);
      assert.equal(await signer.core.exportProtection(), before);
      const keysResponse = await rawRequest(signer.port, { method: "GET", path: "/api/v1/eth2/publicKeys", headers: { host: "evil.example" } });
      assert.equal(keysResponse.status, 403);
      assert.doesNotMatch(keysResponse.body, new RegExp(key.pubkey.slice(2)));
    });
  });

  describe("custom list", () => {
    let signer: Signer;
    before(async () => {
      signer = await startSigner({ keys: 1, hostAllowList: ["signer.internal"] });
    });
    after(async () => {
      await signer?.close();
    });

    test("only the listed host is served", async () => {
      assert.equal((await get(signer, "signer.internal:9000")).status, 200);
      assert.equal((await get(signer, "localhost")).status, 403);
      assert.equal((await get(signer, `127.0.0.1:${signer.port}`)).status, 403);
    });
  });

  describe('"*"', () => {
    let signer: Signer;
    before(async () => {
      signer = await startSigner({ keys: 1, hostAllowList: ["*"] });
    });
    after(async () => {
      await signer?.close();
    });

    test("allows every host, and signing works", async () => {
      for (const host of ["evil.example", "anything:1234", "localhost"]) assert.equal((await get(signer, host)).status, 200, host);
      const key = signer.keys[0]!;
      const c = randaoCase(7);
      const body = JSON.stringify(c.body);
      const response = await rawRequest(signer.port, {
        method: "POST",
        path: `/api/v1/eth2/sign/${key.pubkey}`,
        headers: { host: "evil.example", "content-type": "application/json", "content-length": String(Buffer.byteLength(body)), accept: "application/json" },
        body,
      });
      assert.equal(response.status, 200, response.body);
      assert.equal(JSON.parse(response.body).signature, expectedSignature(key, c.root));
    });
  });
});

describe("POST /reload", () => {
  test("calls the reload function, answers its result and updates keys", async () => {
    const fresh = newKey();
    let calls = 0;
    let signer: Signer | undefined;
    signer = await startSigner({
      keys: 1,
      reload: async () => {
        calls++;
        signer!.core.addKeys([{ pubkey: fresh.pubkey, secretKey: fresh.secretKey.toBytes() }]);
        return { added: 1, removed: 0 };
      },
    });
    try {
      const before = (await (await signer.get("/api/v1/eth2/publicKeys")).json()) as string[];
      assert.ok(!before.includes(fresh.pubkey));
      const response = await fetch(`${signer.url}/reload`, { method: "POST", headers: { authorization: `Bearer ${RELOAD_TOKEN}` } });
      assert.equal(response.status, 200);
      assert.deepEqual(await response.json(), { added: 1, removed: 0 });
      assert.equal(calls, 1);
      const afterKeys = (await (await signer.get("/api/v1/eth2/publicKeys")).json()) as string[];
      assert.deepEqual([...afterKeys].sort(), [signer.keys[0]!.pubkey, fresh.pubkey].sort());
      // The reloaded key signs.
      const c = randaoCase(8);
      const signed = await signer.sign(fresh.pubkey, c.body);
      assert.equal(signed.status, 200);
      assert.equal(signed.json.signature, expectedSignature(fresh, c.root));
      const metrics = parsePrometheus(await (await signer.get("/metrics")).text());
      assert.equal(value(metrics, "bulwark_keys_loaded"), 2);
    } finally {
      await signer.close();
    }
  });

  test("a failing reload is 500 and keeps the keys", async () => {
    let calls = 0;
    const signer = await startSigner({
      keys: 2,
      reload: async () => {
        calls++;
        throw new Error("keystore directory vanished");
      },
    });
    try {
      const response = await fetch(`${signer.url}/reload`, { method: "POST", headers: { authorization: `Bearer ${RELOAD_TOKEN}` } });
      assert.equal(response.status, 500);
      assert.match(((await response.json()) as { message: string }).message, /keystore directory vanished/);
      assert.equal(calls, 1);
      const keys = (await (await signer.get("/api/v1/eth2/publicKeys")).json()) as string[];
      assert.equal(keys.length, 2);
    } finally {
      await signer.close();
    }
  });

  test("without the API token: 401 and the reload function is not called; concurrent calls run one at a time, a flood costs two runs", async () => {
    let calls = 0;
    let running = 0;
    let maxRunning = 0;
    const signer = await startSigner({
      keys: 1,
      reload: async () => {
        calls++;
        running++;
        maxRunning = Math.max(maxRunning, running);
        await new Promise((resolve) => setTimeout(resolve, 200));
        running--;
        return { added: 0, removed: 0 };
      },
    });
    try {
      const refused = await Promise.all(
        [undefined, "Bearer wrong-token-0123456789abcdef", `Basic ${RELOAD_TOKEN}`].map((authorization) =>
          fetch(`${signer.url}/reload`, { method: "POST", headers: authorization === undefined ? {} : { authorization } }),
        ),
      );
      assert.deepEqual(refused.map((r) => r.status), [401, 401, 401]);
      assert.equal(calls, 0);
      const answers = await Promise.all(
        Array.from({ length: 8 }, () => fetch(`${signer.url}/reload`, { method: "POST", headers: { authorization: `Bearer ${RELOAD_TOKEN}` } })),
      );
      assert.deepEqual(answers.map((r) => r.status), Array(8).fill(200));
      assert.equal(maxRunning, 1, "two reloads ran at once");
      assert.ok(calls >= 1 && calls <= 2, `8 concurrent reloads ran ${calls} times`);
    } finally {
      await signer.close();
    }
  });

  test("without a reload function there is no /reload route", async () => {
    const signer = await startSigner({ keys: 1 });
    try {
      const response = await fetch(`${signer.url}/reload`, { method: "POST" });
      assert.equal(response.status, 404);
    } finally {
      await signer.close();
    }
  });
});
