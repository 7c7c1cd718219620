/**
 * The floor under the signer's per-request overhead: the same attestation load (128 connections)
 * against the bare HTTP stack (bench/bare-http-server.ts: node:http, then fastify, answering the
 * sign route with a fixed signature; then fastify that also validates the request and computes its
 * signing root, as every correct signer must). Their CPU per request is what no change inside the
 * signer can remove; with the raw blst CPU per signature it bounds the HTTP/floor ratio any Node.js
 * signer could reach on these cores: blst / (blst + stack). What the signer adds beyond the last
 * one is protection (its commit thread), the hand-off to the signing threads, metrics and GC.
 * The `fastify+root+sign` variant adds the signing back (the signer's signing pool, real blst on
 * every core) but still records nothing: bulwark serve without its slashing protection.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { closedLoop, requestBytes } from "./http-client.js";
import { threadCpuSeconds } from "./http-server.js";

const SERVER = fileURLToPath(new URL("./bare-http-server.js", import.meta.url));

export interface StackFloor {
  variant: "node-http" | "fastify" | "fastify+root" | "fastify+root+sign";
  connections: number;
  requests: number;
  seconds: number;
  /** CPU seconds of the server process per request (every thread). */
  cpuPerRequest: number;
  /** CPU seconds of this process (the load generator) per request. */
  clientCpuPerRequest: number;
}

/**
 * One server, warmed once, then `windows` measured windows of the same load; `between` runs after
 * each window with no load on the server (the caller measures its raw blst floor there).
 */
export async function measureStackWindows<T>(
  variant: StackFloor["variant"],
  connections: number,
  request: () => { path: string; body: string },
  seconds: number,
  windows: number,
  between: () => Promise<T>,
): Promise<Array<{ stack: StackFloor; after: T }>> {
  const child = spawn(process.execPath, [SERVER, variant], { stdio: ["ignore", "pipe", "inherit"] });
  try {
    const port = await new Promise<number>((resolve, reject) => {
      let out = "";
      child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
        out += chunk;
        const match = /ready (\d+)/.exec(out);
        if (match) resolve(Number(match[1]));
      });
      child.once("exit", (code) => reject(new Error(`bare ${variant} server exited with code ${code}`)));
    });
    const host = `127.0.0.1:${port}`;
    const load = () =>
      closedLoop({ host: "127.0.0.1", port }, {
        connections,
        seconds,
        request: () => {
          const { path, body } = request();
          return requestBytes("POST", path, host, body);
        },
      });
    await load(); // warm-up: JIT and connections
    const measured: Array<{ stack: StackFloor; after: T }> = [];
    for (let window = 0; window < windows; window++) {
      const before = threadCpuSeconds(child.pid!);
      const clientBefore = process.cpuUsage();
      const result = await load();
      const client = process.cpuUsage(clientBefore);
      const after = threadCpuSeconds(child.pid!);
      const cpu = before && after ? [...after].reduce((sum, [tid, s]) => sum + s - (before.get(tid) ?? 0), 0) : NaN;
      if (result.non2xx > 0 || result.errors > 0) throw new Error(`bare ${variant} server: ${result.non2xx} non-2xx, ${result.errors} errors`);
      const stack = {
        variant,
        connections,
        requests: result.ok,
        seconds: result.seconds,
        cpuPerRequest: cpu / result.ok,
        clientCpuPerRequest: (client.user + client.system) / 1e6 / result.ok,
      };
      measured.push({ stack, after: await between() });
    }
    return measured;
  } finally {
    child.kill("SIGKILL");
  }
}
