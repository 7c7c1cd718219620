import { availableParallelism } from "node:os";
import { type Command, Option } from "commander";
import { pino } from "pino";
import { applyConfigFile } from "../config/layered-options.js";
import { resolveNetwork } from "../config/networks.js";
import { CommitBoostSigner } from "../core/commit-boost-signer.js";
import { SigningCore } from "../core/signing-core.js";
import { commitBoostConfigOption, commitBoostPortOption, type CommitBoostServeOptions, startCommitBoost } from "../commit-boost/serve-options.js";
import { loadChangedKeystores } from "../keys/load-keystores.js";
import { readSealingSecret, SEALING_ENV, SealedKeyStore } from "../keys/sealed-store.js";
import { loadOrCreateApiToken } from "../server/api-token.js";
import { acquireSignerLock } from "../config/signer-lock.js";
import { describeStoreLocation, openProtectionStore } from "../protection/open-store.js";
import { buildApp } from "../server/app.js";
import { SignerMetrics } from "../server/metrics.js";
import { dataDirOption, dbOption, genesisValidatorsRootOption } from "./common-options.js";
import { CliError } from "./errors.js";
import { addHttpLimitOptions, hostAllowListOption, type HttpLimitOptions, listenUntilSignal, parseInteger, readHostAllowList, readHttpLimits, readTlsFiles } from "./server-options.js";
import { attestationOption, setUpAttestation, tsmReportDirOption } from "./serve-attestation.js";
import { registerAttestationRoutes } from "../server/attestation-routes.js";

import { addPolicyOptions, type PolicyCliOptions, policyFromOptions, warnIfNewDatabase } from "./policy-options.js";

interface ServeOptions extends CommitBoostServeOptions, HttpLimitOptions, PolicyCliOptions {
  config?: string;
  network?: string;
  genesisValidatorsRoot?: string;
  dataDir: string;
  keystores?: string;
  keystoresPasswords?: string;
  keystoresPasswordFile?: string;
  httpHost: string;
  httpPort: string;
  httpHostAllowlist?: string;
  httpBodyLimit: string;
  tlsKey?: string;
  tlsCert?: string;
  tlsClientCa?: string;
  signingThreads?: string;
  logLevel: string;
  keymanager?: boolean;
  keymanagerTokenFile?: string;
  db?: string;
  dbPoolSize?: string;
  dbStatementTimeoutMs?: string;
  sealingPassphraseFile?: string;
  attestation: string;
  tsmReportDir: string;
}

export function registerServeCommand(program: Command): void {
  const serveCommand = program.command("serve");
  addPolicyOptions(serveCommand)
    .description("run the remote signer (Web3Signer-compatible HTTP API)")
    .addOption(new Option("--config <file>", "YAML file of options (long flag names as keys); flags and BULWARK_* variables win").env("BULWARK_CONFIG"))
    .addOption(new Option("--network <name>", "mainnet, sepolia, holesky, hoodi, gnosis, chiado, minimal, or a consensus config.yaml path").env("BULWARK_NETWORK"))
    .addOption(genesisValidatorsRootOption())
    .addOption(dataDirOption())
    .addOption(dbOption())
    .addOption(new Option("--db-pool-size <n>", "PostgreSQL connections").env("BULWARK_DB_POOL_SIZE").default("10"))
    .addOption(new Option("--db-statement-timeout-ms <ms>", "PostgreSQL statement (and lock wait) timeout; longer is refused, nothing signed").env("BULWARK_DB_STATEMENT_TIMEOUT_MS").default("5000"))
    .addOption(new Option("--keystores <dir>", "directory of EIP-2335 keystore files").env("BULWARK_KEYSTORES"))
    .addOption(new Option("--keystores-passwords <dir>", "directory of password files named like the keystores, with .txt").env("BULWARK_KEYSTORES_PASSWORDS"))
    .addOption(new Option("--keystores-password-file <file>", "one password file for every keystore").env("BULWARK_KEYSTORES_PASSWORD_FILE"))
    .addOption(new Option("--http-host <host>", "address to listen on").env("BULWARK_HTTP_HOST").default("127.0.0.1"))
    .addOption(new Option("--http-port <port>", "port to listen on").env("BULWARK_HTTP_PORT").default("9000"))
    .addOption(hostAllowListOption())
    .addOption(new Option("--http-body-limit <bytes>", "largest request body accepted").env("BULWARK_HTTP_BODY_LIMIT").default("1048576"))
    .addOption(new Option("--tls-key <file>", "serve HTTPS with this private key (PEM)").env("BULWARK_TLS_KEY"))
    .addOption(new Option("--tls-cert <file>", "certificate chain for --tls-key (PEM)").env("BULWARK_TLS_CERT"))
    .addOption(new Option("--tls-client-ca <file>", "require client certificates signed by this CA (PEM)").env("BULWARK_TLS_CLIENT_CA"))
    .addOption(new Option("--signing-threads <n>", "BLS signing threads (default: one per core)").env("BULWARK_SIGNING_THREADS"))
    .addOption(new Option("--log-level <level>", "trace, debug, info, warn, error").env("BULWARK_LOG_LEVEL").default("info"))
    .addOption(new Option("--keymanager", "serve the keymanager API (/eth/v1/keystores) with bearer-token auth; needs a sealing secret").env("BULWARK_KEYMANAGER"))
    .addOption(new Option("--keymanager-token-file <file>", "bearer token file of the keymanager API and POST /reload (default: DATA_DIR/api-token.txt, created on first start)").env("BULWARK_KEYMANAGER_TOKEN_FILE"))
    .addOption(new Option("--sealing-passphrase-file <file>", `passphrase that seals the signer's key store (or set ${SEALING_ENV})`).env("BULWARK_SEALING_PASSPHRASE_FILE"))
    .addOption(commitBoostPortOption())
    .addOption(commitBoostConfigOption())
    .addOption(attestationOption())
    .addOption(tsmReportDirOption());
  addHttpLimitOptions(serveCommand);
  serveCommand
    .action(async (options: ServeOptions, command: Command) => {
      if (options.config !== undefined) applyConfigFile(command, options.config);
      await serve(command.opts<ServeOptions>());
    });
}

async function serve(options: ServeOptions): Promise<void> {
  if (options.network === undefined) throw new CliError("--network is required (or BULWARK_NETWORK, or network: in the config file)");
  if (options.keystoresPasswords !== undefined && options.keystoresPasswordFile !== undefined) {
    throw new CliError("give either --keystores-passwords or --keystores-password-file, not both");
  }
  if (options.keystores !== undefined && options.keystoresPasswords === undefined && options.keystoresPasswordFile === undefined) {
    throw new CliError("--keystores needs --keystores-passwords DIR or --keystores-password-file FILE");
  }
  const https = readTlsFiles(options);
  const port = parseInteger(options.httpPort, "--http-port", 0, 65535);
  const bodyLimit = parseInteger(options.httpBodyLimit, "--http-body-limit", 1024, 1 << 30);
  const limits = readHttpLimits(options);
  const signingThreads = options.signingThreads === undefined ? availableParallelism() : parseInteger(options.signingThreads, "--signing-threads", 1, 1024);

  const logger = pino({ level: options.logLevel, base: { service: "bulwark" } });
  const network = (() => {
    try {
      return resolveNetwork(options.network!, options.genesisValidatorsRoot);
    } catch (err) {
      throw new CliError((err as Error).message);
    }
  })();
  const storeLocation = {
    dataDir: options.dataDir,
    genesisValidatorsRoot: network.genesisValidatorsRoot,
    ...(options.db !== undefined ? { db: options.db } : {}),
    poolSize: parseInteger(options.dbPoolSize ?? "10", "--db-pool-size", 1, 1000),
    statementTimeoutMs: parseInteger(options.dbStatementTimeoutMs ?? "5000", "--db-statement-timeout-ms", 100, 600_000),
  };
  const policy = policyFromOptions(network, options, logger);
  const store = await openProtectionStore(storeLocation).catch((err: Error) => {
    throw new CliError(err.message);
  });
  let releaseLock: () => void;
  try {
    releaseLock = acquireSignerLock(options.dataDir);
  } catch (err) {
    await store.close();
    throw new CliError((err as Error).message);
  }
  let sealedStore = await openSealedStore(options).catch(async (err: Error) => {
    releaseLock();
    await store.close();
    throw new CliError(err.message);
  });
  const attestor = await setUpAttestation(options, network.genesisValidatorsRoot, logger).catch(async (err: Error) => {
    releaseLock();
    await store.close();
    throw err;
  });
  const metrics = new SignerMetrics();
  warnIfNewDatabase(store, describeStoreLocation(storeLocation), policy, logger);
  const core = new SigningCore({ network, store, signingThreads, observer: metrics, policy, ...(sealedStore ? { sealedStore } : {}), ...(attestor ? { provenance: attestor } : {}) });
  /** Loads keys read from disk, leaving out (with a warning) those deleted earlier. */
  const loadKeys = async (keys: Parameters<SigningCore["loadKeys"]>[0], readonly: boolean, source: string): Promise<void> => {
    const tombstoned = await core.loadKeys(keys, { readonly });
    if (tombstoned.length > 0) {
      logger.warn({ pubkeys: tombstoned, source }, "keys deleted earlier (tombstoned in the slashing-protection database) not loaded: import them again through the keymanager API with their history");
    }
  };
  if (sealedStore !== undefined) {
    try {
      await loadKeys(sealedStore.keys(), false, sealedStore.path);
    } catch (err) {
      releaseLock();
      await core.close();
      throw new CliError((err as Error).message);
    }
    logger.info({ keys: sealedStore.size, file: sealedStore.path }, "sealed key store unsealed");
  }
  logger.info(
    { network: network.name, genesisValidatorsRoot: network.genesisValidatorsRoot, dataDir: options.dataDir, database: describeStoreLocation(storeLocation) },
    "slashing-protection database open",
  );

  const keystoreKeys = new Set<string>();
  /** Picks up keys that `bulwark keys import` / `keys delete` changed in the sealed store. */
  const reloadSealedStore = async (): Promise<{ added: number; removed: number }> => {
    if (sealedStore === undefined) {
      // `bulwark keys import` may have created the store after this signer started.
      if (!SealedKeyStore.exists(options.dataDir)) return { added: 0, removed: 0 };
      sealedStore = await openSealedStore(options);
      if (sealedStore === undefined) return { added: 0, removed: 0 };
      core.attachSealedStore(sealedStore);
    }
    const before = new Set((await core.listKeyInfo()).filter((k) => !k.readonly).map((k) => k.pubkey));
    sealedStore.refresh();
    const now = new Set(sealedStore.pubkeys());
    const removed = [...before].filter((pubkey) => !now.has(pubkey));
    await core.removeKeys(removed);
    const all = sealedStore.keys();
    const fresh = all.filter((key) => !before.has(key.pubkey));
    for (const key of all) if (before.has(key.pubkey)) key.secretKey.fill(0);
    await loadKeys(fresh, false, sealedStore.path);
    return { added: fresh.length, removed: removed.length };
  };
  const reloadAll = async (): Promise<{ added: number; removed: number }> => {
    const sealed = await reloadSealedStore();
    const files = await loadFromKeystores();
    return { added: sealed.added + files.added, removed: sealed.removed + files.removed };
  };
  /** Keystores loaded from --keystores, by path; a reload decrypts only files that changed. */
  const keystoreFiles = new Map<string, { fingerprint: string; pubkey: string }>();
  const loadFromKeystores = async (): Promise<{ added: number; removed: number }> => {
    if (options.keystores === undefined) return { added: 0, removed: 0 };
    const loaded = await loadChangedKeystores({
      keystoresDir: options.keystores,
      ...(options.keystoresPasswords !== undefined ? { passwordsDir: options.keystoresPasswords } : {}),
      ...(options.keystoresPasswordFile !== undefined ? { passwordFile: options.keystoresPasswordFile } : {}),
      logger,
      previous: keystoreFiles,
    });
    const present = new Set([...loaded.fresh, ...loaded.unchanged].map((key) => key.pubkey));
    const removed = [...keystoreKeys].filter((pubkey) => !present.has(pubkey));
    await core.removeKeys(removed);
    for (const pubkey of removed) keystoreKeys.delete(pubkey);
    const fresh = loaded.fresh.filter((key) => !keystoreKeys.has(key.pubkey));
    await loadKeys(fresh, true, options.keystores);
    for (const key of fresh) keystoreKeys.add(key.pubkey);
    for (const key of loaded.fresh) key.secretKey.fill(0);
    keystoreFiles.clear();
    for (const key of [...loaded.fresh, ...loaded.unchanged]) keystoreFiles.set(key.path, { fingerprint: key.fingerprint, pubkey: key.pubkey });
    return { added: fresh.length, removed: removed.length };
  };

  try {
    const { added } = await loadFromKeystores();
    if (added === 0 && (sealedStore?.size ?? 0) === 0) {
      logger.warn(
        options.keymanager
          ? "no validator keys yet: import keystores with POST /eth/v1/keystores (keymanager API) or `bulwark keys import`"
          : options.keystores === undefined
          ? "no validator keys: start with --keystores DIR --keystores-passwords DIR to sign (see README, 'Adding keys')"
          : `no keystores found in ${options.keystores}; add keystore files there and POST /reload`,
      );
    } else {
      logger.info({ keys: (await core.listKeys()).length, fromKeystores: added, fromSealedStore: sealedStore?.size ?? 0 }, "validator keys loaded");
    }
  } catch (err) {
    await core.close();
    throw new CliError((err as Error).message);
  }

  // The API token guards POST /reload too, so it exists whether or not the keymanager API is on.
  let apiToken: ReturnType<typeof loadOrCreateApiToken>;
  try {
    apiToken = loadOrCreateApiToken(options.dataDir, options.keymanagerTokenFile);
  } catch (err) {
    await core.close();
    throw new CliError((err as Error).message);
  }
  logger.info(
    { tokenFile: apiToken.path, created: apiToken.created },
    options.keymanager
      ? "keymanager API enabled, and POST /reload: send Authorization: Bearer <token from this file>"
      : "POST /reload needs Authorization: Bearer <token from this file>",
  );
  const keymanager = options.keymanager ? { token: apiToken.token } : undefined;

  const allowList = readHostAllowList(options);
  const app = buildApp({
    core,
    metrics,
    logger,
    bodyLimit,
    hostAllowList: allowList,
    reload: { run: reloadAll, token: apiToken.token },
    limits,
    ...(https !== undefined ? { https } : {}),
    ...(keymanager !== undefined ? { keymanager } : {}),
  });

  if (attestor !== undefined) registerAttestationRoutes(app, { attestor, dataDir: options.dataDir, logger });

  const commitBoost = await startCommitBoost(options, {
    openSigner: (sealingSecret) => CommitBoostSigner.open({ core, network, dataDir: options.dataDir, sealingSecret }),
    host: options.httpHost,
    hostAllowList: allowList,
    logger,
    ...(https !== undefined ? { https } : {}),
    ...(options.sealingPassphraseFile !== undefined ? { sealingPassphraseFile: options.sealingPassphraseFile } : {}),
  }).catch(async (err: Error) => {
    await core.close();
    releaseLock();
    throw new CliError(`Commit-Boost API: ${err.message}`);
  });

  await listenUntilSignal(
    app,
    { host: options.httpHost, port, tls: options.tlsKey !== undefined },
    logger,
    async () => {
      await commitBoost?.close();
      await core.close();
      releaseLock();
    },
    { keys: (await core.listKeys()).length },
  );
}

/**
 * The sealed store is opened when it exists or the keymanager API may write to it; either way the
 * operator must provide the sealing secret, and a wrong one stops start-up.
 */
async function openSealedStore(options: ServeOptions): Promise<SealedKeyStore | undefined> {
  const exists = SealedKeyStore.exists(options.dataDir);
  if (!exists && !options.keymanager) return undefined;
  const secret = readSealingSecret(options.sealingPassphraseFile !== undefined ? { passphraseFile: options.sealingPassphraseFile } : {});
  try {
    return await SealedKeyStore.open(options.dataDir, secret, { create: options.keymanager === true });
  } finally {
    secret.fill(0);
  }
}

