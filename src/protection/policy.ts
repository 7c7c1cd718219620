/**
 * The signing policy: what Bulwark refuses to sign whatever the history says. Pure functions, like
 * rules.ts: the caller reads the clock and passes the time in; these decide.
 *
 * - Time horizon (fixed): a block beyond the clock's slot + one epoch of slots, an attestation with
 *   a target beyond the clock's epoch + 1. These two kinds are the ones recorded; a far-future
 *   record would lock the key out of every honest message until then.
 * - Start guard: with E0 = (clock epoch at this start) + 1, blocks up to the last slot of E0 and
 *   attestations with target <= E0 or source < E0. Every signature made before this start obeyed
 *   the horizon, so it has slot <= last slot of E0 and target <= E0; nothing signed from now on can
 *   then conflict with it (same slot, same target, or surround), even if the database that knew
 *   about it was replaced by an older copy or deleted.
 * - Deposits only to allowed withdrawal credentials and for the network's own genesis fork version;
 *   builder registrations only to allowed fee recipients; request types the operator refuses.
 */
import type { ProtectionFacts, SigningRequest } from "../eth/types.js";
import { codedError } from "../errors/bulwark-error.js";
import { toHex as hex } from "../util/hex.js";

/** The network's clock: genesis time and slot length (Unix milliseconds). */
export interface ChainClock {
  genesisTimeMs: number;
  slotDurationMs: number;
  slotsPerEpoch: number;
}

/** An allowed withdrawal destination for deposits. */
export type DepositAllowance =
  /** An execution address (0x + 40 hex, lowercase): matches its 0x01 and 0x02 credentials. */
  | { kind: "address"; address: string }
  /** Exact withdrawal credentials (0x + 64 hex, lowercase). */
  | { kind: "credentials"; credentials: string };

export interface SigningPolicy {
  clock: ChainClock;
  /** E0 of the start guard, or null when the guard is off. */
  startGuardEpoch: number | null;
  /** The configured network's GENESIS_FORK_VERSION, 0x + 8 hex, lowercase. */
  genesisForkVersion: string;
  /** Deposits are refused unless their withdrawal credentials match one of these. */
  depositAllow: readonly DepositAllowance[];
  /** Fee recipients (0x + 40 hex, lowercase) allowed in VALIDATOR_REGISTRATION; null: any. */
  allowedFeeRecipients: readonly string[] | null;
  /** Request types (Web3Signer names, upper case) refused outright. */
  refusedTypes: ReadonlySet<string>;
}

export type PolicyReason = "future" | "start-guard" | "refused-type" | "deposit" | "fee-recipient";

export type PolicyDecision = { allowed: true } | { allowed: false; reason: PolicyReason; message: string };

const ALLOWED: PolicyDecision = { allowed: true };
const refused = (reason: PolicyReason, message: string): PolicyDecision => ({ allowed: false, reason, message });

/** The clock's slot at `nowMs`; 0 before genesis. */
export function currentSlot(clock: ChainClock, nowMs: number): number {
  if (nowMs < clock.genesisTimeMs) return 0;
  return Math.floor((nowMs - clock.genesisTimeMs) / clock.slotDurationMs);
}

export function currentEpoch(clock: ChainClock, nowMs: number): number {
  return Math.floor(currentSlot(clock, nowMs) / clock.slotsPerEpoch);
}

/** E0 for a signer starting at `nowMs`: the epoch after the clock's. */
export function startGuardEpochAt(clock: ChainClock, nowMs: number): number {
  return currentEpoch(clock, nowMs) + 1;
}

/** When the start guard stops refusing: the start of epoch E0 + 1 (Unix milliseconds). */
export function startGuardEndsAtMs(clock: ChainClock, guardEpoch: number): number {
  return clock.genesisTimeMs + (guardEpoch + 1) * clock.slotsPerEpoch * clock.slotDurationMs;
}

/** The last slot the guard refuses for blocks: the last slot of E0. */
export function startGuardLastSlot(clock: ChainClock, guardEpoch: number): number {
  return (guardEpoch + 1) * clock.slotsPerEpoch - 1;
}

export function checkPolicy(policy: SigningPolicy, request: SigningRequest, protection: ProtectionFacts | null, nowMs: number): PolicyDecision {
  if (policy.refusedTypes.has(request.type)) {
    return refused("refused-type", `refused: this signer is configured to refuse ${request.type} requests (--refuse-types)`);
  }
  if (request.type === "DEPOSIT") return checkDeposit(policy, request.deposit.withdrawalCredentials, request.deposit.genesisForkVersion);
  if (request.type === "VALIDATOR_REGISTRATION") return checkFeeRecipient(policy, request.validatorRegistration.feeRecipient);
  if (protection === null) return ALLOWED;
  return protection.kind === "block"
    ? checkBlockTime(policy, protection.slot, nowMs)
    : checkAttestationTime(policy, protection.sourceEpoch, protection.targetEpoch, nowMs);
}

export function checkBlockTime(policy: SigningPolicy, slot: number, nowMs: number): PolicyDecision {
  const { clock } = policy;
  const now = currentSlot(clock, nowMs);
  const horizon = now + clock.slotsPerEpoch;
  if (slot > horizon) {
    return refused("future", `refused: block slot ${slot} is too far in the future: ${clockSays(clock, nowMs)}, blocks are signed up to slot ${horizon}`);
  }
  const guard = policy.startGuardEpoch;
  if (guard !== null && slot <= startGuardLastSlot(clock, guard)) {
    return refused("start-guard", `refused by the start guard: blocks up to slot ${startGuardLastSlot(clock, guard)} (end of epoch ${guard}) are refused since this start; ${resumes(clock, guard, nowMs)}`);
  }
  return ALLOWED;
}

export function checkAttestationTime(policy: SigningPolicy, sourceEpoch: number, targetEpoch: number, nowMs: number): PolicyDecision {
  const { clock } = policy;
  const horizon = currentEpoch(clock, nowMs) + 1;
  if (targetEpoch > horizon) {
    return refused("future", `refused: attestation target epoch ${targetEpoch} is too far in the future: ${clockSays(clock, nowMs)}, targets are signed up to epoch ${horizon}`);
  }
  const guard = policy.startGuardEpoch;
  if (guard !== null && (targetEpoch <= guard || sourceEpoch < guard)) {
    return refused(
      "start-guard",
      `refused by the start guard: attestations with target at or below epoch ${guard} or source below epoch ${guard} are refused since this start (source ${sourceEpoch}, target ${targetEpoch}); ${resumes(clock, guard, nowMs)}`,
    );
  }
  return ALLOWED;
}

function checkDeposit(policy: SigningPolicy, credentials: Uint8Array, forkVersion: Uint8Array): PolicyDecision {
  const version = hex(forkVersion);
  if (version !== policy.genesisForkVersion) {
    return refused("deposit", `refused: deposit for genesis fork version ${version}, but this signer's network has ${policy.genesisForkVersion}`);
  }
  if (!policy.depositAllow.some((allowance) => depositMatches(allowance, credentials))) {
    const allowed = policy.depositAllow.length === 0 ? "none are allowed (start with --deposit-allow ADDRESS_OR_CREDENTIALS)" : `allowed: ${policy.depositAllow.map(describeAllowance).join(", ")}`;
    return refused("deposit", `refused: deposit to withdrawal credentials ${hex(credentials)}: ${allowed}`);
  }
  return ALLOWED;
}

/** An address matches the 0x01 (execution) and 0x02 (compounding) credentials that pay it. */
export function depositMatches(allowance: DepositAllowance, credentials: Uint8Array): boolean {
  const text = hex(credentials);
  if (allowance.kind === "credentials") return text === allowance.credentials;
  const prefix = credentials[0];
  return (prefix === 0x01 || prefix === 0x02) && text.slice(4, 26) === "00".repeat(11) && "0x" + text.slice(26) === allowance.address;
}

function checkFeeRecipient(policy: SigningPolicy, feeRecipient: Uint8Array): PolicyDecision {
  const allowed = policy.allowedFeeRecipients;
  const recipient = hex(feeRecipient);
  if (allowed !== null && !allowed.includes(recipient)) {
    return refused("fee-recipient", `refused: validator registration for fee recipient ${recipient}; allowed: ${allowed.join(", ")} (--allowed-fee-recipient)`);
  }
  return ALLOWED;
}

/** Parses one --deposit-allow value: an execution address or 32 bytes of withdrawal credentials. */
export function parseDepositAllowance(text: string): DepositAllowance {
  const value = text.trim().toLowerCase();
  if (/^0x[0-9a-f]{40}$/.test(value)) return { kind: "address", address: value };
  if (/^0x[0-9a-f]{64}$/.test(value)) return { kind: "credentials", credentials: value };
  throw new PolicyError(`--deposit-allow ${JSON.stringify(text)}: expected an execution address (0x + 40 hex digits) or withdrawal credentials (0x + 64 hex digits)`);
}

export function parseFeeRecipient(text: string): string {
  const value = text.trim().toLowerCase();
  if (!/^0x[0-9a-f]{40}$/.test(value)) throw new PolicyError(`--allowed-fee-recipient ${JSON.stringify(text)}: expected an execution address (0x + 40 hex digits)`);
  return value;
}

/** Parses --refuse-types (comma-separated, any case) against the known request types. */
export function parseRefusedTypes(text: string, known: readonly string[]): Set<string> {
  const types = text.split(",").map((type) => type.trim().toUpperCase()).filter(Boolean);
  const unknown = types.filter((type) => !known.includes(type));
  if (unknown.length > 0) throw new PolicyError(`--refuse-types: unknown request type ${unknown.join(", ")}; known: ${known.join(", ")}`);
  return new Set(types);
}

/** A policy setting is invalid. */
export class PolicyError extends codedError("policy-config") {
  override name = "PolicyError";
}

function describeAllowance(allowance: DepositAllowance): string {
  return allowance.kind === "address" ? `address ${allowance.address}` : `credentials ${allowance.credentials}`;
}

function clockSays(clock: ChainClock, nowMs: number): string {
  const slot = currentSlot(clock, nowMs);
  return `the signer's clock says slot ${slot}, epoch ${Math.floor(slot / clock.slotsPerEpoch)}`;
}

function resumes(clock: ChainClock, guard: number, nowMs: number): string {
  const seconds = Math.max(0, Math.ceil((startGuardEndsAtMs(clock, guard) - nowMs) / 1000));
  return `signing resumes from epoch ${guard + 1}, in about ${describeDuration(seconds)} (${clockSays(clock, nowMs)})`;
}

export function describeDuration(seconds: number): string {
  if (seconds < 120) return `${seconds} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

/** The start guard as /healthcheck shows it. */
export function startGuardStatus(policy: SigningPolicy, nowMs: number): { on: boolean; active: boolean; epoch?: number; resumesAt?: string } {
  const guard = policy.startGuardEpoch;
  if (guard === null) return { on: false, active: false };
  const endsAt = startGuardEndsAtMs(policy.clock, guard);
  return { on: true, active: nowMs < endsAt, epoch: guard, resumesAt: new Date(endsAt).toISOString() };
}
