/**
 * The aggregator's transport to its participants (src/pool/signing/participant-http.ts) against a
 * real HTTP server on loopback: what is sent arrives whole, connections are kept alive, a redirect
 * is an answer and not followed, an answer over the limit and an abort fail the request, a
 * closed port fails with ECONNREFUSED (which the fan-out reports as connection-refused), and an
 * HTTPS participant with a private CA is trusted exactly when NODE_EXTRA_CA_CERTS names that CA.
 */
import assert from "node:assert/strict";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer as createHttpsServer } from "node:https";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { httpTransport } from "../../../src/pool/signing/participant-http.js";
import { makePki, opensslMissing } from "../../helpers/pki.js";
import { freePort } from "../../helpers/ports.js";
import { tempDir } from "../../helpers/temp.js";

describe("httpTransport", () => {
  let server: Server;
  let base = "";
  const sockets = new Set<Socket>();
  const seen: Array<{ method: string; url: string; authorization: string | undefined; body: string; socket: Socket }> = [];
  const routes: Record<string, (request: IncomingMessage, response: ServerResponse) => void> = {
    "/echo": (_request, response) => response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ ok: true })),
    "/redirect": (_request, response) => response.writeHead(302, { location: "/target" }).end("moved"),
    "/target": (_request, response) => response.writeHead(200).end("followed"),
    "/large": (_request, response) => response.writeHead(200).end("x".repeat(10_000)),
    "/slow": () => undefined,
    "/stalls": (_request, response) => {
      response.writeHead(200, { "content-length": "100" });
      response.write("partial");
    },
    "/cut": (request, response) => {
      response.writeHead(200, { "content-length": "100" });
      response.write("partial");
      setTimeout(() => request.socket.destroy(), 50);
    },
  };

  before(async () => {
    server = createServer((request, response) => {
      let body = "";
      request.setEncoding("utf8");
      request.on("data", (chunk: string) => (body += chunk));
      request.on("end", () => {
        seen.push({ method: request.method ?? "", url: request.url ?? "", authorization: request.headers.authorization, body, socket: request.socket });
        routes[request.url ?? ""]?.(request, response);
      });
    });
    server.on("connection", (socket) => sockets.add(socket));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  });

  const transport = httpTransport();
  const post = (path: string, options: { signal?: AbortSignal; maxBytes?: number } = {}) =>
    transport(`${base}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: "Bearer token-1" },
      body: '{"type":"ATTESTATION","é":1}',
      signal: options.signal ?? AbortSignal.timeout(5000),
      maxBytes: options.maxBytes ?? 64 * 1024,
    });

  test("a POST arrives whole with its headers; the answer's status and text come back; the connection is reused", async () => {
    seen.length = 0;
    const first = await post("/echo");
    const second = await post("/echo");
    assert.deepEqual(first, { status: 200, text: '{"ok":true}' });
    assert.deepEqual(second, first);
    assert.equal(seen.length, 2);
    assert.deepEqual(seen.map((s) => [s.method, s.authorization, s.body]), [
      ["POST", "Bearer token-1", '{"type":"ATTESTATION","é":1}'],
      ["POST", "Bearer token-1", '{"type":"ATTESTATION","é":1}'],
    ]);
    assert.equal(seen[0]!.socket, seen[1]!.socket, "the second request did not reuse the keep-alive connection");
  });

  test("a redirect is an answer, not followed", async () => {
    seen.length = 0;
    assert.deepEqual(await post("/redirect"), { status: 302, text: "moved" });
    assert.deepEqual(seen.map((s) => s.url), ["/redirect"]);
  });

  test("an answer over the limit fails the request", async () => {
    await assert.rejects(post("/large", { maxBytes: 1000 }), (err: Error & { code?: string }) => err.code === "RESPONSE_TOO_LARGE");
    assert.equal((await post("/large", { maxBytes: 20_000 })).text.length, 10_000);
  });

  test("an abort (the fan-out's deadline) fails a request that is not answered", async () => {
    const controller = new AbortController();
    const pending = post("/slow", { signal: controller.signal });
    setTimeout(() => controller.abort(new Error("deadline")), 50);
    await assert.rejects(pending);
  });

  test("an answer cut short is no answer: aborted mid-answer, or the connection dropped before its end", async () => {
    const controller = new AbortController();
    const pending = post("/stalls", { signal: controller.signal });
    setTimeout(() => controller.abort(new Error("deadline")), 50);
    await assert.rejects(pending, (err: Error) => err.name === "AbortError");
    await assert.rejects(post("/cut"), (err: Error & { code?: string }) => err.code === "ECONNRESET");
  });

  test("a closed port fails with ECONNREFUSED", async () => {
    // Free and outside the range listen(0) draws from: no other test's server can be given it meanwhile.
    const port = await freePort();
    await assert.rejects(
      transport(`http://127.0.0.1:${port}/x`, { method: "GET", headers: {}, signal: AbortSignal.timeout(5000), maxBytes: 100 }),
      (err: Error & { code?: string }) => err.code === "ECONNREFUSED",
    );
  });

  test("HTTPS: a participant with a private CA is trusted with NODE_EXTRA_CA_CERTS, and refused without", async (t) => {
    if (opensslMissing()) {
      t.skip("openssl CLI not found: cannot generate certificates");
      return;
    }
    const dir = tempDir("bulwark-transport-tls-");
    t.after(() => dir.cleanup());
    const pki = await makePki(dir.path);
    const tls = createHttpsServer({ key: readFileSync(pki.serverKey), cert: readFileSync(pki.serverCert) }, (_request, response) => response.end("over tls"));
    await new Promise<void>((resolve) => tls.listen(0, "127.0.0.1", resolve));
    t.after(() => new Promise((resolve) => tls.close(resolve)));
    const url = `https://127.0.0.1:${(tls.address() as AddressInfo).port}/x`;
    // NODE_EXTRA_CA_CERTS is read when a process starts: each case is a process of its own.
    const module = fileURLToPath(new URL("../../../src/pool/signing/participant-http.js", import.meta.url));
    const script =
      `import { httpTransport } from ${JSON.stringify(module)};` +
      `httpTransport()(${JSON.stringify(url)}, { method: "GET", headers: {}, signal: AbortSignal.timeout(5000), maxBytes: 100 })` +
      `.then((a) => { console.log(a.status, a.text); process.exit(0); }, (e) => { console.log("failed", e.code); process.exit(0); });`;
    const run = async (env: NodeJS.ProcessEnv) => (await promisify(execFile)(process.execPath, ["--input-type=module", "-e", script], { env })).stdout.trim();
    const { NODE_EXTRA_CA_CERTS: _ignored, ...withoutCa } = process.env;
    assert.equal(await run({ ...withoutCa, NODE_EXTRA_CA_CERTS: pki.caCert }), "200 over tls");
    assert.match(await run(withoutCa), /^failed (UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_GET_ISSUER_CERT_LOCALLY)$/);
  });
});
