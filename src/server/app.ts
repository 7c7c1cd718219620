/**
 * The HTTP layer: Web3Signer's signing API, the remote-signing-api batch endpoint, health, metrics.
 * It never touches a secret key: every decision is the signing core's.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { createHttpServer, healthDocument, type HttpLimits, type HttpsSettings } from "./http-server.js";
import type { Logger } from "pino";
import type { SignError, SigningCoreApi, SigningService } from "../core/api.js";
import { requestTypeLabel } from "../eth/index.js";
import { enforceHostAllowList, type HostAllowList } from "./host-allow-list.js";
import { registerReloadRoute, type ReloadResult } from "./reload-route.js";
import { registerKeymanagerRoutes } from "./keymanager.js";
import type { SignerMetrics } from "./metrics.js";
import { logRoutedError, replyError, routeError } from "../errors/route.js";

interface CommonAppOptions {
  metrics: SignerMetrics;
  logger: Logger;
  /** Largest accepted request body in bytes; larger gets 413. */
  bodyLimit: number;
  hostAllowList: HostAllowList;
  /** POST /reload: re-reads key sources, behind the API bearer token; absent when there is nothing to reload. */
  reload?: { run: () => Promise<ReloadResult>; token: string };
  https?: HttpsSettings;
  /** Slow-client limits (timeouts, connection cap); defaults when absent. */
  limits?: HttpLimits;
}

/**
 * `core` answers the signing API: the signing core, or anything else implementing SigningService
 * (the threshold-pool aggregator). The keymanager API needs the signing core itself.
 */
export type AppOptions = CommonAppOptions &
  (
    | {
        core: SigningCoreApi;
        /** Serves the keymanager API (/eth/v1/keystores) behind this bearer token. */
        keymanager?: { token: string };
      }
    | { core: SigningService; keymanager?: undefined }
  );

export function buildApp(options: AppOptions): FastifyInstance {
  const { core, metrics } = options;
  const app = createHttpServer({
    logger: options.logger,
    bodyLimit: options.bodyLimit,
    ...(options.https ? { https: options.https } : {}),
    ...(options.limits ? { limits: options.limits } : {}),
  });

  enforceHostAllowList(app, options.hostAllowList);

  app.get("/healthcheck", async (_request, reply) => {
    const health = await core.health();
    const { code, body } = healthDocument(health, { id: "keys", data: { keysLoaded: health.keysLoaded } });
    return reply.code(code).send(body);
  });

  app.get("/metrics", async (_request, reply) => {
    metrics.keysLoaded.set((await core.listKeys()).length);
    return reply.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });

  app.get("/api/v1/eth2/publicKeys", async () => core.listKeys());

  app.post<{ Params: { identifier: string } }>("/api/v1/eth2/sign/:identifier", async (request, reply) => {
    const started = performance.now();
    const type = requestTypeLabel(request.body);
    const outcome = await core.sign(request.params.identifier, request.body);
    metrics.latency.observe({ type }, (performance.now() - started) / 1000);
    if (!outcome.ok) return replyError(reply, outcome.error, errorRoute(options, type, request.params.identifier, outcome.error));
    metrics.requests.inc({ type, outcome: "signed" });
    return sendSignature(request, reply, outcome.signature);
  });

  app.post("/api/v1/eth2/sign", async (request, reply) => {
    const started = performance.now();
    const body = request.body as { identifiers?: unknown; signing_request?: unknown } | null;
    if (body === null || typeof body !== "object" || !Array.isArray(body.identifiers) || !body.identifiers.every((id) => typeof id === "string")) {
      return replyError(reply, { code: "bad-request", message: "identifiers: expected an array of public keys" }, { shape: "signing" });
    }
    const identifiers = body.identifiers as string[];
    const type = requestTypeLabel(body.signing_request);
    const batch = await core.signBatch(identifiers, body.signing_request);
    metrics.latency.observe({ type }, (performance.now() - started) / 1000);
    if (!batch.ok) return replyError(reply, batch.error, errorRoute(options, type, "(batch)", batch.error));
    return batch.results.map((outcome, i) => {
      const identifier = identifiers[i]!;
      if (outcome.ok) {
        metrics.requests.inc({ type, outcome: "signed" });
        return { identifier, signature: outcome.signature };
      }
      const routed = routeError(outcome.error);
      const { count, logger, fields } = errorRoute(options, type, identifier, outcome.error);
      count(routed.metricLabel);
      logRoutedError(logger, routed, fields);
      return { identifier, error: { code: routed.status, message: routed.message } };
    });
  });

  if (options.keymanager) {
    registerKeymanagerRoutes(app, { core: options.core, token: options.keymanager.token, logger: options.logger });
  }

  if (options.reload) {
    registerReloadRoute(app, {
      ...options.reload,
      logger: options.logger,
      afterRun: async () => void metrics.keysLoaded.set((await core.listKeys()).length),
    });
  }

  return app;
}

/** How a refusal of the core is counted (by type and outcome; slashing ones also by rule) and logged. */
function errorRoute(options: AppOptions, type: string, pubkey: string, error: SignError) {
  return {
    shape: "signing" as const,
    logger: options.logger,
    fields: { pubkey, type },
    count: (metricLabel: string) => {
      options.metrics.requests.inc({ type, outcome: metricLabel });
      if (error.code === "slashing") options.metrics.refusals.inc({ reason: error.reason ?? "unknown" });
    },
  };
}

/** JSON when the client accepts it (or says nothing), plain hex when it asks for text only. */
function sendSignature(request: FastifyRequest, reply: FastifyReply, signature: string): FastifyReply {
  const accept = request.headers.accept;
  const wantsJson = accept === undefined || accept === "" || /application\/json|\*\/\*|application\/\*/.test(accept);
  if (wantsJson) return reply.send({ signature });
  return reply.type("text/plain").send(signature);
}
