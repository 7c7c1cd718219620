/**
 * The signing-policy flags shared by `serve`, `pool participant` and `pool aggregator`, and the
 * policy they give (src/protection/policy.ts), with the start-up log line that shows the guard.
 */
import { type Command, Option } from "commander";
import type { Logger } from "pino";
import { chainClockFor } from "../config/chain-clock.js";
import type { Network } from "../config/networks.js";
import { SIGNING_REQUEST_TYPES } from "../eth/index.js";
import {
  currentEpoch,
  describeDuration,
  parseDepositAllowance,
  parseFeeRecipient,
  parseRefusedTypes,
  type SigningPolicy,
  startGuardEndsAtMs,
  startGuardEpochAt,
  startGuardLastSlot,
} from "../protection/policy.js";
import { CliError } from "./errors.js";

export interface PolicyCliOptions {
  genesisTime?: string;
  startGuard: string;
  /** Arrays from flags; a YAML options file may give one string. */
  depositAllow: string[] | string;
  allowedFeeRecipient: string[] | string;
  refuseTypes?: string;
}

const list = (value: string[] | string | undefined): string[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export function addPolicyOptions(command: Command): Command {
  return command
    .addOption(
      new Option("--genesis-time <seconds>", "the network's genesis time, Unix seconds (required for a config.yaml or the minimal preset)").env("BULWARK_GENESIS_TIME"),
    )
    .addOption(
      new Option("--start-guard <on|off>", "after each start, refuse blocks and attestations that could conflict with anything signed before (about two epochs)")
        .choices(["on", "off"])
        .env("BULWARK_START_GUARD")
        .default("on"),
    )
    .option("--deposit-allow <value>", "allow DEPOSIT to this execution address (0x01/0x02 credentials) or these exact 32-byte withdrawal credentials; repeatable", collect, [] as string[])
    .option("--allowed-fee-recipient <address>", "refuse VALIDATOR_REGISTRATION for any other fee recipient; repeatable", collect, [] as string[])
    .addOption(new Option("--refuse-types <types>", `request types never signed here, comma-separated (${SIGNING_REQUEST_TYPES.join(", ")})`).env("BULWARK_REFUSE_TYPES"));
}

/**
 * The policy for a signer starting now on `network`; logs the guard and when it ends, or a warning
 * when it is off. Throws CliError for invalid values or a network without a genesis time.
 */
export function policyFromOptions(network: Network, options: PolicyCliOptions, logger: Logger, nowMs: number = Date.now()): SigningPolicy {
  // A YAML options file bypasses commander's choices: check here too.
  if (options.startGuard !== "on" && options.startGuard !== "off") throw new CliError(`--start-guard: expected on or off, got ${JSON.stringify(options.startGuard)}`);
  const feeRecipients = list(options.allowedFeeRecipient);
  let policy: SigningPolicy;
  try {
    const clock = chainClockFor(network, options.genesisTime);
    policy = {
      clock,
      startGuardEpoch: options.startGuard === "off" ? null : startGuardEpochAt(clock, nowMs),
      genesisForkVersion: "0x" + Buffer.from(network.config.GENESIS_FORK_VERSION).toString("hex"),
      depositAllow: list(options.depositAllow).map(parseDepositAllowance),
      allowedFeeRecipients: feeRecipients.length > 0 ? feeRecipients.map(parseFeeRecipient) : null,
      refusedTypes: options.refuseTypes !== undefined ? parseRefusedTypes(options.refuseTypes, SIGNING_REQUEST_TYPES) : new Set(),
    };
  } catch (err) {
    throw new CliError((err as Error).message);
  }
  logPolicy(policy, logger, nowMs);
  return policy;
}

function logPolicy(policy: SigningPolicy, logger: Logger, nowMs: number): void {
  const { clock } = policy;
  const facts = {
    clockEpoch: currentEpoch(clock, nowMs),
    deposits: policy.depositAllow.length === 0 ? "refused" : policy.depositAllow.map((a) => (a.kind === "address" ? a.address : a.credentials)),
    feeRecipients: policy.allowedFeeRecipients ?? "any",
    refusedTypes: [...policy.refusedTypes],
  };
  const guard = policy.startGuardEpoch;
  if (guard === null) {
    logger.warn(facts, "start guard off: a database restored from an older copy or deleted could let a conflicting (slashable) signature through");
    return;
  }
  const endsAt = startGuardEndsAtMs(clock, guard);
  logger.info(
    { ...facts, startGuardEpoch: guard, refusesBlocksUpToSlot: startGuardLastSlot(clock, guard), resumesAt: new Date(endsAt).toISOString() },
    `start guard on: blocks up to slot ${startGuardLastSlot(clock, guard)} and attestations with target <= ${guard} or source < ${guard} are refused; signing resumes from epoch ${guard + 1}, in about ${describeDuration(Math.max(0, Math.ceil((endsAt - nowMs) / 1000)))}`,
  );
}

/**
 * A missing database is created, with a warning: on a first start that is expected, but after a
 * loss it means the history is gone, and only the start guard keeps old signatures from conflicting.
 */
export function warnIfNewDatabase(store: { created: boolean }, database: string, policy: SigningPolicy, logger: Logger): void {
  if (!store.created) return;
  logger.warn(
    { database, startGuard: policy.startGuardEpoch === null ? "off" : "on" },
    policy.startGuardEpoch === null
      ? "slashing-protection database is new (created now, no history): if this signer signed before, its history is lost and, with --start-guard off, nothing stops a conflicting signature"
      : "slashing-protection database is new (created now, no history): if this signer signed before, its history is lost; the start guard refuses anything that could conflict with it",
  );
}
