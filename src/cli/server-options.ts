/** Option parsing shared by the long-running commands (serve, pool participant, pool aggregator). */
import { readFileSync } from "node:fs";
import { createSecureContext } from "node:tls";
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
