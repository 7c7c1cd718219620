/**
 * The HTTP stack alone, as the floor under `bulwark serve`'s per-request overhead: a server that
 * answers the Web3Signer sign route the way the signer's stack would, minus everything the signer
 * adds (validation, SSZ, protection, signing, metrics, logging). The `fastify+root` variant adds
 * back the one part of that every correct signer must do per request whatever its design: validate
 * the typed request and compute its signing root for the configured network (the signer's own
 * functions, with its hasher). `node dist/bench/bare-http-server.js node-http|fastify|fastify+root|fastify+root+held|fastify+root+sign|fastify+root+sign-per-core`
 * prints `ready <port> [<pid>,...]` on stdout (the pids of the processes that serve, when they are
 * not this one). Run by bench/http-stack.ts, never by the signer.
 */
import cluster from "node:cluster";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { availableParallelism } from "node:os";
import Fastify from "fastify";

// A fixed compressed G2 point's worth of hex: the response has the signer's shape and size.
const SIGNATURE = "0x" + "a5".repeat(96);
const RESPONSE = JSON.stringify({ signature: SIGNATURE });

async function nodeHttp(): Promise<number> {
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { type?: unknown };
      if (request.method !== "POST" || !request.url?.startsWith("/api/v1/eth2/sign/") || typeof body.type !== "string") {
        response.writeHead(400).end();
        return;
      }
      response.writeHead(200, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(RESPONSE) }).end(RESPONSE);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return (server.address() as AddressInfo).port;
}

async function fastify(): Promise<number> {
  const app = Fastify({ logger: false });
  app.post<{ Params: { identifier: string }; Body: { type?: unknown } }>("/api/v1/eth2/sign/:identifier", async (request, reply) => {
    if (typeof request.body.type !== "string") return reply.code(400).send({ message: "type" });
    return { signature: SIGNATURE };
  });
  await app.listen({ host: "127.0.0.1", port: 0 });
  return (app.server.address() as AddressInfo).port;
}

/** fastify + signing root; `holdFor`, when given, says how many milliseconds to hold each answer back. */
async function fastifyWithSigningRoot(holdFor?: () => number): Promise<number> {
  const { useFastHasher } = await import("../src/util/fast-hasher.js");
  useFastHasher();
  const { resolveNetwork } = await import("../src/config/networks.js");
  const { computeSigningRoot, parseSigningRequest } = await import("../src/eth/index.js");
  const network = resolveNetwork("mainnet");
  const app = Fastify({ logger: false });
  app.post<{ Params: { identifier: string } }>("/api/v1/eth2/sign/:identifier", async (request, reply) => {
    try {
      computeSigningRoot(network, parseSigningRequest(request.body));
    } catch (err) {
      return reply.code(400).send({ message: (err as Error).message });
    }
    const ms = holdFor?.() ?? 0;
    if (ms > 0) await new Promise((resolve) => setTimeout(resolve, ms));
    return { signature: SIGNATURE };
  });
  await app.listen({ host: "127.0.0.1", port: 0 });
  return (app.server.address() as AddressInfo).port;
}

/**
 * fastify + signing root, each answer held back for a time the bench sets on stdin (milliseconds,
 * a line at a time; a fraction holds that share of the answers one millisecond longer): the stack
 * serving the rate a goal names, with as many requests open as the signer would have while they
 * are signed. A server answering fewer requests per second spends more CPU on each (each event-loop
 * wake-up and each write serves fewer), so the flat-out floor understates the stack at a signer's rate.
 */
function fastifyWithSigningRootHeld(): Promise<number> {
  let holdMs = 0;
  process.stdin.setEncoding("utf8").on("data", (chunk: string) => {
    const last = chunk.trim().split("\n").pop();
    if (last !== undefined && Number.isFinite(Number(last))) holdMs = Math.max(0, Number(last));
  });
  // Timers count whole milliseconds: the fraction is met on average.
  return fastifyWithSigningRoot(() => Math.floor(holdMs) + (Math.random() < holdMs % 1 ? 1 : 0));
}

/**
 * fastify answering the sign route with `sign(root)` for each request's signing root, computed as
 * the signer does (400 when it cannot be).
 */
async function signingServer(sign: (root: Uint8Array) => Uint8Array | Promise<Uint8Array>): Promise<number> {
  const { useFastHasher } = await import("../src/util/fast-hasher.js");
  useFastHasher();
  const { resolveNetwork } = await import("../src/config/networks.js");
  const { computeSigningRoot, parseSigningRequest } = await import("../src/eth/index.js");
  const { toHex } = await import("../src/util/hex.js");
  const network = resolveNetwork("mainnet");
  const app = Fastify({ logger: false });
  app.post<{ Params: { identifier: string } }>("/api/v1/eth2/sign/:identifier", async (request, reply) => {
    let root: Uint8Array;
    try {
      root = computeSigningRoot(network, parseSigningRequest(request.body)).signingRoot;
    } catch (err) {
      return reply.code(400).send({ message: (err as Error).message });
    }
    return { signature: toHex(await sign(root)) };
  });
  // In a process of a cluster, port 0 is one port shared by every process, chosen by the primary.
  await app.listen({ host: "127.0.0.1", port: 0 });
  return (app.server.address() as AddressInfo).port;
}

/**
 * The signer with its protection taken out: fastify, request validation and signing root, then
 * the signer's own signing pool (one thread per core, real blst with one key). No slashing
 * protection, no metrics, no logging: what bulwark serve would cost if recording were free.
 */
async function fastifySigning(): Promise<number> {
  const { SignPool } = await import("../src/bls/sign-pool.js");
  const pool = new SignPool();
  const KEY = "bench-key";
  pool.addKeys([{ pubkey: KEY, secretKey: new Uint8Array(32).fill(7) }]);
  return signingServer((root) => pool.sign(KEY, root));
}

/**
 * The same work as fastifySigning with no hand-off at all: one process per core (node:cluster,
 * sharing the listening socket), each validating, computing the signing root and signing with blst
 * in its own event loop (signingProcess), then answering. No thread messages, no record: what a
 * design that never leaves the event loop reaches on these cores before it records anything.
 * Resolves in the primary once every process listens, with their pids; a process that dies ends
 * the primary too.
 */
async function fastifySigningPerCore(): Promise<{ port: number; pids: number[] }> {
  const processes = availableParallelism();
  const pids: number[] = [];
  return new Promise((resolve, reject) => {
    cluster.on("listening", (worker, address) => {
      pids.push(worker.process.pid!);
      if (pids.length === processes) resolve({ port: address.port, pids });
    });
    cluster.on("exit", (worker, code) => {
      reject(new Error(`serving process ${worker.process.pid} exited with code ${code}`));
      process.exit(1);
    });
    for (let i = 0; i < processes; i++) cluster.fork();
  });
}

/** One process of fastifySigningPerCore. */
async function signingProcess(): Promise<void> {
  const { SecretKey } = await import("@chainsafe/blst");
  const secretKey = SecretKey.fromBytes(new Uint8Array(32).fill(7));
  await signingServer((root) => secretKey.sign(root).toBytes());
}

const SERVERS: Record<string, () => Promise<number | { port: number; pids: number[] }>> = {
  "node-http": nodeHttp,
  fastify,
  "fastify+root": () => fastifyWithSigningRoot(),
  "fastify+root+held": fastifyWithSigningRootHeld,
  "fastify+root+sign": fastifySigning,
  "fastify+root+sign-per-core": fastifySigningPerCore,
};
if (cluster.isWorker) {
  await signingProcess();
} else {
  const started = await SERVERS[process.argv[2] ?? ""]?.();
  if (started === undefined) {
    console.error(`usage: bare-http-server.js ${Object.keys(SERVERS).join("|")}`);
    process.exit(2);
  }
  console.log(typeof started === "number" ? `ready ${started}` : `ready ${started.port} ${started.pids.join(",")}`);
}
