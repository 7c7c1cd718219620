/**
 * A pool participant (one node operator): serves the remote-signing-api distributed profile for the
 * composite keys of the pools it has joined, to authenticated coordinators only.
 *
 *   GET  /api/v1/eth2/distributed/accounts               every account (one per pool)
 *   GET  /api/v1/eth2/distributed/accounts/{composite}   one account
 *   POST /api/v1/eth2/distributed/sign/{composite}       Web3Signer signing request → partial signature
 *   GET  /upcheck, /healthcheck, /metrics                unauthenticated, as the signer's
 *
 * An account is `{participant_id, public_key, composite_public_key, signing_threshold,
 * participants: [{id, endpoint}]}` (ids and threshold as decimal strings, as the profile says;
 * public_key is this participant's component key). A partial is
 * `{participant_id, signing_root, signature}`.
 *
 * The share is held by a SigningCore under the composite public key, so every partial goes
 * through the core's path: the core recomputes the signing root from the typed request for its
 * network, checks and durably records the participant's own slashing protection for the composite
 * key, and only then signs with the share. Statuses are the signing API's: 400 malformed or root
 * mismatch, 404 unknown composite key, 412 slashing or signing-policy refusal or another network, 500 internal; 401
 * without a coordinator's bearer token (compared in constant time).
 *
 * Isolation: each pool has its own coordinator token. A token lists only its own pool's account and
 * signs only for it: another pool's composite key is a 404, as if this participant did not hold it,
 * so one pool's aggregator can neither learn of nor obtain partials for another pool.
 */
import { SecretKey } from "@chainsafe/blst";
import type { FastifyInstance } from "fastify";
import { createHttpServer, healthDocument, type HttpLimits, type HttpsSettings } from "../../server/http-server.js";
import type { Logger } from "pino";
import type { Network } from "../../config/networks.js";
import type { KeyToLoad, SignError, SigningService } from "../../core/api.js";
import { computeSigningRoot, parseSigningRequest, SIGNING_REQUEST_TYPES } from "../../eth/index.js";
import { replyError, signErrorOf } from "../../errors/route.js";
import { bearerTokenMatches } from "../../server/api-token.js";
import { DEFAULT_HOST_ALLOW_LIST, enforceHostAllowList, type HostAllowList } from "../../server/host-allow-list.js";
import type { SignerMetrics } from "../../server/metrics.js";
import type { PoolDefinition } from "../definition.js";
import { codedError } from "../../errors/bulwark-error.js";

/** One share as the operator's join code hands it over (src/pool/ceremony/join.ts loadOperatorShares). */
export interface OperatorShare {
  pool: PoolDefinition;
  participantId: number;
  /** f(participantId), 32 bytes; wiped once handed to the core. */
  shareSecret: Uint8Array;
}

/** What a participant tells coordinators about one of its pools (no secret). */
export interface ParticipantAccount {
  composite: string;
  participantId: number;
  /** This participant's component public key. */
  componentPublicKey: string;
  threshold: number;
  participants: Array<{ id: number; endpoint: string }>;
}

export class ParticipantError extends codedError("participant-config") {
  override name = "ParticipantError";
}

/**
 * Checks each share against its pool (network, participant id, component public key) and returns
 * the keys to load into the participant's signing core (labelled with the composite key) with the
 * accounts to serve. Throws ParticipantError, after wiping every share, on any mismatch.
 */
export function prepareShares(network: Network, shares: readonly OperatorShare[]): { keys: KeyToLoad[]; accounts: ParticipantAccount[] } {
  const keys: KeyToLoad[] = [];
  const accounts: ParticipantAccount[] = [];
  try {
    for (const { pool, participantId, shareSecret } of shares) {
      const composite = pool.compositePublicKey.toLowerCase();
      const where = `pool ${composite}`;
      if (pool.genesisValidatorsRoot.toLowerCase() !== network.genesisValidatorsRoot.toLowerCase()) {
        throw new ParticipantError(`${where} is for ${pool.network} (genesis validators root ${pool.genesisValidatorsRoot}), not ${network.name}`);
      }
      if (accounts.some((a) => a.composite === composite)) throw new ParticipantError(`${where}: two shares of the same pool`);
      const me = pool.participants.find((p) => p.id === participantId);
      if (me === undefined) throw new ParticipantError(`${where} has no participant ${participantId}`);
      let publicKey: string;
      try {
        publicKey = SecretKey.fromBytes(shareSecret).toPublicKey().toHex(true).toLowerCase();
      } catch {
        throw new ParticipantError(`${where}: the share of participant ${participantId} is not a valid secret key`);
      }
      if (publicKey !== me.componentPublicKey.toLowerCase()) {
        throw new ParticipantError(`${where}: the share does not match participant ${participantId}'s component public key`);
      }
      keys.push({ pubkey: composite, secretKey: shareSecret });
      accounts.push({
        composite,
        participantId,
        componentPublicKey: publicKey,
        threshold: pool.threshold,
        participants: pool.participants.map((p) => ({ id: p.id, endpoint: p.endpoint })),
      });
    }
  } catch (err) {
    for (const share of shares) share.shareSecret.fill(0);
    throw err;
  }
  return { keys, accounts };
}

export interface ParticipantAppOptions {
  /** A SigningCore holding each share under its composite public key. */
  core: SigningService;
  network: Network;
  accounts: readonly ParticipantAccount[];
  /**
   * Each pool's coordinator token, by composite key (DATA_DIR/pools/<composite>/coordinator-token.txt):
   * a token lists and signs for its own pool only. Every account needs one; no two pools may share one.
   */
  tokens: ReadonlyMap<string, string>;
  /** Host header values accepted on every route (see src/server/host-allow-list.ts); default loopback. */
  hostAllowList?: HostAllowList;
  limits?: HttpLimits;
  metrics: SignerMetrics;
  logger: Logger;
  bodyLimit?: number;
  https?: HttpsSettings;
}

const KNOWN_TYPES = new Set<string>(SIGNING_REQUEST_TYPES);

export function accountJson(account: ParticipantAccount): Record<string, unknown> {
  return {
    participant_id: String(account.participantId),
    public_key: account.componentPublicKey,
    composite_public_key: account.composite,
    signing_threshold: String(account.threshold),
    participants: account.participants.map((p) => ({ id: String(p.id), endpoint: p.endpoint })),
  };
}

export function buildParticipantApp(options: ParticipantAppOptions): FastifyInstance {
  const { core, metrics, logger } = options;
  const accounts = new Map(options.accounts.map((a) => [a.composite.toLowerCase(), a]));
  const tokens = poolTokens(accounts, options.tokens);
  const app = createHttpServer({
    logger,
    bodyLimit: options.bodyLimit ?? 1_048_576,
    ...(options.https ? { https: options.https } : {}),
    ...(options.limits ? { limits: options.limits } : {}),
  });
  enforceHostAllowList(app, options.hostAllowList ?? DEFAULT_HOST_ALLOW_LIST);

  app.get("/healthcheck", async (_request, reply) => {
    const { code, body } = healthDocument(await core.health(), { id: "accounts", data: { accounts: accounts.size } });
    return reply.code(code).send(body);
  });

  app.get("/metrics", async (_request, reply) => {
    metrics.keysLoaded.set(accounts.size);
    return reply.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });

  app.register(async (scope) => {
    /** The pool whose coordinator sent this request, found from its token. */
    const poolOf = new WeakMap<object, ParticipantAccount>();
    scope.addHook("onRequest", async (request, reply) => {
      const account = tokens.find(({ token }) => bearerTokenMatches(request.headers.authorization, token))?.account;
      if (account === undefined) {
        logger.warn({ url: request.url, remote: request.ip }, "distributed API request without a pool's coordinator token refused");
        return reply.code(401).send({ statusCode: 401, error: "Unauthorized", message: "missing or wrong bearer token (the pool's coordinator token)" });
      }
      poolOf.set(request, account);
    });
    /** The account named in the path, if it is the token's own pool; another pool is not even said to exist. */
    const ownAccount = (request: object, identifier: string): ParticipantAccount | undefined => {
      const account = poolOf.get(request);
      return account !== undefined && account.composite === identifier.toLowerCase() ? account : undefined;
    };

    scope.get("/api/v1/eth2/distributed/accounts", async (request) => [accountJson(poolOf.get(request)!)]);

    scope.get<{ Params: { identifier: string } }>("/api/v1/eth2/distributed/accounts/:identifier", async (request, reply) => {
      const account = ownAccount(request, request.params.identifier);
      if (account === undefined) return replyError(reply, { code: "unknown-key", message: `no distributed account for ${request.params.identifier}` }, { shape: "signing" });
      return accountJson(account);
    });

    scope.post<{ Params: { identifier: string } }>("/api/v1/eth2/distributed/sign/:identifier", async (request, reply) => {
      const started = performance.now();
      const type = requestType(request.body);
      const done = (outcome: string) => {
        metrics.requests.inc({ type, outcome });
        metrics.latency.observe({ type }, (performance.now() - started) / 1000);
      };
      const refuse = (error: SignError, composite?: string) =>
        replyError(reply, error, {
          shape: "signing",
          logger,
          fields: { ...(composite !== undefined ? { composite } : {}), type },
          count: (label) => {
            done(label);
            if (error.code === "slashing") metrics.refusals.inc({ reason: error.reason ?? "unknown" });
          },
        });
      const account = ownAccount(request, request.params.identifier);
      if (account === undefined) {
        if (accounts.has(request.params.identifier.toLowerCase())) {
          logger.warn({ composite: request.params.identifier, remote: request.ip }, "another pool's coordinator asked to sign for this pool: refused");
        }
        return refuse({ code: "unknown-key", message: `no distributed account for ${request.params.identifier}` });
      }
      // The root is computed here for the answer; the core computes it again itself before it signs.
      let signingRoot: string;
      try {
        signingRoot = "0x" + Buffer.from(computeSigningRoot(options.network, parseSigningRequest(request.body)).signingRoot).toString("hex");
      } catch (err) {
        return refuse(signErrorOf(err), account.composite);
      }
      const outcome = await core.sign(account.composite, request.body);
      if (!outcome.ok) return refuse(outcome.error, account.composite);
      done("signed");
      return { participant_id: String(account.participantId), signing_root: signingRoot, signature: outcome.signature };
    });
  });

  return app;
}

/** Pairs each account with its token; refuses a missing, short or shared token. */
function poolTokens(accounts: ReadonlyMap<string, ParticipantAccount>, tokens: ReadonlyMap<string, string>): Array<{ account: ParticipantAccount; token: string }> {
  const byToken = new Map<string, string>();
  const pairs: Array<{ account: ParticipantAccount; token: string }> = [];
  const lower = new Map([...tokens].map(([composite, token]) => [composite.toLowerCase(), token]));
  for (const account of accounts.values()) {
    const token = lower.get(account.composite);
    if (token === undefined) throw new ParticipantError(`pool ${account.composite} has no coordinator token`);
    if (token.length < 16) throw new ParticipantError(`the coordinator token of pool ${account.composite} is shorter than 16 characters`);
    const other = byToken.get(token);
    if (other !== undefined) {
      throw new ParticipantError(`pools ${other} and ${account.composite} have the same coordinator token: each pool needs its own, or one pool's aggregator could sign for the other`);
    }
    byToken.set(token, account.composite);
    pairs.push({ account, token });
  }
  return pairs;
}

function requestType(body: unknown): string {
  const type = (body as { type?: unknown } | null)?.type;
  return typeof type === "string" && KNOWN_TYPES.has(type.toUpperCase()) ? type.toUpperCase() : "UNKNOWN";
}

