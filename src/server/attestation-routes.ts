/**
 * Attestation over HTTP, for anyone (evidence is public): the identity's evidence for a caller's
 * nonce, and each generated key's provenance statement, alone or with its own hardware evidence.
 * Quotes are slow and the quoting hardware serialises them, so evidence requests are rate-limited.
 */
import type { FastifyInstance, FastifyReply } from "fastify";
import type { Logger } from "pino";
import { AttestationError, type Attestor } from "../attestation/attestor.js";
import { readProvenance } from "../attestation/provenance-store.js";
import { EvidenceRateLimit } from "./evidence-rate-limit.js";

export interface AttestationRouteOptions {
  attestor: Attestor;
  dataDir: string;
  logger: Logger;
  /** Evidence requests allowed per minute (default 30). */
  evidencePerMinute?: number;
}

const PUBKEY = /^0x[0-9a-fA-F]{96}$/;

export function registerAttestationRoutes(app: FastifyInstance, options: AttestationRouteOptions): void {
  const { attestor, dataDir, logger } = options;
  const limit = new EvidenceRateLimit(options.evidencePerMinute ?? 30);

  async function limited(reply: FastifyReply, make: () => Promise<unknown>): Promise<unknown> {
    const wait = limit.acquire();
    if (wait > 0) return reply.code(429).header("retry-after", String(wait)).send({ code: 429, message: `evidence is rate-limited; retry in ${wait} s` });
    try {
      return await make();
    } catch (err) {
      if (err instanceof AttestationError) return reply.code(400).send({ code: 400, message: err.message });
      logger.error({ err: (err as Error).message }, "attestation evidence failed");
      return reply.code(503).send({ code: 503, message: `cannot make ${attestor.providerName} evidence: ${(err as Error).message}` });
    } finally {
      limit.release();
    }
  }

  app.get("/bulwark/v1/attestation/identity", async (request, reply) => {
    const nonce = (request.query as { nonce?: unknown }).nonce;
    if (typeof nonce !== "string" || !/^0x[0-9a-fA-F]{64}$/.test(nonce)) {
      return reply.code(400).send({ code: 400, message: "nonce: expected ?nonce=0x followed by 64 hex digits (32 random bytes of yours)" });
    }
    return limited(reply, () => attestor.identityEvidence(Buffer.from(nonce.slice(2), "hex")));
  });

  app.get("/bulwark/v1/attestation/keys/:pubkey", async (request, reply) => {
    const { pubkey } = request.params as { pubkey: string };
    if (!PUBKEY.test(pubkey)) return reply.code(400).send({ code: 400, message: "pubkey: expected 0x followed by 96 hex digits" });
    const statement = readProvenance(dataDir, pubkey);
    if (statement === undefined) return reply.code(404).send({ code: 404, message: `no provenance statement for ${pubkey} (imported keys have none)` });
    return statement;
  });

  app.get("/bulwark/v1/attestation/keys/:pubkey/evidence", async (request, reply) => {
    const { pubkey } = request.params as { pubkey: string };
    if (!PUBKEY.test(pubkey)) return reply.code(400).send({ code: 400, message: "pubkey: expected 0x followed by 96 hex digits" });
    const statement = readProvenance(dataDir, pubkey);
    if (statement === undefined) return reply.code(404).send({ code: 404, message: `no provenance statement for ${pubkey} (imported keys have none)` });
    return limited(reply, () => attestor.statementEvidence(statement));
  });
}
