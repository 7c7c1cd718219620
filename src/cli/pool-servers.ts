/**
 * `bulwark pool participant` and `bulwark pool aggregator`: the two long-running servers of the
 * low-bond pool (registered into the `pool` command group by ./pool.ts).
 *
 * - participant (each node operator): serves the remote-signing-api distributed profile for the
 *   pools whose shares `bulwark pool join` sealed in its data directory, each pool to the
 *   coordinator holding that pool's token (DATA_DIR/pools/<composite>/coordinator-token.txt, made by
 *   `pool join`); its own slashing protection (SQLite in the data directory, keyed by composite
 *   key) is applied before any partial signature is released.
 * - aggregator: serves the ordinary Web3Signer signing API for the pool's composite key; every
 *   request is fanned out to the participants of pool.json, M verified partials are combined
 *   after the aggregator's own slashing protection allowed it (see src/pool/signing/aggregator.ts).
 *
 * Both log "bulwark signer ready" with their address once they listen, as `serve` does.
 */
import { startAutoPresign } from "../pool/exit/auto-presign.js";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { availableParallelism } from "node:os";
import { type Command, Option } from "commander";
import { pino } from "pino";
import { acquireSignerLock } from "../config/signer-lock.js";
import { SigningCore } from "../core/signing-core.js";
import { readSealingSecret, SEALING_ENV } from "../keys/sealed-store.js";
import { DEFAULT_CACHE_SIZE, DEFAULT_DEADLINE_MS, PoolAggregator } from "../pool/signing/aggregator.js";
import { PoolMetrics } from "../pool/signing/aggregator-metrics.js";
import { PoolError } from "../pool/errors.js";
import { loadOperatorShares } from "../pool/ceremony/join.js";
import { buildParticipantApp, prepareShares } from "../pool/signing/participant.js";
import { readPoolDefinitionFile, savePoolDefinitionCopy } from "../pool/storage/pool-files.js";
import { poolNetwork } from "../pool/pool-network.js";
import { verifyPoolDefinition } from "../pool/ceremony/verify-pool.js";
import { describeStoreLocation, openProtectionStore } from "../protection/open-store.js";
import type { SigningPolicy } from "../protection/policy.js";
import type { Logger } from "pino";
import { addPolicyOptions, type PolicyCliOptions, policyFromOptions, warnIfNewDatabase } from "./policy-options.js";
import type { ProtectionStore } from "../protection/store.js";
import { buildApp } from "../server/app.js";
import type { HostAllowList } from "../server/host-allow-list.js";
import type { HttpLimits } from "../server/http-server.js";
import { ensureCoordinatorToken, readCoordinatorToken } from "../pool/storage/coordinator-token.js";
import { SignerMetrics } from "../server/metrics.js";
import { dataDirOption, genesisValidatorsRootOption, networkFromOptions, networkOption } from "./common-options.js";
import { collect, collectUrls } from "./pool-common.js";
import { CliError } from "./errors.js";
import {
  addHttpLimitOptions,
  hostAllowListOption,
  type HttpLimitOptions,
  type HttpsSettings,
  listenUntilSignal,
  parseInteger,
  readHostAllowList,
  readHttpLimits,
  readTlsFiles,
} from "./server-options.js";

interface ServerOptions extends HttpLimitOptions, PolicyCliOptions {
  dataDir: string;
  genesisValidatorsRoot?: string;
  httpHost: string;
  httpPort: string;
  httpBodyLimit: string;
  tlsKey?: string;
  tlsCert?: string;
  tlsClientCa?: string;
  logLevel: string;
}

interface ParticipantOptions extends ServerOptions {
  network: string;
  coordinatorTokenFile?: string;
  sealingPassphraseFile?: string;
  signingThreads?: string;
}

interface AggregatorCliOptions extends ServerOptions {
  beaconNode: string[];
  presignPollMs: string;
  sealingPassphraseFile?: string;
  network?: string;
  pool: string;
  participantTokenFile: string[];
  deadlineMs: string;
  cacheSize: string;
}

function commonServerOptions(command: Command, defaultPort: string): Command {
  return addPolicyOptions(addHttpLimitOptions(command))
    .addOption(hostAllowListOption())
    .addOption(dataDirOption())
    .addOption(genesisValidatorsRootOption())
    .addOption(new Option("--http-host <host>", "address to listen on").env("BULWARK_HTTP_HOST").default("127.0.0.1"))
    .addOption(new Option("--http-port <port>", "port to listen on").env("BULWARK_HTTP_PORT").default(defaultPort))
    .addOption(new Option("--http-body-limit <bytes>", "largest request body accepted").env("BULWARK_HTTP_BODY_LIMIT").default("1048576"))
    .addOption(new Option("--tls-key <file>", "serve HTTPS with this private key (PEM)").env("BULWARK_TLS_KEY"))
    .addOption(new Option("--tls-cert <file>", "certificate chain for --tls-key (PEM)").env("BULWARK_TLS_CERT"))
    .addOption(new Option("--tls-client-ca <file>", "require client certificates signed by this CA (PEM)").env("BULWARK_TLS_CLIENT_CA"))
    .addOption(new Option("--log-level <level>", "trace, debug, info, warn, error").env("BULWARK_LOG_LEVEL").default("info"));
}

export function registerPoolServerCommands(pool: Command): void {
  commonServerOptions(
    pool
      .command("participant")
      .description("serve this operator's pool shares to the aggregator (distributed signing profile, bearer-token auth, own slashing protection)")
      .addOption(networkOption())
      // Gone: kept only to say where the per-pool tokens are now.
      .addOption(new Option("--coordinator-token-file <file>").hideHelp())
      .addOption(
        new Option("--sealing-passphrase-file <file>", `passphrase that seals this operator's pool shares (or set ${SEALING_ENV})`).env(
          "BULWARK_SEALING_PASSPHRASE_FILE",
        ),
      )
      .addOption(new Option("--signing-threads <n>", "BLS signing threads (default: one per core, at most 4)").env("BULWARK_SIGNING_THREADS")),
    "9100",
  ).action(async (options: ParticipantOptions) => {
    await runParticipant(options);
  });

  commonServerOptions(
    pool
      .command("aggregator")
      .description("serve the signing API for a pool's composite key, combining the participants' partial signatures")
      .addOption(new Option("--network <name>", "network (default: the pool definition's); a config.yaml path needs --genesis-validators-root").env("BULWARK_NETWORK"))
      .requiredOption("--pool <file>", "the pool definition (pool.json)")
      .option("--participant-token-file <id=file>", "bearer token for participant ID, read from FILE: that operator's DATA_DIR/pools/<composite key>/coordinator-token.txt of this pool (printed by its \`pool join\`); once per participant", collect, [] as string[])
      .addOption(new Option("--deadline-ms <ms>", "how long to wait for M valid partial signatures").default(String(DEFAULT_DEADLINE_MS)))
      .addOption(new Option("--cache-size <n>", "recovered signatures kept for identical retries").default(String(DEFAULT_CACHE_SIZE)))
      .addOption(
        new Option(
          "--beacon-node <url>",
          "pre-sign the exit (and destroy the whole key) once the beacon node reports the validator active in its finalized state; repeat for several, which must all agree (BULWARK_BEACON_NODE: comma-separated)",
        )
          .env("BULWARK_BEACON_NODE")
          .argParser(collectUrls)
          .default([] as string[]),
      )
      .addOption(new Option("--presign-poll-ms <ms>", "how often to ask the beacon node while the whole key is held").default("60000"))
      .addOption(
        new Option("--sealing-passphrase-file <file>", `passphrase of the sealed whole key, for --beacon-node (or set ${SEALING_ENV})`).env(
          "BULWARK_SEALING_PASSPHRASE_FILE",
        ),
      ),
    "9000",
  ).action(async (options: AggregatorCliOptions) => {
    await runAggregator(options);
  });
}

async function runParticipant(options: ParticipantOptions): Promise<void> {
  const common = checkCommon(options);
  const network = networkFromOptions(options);
  const signingThreads =
    options.signingThreads === undefined ? Math.min(4, availableParallelism()) : parseInteger(options.signingThreads, "--signing-threads", 1, 1024);
  if (options.coordinatorTokenFile !== undefined) {
    throw new CliError(
      `--coordinator-token-file is gone: each joined pool has its own coordinator token now, in ${join(options.dataDir, "pools", "<composite key>", "coordinator-token.txt")} (made by \`bulwark pool join\`, which prints its path). Give each pool's aggregator that pool's file only (--participant-token-file ID=FILE) and start without this flag`,
    );
  }
  const logger = pino({ level: options.logLevel, base: { service: "bulwark", role: "participant" } });

  let secret: Buffer;
  try {
    secret = readSealingSecret(options.sealingPassphraseFile !== undefined ? { passphraseFile: options.sealingPassphraseFile } : {});
  } catch (err) {
    throw new CliError((err as Error).message);
  }
  let prepared: ReturnType<typeof prepareShares>;
  try {
    const shares = await loadOperatorShares(options.dataDir, secret);
    if (shares.length === 0) throw new CliError(`no pool shares in ${options.dataDir}: run \`bulwark pool join\` first`);
    prepared = prepareShares(network, shares);
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw new CliError((err as Error).message);
  } finally {
    secret.fill(0);
  }

  let policy: SigningPolicy;
  let opened: { store: ProtectionStore; releaseLock: () => void };
  try {
    policy = policyFromOptions(network, options, logger);
    opened = await openStoreAndLock(options.dataDir, network.genesisValidatorsRoot, policy, logger);
  } catch (err) {
    for (const key of prepared.keys) key.secretKey.fill(0);
    throw err;
  }
  const { store, releaseLock } = opened;
  let tokens: Map<string, string>;
  const tokenFiles = new Map<string, { path: string; created: boolean }>();
  try {
    tokens = new Map(
      prepared.accounts.map((account) => {
        tokenFiles.set(account.composite, ensureCoordinatorToken(options.dataDir, account.composite));
        return [account.composite, readCoordinatorToken(options.dataDir, account.composite)];
      }),
    );
  } catch (err) {
    for (const key of prepared.keys) key.secretKey.fill(0);
    releaseLock();
    await store.close();
    throw new CliError((err as Error).message);
  }
  const metrics = new SignerMetrics();
  const core = new SigningCore({ network, store, signingThreads, observer: metrics, policy });
  core.addKeys(prepared.keys);
  let app;
  try {
    app = buildParticipantApp({
      core,
      network,
      accounts: prepared.accounts,
      tokens,
      metrics,
      logger,
      ...common.http,
    });
  } catch (err) {
    await core.close();
    releaseLock();
    throw new CliError((err as Error).message);
  }
  for (const account of prepared.accounts) {
    const tokenFile = tokenFiles.get(account.composite)!;
    logger.info(
      {
        composite: account.composite,
        participantId: account.participantId,
        threshold: account.threshold,
        participants: account.participants.length,
        coordinatorTokenFile: tokenFile.path,
        ...(tokenFile.created ? { tokenCreated: true } : {}),
      },
      "pool share loaded; its aggregator must send the token in coordinatorTokenFile",
    );
  }
  await listenUntilSignal(app, { host: options.httpHost, port: common.port, tls: options.tlsKey !== undefined }, logger, async () => {
    await core.close();
    releaseLock();
  }, { network: network.name, pools: prepared.accounts.length });
}

async function runAggregator(options: AggregatorCliOptions): Promise<void> {
  const common = checkCommon(options);
  const deadlineMs = parseInteger(options.deadlineMs, "--deadline-ms", 1, 600_000);
  const cacheSize = parseInteger(options.cacheSize, "--cache-size", 0, 10_000_000);
  const logger = pino({ level: options.logLevel, base: { service: "bulwark", role: "aggregator" } });
  let pool;
  let network;
  try {
    pool = readPoolDefinitionFile(options.pool);
    network = poolNetwork(pool, {
      ...(options.network !== undefined ? { network: options.network } : {}),
      ...(options.genesisValidatorsRoot !== undefined ? { genesisValidatorsRoot: options.genesisValidatorsRoot } : {}),
    });
    await verifyPoolDefinition(pool, network, options.pool);
  } catch (err) {
    if (err instanceof PoolError) throw new CliError(err.message);
    throw err;
  }
  const tokens = new Map<number, string>();
  for (const spec of options.participantTokenFile) {
    const match = /^([0-9]+)=(.+)$/.exec(spec);
    if (match === null) throw new CliError(`--participant-token-file "${spec}": expected ID=FILE`);
    const id = Number(match[1]);
    if (tokens.has(id)) throw new CliError(`--participant-token-file: participant ${id} given twice`);
    if (!pool.participants.some((p) => p.id === id)) throw new CliError(`--participant-token-file: the pool has no participant ${id}`);
    tokens.set(id, readToken(match[2]!, `--participant-token-file ${id}=`));
  }
  const missing = pool.participants.filter((p) => !tokens.has(p.id)).map((p) => p.id);
  if (missing.length > 0) throw new CliError(`--participant-token-file ID=FILE is needed for every participant; missing: ${missing.join(", ")}`);
  try {
    savePoolDefinitionCopy(options.dataDir, pool);
  } catch (err) {
    if (err instanceof PoolError) throw new CliError(err.message);
    throw err;
  }

  let presignSecret: Buffer | undefined;
  const presignPollMs = parseInteger(options.presignPollMs, "--presign-poll-ms", 100, 86_400_000);
  if (options.beaconNode.length > 0) {
    try {
      presignSecret = readSealingSecret(options.sealingPassphraseFile !== undefined ? { passphraseFile: options.sealingPassphraseFile } : {});
    } catch (err) {
      throw new CliError(`--beacon-node needs the sealing secret of the whole key: ${(err as Error).message}`);
    }
  }

  const policy = policyFromOptions(network, options, logger);
  const { store, releaseLock } = await openStoreAndLock(options.dataDir, network.genesisValidatorsRoot, policy, logger);
  const metrics = new SignerMetrics();
  let aggregator: PoolAggregator;
  try {
    aggregator = await PoolAggregator.create({
      network,
      store,
      pool,
      tokens,
      deadlineMs,
      cacheSize,
      observer: new PoolMetrics(metrics.registry),
      logger,
      policy,
    });
  } catch (err) {
    await store.close();
    releaseLock();
    throw new CliError((err as Error).message);
  }
  const app = buildApp({
    core: aggregator,
    metrics,
    logger,
    ...common.http,
  });
  logger.info(
    { composite: aggregator.composite, threshold: pool.threshold, participants: pool.participants.map((p) => `${p.id}=${p.endpoint}`), deadlineMs },
    "pool aggregator configured",
  );
  const presigner =
    options.beaconNode.length > 0 && presignSecret !== undefined
      ? startAutoPresign({ dataDir: options.dataDir, pool, beaconNodes: options.beaconNode, sealingSecret: presignSecret, logger, intervalMs: presignPollMs })
      : undefined;
  await listenUntilSignal(app, { host: options.httpHost, port: common.port, tls: options.tlsKey !== undefined }, logger, async () => {
    presigner?.stop();
    presignSecret?.fill(0);
    await aggregator.close();
    releaseLock();
  }, { network: network.name, composite: aggregator.composite });
}

interface Common {
  port: number;
  /** What both servers' apps take about HTTP itself. */
  http: { bodyLimit: number; https?: HttpsSettings; hostAllowList: HostAllowList; limits: HttpLimits };
}

function checkCommon(options: ServerOptions): Common {
  const port = parseInteger(options.httpPort, "--http-port", 0, 65535);
  const bodyLimit = parseInteger(options.httpBodyLimit, "--http-body-limit", 1024, 1 << 30);
  const https = readTlsFiles(options);
  return {
    port,
    http: {
      bodyLimit,
      ...(https !== undefined ? { https } : {}),
      hostAllowList: readHostAllowList(options),
      limits: readHttpLimits(options),
    },
  };
}

async function openStoreAndLock(
  dataDir: string,
  genesisValidatorsRoot: string,
  policy: SigningPolicy,
  logger: Logger,
): Promise<{ store: ProtectionStore; releaseLock: () => void }> {
  const store = await openProtectionStore({ dataDir, genesisValidatorsRoot }).catch((err: Error) => {
    throw new CliError(err.message);
  });
  warnIfNewDatabase(store, describeStoreLocation({ dataDir }), policy, logger);
  try {
    return { store, releaseLock: acquireSignerLock(dataDir) };
  } catch (err) {
    await store.close();
    throw new CliError((err as Error).message);
  }
}

function readToken(path: string, flag: string): string {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new CliError(`${flag}${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const token = text.trim();
  if (token.length < 16) throw new CliError(`${flag}${path}: the token must be at least 16 characters`);
  if (/\s/.test(token)) throw new CliError(`${flag}${path}: the token must be one line without spaces`);
  return token;
}

