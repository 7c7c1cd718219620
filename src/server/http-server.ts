/**
 * What every Bulwark HTTP server shares: fastify with pino and quiet request logging, the body
 * limit, optional TLS with client certificates, JSON errors that never leak internals, /upcheck,
 * and the Web3Signer-style /healthcheck document.
 */
import { STATUS_CODES } from "node:http";
import fastify, { type FastifyInstance, LogController } from "fastify";
import type { Logger } from "pino";
import type { CoreHealth } from "../core/api.js";

export interface HttpsSettings {
  key: Buffer;
  cert: Buffer;
  ca?: Buffer;
  requestCert: boolean;
}

export interface HttpServerOptions {
  logger: Logger;
  /** Largest accepted request body in bytes; larger gets 413. */
  bodyLimit: number;
  https?: HttpsSettings;
  /** Slow-client limits (DEFAULT_HTTP_LIMITS when absent). */
  limits?: HttpLimits;
}

/**
 * What protects the server from slow or numerous clients: a client that has not sent its headers
 * within `headersTimeoutMs`, or its whole request within `requestTimeoutMs`, is disconnected (408),
 * and connections beyond `maxConnections` are closed as they arrive. Validator clients keep a few
 * connections each and send a request in milliseconds, so the defaults never touch them.
 */
export interface HttpLimits {
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  maxConnections: number;
}

export const DEFAULT_HTTP_LIMITS: HttpLimits = { headersTimeoutMs: 10_000, requestTimeoutMs: 30_000, maxConnections: 4096 };

/** Node checks its header and request deadlines on a timer; this keeps the lateness small. */
function checkingIntervalMs(limits: HttpLimits): number {
  return Math.max(100, Math.min(1000, Math.floor(limits.headersTimeoutMs / 4)));
}

export function createHttpServer(options: HttpServerOptions): FastifyInstance {
  const limits = options.limits ?? DEFAULT_HTTP_LIMITS;
  const serverOptions = {
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    connectionsCheckingInterval: checkingIntervalMs(limits),
  };
  const app = fastify({
    loggerInstance: options.logger,
    // One log line per signature would drown the refusals that matter; routes log those.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: options.bodyLimit,
    // fastify sets server.requestTimeout from its own option after creating the server.
    requestTimeout: limits.requestTimeoutMs,
    http: serverOptions,
    ...(options.https
      ? {
          https: {
            ...serverOptions,
            key: options.https.key,
            cert: options.https.cert,
            ...(options.https.ca ? { ca: options.https.ca } : {}),
            requestCert: options.https.requestCert,
            rejectUnauthorized: options.https.requestCert,
          },
        }
      : {}),
  }) as unknown as FastifyInstance;
  app.server.maxConnections = limits.maxConnections;

  app.setErrorHandler((error: Error & { statusCode?: number; code?: string }, _request, reply) => {
    const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
    if (status === 500) options.logger.error({ err: error }, "internal error");
    const message =
      status === 500
        ? "internal error, nothing signed (see the signer's log)"
        : error.code === "FST_ERR_CTP_BODY_TOO_LARGE"
          ? `request body larger than ${options.bodyLimit} bytes`
          : error.message;
    return reply.code(status).send({ statusCode: status, error: STATUS_CODES[status] ?? "Error", message });
  });

  app.get("/upcheck", async (_request, reply) => reply.type("text/plain").send("OK"));
  return app;
}

/** The /healthcheck document: 200 when every check is UP, 503 otherwise. */
export function healthDocument(health: CoreHealth, first: { id: string; data: Record<string, unknown> }): { code: number; body: unknown } {
  const status = (ok: boolean) => (ok ? "UP" : "DOWN");
  return {
    code: health.ok ? 200 : 503,
    body: {
      status: status(health.ok),
      outcome: status(health.ok),
      checks: [
        { id: first.id, status: "UP", data: first.data },
        {
          id: "slashing-protection",
          status: status(health.protection.ok),
          data: { latencyMs: Number(health.protection.latencyMs.toFixed(3)), ...(health.protection.error ? { error: health.protection.error } : {}) },
        },
        { id: "signing", status: status(health.signing.ok), ...(health.signing.error ? { data: { error: health.signing.error } } : {}) },
        // Informational: a guard that still refuses is the intended state after a start, not a fault.
        ...(health.startGuard !== undefined ? [{ id: "start-guard", status: "UP", data: health.startGuard }] : []),
      ],
    },
  };
}
