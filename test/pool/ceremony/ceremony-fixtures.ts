/**
 * Test fixtures for the pool's ceremony, join and exit tests: operators and aggregators with real
 * data directories, real identities and real sealed stores, but under a CHEAP scrypt (N = 2^10) so
 * that a test can open them many times. The stores keep the KDF parameters of the file they open
 * (see test/keys/sealed-store-helpers.ts), so pre-seeding an empty cheap store makes every later
 * open cheap; the identity file takes the cheap parameters through createOperatorIdentity's option.
 * The real KDF is exercised by the CLI end-to-end test (operator-init).
 */
import assert from "node:assert/strict";
import { renameSync } from "node:fs";
import { join } from "node:path";
import { resolveNetwork, type Network } from "../../../src/config/networks.js";
import { createPool, type CreatePoolResult } from "../../../src/pool/ceremony/ceremony.js";
import { POOL_FILES } from "../../../src/pool/definition.js";
import { PoolError } from "../../../src/pool/errors.js";
import { createOperatorIdentity } from "../../../src/pool/storage/operator-store.js";
import { tempDir } from "../../helpers/temp.js";
import { CHEAP_KDF, writeSealedFile } from "../../keys/sealed-store-helpers.js";

export const PASSPHRASE = "pool test sealing passphrase 5e1d";
export const SECRET = Buffer.from(PASSPHRASE, "utf8");
export const CHEAP = { n: CHEAP_KDF.n, r: CHEAP_KDF.r, p: CHEAP_KDF.p };
export const WITHDRAWAL = "0x00000000219ab540356cbb839cbe05303d7705fa";
export const HOODI: Network = resolveNetwork("hoodi");

export interface Operator {
  dataDir: string;
  identity: string;
}

/** Writes an empty SealedKeyStore file named `fileName` into `dataDir`, with the cheap KDF. */
export function seedCheapStore(dataDir: string, fileName: string, passphrase = PASSPHRASE): string {
  const staging = join(dataDir, `.staging-${fileName}`);
  const written = writeSealedFile(staging, passphrase, []);
  const path = join(dataDir, fileName);
  renameSync(written, path);
  return path;
}

export class Scratch {
  private readonly cleanups: Array<() => void> = [];

  dir(prefix = "bulwark-pool-"): string {
    const dir = tempDir(prefix);
    this.cleanups.push(dir.cleanup);
    return dir.path;
  }

  cleanup(): void {
    for (const cleanup of this.cleanups.splice(0)) cleanup();
  }
}

/** An operator data directory with a (cheap) identity and an empty (cheap) share store. */
export async function makeOperator(scratch: Scratch, passphrase = PASSPHRASE): Promise<Operator> {
  const dataDir = join(scratch.dir("bulwark-operator-"), "data");
  const identity = await createOperatorIdentity(dataDir, Buffer.from(passphrase), { kdf: CHEAP });
  seedCheapStore(dataDir, POOL_FILES.shares, passphrase);
  return { dataDir, identity };
}

/** An aggregator data directory with an empty (cheap) whole-keys store. */
export function makeAggregator(scratch: Scratch): string {
  const dataDir = join(scratch.dir("bulwark-aggregator-"), "data");
  seedCheapStore(dataDir, POOL_FILES.wholeKeys);
  return dataDir;
}

export function endpoint(id: number): string {
  return `https://noop${id}.example:${9100 + id}`;
}

export async function makePool(
  scratch: Scratch,
  aggregatorDir: string,
  operators: readonly Operator[],
  options: { threshold?: number; allowMinorityThreshold?: boolean } = {},
): Promise<CreatePoolResult> {
  return createPool({
    network: HOODI,
    ...options,
    operators: operators.map((o, i) => ({ id: i + 1, identity: o.identity, endpoint: endpoint(i + 1) })),
    withdrawalAddress: WITHDRAWAL,
    dataDir: aggregatorDir,
    sealingSecret: SECRET,
    outDir: join(scratch.dir("bulwark-pool-out-"), "out"),
  });
}

export function hex(bytes: Uint8Array): string {
  return "0x" + Buffer.from(bytes).toString("hex");
}

export function fromHex(text: string): Uint8Array {
  return Uint8Array.from(Buffer.from(text.replace(/^0x/, ""), "hex"));
}

/** An assert.rejects / assert.throws matcher: a PoolError with this code (and message pattern). */
export function refusal(code: string, pattern?: RegExp): (err: unknown) => boolean {
  return (err: unknown) => {
    assert.ok(err instanceof PoolError, `expected a PoolError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    if (pattern !== undefined) assert.match(err.message, pattern);
    return true;
  };
}
