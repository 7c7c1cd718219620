/**
 * Runs the official EIP-3076 interchange test suite (eth-clients/slashing-protection-interchange-tests)
 * through a real store, exactly as the suite's README prescribes: one fresh database per test file,
 * steps in order, every successful signing recorded and counted by later checks.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { validateInterchange } from "./interchange.js";
import { describeRefusal } from "./rules.js";
import type { ProtectionStore } from "./store.js";
import type { Decision, ProtectionRequest } from "./types.js";
import { ZERO_ROOT } from "./types.js";

interface SuiteCheck {
  pubkey: string;
  signing_root?: string;
  should_succeed: boolean;
  should_succeed_complete?: boolean;
}
interface SuiteBlock extends SuiteCheck {
  slot: string;
}
interface SuiteAttestation extends SuiteCheck {
  source_epoch: string;
  target_epoch: string;
}
interface SuiteStep {
  should_succeed: boolean;
  contains_slashable_data: boolean;
  interchange: unknown;
  blocks: SuiteBlock[];
  attestations: SuiteAttestation[];
}
interface SuiteTest {
  name: string;
  genesis_validators_root: string;
  steps: SuiteStep[];
}

export interface ConformanceResult {
  file: string;
  name: string;
  checks: number;
  failures: string[];
}

export type StoreFactory = (genesisValidatorsRoot: string) => Promise<ProtectionStore>;

export function listSuiteFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((name) => name.endsWith(".json"))
    .sort()
    .map((name) => join(dir, name));
}

export async function runConformanceFile(file: string, openStore: StoreFactory): Promise<ConformanceResult> {
  const test = JSON.parse(readFileSync(file, "utf8")) as SuiteTest;
  const result: ConformanceResult = { file, name: test.name, checks: 0, failures: [] };
  const store = await openStore(test.genesis_validators_root.toLowerCase());
  try {
    for (const [stepIndex, step] of test.steps.entries()) {
      const where = `step ${stepIndex}`;
      result.checks++;
      const importError = await tryImport(store, step.interchange);
      if (step.should_succeed && importError !== undefined) {
        result.failures.push(`${where}: import should succeed but failed: ${importError}`);
      } else if (!step.should_succeed && importError === undefined) {
        result.failures.push(`${where}: import should fail but succeeded`);
      }
      for (const [i, block] of step.blocks.entries()) {
        const request: ProtectionRequest = {
          kind: "block",
          pubkey: block.pubkey.toLowerCase(),
          slot: Number(block.slot),
          signingRoot: requestRoot(block.signing_root),
        };
        await check(result, store, request, block, `${where} block ${i} (slot ${block.slot})`);
      }
      for (const [i, att] of step.attestations.entries()) {
        const request: ProtectionRequest = {
          kind: "attestation",
          pubkey: att.pubkey.toLowerCase(),
          sourceEpoch: Number(att.source_epoch),
          targetEpoch: Number(att.target_epoch),
          signingRoot: requestRoot(att.signing_root),
        };
        await check(result, store, request, att, `${where} attestation ${i} (source ${att.source_epoch} target ${att.target_epoch})`);
      }
    }
  } finally {
    await store.close();
  }
  return result;
}

/**
 * A signing request's root is what the signer computed, so it is taken literally, zeros included:
 * the suite expects a repeat of a message signed with the zero root to be a harmless re-sign,
 * while an imported record without a root conflicts with everything at its slot.
 */
function requestRoot(root: string | undefined): string {
  return (root ?? ZERO_ROOT).toLowerCase();
}

async function tryImport(store: ProtectionStore, interchange: unknown): Promise<string | undefined> {
  try {
    const parsed = validateInterchange(interchange);
    await store.importHistory(parsed.genesisValidatorsRoot, parsed.validators);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

async function check(
  result: ConformanceResult,
  store: ProtectionStore,
  request: ProtectionRequest,
  expectation: SuiteCheck,
  label: string,
): Promise<void> {
  result.checks++;
  const expected = expectation.should_succeed_complete ?? expectation.should_succeed;
  const [decision] = (await store.checkAndRecord([request])) as [Decision];
  if (decision.allowed !== expected) {
    const got = decision.allowed ? "allowed" : describeRefusal(decision.refusal);
    result.failures.push(`${label}: expected ${expected ? "allowed" : "refused"}, got ${got}`);
  }
}
