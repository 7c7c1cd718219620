/**
 * `bulwark serve --commit-boost-port P --commit-boost-config FILE`: the Commit-Boost signer API on
 * its own port, next to the Web3Signer API, over the same signing core. Off unless both are given.
 */
import { statSync } from "node:fs";
import { Option } from "commander";
import type { FastifyInstance } from "fastify";
import type { Logger } from "pino";
import type { CommitBoostSigningApi } from "../core/api.js";
import { readSealingSecret } from "../keys/sealed-store.js";
import type { HttpsSettings } from "../server/http-server.js";
import type { HostAllowList } from "../server/host-allow-list.js";
import { buildCommitBoostApp } from "./app.js";
import { loadCommitBoostConfig } from "./config.js";

export interface CommitBoostServeOptions {
  commitBoostPort?: string;
  commitBoostConfig?: string;
}

export function commitBoostPortOption(): Option {
  return new Option("--commit-boost-port <port>", "serve the Commit-Boost signer API (v0.10) on this port; needs --commit-boost-config and a sealing secret").env("BULWARK_COMMIT_BOOST_PORT");
}

export function commitBoostConfigOption(): Option {
  return new Option("--commit-boost-config <file>", "Commit-Boost modules, JWT secrets and signing ids (YAML; see README)").env("BULWARK_COMMIT_BOOST_CONFIG");
}

export interface CommitBoostContext {
  /** Opens the core's Commit-Boost signer with the sealing secret (src/cli/serve.ts builds it; the secret may be wiped after). */
  openSigner: (sealingSecret: Uint8Array) => Promise<CommitBoostSigningApi>;
  host: string;
  hostAllowList: HostAllowList;
  https?: HttpsSettings;
  sealingPassphraseFile?: string;
  logger: Logger;
}

/** Checks the options and starts listening; undefined when the API is off. Throws with the reason. */
export async function startCommitBoost(options: CommitBoostServeOptions, context: CommitBoostContext): Promise<FastifyInstance | undefined> {
  const { commitBoostPort, commitBoostConfig } = options;
  if (commitBoostPort === undefined && commitBoostConfig === undefined) return undefined;
  if (commitBoostPort === undefined || commitBoostConfig === undefined) throw new Error("--commit-boost-port and --commit-boost-config go together");
  const port = Number(commitBoostPort);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--commit-boost-port: expected an integer from 0 to 65535, got "${commitBoostPort}"`);
  const config = loadCommitBoostConfig(commitBoostConfig);
  if ((statSync(commitBoostConfig).mode & 0o077) !== 0) {
    context.logger.warn({ file: commitBoostConfig }, "the Commit-Boost config file is readable by other users; if it holds secrets, chmod 600 it");
  }
  const secret = readSealingSecret(context.sealingPassphraseFile !== undefined ? { passphraseFile: context.sealingPassphraseFile } : {});
  let signer: CommitBoostSigningApi;
  try {
    signer = await context.openSigner(secret);
  } finally {
    secret.fill(0);
  }
  const app = buildCommitBoostApp({
    signer,
    config,
    loadConfig: () => loadCommitBoostConfig(commitBoostConfig),
    logger: context.logger,
    hostAllowList: context.hostAllowList,
    ...(context.https ? { https: context.https } : {}),
  });
  const address = await app.listen({ host: context.host, port });
  context.logger.info(
    { address, modules: [...config.modules.keys()], proxyKeys: signer.proxyCount, chainId: Number(signer.chainId) },
    "Commit-Boost signer API ready",
  );
  return app;
}
