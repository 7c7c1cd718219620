/**
 * What a data directory holds of each pool, without secrets: the pool definitions kept, whether
 * this party holds a share (operator), whether the whole key is still on disk (aggregator), and
 * whether an exit is pre-signed. With the sealing secret the sealed stores are looked into;
 * without it, what cannot be told is reported as "unknown".
 */
import { existsSync } from "node:fs";
import { POOL_FILES } from "../definition.js";
import { sharePublicKey, openShareStore, identityPath, operatorIdentityId } from "./operator-store.js";
import { listPoolDefinitionCopies, presignedExitPath } from "./pool-files.js";
import { wholeKeyPubkeys, wholeKeysPath, type WholeKeyState } from "./whole-key.js";
import { SealedKeyStore } from "../../keys/sealed-store.js";

export interface PoolStatus {
  compositePublicKey: string;
  network: string;
  threshold: number;
  participants: number;
  /** This operator's participant id, when it holds a share; "unknown" without the sealing secret. */
  share: number | "none" | "unknown";
  wholeKey: WholeKeyState;
  /** DATA_DIR/exits/<composite>.json when the exit is pre-signed. */
  presignedExit: string | undefined;
}

export interface DataDirStatus {
  identity: string | undefined;
  pools: PoolStatus[];
  /** Whether DATA_DIR/pool-whole-keys.json exists at all. */
  wholeKeyStore: boolean;
}

export async function dataDirStatus(dataDir: string, sealingSecret?: Uint8Array): Promise<DataDirStatus> {
  const pools = listPoolDefinitionCopies(dataDir);
  const identity = existsSync(identityPath(dataDir)) ? operatorIdentityId(dataDir) : undefined;
  let shares: Map<string, string> | undefined;
  if (sealingSecret !== undefined) {
    shares = new Map();
    if (SealedKeyStore.exists(dataDir, POOL_FILES.shares)) {
      const store = await openShareStore(dataDir, sealingSecret, false);
      const keys = store.keys();
      for (const key of keys) {
        shares.set(key.pubkey, sharePublicKey(key.secretKey));
        key.secretKey.fill(0);
      }
    }
  }
  const wholeKeys = existsSync(wholeKeysPath(dataDir)) && sealingSecret !== undefined ? await wholeKeyPubkeys(dataDir, sealingSecret) : undefined;
  const wholeKeyOf = (composite: string): WholeKeyState =>
    !existsSync(wholeKeysPath(dataDir)) ? "absent" : wholeKeys === undefined ? "unknown" : wholeKeys.has(composite) ? "present" : "absent";
  const statuses: PoolStatus[] = [];
  for (const pool of pools) {
    const sharePub = shares?.get(pool.compositePublicKey);
    const exitPath = presignedExitPath(dataDir, pool.compositePublicKey);
    statuses.push({
      compositePublicKey: pool.compositePublicKey,
      network: pool.network,
      threshold: pool.threshold,
      participants: pool.participants.length,
      share:
        shares === undefined
          ? SealedKeyStore.exists(dataDir, POOL_FILES.shares)
            ? "unknown"
            : "none"
          : sharePub === undefined
            ? "none"
            : (pool.participants.find((p) => p.componentPublicKey === sharePub)?.id ?? "none"),
      wholeKey: wholeKeyOf(pool.compositePublicKey),
      presignedExit: existsSync(exitPath) ? exitPath : undefined,
    });
  }
  return { identity, pools: statuses, wholeKeyStore: existsSync(wholeKeysPath(dataDir)) };
}
