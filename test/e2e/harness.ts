/**
 * Runs the real program (`node bin/bulwark.js ...`) as a child process for end-to-end tests, and
 * talks to it over HTTP(S) with node:http, so that Host headers and client certificates are ours
 * to choose. Every child is tracked and killed when the test process exits, even on failure.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import http from "node:http";
import https from "node:https";
import net from "node:net";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));
export const BIN = fileURLToPath(new URL("../../../bin/bulwark.js", import.meta.url));

const live = new Set<ChildProcess>();
process.on("exit", () => {
  for (const child of live) child.kill("SIGKILL");
});

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface LogLine {
  level?: number;
  msg?: string;
  [key: string]: unknown;
}

export interface Bulwark {
  child: ChildProcess;
  /** e.g. http://127.0.0.1:41953, as logged in "bulwark signer ready". */
  url: string;
  port: number;
  stdout(): string;
  stderr(): string;
  /** stdout parsed as pino JSON lines (non-JSON lines skipped). */
  logs(): LogLine[];
  exited: Promise<Exit>;
  /** Sends `signal` (SIGTERM by default) and waits for the exit; SIGKILL after `graceMs`. */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<Exit>;
}

export interface RunOptions {
  /** Added to a copy of this process's environment with every BULWARK_* variable removed. */
  env?: Record<string, string>;
  timeoutMs?: number;
}

/**
 * The start guard is off in every child unless a test sets BULWARK_START_GUARD (or passes
 * --start-guard, which wins over the variable): the tests not about the guard sign small epochs
 * right after the signer starts, which the guard refuses.
 */
export const GUARD_OFF_ENV = { BULWARK_START_GUARD: "off" } as const;

function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith("BULWARK_") && key !== "LODESTAR_PRESET") env[key] = value;
  }
  return { ...env, ...GUARD_OFF_ENV, ...extra };
}

function spawnBulwark(args: readonly string[], options: RunOptions) {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: REPO_ROOT,
    env: childEnv(options.env),
    stdio: ["ignore", "pipe", "pipe"],
  });
  live.add(child);
  let stdout = "";
  let stderr = "";
  child.stdout!.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const exited = new Promise<Exit>((resolve) => {
    child.on("exit", (code, signal) => {
      live.delete(child);
      resolve({ code, signal });
    });
  });
  // Wait for the pipes to drain as well, so stdout/stderr are complete once `exited` settles.
  const drained = exited.then(async (exit) => {
    await Promise.all([
      child.stdout!.readableEnded ? undefined : once(child.stdout!, "end").catch(() => undefined),
      child.stderr!.readableEnded ? undefined : once(child.stderr!, "end").catch(() => undefined),
    ]);
    return exit;
  });
  return { child, exited: drained, stdout: () => stdout, stderr: () => stderr };
}

export function parseLogs(text: string): LogLine[] {
  const lines: LogLine[] = [];
  for (const line of text.split("\n")) {
    if (!line.startsWith("{")) continue;
    try {
      lines.push(JSON.parse(line) as LogLine);
    } catch {
      // a partial line at the end of a still-running process
    }
  }
  return lines;
}

/** Runs `bulwark ARGS` to completion (for commands expected to fail or finish). */
export async function runBulwark(
  args: readonly string[],
  options: RunOptions = {},
): Promise<Exit & { stdout: string; stderr: string }> {
  const proc = spawnBulwark(args, options);
  const timer = setTimeout(() => proc.child.kill("SIGKILL"), options.timeoutMs ?? 20_000);
  try {
    const exit = await proc.exited;
    return { ...exit, stdout: proc.stdout(), stderr: proc.stderr() };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Starts `bulwark ARGS` and resolves once it logs "bulwark signer ready", with the address it
 * listens on. Rejects (after killing the child) if it exits first or takes longer than timeoutMs.
 */
export async function startBulwark(args: readonly string[], options: RunOptions = {}): Promise<Bulwark> {
  const proc = spawnBulwark(args, options);
  const deadline = options.timeoutMs ?? 20_000;
  const address = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.child.kill("SIGKILL");
      reject(new Error(`bulwark did not become ready within ${deadline} ms\nstdout:\n${proc.stdout()}\nstderr:\n${proc.stderr()}`));
    }, deadline);
    const check = () => {
      const ready = parseLogs(proc.stdout()).find((line) => line.msg === "bulwark signer ready");
      if (ready !== undefined) {
        clearTimeout(timer);
        proc.child.stdout!.off("data", check);
        resolve(String(ready.address));
      }
    };
    proc.child.stdout!.on("data", check);
    void proc.exited.then((exit) => {
      clearTimeout(timer);
      reject(
        new Error(
          `bulwark exited before it was ready (code ${exit.code}, signal ${exit.signal})\nstdout:\n${proc.stdout()}\nstderr:\n${proc.stderr()}`,
        ),
      );
    });
  });
  const port = Number(new URL(address).port);
  const stop = async (signal: NodeJS.Signals = "SIGTERM", graceMs = 10_000): Promise<Exit> => {
    if (proc.child.exitCode === null && proc.child.signalCode === null) proc.child.kill(signal);
    const timer = setTimeout(() => proc.child.kill("SIGKILL"), graceMs);
    try {
      return await proc.exited;
    } finally {
      clearTimeout(timer);
    }
  };
  return {
    child: proc.child,
    url: address,
    port,
    stdout: proc.stdout,
    stderr: proc.stderr,
    logs: () => parseLogs(proc.stdout()),
    exited: proc.exited,
    stop,
  };
}

/**
 * The server's log lines once `ready` holds for them. A child's stdout reaches this process on
 * its own schedule: an HTTP answer can arrive before the line the server logged while making it.
 * Fails after `timeoutMs`, naming `what`.
 */
export async function logsWhen(server: Pick<Bulwark, "logs">, ready: (lines: LogLine[]) => boolean, what: string, timeoutMs = 10_000): Promise<LogLine[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const lines = server.logs();
    if (ready(lines)) return lines;
    if (Date.now() > deadline) throw new Error(`no log line ${what} within ${timeoutMs} ms; the log has ${lines.length} lines`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A free TCP port on 127.0.0.1 that no listen(0) can take (test/helpers/ports.ts). */
export { freePort } from "../helpers/ports.js";

/** Whether something accepts TCP connections on 127.0.0.1:port. */
export async function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

export interface HttpResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface HttpOptions {
  method?: string;
  headers?: Record<string, string>;
  /** Sent as JSON (unless already a string). */
  body?: unknown;
  /** HTTPS only: trusted CA, client certificate and key. */
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  timeoutMs?: number;
}

/** One request on a fresh connection (no keep-alive, so shutdown never waits on us). */
export function request(url: string, options: HttpOptions = {}): Promise<HttpResponse> {
  const target = new URL(url);
  const body = options.body === undefined ? undefined : typeof options.body === "string" ? options.body : JSON.stringify(options.body);
  const headers: Record<string, string> = { ...(body !== undefined ? { "content-type": "application/json" } : {}), ...options.headers };
  if (body !== undefined) headers["content-length"] = String(Buffer.byteLength(body));
  const common = {
    method: options.method ?? (body === undefined ? "GET" : "POST"),
    hostname: target.hostname,
    port: target.port,
    path: target.pathname + target.search,
    headers,
    agent: false as const,
    timeout: options.timeoutMs ?? 10_000,
  };
  return new Promise((resolve, reject) => {
    const onResponse = (res: http.IncomingMessage) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (text += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
      res.on("error", reject);
    };
    const req =
      target.protocol === "https:"
        ? https.request(
            {
              ...common,
              ...(options.ca ? { ca: options.ca } : {}),
              ...(options.cert ? { cert: options.cert } : {}),
              ...(options.key ? { key: options.key } : {}),
            },
            onResponse,
          )
        : http.request(common, onResponse);
    req.on("timeout", () => req.destroy(new Error(`request to ${url} timed out`)));
    req.on("error", reject);
    req.end(body);
  });
}

export async function getJson(url: string, options: HttpOptions = {}): Promise<{ status: number; json: unknown }> {
  const res = await request(url, options);
  return { status: res.status, json: res.body === "" ? undefined : JSON.parse(res.body) };
}

/** The Authorization header for POST /reload and the keymanager API of a signer on `dataDir`. */
export function apiTokenHeader(dataDir: string): Record<string, string> {
  return { authorization: `Bearer ${readFileSync(join(dataDir, "api-token.txt"), "utf8").trim()}` };
}
