/** Option parsing shared by the long-running commands (serve, pool participant, pool aggregator). */
import { readFileSync } from "node:fs";
import { isIP } from "node:net";
import { createSecureContext } from "node:tls";
import { type Command, Option } from "commander";
import type { FastifyInstance } from "fastify";
import type { Logger } from "pino";
import { DEFAULT_HOST_ALLOW_LIST, type HostAllowList } from "../server/host-allow-list.js";
import { DEFAULT_HTTP_LIMITS, type HttpLimits, type HttpsSettings } from "../server/http-server.js";
import { CliError } from "./errors.js";

export interface TlsOptions {
  tlsKey?: string;
  tlsCert?: string;
  tlsClientCa?: string;
}

export type { HttpsSettings };

/** Reads and checks the TLS files before any slow start-up work, naming the flag and file at fault. */
export function readTlsFiles(options: TlsOptions): HttpsSettings | undefined {
  if ((options.tlsKey === undefined) !== (options.tlsCert === undefined)) throw new CliError("--tls-key and --tls-cert go together");
  if (options.tlsClientCa !== undefined && options.tlsKey === undefined) throw new CliError("--tls-client-ca needs --tls-key and --tls-cert");
  if (options.tlsKey === undefined || options.tlsCert === undefined) return undefined;
  const read = (flag: string, file: string): Buffer => {
    try {
      return readFileSync(file);
    } catch (err) {
      throw new CliError(`${flag} ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  };
  const key = read("--tls-key", options.tlsKey);
  const cert = read("--tls-cert", options.tlsCert);
  const ca = options.tlsClientCa !== undefined ? read("--tls-client-ca", options.tlsClientCa) : undefined;
  try {
    createSecureContext({ key, cert, ...(ca ? { ca } : {}) });
  } catch (err) {
    throw new CliError(
      `--tls-key ${options.tlsKey} / --tls-cert ${options.tlsCert}${ca ? ` / --tls-client-ca ${options.tlsClientCa}` : ""}: not a usable PEM key and certificate (${(err as Error).message})`,
    );
  }
  return { key, cert, ...(ca ? { ca } : {}), requestCert: ca !== undefined };
}

export interface HttpLimitOptions {
  httpHeadersTimeoutMs?: string;
  httpRequestTimeoutMs?: string;
  httpMaxConnections?: string;
  httpHostAllowlist?: string;
}

/** The slow-client limits and the Host allow-list, shared by serve and both pool servers. */
export function addHttpLimitOptions(command: Command): Command {
  return command
    .addOption(
      new Option("--http-headers-timeout-ms <ms>", "disconnect a client that has not sent its request headers within this time")
        .env("BULWARK_HTTP_HEADERS_TIMEOUT_MS")
        .default(String(DEFAULT_HTTP_LIMITS.headersTimeoutMs)),
    )
    .addOption(
      new Option("--http-request-timeout-ms <ms>", "disconnect a client that has not sent its whole request within this time")
        .env("BULWARK_HTTP_REQUEST_TIMEOUT_MS")
        .default(String(DEFAULT_HTTP_LIMITS.requestTimeoutMs)),
    )
    .addOption(
      new Option("--http-max-connections <n>", "open connections accepted at once; more are closed as they arrive")
        .env("BULWARK_HTTP_MAX_CONNECTIONS")
        .default(String(DEFAULT_HTTP_LIMITS.maxConnections)),
    );
}

export function hostAllowListOption(): Option {
  return new Option(
    "--http-host-allowlist <hosts>",
    `comma-separated Host header values accepted, or * (default: ${DEFAULT_HOST_ALLOW_LIST.join(",")} and the listen address)`,
  ).env("BULWARK_HTTP_HOST_ALLOWLIST");
}

export function readHttpLimits(options: HttpLimitOptions): HttpLimits {
  const headersTimeoutMs = parseInteger(options.httpHeadersTimeoutMs ?? String(DEFAULT_HTTP_LIMITS.headersTimeoutMs), "--http-headers-timeout-ms", 100, 3_600_000);
  const requestTimeoutMs = parseInteger(options.httpRequestTimeoutMs ?? String(DEFAULT_HTTP_LIMITS.requestTimeoutMs), "--http-request-timeout-ms", 100, 3_600_000);
  if (requestTimeoutMs < headersTimeoutMs) {
    throw new CliError(`--http-request-timeout-ms (${requestTimeoutMs}) must be at least --http-headers-timeout-ms (${headersTimeoutMs})`);
  }
  const maxConnections = parseInteger(options.httpMaxConnections ?? String(DEFAULT_HTTP_LIMITS.maxConnections), "--http-max-connections", 1, 1_000_000);
  return { headersTimeoutMs, requestTimeoutMs, maxConnections };
}

/** The Host allow-list from --http-host-allowlist, or the default plus the listen address. */
export function readHostAllowList(options: { httpHostAllowlist?: string; httpHost: string }): HostAllowList {
  return options.httpHostAllowlist
    ? options.httpHostAllowlist.split(",").map((host) => host.trim().toLowerCase()).filter(Boolean)
    : [...DEFAULT_HOST_ALLOW_LIST, options.httpHost.toLowerCase()];
}

/** Whether a listen address is reachable only from this machine. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, "").toLowerCase();
  if (bare === "localhost") return true;
  if (isIP(bare) === 4) return bare.startsWith("127.");
  if (isIP(bare) === 6) return bare === "::1" || /^::ffff:127\./.test(bare);
  return false;
}

export function parseInteger(value: string, flag: string, min: number, max: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new CliError(`${flag}: expected an integer from ${min} to ${max}, got "${value}"`);
  return n;
}

/**
 * Listens, logs the "bulwark signer ready" line (with `fields`), and on SIGINT/SIGTERM closes the
 * server, runs `cleanup` and exits 0. `cleanup` also runs when listening fails.
 */
export async function listenUntilSignal(
  app: FastifyInstance,
  where: { host: string; port: number; tls: boolean },
  logger: Logger,
  cleanup: () => Promise<void>,
  fields: Record<string, unknown> = {},
): Promise<void> {
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "shutting down");
    // close() waits for keep-alive connections that were busy when it began until their keep-alive
    // timeout (72 s): give requests in flight a moment, then close every connection.
    const closing = app.close();
    setTimeout(() => app.server.closeAllConnections(), 2000).unref();
    await closing;
    await cleanup();
    process.exit(0);
  };
  process.on("SIGINT", () => void stop("SIGINT"));
  process.on("SIGTERM", () => void stop("SIGTERM"));
  if (!where.tls && !isLoopbackHost(where.host)) {
    logger.warn(
      { host: where.host },
      "listening beyond loopback without TLS: requests, signatures and bearer tokens cross the network in clear; give --tls-key and --tls-cert, or listen on 127.0.0.1 behind a TLS proxy",
    );
  }
  const address = await app.listen({ host: where.host, port: where.port }).catch(async (err: Error) => {
    await cleanup();
    throw new CliError(`cannot listen on ${where.host}:${where.port}: ${err.message}`);
  });
  logger.info({ address, tls: where.tls, ...fields }, "bulwark signer ready");
}
