/**
 * The aggregator pre-signs the exit by itself: while it still holds the whole key, it asks the
 * beacon node for the validator; once the validator is active (so it has an index and an exit is
 * valid), it signs, verifies and stores the exit and destroys the whole key (see exit.ts). Failures
 * are logged and retried at the next poll; the whole key is never destroyed without a stored exit.
 */
import type { Logger } from "pino";
import { fetchValidator } from "./beacon-client.js";
import type { PoolDefinition } from "./definition.js";
import { presignExit } from "./exit.js";
import { wholeKeyState } from "./whole-key.js";

export interface AutoPresignOptions {
  dataDir: string;
  pool: PoolDefinition;
  beaconNode: string;
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
    let validator: { index: number; status: string };
    try {
      validator = await fetchValidator(options.beaconNode, composite);
    } catch (err) {
      logger.info({ composite, reason: (err as Error).message }, "validator not known to the beacon node yet; will ask again");
      return false;
    }
    if (!validator.status.startsWith("active")) {
      logger.info({ composite, index: validator.index, status: validator.status }, "validator not active yet; will ask again");
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
