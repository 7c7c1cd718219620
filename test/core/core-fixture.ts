// Test-only: a SigningCore on a real SQLite protection store in a temp dir, with real blst keys and
// (optionally) a sealed key store, for the core's own unit tests.
import { after } from "node:test";
import type { SecretKey } from "@chainsafe/blst";
import { resolveNetwork } from "../../src/config/networks.js";
import { SigningCore } from "../../src/core/signing-core.js";
import { SealedKeyStore } from "../../src/keys/sealed-store.js";
import type { SigningPolicy } from "../../src/protection/policy.js";
import { SqliteProtectionStore } from "../../src/protection/sqlite-store.js";
import { testPolicy } from "../helpers/policy.js";
import { tempDir } from "../helpers/temp.js";
import { writeSealedFile } from "../keys/sealed-store-helpers.js";

export const MAINNET = resolveNetwork("mainnet");
export const SEALING_SECRET = "core-test-sealing-secret";

export interface CoreFixture {
  core: SigningCore;
  store: SqliteProtectionStore;
  dataDir: string;
  close(): Promise<void>;
}

export async function startCore(options: { keys?: readonly SecretKey[]; policy?: Partial<SigningPolicy>; sealed?: boolean } = {}): Promise<CoreFixture> {
  const dir = tempDir("bulwark-core-test-");
  // The sealed store first: if it fails to open, no protection store is left open behind it.
  let sealedStore: SealedKeyStore | undefined;
  if (options.sealed === true) {
    writeSealedFile(dir.path, SEALING_SECRET);
    sealedStore = await SealedKeyStore.open(dir.path, Buffer.from(SEALING_SECRET, "utf8"), { create: false });
  }
  const store = SqliteProtectionStore.open({ dataDir: dir.path, genesisValidatorsRoot: MAINNET.genesisValidatorsRoot });
  const core = new SigningCore({
    network: MAINNET,
    store,
    signingThreads: 1,
    policy: testPolicy(MAINNET, options.policy),
    ...(sealedStore !== undefined ? { sealedStore } : {}),
  });
  core.addKeys((options.keys ?? []).map((key) => ({ pubkey: key.toPublicKey().toHex(true), secretKey: key.toBytes() })));
  return {
    core,
    store,
    dataDir: dir.path,
    async close() {
      await core.close();
      dir.cleanup();
    },
  };
}

export function pubkeyOf(key: SecretKey): string {
  return key.toPublicKey().toHex(true).toLowerCase();
}

/** Starts cores for one test file; each one started is closed after the file's tests. */
export function coreStarter(): (options?: Parameters<typeof startCore>[0]) => Promise<CoreFixture> {
  const started: CoreFixture[] = [];
  after(async () => {
    for (const fixture of started) await fixture.close();
  });
  return async (options = {}) => {
    const fixture = await startCore(options);
    started.push(fixture);
    return fixture;
  };
}
