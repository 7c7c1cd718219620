// Test-only harness: the real signer in-process (buildApp + SigningCore + SQLite store in a temp
// dir + real blst keys), listening on 127.0.0.1, spoken to over real HTTP.
import { randomBytes } from "node:crypto";
import { request as httpRequest } from "node:http";
import { PublicKey, SecretKey, Signature, verify } from "@chainsafe/blst";
import { createChainForkConfig } from "@lodestar/config";
import { genesisData, mainnetChainConfig } from "@lodestar/config/networks";
import type { FastifyInstance } from "fastify";
import { pino } from "pino";
import { type Network, resolveNetwork } from "../../src/config/networks.js";
import { SigningCore } from "../../src/core/signing-core.js";
import type { SigningPolicy } from "../../src/protection/policy.js";
import { SqliteProtectionStore } from "../../src/protection/sqlite-store.js";
import { testPolicy } from "../helpers/policy.js";
import { buildApp } from "../../src/server/app.js";
import type { HostAllowList } from "../../src/server/host-allow-list.js";
import { SignerMetrics } from "../../src/server/metrics.js";
import { fromHex } from "../eth/helpers.js";
import { tempDir } from "../helpers/temp.js";

/**
 * Mainnet as lodestar itself defines it, built here without src/config: expected values are
 * computed from this, the signer under test uses resolveNetwork("mainnet").
 */
export const LODESTAR_MAINNET: Network = {
  name: "mainnet",
  config: createChainForkConfig(mainnetChainConfig),
  genesisValidatorsRoot: genesisData.mainnet.genesisValidatorsRoot,
};

export interface TestKey {
  secretKey: SecretKey;
  publicKey: PublicKey;
  /** 0x-prefixed lowercase hex of the compressed public key. */
  pubkey: string;
}

export function newKey(): TestKey {
  const secretKey = SecretKey.fromKeygen(randomBytes(32));
  const publicKey = secretKey.toPublicKey();
  return { secretKey, publicKey, pubkey: publicKey.toHex().toLowerCase() };
}

/** The signature blst gives for this key over this signing root, as 0x-hex. */
export function expectedSignature(key: TestKey, signingRoot: string): string {
  return key.secretKey.sign(fromHex(signingRoot)).toHex().toLowerCase();
}

export function verifies(key: TestKey, signingRoot: string, signature: string): boolean {
  return verify(fromHex(signingRoot), key.publicKey, Signature.fromHex(signature), true, true);
}

export interface SignerOptions {
  keys?: number;
  /** The network the signer serves; mainnet by default. */
  network?: Network;
  bodyLimit?: number;
  hostAllowList?: HostAllowList;
  reload?: () => Promise<{ added: number; removed: number }>;
  /** Changes to the test policy (start guard off, see test/helpers/policy.ts). */
  policy?: Partial<SigningPolicy>;
  /** The core's wall clock, Unix ms. */
  now?: () => number;
}

/** The bearer token POST /reload needs on signers started by startSigner. */
export const RELOAD_TOKEN = "reload-token-" + "5e".repeat(16);

export interface Signer {
  url: string;
  port: number;
  core: SigningCore;
  app: FastifyInstance;
  metrics: SignerMetrics;
  dataDir: string;
  /** Path of the SQLite file. */
  dbPath: string;
  keys: TestKey[];
  post(path: string, body: unknown, headers?: Record<string, string>): Promise<Response>;
  get(path: string, headers?: Record<string, string>): Promise<Response>;
  /** Signs one request for one key; returns status and parsed JSON body. */
  sign(pubkey: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }>;
  close(): Promise<void>;
}

export async function startSigner(options: SignerOptions = {}): Promise<Signer> {
  const dir = tempDir("bulwark-server-test-");
  const network = options.network ?? resolveNetwork("mainnet");
  const store = SqliteProtectionStore.open({ dataDir: dir.path, genesisValidatorsRoot: network.genesisValidatorsRoot });
  const metrics = new SignerMetrics();
  const core = new SigningCore({
    network,
    store,
    signingThreads: 1,
    observer: metrics,
    policy: testPolicy(network, options.policy),
    ...(options.now ? { now: options.now } : {}),
  });
  const keys = Array.from({ length: options.keys ?? 1 }, newKey);
  let app: FastifyInstance;
  // A signer that fails to start closes its core (and store): the caller has nothing to close.
  try {
    core.addKeys(keys.map((key) => ({ pubkey: key.pubkey, secretKey: key.secretKey.toBytes() })));
    app = buildApp({
      core,
      metrics,
      logger: pino({ level: "silent" }),
      bodyLimit: options.bodyLimit ?? 1_048_576,
      hostAllowList: options.hostAllowList ?? ["localhost", "127.0.0.1", "::1"],
      ...(options.reload ? { reload: { run: options.reload, token: RELOAD_TOKEN } } : {}),
    });
    await app.listen({ host: "127.0.0.1", port: 0 });
  } catch (err) {
    await core.close();
    dir.cleanup();
    throw err;
  }
  const address = app.server.address();
  if (address === null || typeof address === "string") throw new Error("no TCP address");
  const url = `http://127.0.0.1:${address.port}`;
  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(url + path, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: typeof body === "string" ? body : JSON.stringify(body),
    });
  const get = (path: string, headers: Record<string, string> = {}) => fetch(url + path, { headers });
  let closed = false;
  return {
    url,
    port: address.port,
    core,
    app,
    metrics,
    dataDir: dir.path,
    dbPath: store.path,
    keys,
    post,
    get,
    async sign(pubkey, body) {
      const response = await post(`/api/v1/eth2/sign/${pubkey}`, body, { accept: "application/json" });
      return { status: response.status, json: (await response.json()) as Record<string, unknown> };
    },
    async close() {
      if (closed) return;
      closed = true;
      await app.close();
      await core.close();
      dir.cleanup();
    },
  };
}

/** A raw HTTP/1.1 request, for headers fetch will not let us control (Host, no Accept). */
export function rawRequest(
  port: number,
  options: { method: string; path: string; headers: Record<string, string>; body?: string },
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: "127.0.0.1", port, method: options.method, path: options.path, headers: options.headers, setHost: false },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => (body += chunk));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on("error", reject);
    if (options.body !== undefined) req.write(options.body);
    req.end();
  });
}

/** The EIP-3076 export of the whole database, parsed. */
export async function history(core: SigningCore): Promise<unknown> {
  return JSON.parse(await core.exportProtection()) as unknown;
}
