/**
 * The HTTP stack alone, as the floor under `bulwark serve`'s per-request overhead: a server that
 * answers the Web3Signer sign route the way the signer's stack would, minus everything the signer
 * adds (validation, SSZ, protection, signing, metrics, logging). `node dist/bench/bare-http-server.js
 * node-http|fastify` prints `ready <port>` on stdout. Run by bench/http-stack.ts, never by the signer.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
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

const variant = process.argv[2];
const port = variant === "node-http" ? await nodeHttp() : variant === "fastify" ? await fastify() : undefined;
if (port === undefined) {
  console.error("usage: bare-http-server.js node-http|fastify");
  process.exit(2);
}
console.log(`ready ${port}`);
