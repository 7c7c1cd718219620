/** Option parsing shared by the long-running commands (serve, pool participant, pool aggregator). */
import { readFileSync } from "node:fs";
import { createSecureContext } from "node:tls";
import type { FastifyInstance } from "fastify";
import type { Logger } from "pino";
import type { HttpsSettings } from "../server/http-server.js";
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
  const address = await app.listen({ host: where.host, port: where.port }).catch(async (err: Error) => {
    await cleanup();
    throw new CliError(`cannot listen on ${where.host}:${where.port}: ${err.message}`);
  });
  logger.info({ address, tls: where.tls, ...fields }, "bulwark signer ready");
}
