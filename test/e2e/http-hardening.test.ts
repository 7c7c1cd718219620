/**
 * End-to-end, real `bulwark serve` processes on 127.0.0.1, for three holes of issue 9:
 *  5. POST /reload was unauthenticated (a cross-origin page could trigger it) and re-ran every
 *     keystore's scrypt per call, concurrently: 8 calls took the signer to 4.4 GiB RSS;
 *  6. no timeouts: slow connections dribbling bytes stayed open and starved real clients;
 *  7. batch identifiers unbounded with an O(n²) duplicate check: 16 concurrent batches of 10,000
 *     unknown identifiers delayed an ordinary signature by seconds.
 * "An ordinary signing request" is a RANDAO_REVEAL: a type no start-up guard holds back.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import net from "node:net";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { create } from "@chainsafe/bls-keystore";
import { tempDir } from "../helpers/temp.js";
import { cheapKeystore, keystoreName, type Layout, testKey, writeKeystore } from "../keys/fixtures.js";
import { apiTokenHeader, type Bulwark, type LogLine, logsWhen, request, startBulwark } from "./harness.js";
import { network, randaoReveal, signatureOf, verifies } from "./requests.js";

const HOODI = network("hoodi");

const servers = new Set<Bulwark>();
const cleanups: Array<() => void> = [];
const sockets = new Set<net.Socket>();
after(async () => {
  for (const socket of sockets) socket.destroy();
  await Promise.all([...servers].map((server) => server.stop("SIGKILL")));
  for (const cleanup of cleanups) cleanup();
});

async function layout(): Promise<Layout & { dataDir: string }> {
  const dir = tempDir("bulwark-e2e-hardening-");
  cleanups.push(dir.cleanup);
  const result = { root: dir.path, keystores: join(dir.path, "validator_keys"), passwords: join(dir.path, "secrets"), dataDir: join(dir.path, "data") };
  await mkdir(result.keystores, { recursive: true });
  await mkdir(result.passwords, { recursive: true });
  return result;
}

/** serve's arguments in one place (network, data dir, keystores, one signing thread, any port). */
function serveArgs(where: Layout & { dataDir: string }, extra: string[] = []): string[] {
  return [
    "serve", "--network", "hoodi", "--data-dir", where.dataDir, "--http-port", "0", "--signing-threads", "1",
    "--keystores", where.keystores, "--keystores-passwords", where.passwords, ...extra,
  ];
}

async function serve(args: string[]): Promise<Bulwark> {
  const server = await startBulwark(args, { timeoutMs: 60_000 });
  servers.add(server);
  void server.exited.then(() => servers.delete(server));
  return server;
}

function rssMiB(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  assert.ok(match, "no VmRSS in /proc/PID/status");
  return Number(match[1]) / 1024;
}

/** The "loaded keystores" log lines: one per load of the keystore directory. */
function keystoreLoads(server: Bulwark): Array<{ decrypted: number; unchanged: number }> {
  return keystoreLoadsIn(server.logs());
}

function keystoreLoadsIn(lines: LogLine[]): Array<{ decrypted: number; unchanged: number }> {
  return lines.filter((line) => line.msg === "loaded keystores") as unknown as Array<{ decrypted: number; unchanged: number }>;
}

async function ordinarySignature(server: Bulwark, pubkey: string, epoch: number): Promise<void> {
  const randao = randaoReveal(HOODI, epoch);
  const answer = await request(`${server.url}/api/v1/eth2/sign/${pubkey}`, { body: randao.body, timeoutMs: 30_000 });
  assert.equal(answer.status, 200, answer.body);
  assert.ok(verifies(pubkey, randao.signingRoot, signatureOf(answer.body)));
}

describe("POST /reload needs the API token, runs one at a time, decrypts only changed keystores (hole 5)", () => {
  test("8 concurrent reloads without the token: 401, no scrypt, no memory growth; cross-origin POST: 401; with the token: serialised, nothing re-decrypted", async () => {
    const where = await layout();
    // One keystore with the real scrypt KDF (n = 2^18, 256 MiB per decryption): what made 8
    // concurrent reloads cost gigabytes. One with a cheap KDF, to change later.
    const heavy = testKey(9501);
    const light = testKey(9502);
    const heavyKeystore = await create("heavy-password-1", heavy.secretKey, Buffer.from(heavy.pubkey.slice(2), "hex"), "m/12381/3600/0/0/0");
    await writeKeystore(where, keystoreName(0), heavyKeystore, "heavy-password-1");
    await writeKeystore(where, keystoreName(1), await cheapKeystore(light, "light-password-1"), "light-password-1");
    const server = await serve(serveArgs(where));
    const tokenLine = server.logs().find((line) => typeof line.tokenFile === "string");
    assert.ok(tokenLine, "the log names the token file");
    assert.equal(tokenLine.tokenFile, join(where.dataDir, "api-token.txt"));
    assert.equal(keystoreLoads(server).length, 1);
    const baseline = rssMiB(server.child.pid!);

    const unauthenticated = await Promise.all(Array.from({ length: 8 }, () => request(`${server.url}/reload`, { method: "POST", timeoutMs: 60_000 })));
    assert.deepEqual(unauthenticated.map((r) => r.status), Array(8).fill(401));
    // What a web page can send cross-origin without a preflight: a "simple" POST, no Authorization.
    const crossOrigin = await request(`${server.url}/reload`, {
      method: "POST",
      headers: { origin: "http://attacker.example", "content-type": "text/plain" },
      body: "x",
    });
    assert.equal(crossOrigin.status, 401);
    assert.equal(crossOrigin.headers["access-control-allow-origin"], undefined);
    assert.equal(keystoreLoads(server).length, 1, "an unauthenticated reload read the keystores");
    const afterRefused = rssMiB(server.child.pid!);
    assert.ok(afterRefused < baseline + 64, `RSS grew from ${baseline.toFixed(0)} to ${afterRefused.toFixed(0)} MiB on refused reloads`);

    const authorized = await Promise.all(
      Array.from({ length: 8 }, () => request(`${server.url}/reload`, { method: "POST", headers: apiTokenHeader(where.dataDir), timeoutMs: 60_000 })),
    );
    assert.deepEqual(authorized.map((r) => r.status), Array(8).fill(200), authorized.map((r) => r.body).join("\n"));
    for (const answer of authorized) assert.deepEqual(JSON.parse(answer.body), { added: 0, removed: 0 });
    await logsWhen(server, (lines) => keystoreLoadsIn(lines).length >= 2, "of a reload");
    const loads = keystoreLoads(server).slice(1);
    assert.ok(loads.length >= 1 && loads.length <= 2, `8 concurrent reloads read the directory ${loads.length} times (one at a time, one queued)`);
    for (const load of loads) assert.deepEqual([load.decrypted, load.unchanged], [0, 2], "an unchanged keystore was decrypted again");
    const afterReloads = rssMiB(server.child.pid!);
    assert.ok(afterReloads < baseline + 128, `RSS grew from ${baseline.toFixed(0)} to ${afterReloads.toFixed(0)} MiB over 8 reloads`);

    // A changed file (new password) is decrypted again, and only that one.
    await writeKeystore(where, keystoreName(1), await cheapKeystore(light, "light-password-2"), "light-password-2");
    const loadsBefore = keystoreLoads(server).length;
    const changed = await request(`${server.url}/reload`, { method: "POST", headers: apiTokenHeader(where.dataDir), timeoutMs: 60_000 });
    assert.equal(changed.status, 200, changed.body);
    const last = keystoreLoadsIn(await logsWhen(server, (lines) => keystoreLoadsIn(lines).length > loadsBefore, "of the reload after the change")).at(-1)!;
    assert.deepEqual([last.decrypted, last.unchanged], [1, 1]);
    await ordinarySignature(server, light.pubkey, 70_001);
    await ordinarySignature(server, heavy.pubkey, 70_001);
  });
});

/** A client that opens a request and then sends one byte at a time, never finishing it. */
interface SlowClient {
  socket: net.Socket;
  /** When the server closed the connection (ms since the test's start), once it did. */
  closedAt?: number;
}

function slowClient(port: number, pubkey: string, phase: "headers" | "body", started: number): Promise<SlowClient> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: "127.0.0.1", port });
    sockets.add(socket);
    const client: SlowClient = { socket };
    let sent = 0;
    let timer: NodeJS.Timeout | undefined;
    socket.on("error", () => undefined);
    socket.once("close", () => {
      client.closedAt = Date.now() - started;
      if (timer !== undefined) clearInterval(timer);
      sockets.delete(socket);
    });
    socket.once("connect", () => {
      const head = `POST /api/v1/eth2/sign/${pubkey} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n`;
      socket.write(phase === "headers" ? head + "X-Slow: " : head + "Content-Length: 100000\r\n\r\n{");
      // Bounded: at most 150 bytes, one every 400 ms (a minute), far longer than the timeouts.
      timer = setInterval(() => {
        if (socket.destroyed || ++sent > 150) {
          clearInterval(timer);
          socket.destroy();
          return;
        }
        socket.write("a");
      }, 400);
      resolve(client);
    });
    socket.once("error", reject);
  });
}

describe("timeouts, a connection limit and bounded batches (holes 6 and 7)", () => {
  test("600 slow connections dribbling bytes: an ordinary signature is answered while they are open; the server drops them at its header and request deadlines", async () => {
    const where = await layout();
    const key = testKey(9601);
    await writeKeystore(where, keystoreName(0), await cheapKeystore(key, "pw-9601"), "pw-9601");
    const headersTimeoutMs = 6000;
    const requestTimeoutMs = 12_000;
    const server = await serve(
      serveArgs(where, ["--http-headers-timeout-ms", String(headersTimeoutMs), "--http-request-timeout-ms", String(requestTimeoutMs)]),
    );
    const started = Date.now();
    const clients = await Promise.all(
      Array.from({ length: 600 }, (_, i) => slowClient(server.port, key.pubkey, i % 2 === 0 ? "headers" : "body", started)),
    );
    await ordinarySignature(server, key.pubkey, 71_001);
    const openWhenAnswered = clients.filter((c) => c.closedAt === undefined).length;
    assert.equal(openWhenAnswered, 600, "the answer came only after the server had dropped slow connections");

    const deadline = Date.now() + requestTimeoutMs + 20_000;
    while (clients.some((c) => c.closedAt === undefined) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 250));
    const open = clients.filter((c) => c.closedAt === undefined).length;
    assert.equal(open, 0, `${open} slow connections still open ${Date.now() - started} ms after they started`);
    const headerClients = clients.filter((_, i) => i % 2 === 0);
    const bodyClients = clients.filter((_, i) => i % 2 === 1);
    // Each was dropped by the server at its deadline, not before (the clients never stop sending first).
    assert.ok(headerClients.every((c) => c.closedAt! >= headersTimeoutMs - 500), "a header dribbler was dropped before the headers deadline");
    assert.ok(bodyClients.every((c) => c.closedAt! >= requestTimeoutMs - 500), "a body dribbler was dropped before the request deadline");
    await ordinarySignature(server, key.pubkey, 71_002);
  });

  test("--http-max-connections: connections beyond the limit are closed as they arrive, the signer keeps answering", async () => {
    const where = await layout();
    const key = testKey(9602);
    await writeKeystore(where, keystoreName(0), await cheapKeystore(key, "pw-9602"), "pw-9602");
    const server = await serve(serveArgs(where, ["--http-max-connections", "20"]));
    const started = Date.now();
    const clients = await Promise.all(Array.from({ length: 40 }, () => slowClient(server.port, key.pubkey, "body", started)));
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const dropped = clients.filter((c) => c.closedAt !== undefined).length;
    assert.ok(dropped >= 20, `only ${dropped} of 40 connections beyond a limit of 20 were closed`);
    for (const c of clients) c.socket.destroy();
    await new Promise((resolve) => setTimeout(resolve, 300));
    await ordinarySignature(server, key.pubkey, 72_001);
  });

  test("16 concurrent batches of 10,000 unknown identifiers are refused (400, the cap named); an ordinary signature meanwhile is answered; loaded keys + 400 is the limit", async () => {
    const where = await layout();
    const keys = [testKey(9701), testKey(9702)];
    for (const [i, key] of keys.entries()) await writeKeystore(where, keystoreName(i), await cheapKeystore(key, `pw-${i}`), `pw-${i}`);
    // A body limit high enough that the identifier cap, not the body size, is what refuses.
    const server = await serve(serveArgs(where, ["--http-body-limit", String(16 << 20)]));
    const randao = randaoReveal(HOODI, 73_001);
    const unknown = (n: number) => Array.from({ length: n }, () => "0x" + randomBytes(48).toString("hex"));
    const flood = Array.from({ length: 16 }, () =>
      request(`${server.url}/api/v1/eth2/sign`, { body: { identifiers: unknown(10_000), signing_request: randao.body }, timeoutMs: 60_000 }),
    );
    const ordinary = ordinarySignature(server, keys[0]!.pubkey, 73_002);
    const answers = await Promise.all(flood);
    await ordinary;
    for (const answer of answers) {
      assert.equal(answer.status, 400, answer.body);
      assert.match(JSON.parse(answer.body).message, /10000 given, at most 402 accepted/);
    }

    const atLimit = await request(`${server.url}/api/v1/eth2/sign`, {
      body: { identifiers: [keys[0]!.pubkey, keys[1]!.pubkey, ...unknown(400)], signing_request: randao.body },
    });
    assert.equal(atLimit.status, 200, atLimit.body);
    const results = JSON.parse(atLimit.body) as Array<{ signature?: string; error?: { code: number } }>;
    assert.equal(results.length, 402);
    assert.ok(verifies(keys[0]!.pubkey, randao.signingRoot, results[0]!.signature!));
    assert.ok(results.slice(2).every((r) => r.error?.code === 404));
    const overLimit = await request(`${server.url}/api/v1/eth2/sign`, {
      body: { identifiers: [keys[0]!.pubkey, ...unknown(402)], signing_request: randao.body },
    });
    assert.equal(overLimit.status, 400, overLimit.body);
    const duplicated = unknown(300);
    const duplicate = await request(`${server.url}/api/v1/eth2/sign`, {
      body: { identifiers: [...duplicated, duplicated[7]!.toUpperCase().replace("0X", "0x")], signing_request: randao.body },
    });
    assert.equal(duplicate.status, 400, duplicate.body);
    assert.match(JSON.parse(duplicate.body).message, /appears more than once/);
  });

  test("listening beyond loopback without TLS logs a warning at start; on loopback it does not", async () => {
    const where = await layout();
    const loopback = await serve(serveArgs(where));
    assert.ok(!loopback.logs().some((l) => /without TLS/.test(String(l.msg))), loopback.stdout());
    await loopback.stop();
    // Bound to every interface for a moment, spoken to only through 127.0.0.1.
    const wide = await serve(serveArgs(where, ["--http-host", "0.0.0.0"]));
    const warning = wide.logs().find((l) => /listening beyond loopback without TLS/.test(String(l.msg)));
    assert.ok(warning, wide.stdout());
    assert.equal(warning.level, 40);
    await wide.stop();
  });
});
