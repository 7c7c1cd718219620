/** Request bodies: exact u64 nonces from the JSON text, whatever else the object holds. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { BodyError, hexField, parseObjectBody, u64Field } from "../../src/commit-boost/json-body.js";

const parse = (text: string) => parseObjectBody(Buffer.from(text, "utf8"));

describe("Commit-Boost request bodies", () => {
  test("u64 nonces keep every digit, past what a JS number holds, around nested values, escapes and whitespace", () => {
    const max = ((1n << 64n) - 1n).toString();
    assert.equal(u64Field(parse(`{"nonce":${max}}`), "nonce"), max);
    const body = parse(`{ "a\\"nonce": 1, "x": {"nonce": 5, "s": "}\\"]"}, "list": [1, [2, {"nonce": 3}]],\n\t"nonce" :  9007199254740993 , "z": null }`);
    assert.equal(u64Field(body, "nonce"), "9007199254740993");
    assert.equal(body.fields.z, null);
    // Duplicate keys: the last one wins, as JSON.parse decides for the other fields.
    assert.equal(u64Field(parse(`{"nonce": 1, "nonce": 2}`), "nonce"), "2");
  });

  test("nonces that are not u64 JSON integers are refused", () => {
    for (const raw of ["-1", "1.0", "1e3", '"5"', "18446744073709551616", "null", "true", "01"]) {
      assert.throws(() => u64Field(parse(`{"nonce": ${raw}}`), "nonce"), BodyError, raw);
    }
    assert.throws(() => u64Field(parse(`{}`), "nonce"), /required/);
  });

  test("hex fields take an optional 0x and come back lowercase 0x; bodies must be JSON objects", () => {
    assert.equal(hexField(parse(`{"r":"AB${"cd".repeat(31)}"}`), "r", 32), `0xab${"cd".repeat(31)}`);
    assert.throws(() => hexField(parse(`{"r":"0x12"}`), "r", 32), BodyError);
    for (const text of ["[1]", '"x"', "{", "null"]) assert.throws(() => parse(text), BodyError, text);
    assert.deepEqual(parse("  ").fields, {});
  });
});
