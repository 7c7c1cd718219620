// Test-only harness for the pool servers: a threshold split made with splitSecret, participants
// (buildParticipantApp + SigningCore + SQLite in temp dirs) and an aggregator (buildApp +
// PoolAggregator + SQLite), all on 127.0.0.1 over real HTTP; plus misbehaving stand-ins.
import { randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";
import { once } from "node:events";
import type { AddressInfo } from "node:net";
import { PublicKey, SecretKey, Signature, verify } from "@chainsafe/blst";
import type { FastifyInstance } from "fastify";
import { pino } from "pino";
import { initThreshold, splitSecret, type ThresholdSplit } from "../../../src/bls/threshold.js";
import { type Network, resolveNetwork } from "../../../src/config/networks.js";
import { SigningCore } from "../../../src/core/signing-core.js";
import { computeSigningRoot, parseSigningRequest } from "../../../src/eth/index.js";
import type { DepositDataJson } from "../../../src/eth/deposit.js";
import type { PoolDefinition } from "../../../src/pool/definition.js";
import { PoolAggregator, type AggregatorOptions } from "../../../src/pool/signing/aggregator.js";
import { PoolMetrics } from "../../../src/pool/signing/aggregator-metrics.js";
import { buildParticipantApp, prepareShares } from "../../../src/pool/signing/participant.js";
import type { SigningPolicy } from "../../../src/protection/policy.js";
import { SqliteProtectionStore } from "../../../src/protection/sqlite-store.js";
import { freePort } from "../../helpers/ports.js";
import { testPolicy } from "../../helpers/policy.js";
import { buildApp } from "../../../src/server/app.js";
import { SignerMetrics } from "../../../src/server/metrics.js";
import { fromHex } from "../../eth/helpers.js";
import { tempDir } from "../../helpers/temp.js";

export const MAINNET: Network = resolveNetwork("mainnet");

export interface TestPool {
  whole: SecretKey;
  split: ThresholdSplit;
  pool: PoolDefinition;
  composite: string;
  compositeKey: PublicKey;
  /** Coordinator token per participant id. */
  tokens: Map<number, string>;
  /** Ports reserved for the participants (index id - 1), from test/helpers/ports.ts: no listen(0) can take them. */
  ports: number[];
}

/** An M-of-N split of a fresh key and its pool definition with loopback endpoints. */
export async function makePool(threshold = 3, participants = 4, network: Network = MAINNET): Promise<TestPool> {
  await initThreshold();
  const whole = SecretKey.fromKeygen(randomBytes(32));
  const split = splitSecret(whole.toBytes(), threshold, participants);
  const ports: number[] = [];
  for (let i = 0; i < participants; i++) ports.push(await freePort());
  const hex = (b: Uint8Array) => "0x" + Buffer.from(b).toString("hex");
  const composite = hex(split.compositePublicKey);
  const pool: PoolDefinition = {
    network: network.name,
    genesisValidatorsRoot: network.genesisValidatorsRoot,
    compositePublicKey: composite,
    threshold,
    participants: split.shares.map((share, i) => ({
      id: share.id,
      identity: `x25519:test-${share.id}`,
      componentPublicKey: SecretKey.fromBytes(share.secretKey).toPublicKey().toHex(true).toLowerCase(),
      endpoint: `http://127.0.0.1:${ports[i]}`,
    })),
    commitments: split.commitments.map(hex),
    depositData: {} as DepositDataJson,
    createdAt: new Date(0).toISOString(),
  };
  const tokens = new Map(split.shares.map((s) => [s.id, `coordinator-token-${s.id}-${randomBytes(12).toString("hex")}`]));
  return { whole, split, pool, composite, compositeKey: PublicKey.fromBytes(split.compositePublicKey), tokens, ports };
}

/**
 * Stops a server as a killed process would: no new connections, and every open one closed now. A
 * plain close() waits for keep-alive connections that were busy when it started (a late partial
 * still on its way) until their keep-alive timeout, 72 s in fastify.
 */
export async function closeNow(app: FastifyInstance): Promise<void> {
  const closing = app.close();
  app.server.closeAllConnections();
  await closing;
}

export interface RunningParticipant {
  id: number;
  url: string;
  app: FastifyInstance;
  core: SigningCore;
  store: SqliteProtectionStore;
  /** Requests received on the distributed sign endpoint. */
  signRequests: number;
  /** Stops serving (connections then refused); the data dir stays for inspection. */
  stop(): Promise<void>;
  close(): Promise<void>;
}

export async function startParticipant(
  test: TestPool,
  id: number,
  /** `policy`: changes to the test policy (start guard off, see test/helpers/policy.ts). */
  options: { token?: string; network?: Network; policy?: Partial<SigningPolicy> } = {},
): Promise<RunningParticipant> {
  const network = options.network ?? MAINNET;
  const dir = tempDir(`bulwark-participant-${id}-`);
  const store = SqliteProtectionStore.open({ dataDir: dir.path, genesisValidatorsRoot: network.genesisValidatorsRoot });
  const metrics = new SignerMetrics();
  const core = new SigningCore({ network, store, signingThreads: 1, observer: metrics, policy: testPolicy(network, options.policy) });
  // From here on a failure (the port taken, say) closes the core and its store: nobody else can.
  try {
    const share = test.split.shares[id - 1]!;
    const { keys, accounts } = prepareShares(network, [{ pool: test.pool, participantId: id, shareSecret: Uint8Array.from(share.secretKey) }]);
    core.addKeys(keys);
    const app = buildParticipantApp({
      core,
      network,
      accounts,
      tokens: new Map([[test.composite, options.token ?? test.tokens.get(id)!]]),
      metrics,
      logger: pino({ level: "silent" }),
    });
    const running: RunningParticipant = {
      id,
      url: test.pool.participants[id - 1]!.endpoint,
      app,
      core,
      store,
      signRequests: 0,
      async stop() {
        if (app.server.listening) await closeNow(app);
      },
      async close() {
        await running.stop();
        await core.close();
        dir.cleanup();
      },
    };
    app.addHook("onRequest", async (request) => {
      if (request.method === "POST" && request.url.startsWith("/api/v1/eth2/distributed/sign/")) running.signRequests++;
    });
    await app.listen({ host: "127.0.0.1", port: test.ports[id - 1]! });
    return running;
  } catch (err) {
    await core.close();
    dir.cleanup();
    throw err;
  }
}

export interface RunningAggregator {
  url: string;
  app: FastifyInstance;
  aggregator: PoolAggregator;
  store: SqliteProtectionStore;
  metrics: SignerMetrics;
  sign(body: unknown, pubkey?: string): Promise<{ status: number; json: Record<string, unknown>; text: string }>;
  metricsText(): Promise<string>;
  close(): Promise<void>;
}

export async function startAggregator(
  test: TestPool,
  /** `policy`: changes to the test policy (start guard off, see test/helpers/policy.ts). */
  options: Partial<Pick<AggregatorOptions, "deadlineMs" | "cacheSize" | "tokens">> & { policy?: Partial<SigningPolicy> } = {},
): Promise<RunningAggregator> {
  const dir = tempDir("bulwark-aggregator-");
  const store = SqliteProtectionStore.open({ dataDir: dir.path, genesisValidatorsRoot: MAINNET.genesisValidatorsRoot });
  const metrics = new SignerMetrics();
  let aggregator: PoolAggregator | undefined;
  let app: FastifyInstance;
  // A failed start closes what it opened (the aggregator closes its store too): the caller gets nothing to close.
  try {
    aggregator = await PoolAggregator.create({
      network: MAINNET,
      store,
      pool: test.pool,
      tokens: options.tokens ?? test.tokens,
      deadlineMs: options.deadlineMs ?? 2000,
      ...(options.cacheSize !== undefined ? { cacheSize: options.cacheSize } : {}),
      observer: new PoolMetrics(metrics.registry),
      policy: testPolicy(MAINNET, options.policy),
    });
    app = buildApp({
      core: aggregator,
      metrics,
      logger: pino({ level: "silent" }),
      bodyLimit: 1_048_576,
      hostAllowList: ["127.0.0.1", "localhost"],
    });
    await app.listen({ host: "127.0.0.1", port: 0 });
  } catch (err) {
    await (aggregator ?? store).close();
    dir.cleanup();
    throw err;
  }
  const { port } = app.server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    app,
    aggregator,
    store,
    metrics,
    async sign(body, pubkey = test.composite) {
      const response = await fetch(`${url}/api/v1/eth2/sign/${pubkey}`, {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/json" },
        body: JSON.stringify(body),
      });
      const text = await response.text();
      return { status: response.status, json: JSON.parse(text) as Record<string, unknown>, text };
    },
    async metricsText() {
      return (await fetch(`${url}/metrics`)).text();
    },
    async close() {
      await closeNow(app);
      await aggregator.close();
      dir.cleanup();
    },
  };
}

/** A 3-of-4 pool: the `honest` participants (default all four) and its aggregator, all running. */
export interface Cluster {
  pool: TestPool;
  participants: RunningParticipant[];
  aggregator: RunningAggregator;
  close(): Promise<void>;
}

export async function startCluster(
  options: { deadlineMs?: number; honest?: number[]; participantPolicy?: Partial<SigningPolicy>; aggregatorPolicy?: Partial<SigningPolicy> } = {},
): Promise<Cluster> {
  const pool = await makePool(3, 4);
  const ids = options.honest ?? [1, 2, 3, 4];
  // A participant or the aggregator that fails to start must not leave the others up: the caller
  // gets no cluster to close, so they would listen until the file's process is ended.
  const starts = await Promise.allSettled(ids.map((id) => startParticipant(pool, id, { policy: options.participantPolicy ?? {} })));
  const participants = starts.flatMap((s) => (s.status === "fulfilled" ? [s.value] : []));
  let aggregator: RunningAggregator;
  try {
    const failed = starts.find((s) => s.status === "rejected");
    if (failed !== undefined) throw failed.reason;
    aggregator = await startAggregator(pool, { deadlineMs: options.deadlineMs ?? 2000, policy: options.aggregatorPolicy ?? {} });
  } catch (err) {
    await Promise.all(participants.map((p) => p.close()));
    throw err;
  }
  return {
    pool,
    participants,
    aggregator,
    async close() {
      await aggregator.close();
      await Promise.all(participants.map((p) => p.close()));
    },
  };
}

/** Sign requests the cluster's participants have received so far. */
export const signRequestsTo = (cluster: Cluster): number => cluster.participants.reduce((sum, p) => sum + p.signRequests, 0);

export function verifiesComposite(test: TestPool, root: string, signature: string): boolean {
  return verify(fromHex(root), test.compositeKey, Signature.fromHex(signature), true, true);
}

/** The signature the whole key gives (BLS is deterministic: a recovered signature equals it). */
export function wholeKeySignature(test: TestPool, root: string): string {
  return test.whole.sign(fromHex(root)).toHex(true).toLowerCase();
}

export type Misbehaviour = "garbage" | "other-share" | "wrong-root" | "wrong-id" | "random-key" | "hang";

/**
 * A participant that answers the distributed sign endpoint wrongly: a garbage signature, a valid
 * partial of another participant's share, a partial over another root, another participant id, a
 * signature by an unrelated key, or no answer at all.
 */
export async function startMisbehaving(test: TestPool, id: number, how: Misbehaviour): Promise<{ requests: number; close(): Promise<void> }> {
  const state = { requests: 0 };
  const sockets = new Set<import("node:net").Socket>();
  const server: Server = createServer((req, res) => {
    let text = "";
    req.setEncoding("utf8");
    req.on("data", (chunk: string) => (text += chunk));
    req.on("end", () => {
      state.requests++;
      if (how === "hang") return;
      const body = JSON.parse(text) as unknown;
      const root = computeSigningRoot(MAINNET, parseSigningRequest(body)).signingRoot;
      const other = SecretKey.fromBytes(test.split.shares[id === 1 ? 1 : 0]!.secretKey);
      const mine = SecretKey.fromBytes(test.split.shares[id - 1]!.secretKey);
      let signature = mine.sign(root).toHex(true);
      let signingRoot = "0x" + Buffer.from(root).toString("hex");
      let participantId = String(id);
      if (how === "garbage") signature = "0x" + randomBytes(96).toString("hex");
      if (how === "other-share") signature = other.sign(root).toHex(true);
      if (how === "random-key") signature = SecretKey.fromKeygen(randomBytes(32)).sign(root).toHex(true);
      if (how === "wrong-root") {
        const fake = randomBytes(32);
        signature = mine.sign(fake).toHex(true);
        signingRoot = "0x" + fake.toString("hex");
      }
      if (how === "wrong-id") participantId = String(id === 1 ? 2 : 1);
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ participant_id: participantId, signing_root: signingRoot, signature }));
    });
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  server.listen(test.ports[id - 1]!, "127.0.0.1");
  await once(server, "listening");
  return {
    get requests() {
      return state.requests;
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The value of one sample of a Prometheus metric in exposition text (0 when absent). */
export function metricValue(text: string, name: string, labels: Record<string, string>): number {
  for (const line of text.split("\n")) {
    if (!line.startsWith(name + "{")) continue;
    const labelText = line.slice(name.length + 1, line.indexOf("}"));
    const found = Object.fromEntries(labelText.split(",").map((pair) => {
      const [k, v] = pair.split("=");
      return [k!, v!.replace(/^"|"$/g, "")];
    }));
    if (Object.entries(labels).every(([k, v]) => found[k] === v)) return Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return 0;
}
