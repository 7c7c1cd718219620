/**
 * POST /reload: re-reads the key sources (keystore directory, sealed store). It re-decrypts
 * keystores (scrypt, ~1 s and tens of MiB each), so it is guarded like the keymanager API:
 *
 * - the keymanager API's bearer token is required (DATA_DIR/api-token.txt, created at every start
 *   whether or not --keymanager is on); without it 401 before any work. A cross-origin page cannot
 *   send an Authorization header without a CORS preflight, which this server never grants.
 * - one reload runs at a time. A call that arrives while one runs waits for the next run, which
 *   starts once the running one is done and serves every call that arrived meanwhile (so each
 *   caller's answer reflects files as they were after its call, and at most one run is queued
 *   however many calls arrive: a flood costs two runs, not N).
 */
import type { FastifyInstance } from "fastify";
import type { Logger } from "pino";
import { bearerTokenMatches } from "./api-token.js";

export type ReloadResult = { added: number; removed: number };

export interface ReloadRouteOptions {
  run: () => Promise<ReloadResult>;
  /** The keymanager API's bearer token. */
  token: string;
  logger: Logger;
  /** Called after each successful run (e.g. to update the keys gauge). */
  afterRun?: () => Promise<void>;
}

/** Runs `run` one at a time; callers during a run share the single run queued after it. */
export function coalescing<T>(run: () => Promise<T>): () => Promise<T> {
  let running: Promise<T> | undefined;
  let queued: Promise<T> | undefined;
  const start = (): Promise<T> => {
    const current = run().finally(() => {
      if (running === current) running = undefined;
    });
    running = current;
    return current;
  };
  return () => {
    if (running === undefined) return start();
    if (queued === undefined) {
      queued = running
        .catch(() => undefined)
        .then(() => {
          queued = undefined;
          return start();
        });
    }
    return queued;
  };
}

export function registerReloadRoute(app: FastifyInstance, options: ReloadRouteOptions): void {
  const reload = coalescing(options.run);
  app.post("/reload", async (request, reply) => {
    if (!bearerTokenMatches(request.headers.authorization, options.token)) {
      options.logger.warn({ remote: request.ip }, "POST /reload without the API token refused");
      return reply.code(401).send({ statusCode: 401, error: "Unauthorized", message: "missing or wrong bearer token (see api-token.txt in the data directory)" });
    }
    try {
      const result = await reload();
      await options.afterRun?.();
      return reply.send(result);
    } catch (err) {
      options.logger.error({ err: (err as Error).message }, "reload failed; keeping the keys already loaded");
      return reply.code(500).send({ statusCode: 500, error: "Internal Server Error", message: `reload failed, keys unchanged: ${(err as Error).message}` });
    }
  });
}
