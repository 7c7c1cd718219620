/** The pure cut-off rule of prune.ts (the stores' prune is tested by the store contract). */
import assert from "node:assert/strict";
import { test } from "node:test";
import { attestationCutoff } from "../../src/protection/prune.js";

test("the rule in prune.ts: the largest cut-off whose removed sources are all <= the kept ones", () => {
  const a = (s: number, t: number) => ({ sourceEpoch: s, targetEpoch: t, signingRoot: null });
  assert.equal(attestationCutoff([], 0), null);
  assert.equal(attestationCutoff([a(0, 1), a(1, 2), a(2, 3)], 0), 2);
  assert.equal(attestationCutoff([a(0, 1), a(1, 2), a(2, 3)], 1), 1);
  assert.equal(attestationCutoff([a(0, 1), a(1, 2), a(2, 3)], 2), null);
  assert.equal(attestationCutoff([a(5, 6), a(2, 20)], 0), null);
  // Removing a whole slashable pair is fine when every kept source is above it...
  assert.equal(attestationCutoff([a(0, 1), a(5, 6), a(2, 20), a(20, 21)], 0), 20);
  // ...but not half of it.
  assert.equal(attestationCutoff([a(0, 1), a(5, 6), a(2, 20), a(20, 21)], 1), 1);
  // Equal sources are fine: (3,4) then (3,9).
  assert.equal(attestationCutoff([a(3, 4), a(3, 9)], 0), 4);
});
