/**
 * The pool definition (`pool.json`): everything public about one threshold validator, written by the
 * aggregator's ceremony and read by every party. Nothing secret is in it.
 *
 * ```json
 * {
 *   "format": "bulwark-pool", "version": 1,
 *   "network": "hoodi", "genesis_validators_root": "0x…",
 *   "composite_public_key": "0x…", "threshold": 3,
 *   "participants": [{"id": 1, "identity": "x25519:…", "component_public_key": "0x…", "endpoint": "https://…"}],
 *   "commitments": ["0x…"],            // Feldman commitments, G1 compressed; [0] is the composite key
 *   "deposit_data": {…},                 // one launchpad deposit_data entry, signed with the whole key
 *   "created_at": "2026-11-21T20:00:00.000Z"
 * }
 * ```
 */
import type { DepositDataJson } from "../eth/deposit.js";
import { codedError } from "../errors/bulwark-error.js";

export const POOL_FORMAT = "bulwark-pool";
export const POOL_VERSION = 1;

export interface PoolParticipant {
  /** Share id x in Fr, 1..N. */
  id: number;
  /** The operator's X25519 identity ("x25519:…"), to which its share was encrypted. */
  identity: string;
  /** The public key of the participant's share (0x-hex, 48 bytes). */
  componentPublicKey: string;
  /** Base URL of the participant's distributed-signing API, e.g. https://noop1.example:9100. */
  endpoint: string;
}

export interface PoolDefinition {
  network: string;
  genesisValidatorsRoot: string;
  compositePublicKey: string;
  threshold: number;
  participants: PoolParticipant[];
  commitments: string[];
  depositData: DepositDataJson;
  createdAt: string;
}

export class PoolDefinitionError extends codedError("pool-definition") {
  override name = "PoolDefinitionError";
}

const HEX = (bytes: number) => new RegExp(`^0x[0-9a-f]{${bytes * 2}}$`);

/** Parses and checks a pool definition's structure (not its cryptography: see verifyPoolDefinition). */
export function parsePoolDefinition(json: unknown, source = "pool definition"): PoolDefinition {
  const fail = (field: string, problem: string): never => {
    throw new PoolDefinitionError(`${source}: ${field}: ${problem}`);
  };
  if (json === null || typeof json !== "object" || Array.isArray(json)) fail("document", "expected a JSON object");
  const doc = json as Record<string, unknown>;
  if (doc.format !== POOL_FORMAT) fail("format", `expected "${POOL_FORMAT}"`);
  if (typeof doc.version !== "number" || doc.version > POOL_VERSION) {
    fail("version", `expected ${POOL_VERSION}; a newer file needs a newer Bulwark`);
  }
  const text = (field: string): string => {
    const value = doc[field];
    if (typeof value !== "string" || value === "") fail(field, "expected a string");
    return value as string;
  };
  const hex = (field: string, value: unknown, bytes: number): string => {
    if (typeof value !== "string" || !HEX(bytes).test(value.toLowerCase())) fail(field, `expected 0x followed by ${bytes * 2} hex digits`);
    return (value as string).toLowerCase();
  };
  const threshold = doc.threshold;
  if (typeof threshold !== "number" || !Number.isInteger(threshold) || threshold < 1) fail("threshold", "expected a positive integer");
  if (!Array.isArray(doc.participants) || doc.participants.length === 0) fail("participants", "expected a non-empty array");
  const participants = (doc.participants as unknown[]).map((entry, i): PoolParticipant => {
    const where = `participants[${i}]`;
    if (entry === null || typeof entry !== "object") fail(where, "expected an object");
    const p = entry as Record<string, unknown>;
    if (typeof p.id !== "number" || !Number.isInteger(p.id) || p.id < 1) fail(`${where}.id`, "expected an integer from 1");
    if (typeof p.identity !== "string" || !p.identity.startsWith("x25519:")) fail(`${where}.identity`, 'expected "x25519:…"');
    if (typeof p.endpoint !== "string" || !/^https?:\/\//.test(p.endpoint)) fail(`${where}.endpoint`, "expected an http(s) URL");
    return {
      id: p.id as number,
      identity: p.identity as string,
      componentPublicKey: hex(`${where}.component_public_key`, p.component_public_key, 48),
      endpoint: (p.endpoint as string).replace(/\/+$/, ""),
    };
  });
  const ids = participants.map((p) => p.id);
  if (new Set(ids).size !== ids.length) fail("participants", "participant ids must be distinct");
  if (Math.max(...ids) > participants.length) fail("participants", `ids must be 1..${participants.length}`);
  if ((threshold as number) > participants.length) fail("threshold", `${String(threshold)} is more than the ${participants.length} participants`);
  if (!Array.isArray(doc.commitments) || doc.commitments.length !== threshold) fail("commitments", `expected ${String(threshold)} commitments (one per coefficient)`);
  const commitments = (doc.commitments as unknown[]).map((c, i) => hex(`commitments[${i}]`, c, 48));
  const compositePublicKey = hex("composite_public_key", doc.composite_public_key, 48);
  if (commitments[0] !== compositePublicKey) fail("commitments[0]", "must equal composite_public_key");
  if (doc.deposit_data === null || typeof doc.deposit_data !== "object") fail("deposit_data", "expected a deposit_data entry");
  return {
    network: text("network"),
    genesisValidatorsRoot: hex("genesis_validators_root", doc.genesis_validators_root, 32),
    compositePublicKey,
    threshold: threshold as number,
    participants: participants.sort((a, b) => a.id - b.id),
    commitments,
    depositData: doc.deposit_data as DepositDataJson,
    createdAt: text("created_at"),
  };
}

export function serializePoolDefinition(pool: PoolDefinition): string {
  return (
    JSON.stringify(
      {
        format: POOL_FORMAT,
        version: POOL_VERSION,
        network: pool.network,
        genesis_validators_root: pool.genesisValidatorsRoot,
        composite_public_key: pool.compositePublicKey,
        threshold: pool.threshold,
        participants: pool.participants.map((p) => ({
          id: p.id,
          identity: p.identity,
          component_public_key: p.componentPublicKey,
          endpoint: p.endpoint,
        })),
        commitments: pool.commitments,
        deposit_data: pool.depositData,
        created_at: pool.createdAt,
      },
      null,
      2,
    ) + "\n"
  );
}

/**
 * Where each party keeps its pool state, inside its data directory (all files 0600, directories 0700):
 * - `pools/<composite>.json`: a copy of the pool definition (every party);
 * - `pool-identity.json`: the operator's X25519 identity key, sealed with the sealing secret (operator);
 * - `pool-shares.json`: the operator's shares, a SealedKeyStore file keyed by composite public key (operator);
 * - `pool-whole-keys.json`: the whole validator keys until the exit is pre-signed, a SealedKeyStore
 *   file keyed by composite public key (aggregator);
 * - `exits/<composite>.json`: the pre-signed SignedVoluntaryExit, beacon-API JSON (aggregator);
 * - the usual `slashing-protection.sqlite`, keyed by composite public key (every party).
 */
export const POOL_FILES = {
  definitionsDir: "pools",
  identity: "pool-identity.json",
  shares: "pool-shares.json",
  wholeKeys: "pool-whole-keys.json",
  exitsDir: "exits",
} as const;
