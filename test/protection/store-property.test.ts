/**
 * Property tests of the real SQLite store against the reference model: random sequences of blocks,
 * attestations and imports for several keys, every decision compared; and export-then-import into a
 * fresh database refusing exactly what the original refuses.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import fc from "fast-check";
import { SqliteProtectionStore } from "../../src/protection/sqlite-store.js";
import type { ProtectionStore } from "../../src/protection/store.js";
import type { ProtectionRequest } from "../../src/protection/types.js";
import { validateInterchange, serializeInterchange } from "../../src/protection/interchange.js";
import { memoryTempDir } from "../helpers/temp.js";
import { ReferenceModel } from "./reference-model.js";

const GVR = "0x" + "11".repeat(32);
const KEYS = ["0x" + "a1".repeat(48), "0x" + "b2".repeat(48), "0x" + "c3".repeat(48)];
// Real signing roots are hashes, never zero; imports may also carry unknown (null) roots.
const ROOTS = ["0x" + "01".repeat(32), "0x" + "02".repeat(32), "0x" + "03".repeat(32)];

type Op =
  | { op: "block"; key: number; slot: number; root: number }
  | { op: "attestation"; key: number; source: number; target: number; root: number }
  | {
      op: "import";
      key: number;
      blocks: { slot: number; root: number | null }[];
      attestations: { source: number; target: number; root: number | null }[];
    };

const keyArb = fc.integer({ min: 0, max: KEYS.length - 1 });
const rootArb = fc.integer({ min: 0, max: ROOTS.length - 1 });
const nullableRootArb = fc.option(rootArb, { nil: null });
const epochArb = fc.integer({ min: 0, max: 12 });
// Mostly votes shaped like real ones (target a few epochs after source), so that surround and
// watermark cases are frequent; sometimes anything, including source > target.
const votesArb = fc.oneof(
  { weight: 3, arbitrary: fc.tuple(fc.integer({ min: 0, max: 10 }), fc.integer({ min: 0, max: 7 })).map(([s, d]) => [s, s + d] as const) },
  { weight: 1, arbitrary: fc.tuple(epochArb, epochArb) },
);
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constant("block" as const), key: keyArb, slot: fc.integer({ min: 0, max: 20 }), root: rootArb }) },
  {
    weight: 6,
    arbitrary: fc
      .record({ key: keyArb, votes: votesArb, root: rootArb })
      .map(({ key, votes, root }) => ({ op: "attestation" as const, key, source: votes[0], target: votes[1], root })),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant("import" as const),
      key: keyArb,
      blocks: fc.array(fc.record({ slot: fc.integer({ min: 0, max: 20 }), root: nullableRootArb }), { maxLength: 3 }),
      attestations: fc.array(fc.record({ source: epochArb, target: epochArb, root: nullableRootArb }), { maxLength: 3 }),
    }),
  },
);

function toRequest(op: Exclude<Op, { op: "import" }>): ProtectionRequest {
  return op.op === "block"
    ? { kind: "block", pubkey: KEYS[op.key]!, slot: op.slot, signingRoot: ROOTS[op.root]! }
    : { kind: "attestation", pubkey: KEYS[op.key]!, sourceEpoch: op.source, targetEpoch: op.target, signingRoot: ROOTS[op.root]! };
}

const rootOf = (index: number | null) => (index === null ? null : ROOTS[index]!);

async function apply(store: ProtectionStore, model: ReferenceModel | undefined, op: Op): Promise<boolean> {
  if (op.op === "import") {
    const pubkey = KEYS[op.key]!;
    const blocks = op.blocks.map((b) => ({ slot: b.slot, signingRoot: rootOf(b.root) }));
    const attestations = op.attestations.map((a) => ({ sourceEpoch: a.source, targetEpoch: a.target, signingRoot: rootOf(a.root) }));
    await store.importHistory(GVR, [{ pubkey, blocks, attestations }]);
    model?.importBlocks(pubkey, op.blocks.map((b) => ({ slot: b.slot, root: rootOf(b.root) })));
    model?.importAttestations(pubkey, op.attestations.map((a) => ({ source: a.source, target: a.target, root: rootOf(a.root) })));
    return true;
  }
  const [decision] = await store.checkAndRecord([toRequest(op)]);
  return decision!.allowed;
}

function modelDecision(model: ReferenceModel, op: Exclude<Op, { op: "import" }>): boolean {
  return op.op === "block"
    ? model.signBlock(KEYS[op.key]!, op.slot, ROOTS[op.root]!)
    : model.signAttestation(KEYS[op.key]!, op.source, op.target, ROOTS[op.root]!);
}

async function exportText(store: ProtectionStore): Promise<string> {
  let text = "";
  for await (const chunk of serializeInterchange(store.genesisValidatorsRoot, store.exportHistory())) text += chunk;
  return text;
}

describe("SQLite store against the reference model", () => {
  const dir = memoryTempDir();
  after(dir.cleanup);
  let run = 0;
  const open = () => SqliteProtectionStore.open({ dataDir: join(dir.path, String(run++)), genesisValidatorsRoot: GVR });

  test("every decision of a random sequence matches the model", async () => {
    let allowedTotal = 0;
    let refusedTotal = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 60 }), async (ops) => {
        const store = open();
        const model = new ReferenceModel();
        try {
          for (const [i, op] of ops.entries()) {
            if (op.op === "import") {
              await apply(store, model, op);
              continue;
            }
            const expected = modelDecision(model, op);
            const actual = await apply(store, undefined, op);
            if (actual) allowedTotal++;
            else refusedTotal++;
            assert.equal(actual, expected, `op ${i}: ${JSON.stringify(op)}`);
          }
        } finally {
          await store.close();
        }
      }),
      { numRuns: 500 },
    );
    assert.ok(allowedTotal > 100 && refusedTotal > 100, `${allowedTotal} allowed, ${refusedTotal} refused`);
  });

  test("export then import into a fresh database refuses exactly what the original refuses", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(opArb, { minLength: 1, maxLength: 40 }),
        fc.array(opArb.filter((op) => op.op !== "import"), { minLength: 1, maxLength: 30 }),
        async (history, probes) => {
          const original = open();
          const copy = open();
          try {
            for (const op of history) await apply(original, undefined, op);
            const exported = validateInterchange(JSON.parse(await exportText(original)));
            await copy.importHistory(exported.genesisValidatorsRoot, exported.validators);
            for (const [i, probe] of probes.entries()) {
              const a = await apply(original, undefined, probe);
              const b = await apply(copy, undefined, probe);
              assert.equal(b, a, `probe ${i}: ${JSON.stringify(probe)}`);
            }
          } finally {
            await original.close();
            await copy.close();
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
