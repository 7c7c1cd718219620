/**
 * The aggregator's pre-signed exit: once the validator has an index, sign its VoluntaryExit with
 * the whole key (EIP-7044 domain, see exit-message.ts), verify it against the composite key, store
 * it durably in DATA_DIR/exits/<composite>.json (beacon-API SignedVoluntaryExit JSON), read it back
 * and verify it again, and only then destroy the whole key (storage/whole-key.ts). From then on the
 * aggregator can only aggregate; it can still submit the stored exit (`submitPresignedExit`).
 *
 * Default epoch: the network's current epoch by the wall clock (from its genesis time), the earliest
 * epoch at which the exit can be included. Any epoch up to the current one is as good: under
 * EIP-7044 the signature never expires. A network whose genesis time is not known (a config.yaml,
 * minimal) needs an explicit epoch.
 */
import { readFileSync, existsSync } from "node:fs";
import { SecretKey } from "@chainsafe/blst";
import type { Network } from "../../config/networks.js";
import { serializePoolDefinition, type PoolDefinition } from "../definition.js";
import { writeFileDurably } from "../../util/durable-file.js";
import { PoolError } from "../errors.js";
import { parseSignedExitJson, signedExitJson, verifyExitSignature, voluntaryExitSigningRoot, type ExitMessage, type SignedVoluntaryExitJson } from "./exit-message.js";
import { submitVoluntaryExit, type BeaconAnswer } from "./beacon-client.js";
import { loadPoolDefinitionCopy, presignedExitPath } from "../storage/pool-files.js";
import { currentEpochOf, poolNetwork, type NetworkChoice } from "../pool-network.js";
import { destroyWholeKey, loadWholeKey, wholeKeyState, type WholeKeyDestruction } from "../storage/whole-key.js";
import { bytesOfHex } from "../../util/hex.js";

export interface PresignExitOptions extends NetworkChoice {
  dataDir: string;
  sealingSecret: Uint8Array;
  pool: PoolDefinition;
  validatorIndex: number;
  /** Default: the network's current epoch (see above). */
  epoch?: number;
  /** Wall clock for the default epoch, ms since 1970. */
  nowMs?: number;
}

export interface PresignExitResult {
  signedExit: SignedVoluntaryExitJson;
  message: ExitMessage;
  /** DATA_DIR/exits/<composite>.json */
  path: string;
  destruction: WholeKeyDestruction;
}

function checkIndex(value: number, what: string): number {
  if (!Number.isSafeInteger(value) || value < 0) throw new PoolError("invalid-parameters", `${what} must be a non-negative integer, got ${String(value)}`);
  return value;
}

/** The epoch to sign: the one given, else the network's current epoch. */
export function exitEpoch(network: Network, epoch: number | undefined, nowMs?: number): number {
  if (epoch !== undefined) return checkIndex(epoch, "the exit epoch");
  const current = currentEpochOf(network, nowMs);
  if (current === undefined) {
    throw new PoolError("invalid-parameters", `the genesis time of network ${network.name} is not known here, so its current epoch is not either: give --epoch`);
  }
  return current;
}

export async function presignExit(options: PresignExitOptions): Promise<PresignExitResult> {
  const { dataDir, sealingSecret, pool } = options;
  const network = poolNetwork(pool, options);
  const kept = loadPoolDefinitionCopy(dataDir, pool.compositePublicKey);
  if (kept !== undefined && serializePoolDefinition(kept) !== serializePoolDefinition(pool)) {
    throw new PoolError("invalid-pool", `the pool definition given for ${pool.compositePublicKey} differs from the one kept in ${dataDir} by the ceremony`);
  }
  const message: ExitMessage = {
    epoch: exitEpoch(network, options.epoch, options.nowMs),
    validatorIndex: checkIndex(options.validatorIndex, "the validator index"),
  };
  const path = presignedExitPath(dataDir, pool.compositePublicKey);
  if (existsSync(path)) {
    const stored = readPresignedExit(dataDir, pool, network);
    if ((await wholeKeyState(dataDir, pool.compositePublicKey, sealingSecret)) === "present") {
      // A crash after storing the exit and before destroying the key: finish the destruction.
      const destruction = await destroyWholeKey(dataDir, sealingSecret, pool.compositePublicKey);
      return { signedExit: stored.json, message: stored.message, path, destruction };
    }
    throw new PoolError(
      "exit-exists",
      `the exit of ${pool.compositePublicKey} is already pre-signed (epoch ${stored.message.epoch}, validator ${stored.message.validatorIndex}) in ${path}, and the whole key is destroyed`,
    );
  }

  const whole = await loadWholeKey(dataDir, sealingSecret, pool.compositePublicKey);
  let signature: Uint8Array;
  try {
    const secretKey = SecretKey.fromBytes(whole);
    signature = secretKey.sign(voluntaryExitSigningRoot(network, message)).toBytes(true);
  } finally {
    whole.fill(0);
  }
  if (!verifyExitSignature(network, message, bytesOfHex(pool.compositePublicKey), signature)) {
    throw new PoolError("verification-failed", `the exit signed with the whole key does not verify against ${pool.compositePublicKey}; the key is kept and nothing stored`);
  }
  const json = signedExitJson(message, signature);
  writeFileDurably(path, JSON.stringify(json, null, 2) + "\n", { mode: 0o600, exclusive: true });
  // Read back what is on disk: the key is destroyed only once a verified exit is stored.
  readPresignedExit(dataDir, pool, network);
  const destruction = await destroyWholeKey(dataDir, sealingSecret, pool.compositePublicKey);
  if (!destruction.removed || (await wholeKeyState(dataDir, pool.compositePublicKey, sealingSecret)) !== "absent") {
    throw new PoolError("no-whole-key", `the exit is stored in ${path}, but the whole key of ${pool.compositePublicKey} could not be removed from ${destruction.path}`);
  }
  return { signedExit: json, message, path, destruction };
}

/** The stored pre-signed exit, verified against the composite key (PoolError otherwise). */
export function readPresignedExit(
  dataDir: string,
  pool: PoolDefinition,
  network: Network = poolNetwork(pool),
): { json: SignedVoluntaryExitJson; message: ExitMessage; path: string } {
  const path = presignedExitPath(dataDir, pool.compositePublicKey);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, "utf8"));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") {
      throw new PoolError("no-exit", `no pre-signed exit for ${pool.compositePublicKey} in ${dataDir}: run \`bulwark pool presign-exit\` first`);
    }
    throw new PoolError("no-exit", `the pre-signed exit ${path} is damaged: ${(err as Error).message}`);
  }
  const { message, signature } = parseSignedExitJson(json, path);
  if (!verifyExitSignature(network, message, bytesOfHex(pool.compositePublicKey), signature)) {
    throw new PoolError("verification-failed", `the pre-signed exit ${path} does not verify against ${pool.compositePublicKey} on ${network.name}`);
  }
  return { json: signedExitJson(message, signature), message, path };
}

/** Submits the stored pre-signed exit (verified first) to a beacon node. */
export async function submitPresignedExit(
  dataDir: string,
  pool: PoolDefinition,
  beaconNode: string,
  choice: NetworkChoice = {},
): Promise<{ answer: BeaconAnswer; message: ExitMessage }> {
  const stored = readPresignedExit(dataDir, pool, poolNetwork(pool, choice));
  const answer = await submitVoluntaryExit(beaconNode, stored.json);
  return { answer, message: stored.message };
}
