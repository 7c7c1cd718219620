/**
 * The standard keymanager API (/eth/v1/keystores), behind a bearer token. Keystores and passwords
 * pass straight through to the signing core, which decrypts them; nothing here keeps them.
 */
import type { FastifyInstance, FastifyReply } from "fastify";
import type { Logger } from "pino";
import type { SigningCoreApi } from "../core/api.js";
import { BulwarkError } from "../errors/bulwark-error.js";
import { KEY_MANAGEMENT_ERROR_CODES } from "../errors/codes.js";
import { replyError } from "../errors/route.js";
import { bearerTokenMatches } from "./api-token.js";

export interface KeymanagerOptions {
  core: SigningCoreApi;
  token: string;
  logger: Logger;
}

function badRequest(reply: FastifyReply, message: string): FastifyReply {
  return replyError(reply, { code: "bad-request", message }, { shape: "status-code" });
}

/**
 * A key-management refusal of the core, with its catalogue status in a `{code, message}` body;
 * anything else (a database failure, ...) goes to fastify's handler: 500, details only in the log.
 */
function keyManagementError(reply: FastifyReply, err: unknown, logger: Logger): FastifyReply {
  if (!(err instanceof BulwarkError) || !(KEY_MANAGEMENT_ERROR_CODES as readonly string[]).includes(err.code)) throw err;
  const message = err.code === "protection-import" ? `${err.message}; nothing imported` : err.message;
  return replyError(reply, { code: err.code, message }, { shape: "status-code", logger, fields: { api: "keymanager" } });
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === "string");
}

export function registerKeymanagerRoutes(app: FastifyInstance, options: KeymanagerOptions): void {
  const { core, logger } = options;

  app.register(async (scope) => {
    scope.addHook("onRequest", async (request, reply) => {
      if (!bearerTokenMatches(request.headers.authorization, options.token)) {
        return replyError(reply, { code: "unauthorized", message: "missing or wrong bearer token (see api-token.txt in the data directory)" }, { shape: "status-code" });
      }
    });

    scope.get("/eth/v1/keystores", async () => ({
      data: (await core.listKeyInfo()).map(({ pubkey, readonly }) => ({ validating_pubkey: pubkey, readonly })),
    }));

    scope.post("/eth/v1/keystores", async (request, reply) => {
      const body = request.body as { keystores?: unknown; passwords?: unknown; slashing_protection?: unknown } | null;
      if (body === null || typeof body !== "object") return badRequest(reply, "expected a JSON object with keystores and passwords");
      if (!isStringArray(body.keystores)) return badRequest(reply, "keystores: expected an array of JSON-encoded keystores");
      if (!isStringArray(body.passwords)) return badRequest(reply, "passwords: expected an array of strings");
      if (body.keystores.length !== body.passwords.length) {
        return badRequest(reply, `passwords: ${body.passwords.length} passwords for ${body.keystores.length} keystores`);
      }
      const keystores: Array<{ keystore: unknown; password: string }> = [];
      for (const [i, text] of body.keystores.entries()) {
        try {
          keystores.push({ keystore: JSON.parse(text), password: body.passwords[i]! });
        } catch {
          return badRequest(reply, `keystores[${i}]: not valid JSON`);
        }
      }
      let slashingProtection: unknown;
      if (body.slashing_protection !== undefined && body.slashing_protection !== null) {
        if (typeof body.slashing_protection !== "string") return badRequest(reply, "slashing_protection: expected a JSON-encoded EIP-3076 document");
        try {
          slashingProtection = JSON.parse(body.slashing_protection);
        } catch {
          return badRequest(reply, "slashing_protection: not valid JSON");
        }
      }
      try {
        const statuses = await core.importKeystores(keystores, slashingProtection);
        const imported = statuses.filter((s) => s.status === "imported").map((s) => (s as { pubkey: string }).pubkey);
        if (imported.length > 0) logger.info({ pubkeys: imported }, "keys imported through the keymanager API");
        return {
          data: statuses.map((s) => (s.status === "error" ? { status: "error", message: s.message } : { status: s.status, message: "" })),
        };
      } catch (err) {
        return keyManagementError(reply, err, logger);
      }
    });

    // Bulwark extension: keys generated inside the signer, so the secret never exists anywhere else.
    scope.post("/eth/v1/keygen", async (request, reply) => {
      const body = request.body as { count?: unknown; withdrawal_address?: unknown; compounding?: unknown; amount_gwei?: unknown } | null;
      if (body === null || typeof body !== "object") return badRequest(reply, "expected a JSON object with count and withdrawal_address");
      if (typeof body.withdrawal_address !== "string") return badRequest(reply, "withdrawal_address: expected a 0x-prefixed execution address");
      if (body.compounding !== undefined && typeof body.compounding !== "boolean") return badRequest(reply, "compounding: expected true or false");
      const amount = body.amount_gwei === undefined ? undefined : Number(body.amount_gwei);
      if (amount !== undefined && !Number.isSafeInteger(amount)) return badRequest(reply, "amount_gwei: expected an integer number of gwei");
      try {
        const keys = await core.generateKeys({
          count: Number(body.count ?? 1),
          withdrawalAddress: body.withdrawal_address,
          ...(body.compounding !== undefined ? { compounding: body.compounding } : {}),
          ...(amount !== undefined ? { amountGwei: amount } : {}),
        });
        logger.info({ pubkeys: keys.map((k) => k.pubkey) }, "keys generated inside the signer");
        return { data: keys.map((k) => ({ pubkey: k.pubkey, deposit_data: k.depositData, ...(k.provenance !== undefined ? { provenance: k.provenance } : {}) })) };
      } catch (err) {
        return keyManagementError(reply, err, logger);
      }
    });

    scope.delete("/eth/v1/keystores", async (request, reply) => {
      const body = request.body as { pubkeys?: unknown } | null;
      if (body === null || typeof body !== "object" || !isStringArray(body.pubkeys)) {
        return badRequest(reply, "pubkeys: expected an array of public keys");
      }
      const deletion = await core.deleteKeys(body.pubkeys);
      const deleted = body.pubkeys.filter((_, i) => deletion.statuses[i]!.status === "deleted");
      if (deleted.length > 0) logger.info({ pubkeys: deleted }, "keys deleted through the keymanager API");
      return {
        data: deletion.statuses.map((s) => ({ status: s.status, message: s.message ?? "" })),
        slashing_protection: deletion.slashingProtection,
      };
    });
  });
}
