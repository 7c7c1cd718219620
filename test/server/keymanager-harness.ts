/**
 * Test-only: the signer in-process with the keymanager API enabled (buildApp + SigningCore + SQLite
 * + a sealed key store in a data directory), listening on 127.0.0.1, and Lodestar's own keymanager
 * client (@lodestar/api/keymanager) pointed at it. Log lines are kept so tests can check that no
 * password or secret ever reaches them.
 */
import { randomBytes } from "node:crypto";
import { Writable } from "node:stream";
import { getClient } from "@lodestar/api/keymanager";
import type { FastifyInstance } from "fastify";
import { pino } from "pino";
import { resolveNetwork } from "../../src/config/networks.js";
import { SigningCore } from "../../src/core/signing-core.js";
import { SealedKeyStore } from "../../src/keys/sealed-store.js";
import { SqliteProtectionStore } from "../../src/protection/sqlite-store.js";
import { buildApp } from "../../src/server/app.js";
import { SignerMetrics } from "../../src/server/metrics.js";
import { writeSealedFile } from "../keys/sealed-store-helpers.js";
import { testPolicy } from "../helpers/policy.js";
import { LODESTAR_MAINNET } from "./harness.js";

export const MAINNET = resolveNetwork("mainnet");

export type KeymanagerClient = ReturnType<typeof getClient>;

export interface KeymanagerSigner {
  url: string;
  token: string;
  dataDir: string;
  core: SigningCore;
  sealed: SealedKeyStore | undefined;
  app: FastifyInstance;
  /** Lodestar's keymanager client with the right bearer token. */
  client: KeymanagerClient;
  /** Lodestar's keymanager client with another token. */
  clientWithToken(token: string): KeymanagerClient;
  /** Every log line written so far (JSON text). */
  logs(): string;
  sign(pubkey: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }>;
  close(): Promise<void>;
}

export interface KeymanagerSignerOptions {
  dataDir: string;
  /** Sealing secret; without one the core has no sealed store (and cannot import). */
  secret?: string;
  token?: string;
}

export function keymanagerClient(url: string, token: string): KeymanagerClient {
  return getClient({ baseUrl: url, globalInit: { headers: { Authorization: `Bearer ${token}` } } }, { config: LODESTAR_MAINNET.config });
}

/**
 * Starts a signer on `dataDir`. A data directory without a sealed store gets an empty one with a
 * cheap KDF first (see test/keys/sealed-store-helpers.ts); an existing one is opened as it is.
 */
export async function startKeymanagerSigner(options: KeymanagerSignerOptions): Promise<KeymanagerSigner> {
  const token = options.token ?? "api-token-0x" + randomBytes(32).toString("hex");
  let logText = "";
  const logger = pino(
    { level: "trace" },
    new Writable({
      write(chunk: Buffer, _encoding, callback) {
        logText += chunk.toString("utf8");
        callback();
      },
    }),
  );
  let sealed: SealedKeyStore | undefined;
  if (options.secret !== undefined) {
    if (!SealedKeyStore.exists(options.dataDir)) writeSealedFile(options.dataDir, options.secret);
    sealed = await SealedKeyStore.open(options.dataDir, Buffer.from(options.secret, "utf8"), { create: false });
  }
  const store = SqliteProtectionStore.open({ dataDir: options.dataDir, genesisValidatorsRoot: MAINNET.genesisValidatorsRoot });
  const metrics = new SignerMetrics();
  const core = new SigningCore({ network: MAINNET, store, signingThreads: 1, observer: metrics, policy: testPolicy(MAINNET), ...(sealed ? { sealedStore: sealed } : {}) });
  let app: FastifyInstance;
  // A signer that fails to start closes its core (and store): the caller has nothing to close.
  try {
    // As `serve` does: keys deleted earlier (tombstoned) do not load from the sealed store.
    if (sealed !== undefined) await core.loadKeys(sealed.keys(), { readonly: false });
    app = buildApp({
      core,
      metrics,
      logger,
      bodyLimit: 4 * 1_048_576,
      hostAllowList: ["localhost", "127.0.0.1"],
      keymanager: { token },
    });
    await app.listen({ host: "127.0.0.1", port: 0 });
  } catch (err) {
    await core.close();
    throw err;
  }
  const address = app.server.address();
  if (address === null || typeof address === "string") throw new Error("no TCP address");
  const url = `http://127.0.0.1:${address.port}`;
  let closed = false;
  return {
    url,
    token,
    dataDir: options.dataDir,
    core,
    sealed,
    app,
    client: keymanagerClient(url, token),
    clientWithToken: (other) => keymanagerClient(url, other),
    logs: () => logText,
    async sign(pubkey, body) {
      const response = await fetch(`${url}/api/v1/eth2/sign/${pubkey}`, {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/json" },
        body: JSON.stringify(body),
      });
      return { status: response.status, json: (await response.json()) as Record<string, unknown> };
    },
    async close() {
      if (closed) return;
      closed = true;
      await app.close();
      await core.close();
    },
  };
}

export interface InterchangeDoc {
  metadata: { interchange_format_version: string; genesis_validators_root: string };
  data: Array<{
    pubkey: string;
    signed_blocks: Array<{ slot: string; signing_root?: string }>;
    signed_attestations: Array<{ source_epoch: string; target_epoch: string; signing_root?: string }>;
  }>;
}

/** An EIP-3076 document for mainnet. */
export function interchange(
  validators: Array<{ pubkey: string; blocks?: Array<[number, string]>; attestations?: Array<[number, number, string]> }>,
  genesisValidatorsRoot = MAINNET.genesisValidatorsRoot,
): InterchangeDoc {
  return {
    metadata: { interchange_format_version: "5", genesis_validators_root: genesisValidatorsRoot },
    data: validators.map((v) => ({
      pubkey: v.pubkey,
      signed_blocks: (v.blocks ?? []).map(([slot, root]) => ({ slot: String(slot), signing_root: root })),
      signed_attestations: (v.attestations ?? []).map(([source, target, root]) => ({
        source_epoch: String(source),
        target_epoch: String(target),
        signing_root: root,
      })),
    })),
  };
}
