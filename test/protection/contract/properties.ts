/**
 * Property tests of any protection store, shared by every backend through describeProtectionStore:
 * - every decision of random blocks, attestations and imports (slashable data included) against the
 *   reference model;
 * - export then import into a second store refuses exactly what the original refuses;
 * - after `prune`, every request the unpruned history refuses is still refused, and what remains is
 *   exactly what prune.ts says may go.
 * Each run uses keys of its own, so one pair of databases serves every run.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import type { ValidatorHistory } from "../../../src/protection/history.js";
import { serializeInterchange, validateInterchange } from "../../../src/protection/interchange.js";
import { attestationCutoff } from "../../../src/protection/prune.js";
import type { ProtectionStore } from "../../../src/protection/store.js";
import type { ProtectionRequest } from "../../../src/protection/types.js";
import { ReferenceModel } from "../reference-model.js";

export const PROPERTY_GVR = "0x" + "11".repeat(32);
const GVR = PROPERTY_GVR;
const ROOTS = ["0x" + "01".repeat(32), "0x" + "02".repeat(32), "0x" + "03".repeat(32)];
const KEYS_PER_RUN = 3;

/** Three keys no other run uses. */
export function keysFor(run: number): string[] {
  return Array.from({ length: KEYS_PER_RUN }, (_, k) => "0x" + run.toString(16).padStart(6, "0") + k.toString(16).padStart(2, "0") + "ab".repeat(44));
}

type Probe = { op: "block"; key: number; slot: number; root: number } | { op: "attestation"; key: number; source: number; target: number; root: number };
type Op =
  | Probe
  | {
      op: "import";
      key: number;
      blocks: { slot: number; root: number | null }[];
      attestations: { source: number; target: number; root: number | null }[];
    };

const keyArb = fc.integer({ min: 0, max: KEYS_PER_RUN - 1 });
const rootArb = fc.integer({ min: 0, max: ROOTS.length - 1 });
const nullableRootArb = fc.option(rootArb, { nil: null });
const epochArb = fc.integer({ min: 0, max: 14 });
const slotArb = fc.integer({ min: 0, max: 40 });
// Mostly votes shaped like real ones (target a few epochs after source); sometimes anything.
const votesArb = fc.oneof(
  { weight: 3, arbitrary: fc.tuple(fc.integer({ min: 0, max: 12 }), fc.integer({ min: 0, max: 6 })).map(([s, d]) => [s, s + d] as const) },
  { weight: 1, arbitrary: fc.tuple(epochArb, epochArb) },
);
const probeArb: fc.Arbitrary<Probe> = fc.oneof(
  { weight: 2, arbitrary: fc.record({ op: fc.constant("block" as const), key: keyArb, slot: slotArb, root: rootArb }) },
  {
    weight: 3,
    arbitrary: fc
      .record({ key: keyArb, votes: votesArb, root: rootArb })
      .map(({ key, votes, root }) => ({ op: "attestation" as const, key, source: votes[0], target: votes[1], root })),
  },
);
// Imports may carry slashable data (surrounds, double votes, source > target, unknown roots).
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: probeArb },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant("import" as const),
      key: keyArb,
      blocks: fc.array(fc.record({ slot: slotArb, root: nullableRootArb }), { maxLength: 4 }),
      attestations: fc.array(fc.record({ source: epochArb, target: epochArb, root: nullableRootArb }), { maxLength: 4 }),
    }),
  },
);

const rootOf = (index: number | null) => (index === null ? null : ROOTS[index]!);

function toRequest(keys: string[], op: Probe): ProtectionRequest {
  return op.op === "block"
    ? { kind: "block", pubkey: keys[op.key]!, slot: op.slot, signingRoot: ROOTS[op.root]! }
    : { kind: "attestation", pubkey: keys[op.key]!, sourceEpoch: op.source, targetEpoch: op.target, signingRoot: ROOTS[op.root]! };
}

async function apply(store: ProtectionStore, keys: string[], op: Op, model?: ReferenceModel): Promise<boolean> {
  if (op.op === "import") {
    const pubkey = keys[op.key]!;
    await store.importHistory(GVR, [
      {
        pubkey,
        blocks: op.blocks.map((b) => ({ slot: b.slot, signingRoot: rootOf(b.root) })),
        attestations: op.attestations.map((a) => ({ sourceEpoch: a.source, targetEpoch: a.target, signingRoot: rootOf(a.root) })),
      },
    ]);
    model?.importBlocks(pubkey, op.blocks.map((b) => ({ slot: b.slot, root: rootOf(b.root) })));
    model?.importAttestations(pubkey, op.attestations.map((a) => ({ source: a.source, target: a.target, root: rootOf(a.root) })));
    return true;
  }
  const [decision] = await store.checkAndRecord([toRequest(keys, op)]);
  return decision!.allowed;
}

async function exportOf(store: ProtectionStore, keys: string[]): Promise<ValidatorHistory[]> {
  const out: ValidatorHistory[] = [];
  for await (const history of store.exportHistory(keys)) out.push(history);
  return out;
}

const blockText = (b: { slot: number; signingRoot: string | null }) => `${b.slot}/${b.signingRoot}`;
const attText = (a: { sourceEpoch: number; targetEpoch: number; signingRoot: string | null }) => `${a.sourceEpoch}/${a.targetEpoch}/${a.signingRoot}`;

interface PruneStats {
  runs: number;
  refusedBefore: number;
  refusedOnlyAfter: number;
  removed: number;
  keptForSafety: number;
}

/** The prune property over one pair of stores of one kind (original, and the copy that is pruned). */
export function pruneProperty(pair: () => { original: ProtectionStore; pruned: ProtectionStore }, nextRun: () => number, numRuns: number): () => Promise<PruneStats> {
  return async () => {
    const stats: PruneStats = { runs: 0, refusedBefore: 0, refusedOnlyAfter: 0, removed: 0, keptForSafety: 0 };
    await fc.assert(
      fc.asyncProperty(
        fc.array(opArb, { minLength: 1, maxLength: 40 }),
        fc.integer({ min: 0, max: 6 }),
        fc.integer({ min: 1, max: 4 }),
        fc.array(probeArb, { minLength: 1, maxLength: 30 }),
        async (history, keepEpochs, slotsPerEpoch, probes) => {
          const { original, pruned } = pair();
          const keys = keysFor(nextRun());
          stats.runs++;
          for (const op of history) await apply(original, keys, op);
          const before = await exportOf(original, keys);
          await pruned.importHistory(GVR, before);
          const summary = await pruned.prune(keepEpochs, slotsPerEpoch);
          stats.keptForSafety += summary.attestationsKept > 0 ? 1 : 0;

          // What remains is exactly what prune.ts allows to go, no more, no less.
          const after = await exportOf(pruned, keys);
          for (const [i, was] of before.entries()) {
            const now = after[i]!;
            const latestSlot = Math.max(...was.blocks.map((b) => b.slot));
            const keptBlocks = was.blocks.filter((b) => b.slot >= latestSlot - keepEpochs * slotsPerEpoch);
            const cutoff = attestationCutoff(was.attestations, keepEpochs);
            const keptAttestations = was.attestations.filter((a) => cutoff === null || a.targetEpoch > cutoff);
            assert.deepEqual(now.blocks.map(blockText).sort(), keptBlocks.map(blockText).sort(), `blocks of key ${i}`);
            assert.deepEqual(now.attestations.map(attText).sort(), keptAttestations.map(attText).sort(), `attestations of key ${i}`);
            stats.removed += was.blocks.length - keptBlocks.length + was.attestations.length - keptAttestations.length;
          }

          // Everything refused before is refused after. Both stores record what they allow, so they
          // stay comparable until the pruned one refuses something the original allowed.
          for (const [i, probe] of probes.entries()) {
            const allowedBefore = await apply(original, keys, probe);
            const allowedAfter = await apply(pruned, keys, probe);
            if (!allowedBefore) {
              stats.refusedBefore++;
              assert.equal(allowedAfter, false, `probe ${i} ${JSON.stringify(probe)} refused before pruning, allowed after`);
            } else if (!allowedAfter) {
              stats.refusedOnlyAfter++;
              break;
            }
          }
        },
      ),
      { numRuns },
    );
    return stats;
  };
}

export function assertCoverage(stats: PruneStats): void {
  assert.ok(stats.refusedBefore > stats.runs, JSON.stringify(stats));
  assert.ok(stats.removed > stats.runs, JSON.stringify(stats));
  assert.ok(stats.refusedOnlyAfter > 0, JSON.stringify(stats));
  assert.ok(stats.keptForSafety > 0, `no run needed the surround safeguard: ${JSON.stringify(stats)}`);
}

/** Fixed cases on any store: a regular history, and the surround that naive pruning would let through. */
export async function pruneExamples(open: () => Promise<ProtectionStore>): Promise<void> {
  const pk = "0x" + "77".repeat(48);
  const store = await open();
  try {
    await store.checkAndRecord([
      ...Array.from({ length: 100 }, (_, e): ProtectionRequest => ({ kind: "attestation", pubkey: pk, sourceEpoch: e, targetEpoch: e + 1, signingRoot: ROOTS[0]! })),
      ...Array.from({ length: 100 }, (_, e): ProtectionRequest => ({ kind: "block", pubkey: pk, slot: e * 32 + 3, signingRoot: ROOTS[0]! })),
    ]);
    // Latest target 100, keep 10: targets below 90 go (1..89). Latest slot 3171, keep 320 slots.
    assert.deepEqual(await store.prune(10, 32), { validators: 1, blocksRemoved: 89, attestationsRemoved: 89, attestationsKept: 0 });
    const [history] = await exportOf(store, [pk]);
    assert.equal(history!.attestations[0]!.targetEpoch, 90);
    assert.equal(history!.blocks[0]!.slot, 89 * 32 + 3);
    const decisions = await store.checkAndRecord([
      { kind: "attestation", pubkey: pk, sourceEpoch: 50, targetEpoch: 51, signingRoot: ROOTS[1]! }, // was a double vote
      { kind: "attestation", pubkey: pk, sourceEpoch: 99, targetEpoch: 100, signingRoot: ROOTS[0]! }, // repeat
      { kind: "block", pubkey: pk, slot: 3, signingRoot: ROOTS[1]! }, // was a double block
      { kind: "attestation", pubkey: pk, sourceEpoch: 100, targetEpoch: 101, signingRoot: ROOTS[0]! },
    ]);
    assert.deepEqual(
      decisions.map((d) => (d.allowed ? "allowed" : d.refusal.reason)),
      ["source-below-lowest-source", "allowed", "block-below-lowest-slot", "allowed"],
    );
    assert.deepEqual(await store.prune(1000, 32), { validators: 0, blocksRemoved: 0, attestationsRemoved: 0, attestationsKept: 0 });

    // Imported slashable data: (2,20) surrounds (5,6). Removing (5,6) would allow (3,25), which
    // surrounds it; prune keeps it instead.
    const other = "0x" + "78".repeat(48);
    await store.importHistory(GVR, [
      {
        pubkey: other,
        blocks: [],
        attestations: [
          { sourceEpoch: 5, targetEpoch: 6, signingRoot: null },
          { sourceEpoch: 2, targetEpoch: 20, signingRoot: null },
        ],
      },
    ]);
    // (The first key loses all but its latest records: 10 blocks and 11 attestations.)
    assert.deepEqual(await store.prune(0, 32), { validators: 1, blocksRemoved: 10, attestationsRemoved: 11, attestationsKept: 1 });
    const [probe] = await store.checkAndRecord([{ kind: "attestation", pubkey: other, sourceEpoch: 3, targetEpoch: 25, signingRoot: ROOTS[0]! }]);
    assert.ok(!probe!.allowed && probe!.refusal.reason === "surrounds-existing", JSON.stringify(probe));
  } finally {
    await store.close();
  }
}


/** Every decision of random sequences on one store matches the reference model. */
export async function modelProperty(store: ProtectionStore, nextRun: () => number, numRuns: number): Promise<void> {
  let allowedTotal = 0;
  let refusedTotal = 0;
  await fc.assert(
    fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 50 }), async (ops) => {
      const keys = keysFor(nextRun());
      const model = new ReferenceModel();
      for (const [i, op] of ops.entries()) {
        if (op.op === "import") {
          await apply(store, keys, op, model);
          continue;
        }
        const expected =
          op.op === "block"
            ? model.signBlock(keys[op.key]!, op.slot, ROOTS[op.root]!)
            : model.signAttestation(keys[op.key]!, op.source, op.target, ROOTS[op.root]!);
        const actual = await apply(store, keys, op);
        if (actual) allowedTotal++;
        else refusedTotal++;
        assert.equal(actual, expected, `op ${i}: ${JSON.stringify(op)}`);
      }
    }),
    { numRuns },
  );
  assert.ok(allowedTotal > 100 && refusedTotal > 100, `${allowedTotal} allowed, ${refusedTotal} refused`);
}

/** The EIP-3076 file of `keys`, exported from `original` and imported into `copy`, refuses exactly what the original refuses. */
export async function exportImportProperty(original: ProtectionStore, copy: ProtectionStore, nextRun: () => number, numRuns: number): Promise<void> {
  await fc.assert(
    fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 40 }), fc.array(probeArb, { minLength: 1, maxLength: 30 }), async (history, probes) => {
      const keys = keysFor(nextRun());
      for (const op of history) await apply(original, keys, op);
      let text = "";
      for await (const chunk of serializeInterchange(original.genesisValidatorsRoot, original.exportHistory(keys))) text += chunk;
      const exported = validateInterchange(JSON.parse(text));
      await copy.importHistory(exported.genesisValidatorsRoot, exported.validators);
      for (const [i, probe] of probes.entries()) {
        const a = await apply(original, keys, probe);
        const b = await apply(copy, keys, probe);
        assert.equal(b, a, `probe ${i}: ${JSON.stringify(probe)}`);
      }
    }),
    { numRuns },
  );
}
