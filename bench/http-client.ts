/**
 * A minimal HTTP/1.1 keep-alive client on raw sockets, for the burst benchmark: many connections
 * opened up front, then one request written on each in the same event-loop turn, so that every
 * request really is in flight at once. One request at a time per connection; responses must carry
 * Content-Length (fastify's JSON replies do).
 */
import { connect, type Socket } from "node:net";

export interface RawResponse {
  status: number;
  body: string;
  /** performance.now() when the last byte of the response was read. */
  receivedAt: number;
}

export class RawHttpConnection {
  private buffer: Buffer = Buffer.alloc(0);
  private waiting: { resolve: (response: RawResponse) => void; reject: (error: Error) => void } | undefined;
  private broken: Error | undefined;

  private constructor(private readonly socket: Socket) {
    socket.setNoDelay(true);
    socket.on("data", (chunk: Buffer) => this.onData(chunk));
    socket.on("error", (err) => this.fail(err));
    socket.on("close", () => this.fail(new Error("connection closed by the server")));
  }

  static open(host: string, port: number): Promise<RawHttpConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host, port });
      socket.once("error", reject);
      socket.once("connect", () => {
        socket.off("error", reject);
        resolve(new RawHttpConnection(socket));
      });
    });
  }

  send(request: Buffer): Promise<RawResponse> {
    if (this.broken) return Promise.reject(this.broken);
    if (this.waiting) return Promise.reject(new Error("one request at a time per connection"));
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
      this.socket.write(request);
    });
  }

  close(): void {
    this.broken ??= new Error("closed");
    this.socket.removeAllListeners("close");
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    const now = performance.now();
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    const headerEnd = this.buffer.indexOf("\r\n\r\n");
    if (headerEnd === -1) return;
    const head = this.buffer.toString("latin1", 0, headerEnd);
    const length = /\r\ncontent-length:\s*(\d+)/i.exec(head);
    if (length === null) {
      this.fail(new Error(`response without Content-Length: ${head.split("\r\n")[0]}`));
      return;
    }
    const end = headerEnd + 4 + Number(length[1]);
    if (this.buffer.length < end) return;
    const response = { status: Number(head.slice(9, 12)), body: this.buffer.toString("utf8", headerEnd + 4, end), receivedAt: now };
    this.buffer = this.buffer.subarray(end);
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting?.resolve(response);
  }

  private fail(err: Error): void {
    this.broken ??= err;
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting?.reject(err);
  }
}

/** Opens `count` connections, `parallel` handshakes at a time (to stay inside the listen backlog). */
export async function openConnections(host: string, port: number, count: number, parallel = 100): Promise<RawHttpConnection[]> {
  const connections: RawHttpConnection[] = [];
  try {
    for (let start = 0; start < count; start += parallel) {
      const batch = Array.from({ length: Math.min(parallel, count - start) }, () => RawHttpConnection.open(host, port));
      connections.push(...(await Promise.all(batch)));
    }
  } catch (err) {
    for (const c of connections) c.close();
    throw err;
  }
  return connections;
}

/** The bytes of one HTTP/1.1 keep-alive request. */
export function requestBytes(method: "GET" | "POST", path: string, host: string, body?: string): Buffer {
  const headers = [`${method} ${path} HTTP/1.1`, `Host: ${host}`, "Connection: keep-alive", "Accept: application/json"];
  if (body !== undefined) headers.push("Content-Type: application/json", `Content-Length: ${Buffer.byteLength(body)}`);
  return Buffer.from(headers.join("\r\n") + "\r\n\r\n" + (body ?? ""));
}

export interface ClosedLoopResult {
  /** Responses with status 200. */
  ok: number;
  non2xx: number;
  /** Connections that failed (reset, closed); their request is not counted as answered. */
  errors: number;
  seconds: number;
  meanMs: number;
  p50Ms: number;
  p99Ms: number;
}

/**
 * A closed-loop load: `connections` keep-alive connections, each sending its next request as soon
 * as the previous one is answered, for `seconds`. What a validator client does, without
 * autocannon's per-request bookkeeping: the load generator shares the server's cores, so its CPU
 * per request is taken from the server (about a tenth of autocannon's, measured in the bench).
 * `onResponse` sees every answer (status and body) for callers that check more than the status.
 */
export async function closedLoop(
  target: { host: string; port: number },
  options: { connections: number; seconds: number; request: () => Buffer; onResponse?: (response: RawResponse) => void },
): Promise<ClosedLoopResult> {
  const connections = await openConnections(target.host, target.port, options.connections);
  const latencies: number[] = [];
  let non2xx = 0;
  let errors = 0;
  const started = performance.now();
  const deadline = started + options.seconds * 1000;
  const loop = async (connection: RawHttpConnection) => {
    while (performance.now() < deadline) {
      const sent = performance.now();
      let response: RawResponse;
      try {
        response = await connection.send(options.request());
      } catch {
        errors++;
        return;
      }
      latencies.push(response.receivedAt - sent);
      if (response.status !== 200) non2xx++;
      options.onResponse?.(response);
    }
  };
  try {
    await Promise.all(connections.map(loop));
  } finally {
    for (const connection of connections) connection.close();
  }
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN;
  const mean = latencies.reduce((sum, x) => sum + x, 0) / latencies.length;
  return { ok: latencies.length - non2xx, non2xx, errors, seconds, meanMs: mean, p50Ms: at(0.5), p99Ms: at(0.99) };
}
