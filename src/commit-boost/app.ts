/**
 * The Commit-Boost v0.10 signer API (api/signer-api.yml and docs/docs/developing/signer-api.md of
 * commit-boost-client), served on its own port: module routes behind per-module JWTs, /reload and
 * /revoke_jwt behind the admin JWT, /status open. Errors are `{code, message}` as the spec has
 * them. Every signature comes from the signing core (src/core/commit-boost-signer.ts).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Logger } from "pino";
import type { CommitBoostSigningApi, CommitmentRequest, ProxyScheme, SignError } from "../core/api.js";
import { createHttpServer, type HttpsSettings } from "../server/http-server.js";
import { hostAllowed, type HostAllowList } from "../server/host-allow-list.js";
import { replyError } from "../errors/route.js";
import { ERROR_TABLE } from "../errors/catalogue.js";
import { AuthFailureThrottle } from "./auth-throttle.js";
import type { CommitBoostConfig, ModuleConfig } from "./config.js";
import { BodyError, hexField, parseObjectBody, type ParsedBody, stringField, u64Field } from "./json-body.js";
import { bearerToken, JwtRefusal, verifyAdminJwt, verifyModuleJwt } from "./jwt-auth.js";

export const ROUTES = {
  getPubkeys: "/signer/v1/get_pubkeys",
  signBls: "/signer/v1/request_signature/bls",
  signProxyBls: "/signer/v1/request_signature/proxy-bls",
  signProxyEcdsa: "/signer/v1/request_signature/proxy-ecdsa",
  generateProxyKey: "/signer/v1/generate_proxy_key",
  status: "/status",
  reload: "/reload",
  revokeJwt: "/revoke_jwt",
} as const;

/** Commit-Boost's REQUEST_MAX_BODY_LENGTH. */
const BODY_LIMIT = 1024 * 1024;

export interface CommitBoostAppOptions {
  signer: CommitBoostSigningApi;
  config: CommitBoostConfig;
  /** Re-reads the configuration file (POST /reload); throws when it is unusable. */
  loadConfig: () => CommitBoostConfig;
  logger: Logger;
  hostAllowList: HostAllowList;
  https?: HttpsSettings;
  /** For tests of the throttle. */
  now?: () => number;
}

interface AuthState {
  modules: Map<string, ModuleConfig>;
  adminSecret: string;
}

declare module "fastify" {
  interface FastifyRequest {
    commitBoostModule?: string;
  }
}

const send = (reply: FastifyReply, status: number, message: string) => reply.code(status).send({ code: status, message });

function rawBody(request: FastifyRequest): Buffer {
  return Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
}

function pathOf(request: FastifyRequest): string {
  return request.url.split("?")[0]!;
}

export function buildCommitBoostApp(options: CommitBoostAppOptions): FastifyInstance {
  const { signer, logger } = options;
  const state: AuthState = { modules: new Map(options.config.modules), adminSecret: options.config.adminSecret };
  const throttle = new AuthFailureThrottle(options.config.jwtAuthFailLimit, options.config.jwtAuthFailTimeoutSeconds * 1000, options.now);
  const app = createHttpServer({ logger, bodyLimit: BODY_LIMIT, ...(options.https ? { https: options.https } : {}) });

  app.addHook("onRequest", async (request, reply) => {
    if (!hostAllowed(options.hostAllowList, request.headers.host)) return send(reply, 403, `host ${request.headers.host ?? "(none)"} is not in the allow-list`);
  });
  // The JWT's payload_hash covers the exact bytes: keep them, whatever the content type says.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("*", { parseAs: "buffer" }, (_request, body, done) => done(null, body));
  app.setNotFoundHandler((request, reply) => send(reply, 404, `no route ${request.method} ${pathOf(request)}`));

  const throttled = async (request: FastifyRequest, reply: FastifyReply) => {
    const wait = throttle.retryAfterMs(request.ip);
    if (wait === undefined) return;
    const seconds = Math.ceil(wait / 1000);
    return send(reply.header("retry-after", String(seconds)), 429, `too many failed authentications from ${request.ip}; retry in ${seconds} s`);
  };
  const refuse = (request: FastifyRequest, reply: FastifyReply, err: unknown) => {
    if (!(err instanceof JwtRefusal)) throw err;
    throttle.recordFailure(request.ip);
    logger.warn({ client: request.ip, route: pathOf(request), reason: err.message }, "Commit-Boost authentication failed");
    return send(reply, ERROR_TABLE[err.code].status, `Unauthorized: ${err.message}`);
  };
  const moduleAuth = async (request: FastifyRequest, reply: FastifyReply) => {
    try {
      const token = bearerToken(request.headers.authorization);
      request.commitBoostModule = await verifyModuleJwt(token, (module) => state.modules.get(module)?.jwtSecret, pathOf(request), rawBody(request));
    } catch (err) {
      return refuse(request, reply, err);
    }
  };
  const adminAuth = async (request: FastifyRequest, reply: FastifyReply) => {
    try {
      await verifyAdminJwt(bearerToken(request.headers.authorization), state.adminSecret, pathOf(request), rawBody(request));
    } catch (err) {
      return refuse(request, reply, err);
    }
  };
  const moduleRoute = { onRequest: throttled, preHandler: moduleAuth };
  const adminRoute = { onRequest: throttled, preHandler: adminAuth };

  /** The body and the authenticated module's signing id, or a reply already sent. */
  const commitment = (request: FastifyRequest, reply: FastifyReply, body: ParsedBody): CommitmentRequest | undefined => {
    const module = state.modules.get(request.commitBoostModule!);
    if (module === undefined) {
      send(reply, 400, "Module signing ID not found");
      return undefined;
    }
    return { module: module.id, moduleSigningId: module.signingId, objectRoot: hexField(body, "object_root", 32), nonce: u64Field(body, "nonce") };
  };
  const signFailed = (reply: FastifyReply, error: SignError) => replyError(reply, error, { shape: "status-code", logger, fields: { api: "commit-boost" } });
  const signResponse = (reply: FastifyReply, idField: "pubkey" | "address", id: string, request: CommitmentRequest, signature: string) =>
    // Built by hand: the nonce is a u64 JSON number, beyond what JSON.stringify can write exactly.
    reply
      .type("application/json")
      .send(
        `{${JSON.stringify(idField)}:${JSON.stringify(id)},"object_root":${JSON.stringify(request.objectRoot)},` +
          `"module_signing_id":${JSON.stringify(request.moduleSigningId)},"nonce":${request.nonce},` +
          `"chain_id":${JSON.stringify("0x" + signer.chainId.toString(16))},"signature":${JSON.stringify(signature)}}`,
      );

  app.register(async (scope) => {
    scope.setErrorHandler((error: Error & { statusCode?: number; code?: string }, _request, reply) => {
      if (error instanceof BodyError) return replyError(reply, error, { shape: "status-code" });
      const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
      if (status === 500) logger.error({ err: error }, "internal error in the Commit-Boost API");
      return send(reply, status, status === 500 ? "internal error, nothing signed (see the signer's log)" : error.message);
    });

    scope.get(ROUTES.status, async (_request, reply) => reply.type("text/plain").send("OK"));

    scope.get(ROUTES.getPubkeys, moduleRoute, async (request) => ({ keys: await signer.listKeys(request.commitBoostModule!) }));

    scope.post(ROUTES.signBls, moduleRoute, async (request, reply) => {
      const body = parseObjectBody(rawBody(request));
      const pubkey = hexField(body, "pubkey", 48);
      const req = commitment(request, reply, body);
      if (req === undefined) return reply;
      const outcome = await signer.signConsensus(pubkey, req);
      return outcome.ok ? signResponse(reply, "pubkey", pubkey, req, outcome.signature) : signFailed(reply, outcome.error);
    });

    const proxyRoute = (scheme: ProxyScheme) => async (request: FastifyRequest, reply: FastifyReply) => {
      const body = parseObjectBody(rawBody(request));
      const proxy = hexField(body, "proxy", scheme === "bls" ? 48 : 20);
      const req = commitment(request, reply, body);
      if (req === undefined) return reply;
      const outcome = await signer.signProxy(scheme, proxy, req);
      return outcome.ok ? signResponse(reply, scheme === "bls" ? "pubkey" : "address", proxy, req, outcome.signature) : signFailed(reply, outcome.error);
    };
    scope.post(ROUTES.signProxyBls, moduleRoute, proxyRoute("bls"));
    scope.post(ROUTES.signProxyEcdsa, moduleRoute, proxyRoute("ecdsa"));

    scope.post(ROUTES.generateProxyKey, moduleRoute, async (request, reply) => {
      const body = parseObjectBody(rawBody(request));
      const pubkey = hexField(body, "pubkey", 48);
      const scheme = stringField(body, "scheme");
      if (scheme !== "bls" && scheme !== "ecdsa") return send(reply, 400, 'scheme: expected "bls" or "ecdsa"');
      const outcome = await signer.generateProxy(request.commitBoostModule!, pubkey, scheme);
      if (!outcome.ok) return signFailed(reply, outcome.error);
      logger.info({ module: request.commitBoostModule, scheme, delegator: pubkey, proxy: outcome.delegation.message.proxy }, "Commit-Boost proxy key created");
      return outcome.delegation;
    });

    scope.post(ROUTES.reload, adminRoute, async (request, reply) => {
      const body = parseObjectBody(rawBody(request));
      let fresh: CommitBoostConfig;
      try {
        fresh = options.loadConfig();
      } catch (err) {
        logger.error({ reason: (err as Error).message }, "Commit-Boost config reload failed; keeping the current one");
        return send(reply, 500, `failed to reload config: ${(err as Error).message}`);
      }
      const modules = new Map(fresh.modules);
      const overrides = body.fields.jwt_secrets;
      if (overrides !== undefined && overrides !== null) {
        if (typeof overrides !== "string") return send(reply, 400, "jwt_secrets: expected MODULE_ID=SECRET pairs separated by commas");
        const pairs = secretOverrides(overrides);
        if (pairs === undefined) return send(reply, 400, "jwt_secrets: expected MODULE_ID=SECRET pairs separated by commas");
        const unknown = pairs.find(([id]) => !modules.has(id));
        if (unknown !== undefined) return send(reply, 400, `Module ${unknown[0]} not found in config, cannot override JWT secret`);
        for (const [id, secret] of pairs) modules.set(id, { ...modules.get(id)!, jwtSecret: secret });
      }
      const adminSecret = body.fields.admin_secret;
      if (adminSecret !== undefined && adminSecret !== null && (typeof adminSecret !== "string" || adminSecret === "")) return send(reply, 400, "admin_secret: expected a non-empty string");
      state.modules = modules;
      state.adminSecret = typeof adminSecret === "string" ? adminSecret : fresh.adminSecret;
      throttle.configure(fresh.jwtAuthFailLimit, fresh.jwtAuthFailTimeoutSeconds * 1000);
      logger.info({ modules: [...modules.keys()] }, "Commit-Boost config reloaded");
      return reply.code(200).send();
    });

    scope.post(ROUTES.revokeJwt, adminRoute, async (request, reply) => {
      const body = parseObjectBody(rawBody(request));
      const moduleId = stringField(body, "module_id");
      if (!state.modules.delete(moduleId)) return send(reply, 404, `module ${moduleId} not found`);
      logger.info({ module: moduleId }, "Commit-Boost module revoked");
      return reply.code(200).send();
    });
  });

  return app;
}

/** `jwt_secrets` of a /reload body: "MODULE_A=secret,MODULE_B=other", as Commit-Boost takes them. */
function secretOverrides(text: string): Array<[string, string]> | undefined {
  const pairs: Array<[string, string]> = [];
  for (const pair of text.split(",").map((p) => p.trim()).filter(Boolean)) {
    const at = pair.indexOf("=");
    if (at <= 0 || at === pair.length - 1) return undefined;
    pairs.push([pair.slice(0, at).trim(), pair.slice(at + 1).trim()]);
  }
  return pairs;
}
