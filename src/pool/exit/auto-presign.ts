/**
 * The aggregator pre-signs the exit by itself: while it still holds the whole key, it asks the
 * beacon nodes for the validator; once they all agree, from their finalized state, that the
 * composite key is active (validator-check.ts), it signs, verifies and stores the exit and destroys
 * the whole key (see exit.ts). Failures and doubts are logged with their reason and retried at the
 * next poll; the whole key is never destroyed without a stored exit or on a doubtful answer.
 */
import type { Logger } from "pino";
import { checkValidatorForExit } from "./validator-check.js";
import type { PoolDefinition } from "../definition.js";
import { presignExit } from "./exit.js";
import { wholeKeyState } from "../storage/whole-key.js";

export interface AutoPresignOptions {
  dataDir: string;
  pool: PoolDefinition;
  /** Every one must answer and agree (see validator-check.ts). */
  beaconNodes: readonly string[];
  sealingSecret: Uint8Array;
  logger: Logger;
  intervalMs: number;
}

/** Starts polling; returns a function that stops it. Resolves `done` once the exit is stored. */
export function startAutoPresign(options: AutoPresignOptions): { stop: () => void; done: Promise<void> } {
  const { pool, logger } = options;
  const composite = pool.compositePublicKey;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let finish!: () => void;
  const done = new Promise<void>((resolve) => (finish = resolve));

  const attempt = async (): Promise<boolean> => {
    if ((await wholeKeyState(options.dataDir, composite, options.sealingSecret)) !== "present") {
      logger.info({ composite }, "no whole key held for this pool: nothing to pre-sign");
      return true;
    }
    const validator = await checkValidatorForExit(options.beaconNodes, composite);
    if (!validator.ok) {
      if (validator.kind === "unknown") logger.info({ composite, reason: validator.reason }, "validator not known to the beacon node yet; will ask again");
      else logger.warn({ composite, reason: validator.reason }, "the beacon nodes' answer is in doubt: keeping the whole key, nothing pre-signed; will ask again");
      return false;
    }
    const result = await presignExit({ dataDir: options.dataDir, sealingSecret: options.sealingSecret, pool, validatorIndex: validator.index });
    logger.info(
      { composite, index: validator.index, epoch: result.message.epoch, exitFile: result.path, wholeKeyRemoved: result.destruction.removed },
      "voluntary exit pre-signed and stored; the whole validator key is destroyed",
    );
    return true;
  };

  const poll = async () => {
    if (stopped) return;
    let finished = false;
    try {
      finished = await attempt();
    } catch (err) {
      logger.error({ composite, err: (err as Error).message }, "pre-signing the exit failed; will try again");
    }
    if (finished) {
      finish();
      return;
    }
    if (!stopped) timer = setTimeout(() => void poll(), options.intervalMs);
  };
  void poll();
  return {
    stop: () => {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
    },
    done,
  };
}
