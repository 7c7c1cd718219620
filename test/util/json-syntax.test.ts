import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { findJsonSyntaxError } from "../../src/util/json-syntax.js";

const jsonErrorOffset = (text: string) => findJsonSyntaxError(text)?.offset;

const SAMPLE = JSON.stringify(
  { crypto: { kdf: { function: "scrypt", params: { n: 262144, salt: "d4e5" }, message: "" } }, pubkey: "96", version: 4, x: [1.5e-3, -0, true, false, null, "\u00e9\\n"] },
  null,
  2,
);

/** What V8 says, for comparison: undefined when valid, else the position it reports (if any). */
function v8(text: string): { valid: boolean; position?: number } {
  try {
    JSON.parse(text);
    return { valid: true };
  } catch (err) {
    const match = /at position (\d+)/.exec((err as Error).message);
    if (match) return { valid: false, position: Number(match[1]) };
    if (/end of JSON input/.test((err as Error).message)) return { valid: false, position: text.length };
    return { valid: false };
  }
}

test("known cases", () => {
  assert.equal(jsonErrorOffset(SAMPLE), undefined);
  assert.equal(jsonErrorOffset('{"a": }'), 6);
  assert.equal(jsonErrorOffset('{"a":1,}'), 7);
  assert.equal(jsonErrorOffset("[01]"), 2);
  assert.equal(jsonErrorOffset('{"a":1'), 6);
  assert.equal(jsonErrorOffset(""), 0);
  assert.equal(jsonErrorOffset('"\\x"'), 2);
  assert.equal(jsonErrorOffset("[tru]"), 4);
});

test("agrees with JSON.parse on validity and on every position V8 reports", () => {
  const edit = fc.record({
    at: fc.nat({ max: SAMPLE.length }),
    remove: fc.nat({ max: 3 }),
    insert: fc.string({ maxLength: 3, unit: fc.constantFrom(..."{}[]:,\"\\ -01e.tfnux\n") }),
  });
  fc.assert(
    fc.property(fc.array(edit, { minLength: 1, maxLength: 3 }), (edits) => {
      let text = SAMPLE;
      for (const { at, remove, insert } of edits) text = text.slice(0, at) + insert + text.slice(at + remove);
      const expected = v8(text);
      const offset = jsonErrorOffset(text);
      assert.equal(offset === undefined, expected.valid, `validity differs for ${JSON.stringify(text)}`);
      if (expected.position !== undefined) assert.equal(offset, expected.position, `position differs for ${JSON.stringify(text)}`);
    }),
    { numRuns: 3000 },
  );
});

test("deep nesting is located without overflowing the stack", () => {
  const depth = 200_000;
  const text = "[".repeat(depth) + "]".repeat(depth - 1) + "x";
  const found = findJsonSyntaxError(text);
  assert.equal(found?.offset, 2 * depth - 1);
  assert.equal(found?.line, 1);
});

test("long numbers do not shift the reported column", () => {
  const digits = "1".repeat(500);
  const text = `{"a": ${digits}, "b": x}`;
  assert.equal(findJsonSyntaxError(text)?.column, text.indexOf("x") + 1);
});

test("lines and columns count from 1 across newlines", () => {
  const found = findJsonSyntaxError('{\n  "a": 1,\n  "b": ,\n}');
  assert.deepEqual([found?.line, found?.column], [3, 8]);
});
