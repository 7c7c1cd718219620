/**
 * The HTTP layer: Web3Signer's signing API, the remote-signing-api batch endpoint, health, metrics.
 * It never touches a secret key: every decision is the signing core's.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { createHttpServer, healthDocument, type HttpLimits, type HttpsSettings, OUTCOME_LABEL } from "./http-server.js";
import type { Logger } from "pino";
import type { SignError, SigningService } from "../core/api.js";
import type { SigningCore } from "../core/signing-core.js";
import { requestTypeLabel } from "../eth/index.js";
import { enforceHostAllowList, type HostAllowList } from "./host-allow-list.js";
import { registerReloadRoute, type ReloadResult } from "./reload-route.js";
import { registerKeymanagerRoutes } from "./keymanager.js";
import type { SignerMetrics } from "./metrics.js";
import { STATUS_OF } from "./status.js";

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
        core: SigningCore;
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
    record(options, type, outcome, request.params.identifier);
    metrics.latency.observe({ type }, (performance.now() - started) / 1000);
    if (!outcome.ok) return sendError(reply, outcome.error.code, outcome.error.message);
    return sendSignature(request, reply, outcome.signature);
  });

  app.post("/api/v1/eth2/sign", async (request, reply) => {
    const started = performance.now();
    const body = request.body as { identifiers?: unknown; signing_request?: unknown } | null;
    if (body === null || typeof body !== "object" || !Array.isArray(body.identifiers) || !body.identifiers.every((id) => typeof id === "string")) {
      return sendError(reply, "bad-request", "identifiers: expected an array of public keys");
    }
    const identifiers = body.identifiers as string[];
    const type = requestTypeLabel(body.signing_request);
    const batch = await core.signBatch(identifiers, body.signing_request);
    metrics.latency.observe({ type }, (performance.now() - started) / 1000);
    if (!batch.ok) {
      record(options, type, batch, "(batch)");
      return sendError(reply, batch.error.code, batch.error.message);
    }
    return batch.results.map((outcome, i) => {
      const identifier = identifiers[i]!;
      record(options, type, outcome, identifier);
      return outcome.ok
        ? { identifier, signature: outcome.signature }
        : { identifier, error: { code: STATUS_OF[outcome.error.code], message: outcome.error.message } };
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


function record(options: AppOptions, type: string, outcome: { ok: true } | { ok: false; error: SignError }, pubkey: string): void {
  if (outcome.ok) {
    options.metrics.requests.inc({ type, outcome: "signed" });
    return;
  }
  const { code, message, reason } = outcome.error;
  options.metrics.requests.inc({ type, outcome: OUTCOME_LABEL[code] });
  if (code === "slashing") {
    options.metrics.refusals.inc({ reason: reason ?? "unknown" });
    options.logger.warn({ pubkey, type, reason }, message);
  } else if (code === "policy") {
    options.logger.warn({ pubkey, type, reason }, message);
  } else if (code === "internal") {
    options.logger.error({ pubkey, type }, message);
  } else if (code === "unavailable") {
    options.logger.warn({ pubkey, type }, message);
  } else {
    options.logger.debug({ pubkey, type, code }, message);
  }
}

function sendError(reply: FastifyReply, code: keyof typeof STATUS_OF, message: string): FastifyReply {
  const status = STATUS_OF[code];
  return reply.code(status).send({ statusCode: status, error: code, message });
}

/** JSON when the client accepts it (or says nothing), plain hex when it asks for text only. */
function sendSignature(request: FastifyRequest, reply: FastifyReply, signature: string): FastifyReply {
  const accept = request.headers.accept;
  const wantsJson = accept === undefined || accept === "" || /application\/json|\*\/\*|application\/\*/.test(accept);
  if (wantsJson) return reply.send({ signature });
  return reply.type("text/plain").send(signature);
}
