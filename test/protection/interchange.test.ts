/**
 * EIP-3076 interchange parsing, validation and serialisation: precise error locations (JSON paths
 * for field errors, line and column for syntax errors), normalisation of roots and integers, and
 * round trips through serializeInterchange.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { ValidatorHistory } from "../../src/protection/history.js";
import {
  InterchangeFormatError,
  parseInterchange,
  serializeInterchange,
  validateInterchange,
} from "../../src/protection/interchange.js";

// dist/test/protection/ -> repository root -> ../shared
const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const SHARED = join(REPO_ROOT, "..", "shared");
const SUITE_DIR = join(SHARED, "vectors", "eip3076-interchange-tests");
const SCHEMA_PATH = join(SUITE_DIR, "interchange.schema.json");

const GVR = "0x" + "4b".repeat(32);
const PK_A = "0x" + "a1".repeat(48);
const PK_B = "0x" + "b2".repeat(48);
const ROOT_1 = "0x" + "11".repeat(32);
const ROOT_2 = "0x" + "22".repeat(32);
const ZERO = "0x" + "00".repeat(32);
const MAX_SAFE = 9007199254740991; // 2^53 - 1

type Json = Record<string, unknown>;

/** A valid document with two validators; tests mutate copies of it. */
function baseDocument(): Json {
  return {
    metadata: { interchange_format_version: "5", genesis_validators_root: GVR },
    data: [
      {
        pubkey: PK_A,
        signed_blocks: [{ slot: "10", signing_root: ROOT_1 }, { slot: "11" }],
        signed_attestations: [{ source_epoch: "1", target_epoch: "2", signing_root: ROOT_2 }],
      },
      {
        pubkey: PK_B,
        signed_blocks: [{ slot: "5" }, { slot: "6" }, { slot: "7", signing_root: ROOT_1 }],
        signed_attestations: [
          { source_epoch: "0", target_epoch: "1" },
          { source_epoch: "1", target_epoch: "3", signing_root: ROOT_1 },
        ],
      },
    ],
  };
}

function validator(doc: Json, i: number): Json {
  return (doc.data as Json[])[i]!;
}
function block(doc: Json, v: number, b: number): Json {
  return (validator(doc, v).signed_blocks as Json[])[b]!;
}
function attestation(doc: Json, v: number, a: number): Json {
  return (validator(doc, v).signed_attestations as Json[])[a]!;
}

/** Asserts that `fn` throws an InterchangeFormatError located at exactly `location`. */
function assertFormatError(fn: () => unknown, location: string, messageIncludes?: string): InterchangeFormatError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  assert.ok(caught !== undefined, `expected an error at ${location}, but nothing was thrown`);
  assert.ok(caught instanceof InterchangeFormatError, `expected InterchangeFormatError, got ${String(caught)}`);
  assert.equal(caught.location, location);
  assert.ok(caught.message.startsWith(`${location}: `), `message should start with the location: ${caught.message}`);
  if (messageIncludes !== undefined) {
    assert.ok(caught.message.includes(messageIncludes), `message should mention ${messageIncludes}: ${caught.message}`);
  }
  return caught;
}

/** Field errors must be found the same way from parsed JSON and from text. */
function assertFieldError(doc: unknown, location: string, messageIncludes?: string): void {
  assertFormatError(() => validateInterchange(doc), location, messageIncludes);
  assertFormatError(() => parseInterchange(JSON.stringify(doc, null, 2)), location, messageIncludes);
}

async function collect(chunks: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const chunk of chunks) out.push(chunk);
  return out;
}

async function serialize(
  gvr: string,
  validators: Iterable<ValidatorHistory> | AsyncIterable<ValidatorHistory>,
): Promise<string> {
  return (await collect(serializeInterchange(gvr, validators))).join("");
}

describe("validateInterchange: field errors name the JSON path", () => {
  test("the base document is valid", () => {
    const parsed = validateInterchange(baseDocument());
    assert.equal(parsed.genesisValidatorsRoot, GVR);
    assert.equal(parsed.validators.length, 2);
    assert.equal(parsed.validators[1]!.blocks.length, 3);
    assert.equal(parsed.validators[1]!.attestations.length, 2);
  });

  test("the document itself must be an object", () => {
    for (const doc of [null, [], "x", 5, true]) assertFieldError(doc, "document");
  });

  test("missing or malformed metadata", () => {
    const missing = baseDocument();
    delete missing.metadata;
    assertFieldError(missing, "metadata", "missing");
    for (const bad of [null, [], "5", 5]) {
      const doc = baseDocument();
      doc.metadata = bad;
      assertFieldError(doc, "metadata");
    }
  });

  test("wrong or missing format version", () => {
    for (const version of ["4", "6", 5, "5.0", "", null]) {
      const doc = baseDocument();
      (doc.metadata as Json).interchange_format_version = version;
      assertFieldError(doc, "metadata.interchange_format_version", JSON.stringify(version));
    }
    const doc = baseDocument();
    delete (doc.metadata as Json).interchange_format_version;
    assertFieldError(doc, "metadata.interchange_format_version");
  });

  test("bad genesis validators root", () => {
    const bad = [
      "0x" + "4b".repeat(31), // 31 bytes
      "0x" + "4b".repeat(33), // 33 bytes
      "4b".repeat(32) + "00", // no 0x, right length
      "0x" + "zz".repeat(32), // not hex
      "0x" + "4b".repeat(31) + "4", // odd length
      32,
      null,
    ];
    for (const gvr of bad) {
      const doc = baseDocument();
      (doc.metadata as Json).genesis_validators_root = gvr;
      assertFieldError(doc, "metadata.genesis_validators_root");
    }
    const doc = baseDocument();
    delete (doc.metadata as Json).genesis_validators_root;
    assertFieldError(doc, "metadata.genesis_validators_root", "missing");
  });

  test("data must be an array of objects", () => {
    const missing = baseDocument();
    delete missing.data;
    assertFieldError(missing, "data");
    const object = baseDocument();
    object.data = {};
    assertFieldError(object, "data");
    const entry = baseDocument();
    (entry.data as unknown[])[1] = "0xabc";
    assertFieldError(entry, "data[1]");
  });

  test("bad pubkey length or content, in the entry that has it", () => {
    const bad = ["0x" + "b2".repeat(47), "0x" + "b2".repeat(49), "0x" + "b2".repeat(47) + "g2", "b2".repeat(49), 7];
    for (const pubkey of bad) {
      const doc = baseDocument();
      validator(doc, 1).pubkey = pubkey;
      assertFieldError(doc, "data[1].pubkey");
    }
    const doc = baseDocument();
    delete validator(doc, 0).pubkey;
    assertFieldError(doc, "data[0].pubkey", "missing");
  });

  test("signed_blocks and signed_attestations are required arrays", () => {
    const noBlocks = baseDocument();
    delete validator(noBlocks, 1).signed_blocks;
    assertFieldError(noBlocks, "data[1].signed_blocks");
    const noAttestations = baseDocument();
    delete validator(noAttestations, 0).signed_attestations;
    assertFieldError(noAttestations, "data[0].signed_attestations");
    const blockNotObject = baseDocument();
    (validator(blockNotObject, 1).signed_blocks as unknown[])[2] = "7";
    assertFieldError(blockNotObject, "data[1].signed_blocks[2]");
  });

  const badIntegers: Array<[string, unknown]> = [
    ["negative string", "-1"],
    ["negative number", -1],
    ["float number", 1.5],
    ["float string", "1.5"],
    ["leading zero", "01"],
    ["non-numeric", "abc"],
    ["hex string", "0x10"],
    ["empty string", ""],
    ["padded", " 1"],
    ["exponent string", "1e3"],
    ["boolean", true],
    ["null", null],
    ["missing", undefined],
  ];

  for (const [label, value] of badIntegers) {
    test(`slot ${label} is refused at its path`, () => {
      const doc = baseDocument();
      if (value === undefined) delete block(doc, 1, 2).slot;
      else block(doc, 1, 2).slot = value;
      assertFieldError(doc, "data[1].signed_blocks[2].slot");
    });
  }

  test("source_epoch and target_epoch errors name their own field", () => {
    for (const [, value] of badIntegers) {
      const source = baseDocument();
      if (value === undefined) delete attestation(source, 1, 1).source_epoch;
      else attestation(source, 1, 1).source_epoch = value;
      assertFieldError(source, "data[1].signed_attestations[1].source_epoch");

      const target = baseDocument();
      if (value === undefined) delete attestation(target, 0, 0).target_epoch;
      else attestation(target, 0, 0).target_epoch = value;
      assertFieldError(target, "data[0].signed_attestations[0].target_epoch");
    }
  });

  test("integers above 2^53-1 are refused; 2^53-1 itself is accepted", () => {
    for (const value of ["9007199254740992", "18446744073709551615", "99999999999999999999999", 2 ** 53, 1e300]) {
      const doc = baseDocument();
      block(doc, 0, 1).slot = value;
      assertFieldError(doc, "data[0].signed_blocks[1].slot");
      const att = baseDocument();
      attestation(att, 1, 0).target_epoch = value;
      assertFieldError(att, "data[1].signed_attestations[0].target_epoch");
    }
    // The text form keeps every digit; JSON.parse would round the number, so also check from text.
    const text = JSON.stringify(baseDocument()).replace('"slot":"11"', '"slot":9007199254740993');
    assertFormatError(() => parseInterchange(text), "data[0].signed_blocks[1].slot");

    const ok = baseDocument();
    block(ok, 0, 1).slot = String(MAX_SAFE);
    attestation(ok, 0, 0).target_epoch = String(MAX_SAFE);
    attestation(ok, 0, 0).source_epoch = MAX_SAFE;
    const parsed = validateInterchange(ok);
    assert.equal(parsed.validators[0]!.blocks[1]!.slot, MAX_SAFE);
    assert.equal(parsed.validators[0]!.attestations[0]!.targetEpoch, MAX_SAFE);
    assert.equal(parsed.validators[0]!.attestations[0]!.sourceEpoch, MAX_SAFE);
  });

  test("signing_root of the wrong length or content is refused at its path", () => {
    const bad = ["0x" + "11".repeat(31), "0x" + "11".repeat(33), "0x", "11".repeat(33), "0x" + "xy".repeat(32), 0, ""];
    for (const root of bad) {
      const blockDoc = baseDocument();
      block(blockDoc, 1, 1).signing_root = root;
      assertFieldError(blockDoc, "data[1].signed_blocks[1].signing_root");
      const attDoc = baseDocument();
      attestation(attDoc, 1, 1).signing_root = root;
      assertFieldError(attDoc, "data[1].signed_attestations[1].signing_root");
    }
  });

  test("the first error in document order is the one reported", () => {
    const doc = baseDocument();
    validator(doc, 0).pubkey = "0x12";
    block(doc, 1, 0).slot = "-5";
    assertFieldError(doc, "data[0].pubkey");
  });
});

describe("parseInterchange: syntax errors give line and column", () => {
  const gvrLine = `    "genesis_validators_root": "${GVR}"`;

  /** Joins lines with `eol` and asserts the reported location. */
  function assertSyntaxAt(lines: string[], line: number, column: number, eol = "\n"): void {
    const err = assertFormatError(() => parseInterchange(lines.join(eol)), `line ${line} column ${column}`);
    assert.match(err.problem, /invalid JSON/);
  }

  test("a missing comma between two properties", () => {
    const prefix = `    {"pubkey": "${PK_A}", "signed_blocks": [{"slot": "1"}] `;
    const lines = [
      "{",
      '  "metadata": {',
      '    "interchange_format_version": "5",',
      gvrLine,
      "  },",
      '  "data": [',
      prefix + '"signed_attestations": []}',
      "  ]",
      "}",
    ];
    assertSyntaxAt(lines, 7, prefix.length + 1);
  });

  test("the same error with CRLF line endings is on the same line and column", () => {
    const prefix = `    {"pubkey": "${PK_A}", "signed_blocks": [{"slot": "1"}] `;
    const lines = [
      "{",
      '  "metadata": {',
      '    "interchange_format_version": "5",',
      gvrLine,
      "  },",
      '  "data": [',
      prefix + '"signed_attestations": []}',
      "  ]",
      "}",
    ];
    assertSyntaxAt(lines, 7, prefix.length + 1, "\r\n");
  });

  test("a doubled comma", () => {
    const before = '    "interchange_format_version": "5",';
    const lines = ["{", '  "metadata": {', before + ",", gvrLine, "  },", '  "data": []', "}"];
    assertSyntaxAt(lines, 3, before.length + 1);
  });

  test("a trailing comma before ]", () => {
    const lines = [
      "{",
      `  "metadata": {"interchange_format_version": "5", "genesis_validators_root": "${GVR}"},`,
      '  "data": [',
      `    {"pubkey": "${PK_A}", "signed_blocks": [], "signed_attestations": []},`,
      "  ]",
      "}",
    ];
    assertSyntaxAt(lines, 5, 3);
  });

  test("a single-quoted string", () => {
    const prefix = '  "metadata": {"interchange_format_version": ';
    const lines = ["{", prefix + `'5', "genesis_validators_root": "${GVR}"},`, '  "data": []', "}"];
    assertSyntaxAt(lines, 2, prefix.length + 1);
  });

  test("a raw line break inside a string points at the break", () => {
    const prefix = `    "genesis_validators_root": "0x${"4b".repeat(10)}`;
    // The string is cut by a newline: the error is at the end of line 4 (the newline character).
    const lines = ["{", '  "metadata": {', '    "interchange_format_version": "5",', prefix, `${"4b".repeat(22)}"`, "  },", '  "data": []', "}"];
    assertSyntaxAt(lines, 4, prefix.length + 1);
  });

  test("text after the document", () => {
    const lines = [JSON.stringify(baseDocument()), "", "  }"];
    assertSyntaxAt(lines, 3, 3);
  });

  test("a truncated file points at its end", () => {
    const last = '  "metadata": {';
    assertSyntaxAt(["{", last], 2, last.length + 1);
  });

  test("a bare number with a leading zero is a syntax error at the extra digit", () => {
    const prefix = `{"metadata": {"interchange_format_version": "5", "genesis_validators_root": "${GVR}"}, "data": [{"pubkey": "${PK_A}", "signed_blocks": [{"slot": 0`;
    const text = prefix + '1}], "signed_attestations": []}]}';
    assertFormatError(() => parseInterchange(text), `line 1 column ${prefix.length + 1}`);
  });

  test("an empty file", () => {
    for (const text of ["", "   \n\t\n"]) {
      const err = assertFormatError(() => parseInterchange(text), "document");
      assert.match(err.problem, /empty/);
    }
  });
});

describe("parseInterchange: normalisation", () => {
  test("an all-zero signing root and a missing one both become null", () => {
    const doc = baseDocument();
    block(doc, 0, 0).signing_root = ZERO;
    attestation(doc, 0, 0).signing_root = ZERO;
    delete block(doc, 1, 2).signing_root;
    block(doc, 1, 1).signing_root = null;
    const parsed = parseInterchange(JSON.stringify(doc));
    assert.equal(parsed.validators[0]!.blocks[0]!.signingRoot, null);
    assert.equal(parsed.validators[0]!.blocks[1]!.signingRoot, null); // absent in the base document
    assert.equal(parsed.validators[0]!.attestations[0]!.signingRoot, null);
    assert.equal(parsed.validators[1]!.blocks[1]!.signingRoot, null);
    assert.equal(parsed.validators[1]!.blocks[2]!.signingRoot, null);
    assert.equal(parsed.validators[1]!.attestations[0]!.signingRoot, null);
    assert.equal(parsed.validators[1]!.attestations[1]!.signingRoot, ROOT_1);
  });

  test("hex is lowercased so that it compares equal to what the signer computes", () => {
    const doc = baseDocument();
    (doc.metadata as Json).genesis_validators_root = "0x" + "4B".repeat(32);
    validator(doc, 0).pubkey = "0x" + "A1".repeat(48);
    block(doc, 0, 0).signing_root = "0x" + "Ab".repeat(32);
    attestation(doc, 1, 0).signing_root = "0x" + "00".repeat(31) + "0A";
    const parsed = parseInterchange(JSON.stringify(doc));
    assert.equal(parsed.genesisValidatorsRoot, GVR);
    assert.equal(parsed.validators[0]!.pubkey, PK_A);
    assert.equal(parsed.validators[0]!.blocks[0]!.signingRoot, "0x" + "ab".repeat(32));
    assert.equal(parsed.validators[1]!.attestations[0]!.signingRoot, "0x" + "00".repeat(31) + "0a");
  });

  test("integers given as JSON numbers are accepted", () => {
    const text = JSON.stringify({
      metadata: { interchange_format_version: "5", genesis_validators_root: GVR },
      data: [
        {
          pubkey: PK_A,
          signed_blocks: [{ slot: 0 }, { slot: 123456789 }, { slot: MAX_SAFE }],
          signed_attestations: [{ source_epoch: 0, target_epoch: 1 }, { source_epoch: 7, target_epoch: MAX_SAFE }],
        },
      ],
    });
    const parsed = parseInterchange(text);
    assert.deepEqual(
      parsed.validators[0]!.blocks.map((b) => b.slot),
      [0, 123456789, MAX_SAFE],
    );
    assert.deepEqual(
      parsed.validators[0]!.attestations.map((a) => [a.sourceEpoch, a.targetEpoch]),
      [
        [0, 1],
        [7, MAX_SAFE],
      ],
    );
  });

  test("duplicate validators and records are kept as given (the store merges them)", () => {
    const doc = baseDocument();
    (doc.data as Json[]).push(structuredClone(validator(doc, 0)));
    const parsed = validateInterchange(doc);
    assert.equal(parsed.validators.length, 3);
    assert.deepEqual(parsed.validators[2], parsed.validators[0]);
  });

  test("unknown extra fields are ignored", () => {
    const doc = baseDocument();
    (doc.metadata as Json).extra = "x";
    validator(doc, 0).comment = { a: 1 };
    block(doc, 0, 0).proposer_index = "3";
    assert.equal(validateInterchange(doc).validators.length, 2);
  });
});

/** Deterministic pseudo-random generator (mulberry32) so failures reproduce. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomHistories(seed: number, count: number): ValidatorHistory[] {
  const random = rng(seed);
  const hex = (bytes: number) =>
    "0x" + Array.from({ length: bytes }, () => Math.floor(random() * 256).toString(16).padStart(2, "0")).join("");
  const root = () => (random() < 0.3 ? null : hex(32));
  const int = () => {
    const r = random();
    if (r < 0.05) return 0;
    if (r < 0.1) return MAX_SAFE;
    return Math.floor(random() * 1e9);
  };
  return Array.from({ length: count }, (_, i) => ({
    pubkey: hex(48),
    blocks: Array.from({ length: i % 4 === 0 ? 0 : Math.floor(random() * 6) }, () => ({ slot: int(), signingRoot: root() })),
    attestations: Array.from({ length: i % 5 === 0 ? 0 : Math.floor(random() * 6) }, () => {
      const a = int();
      const b = int();
      return { sourceEpoch: Math.min(a, b), targetEpoch: Math.max(a, b), signingRoot: root() };
    }),
  }));
}

describe("serializeInterchange", () => {
  test("round trip gives back the same histories, including null roots", async () => {
    const histories = randomHistories(3076, 60);
    const nullRoots = histories.flatMap((v) => [...v.blocks, ...v.attestations]).filter((r) => r.signingRoot === null);
    assert.ok(nullRoots.length > 10, "the generated data should contain unknown roots");
    const text = await serialize(GVR, histories);
    const parsed = parseInterchange(text);
    assert.equal(parsed.genesisValidatorsRoot, GVR);
    assert.deepEqual(parsed.validators, histories);
  });

  test("round trip from an async source and with no validators", async () => {
    const histories = randomHistories(7, 5);
    async function* source() {
      for (const v of histories) {
        await new Promise((resolve) => setImmediate(resolve));
        yield v;
      }
    }
    assert.deepEqual(parseInterchange(await serialize(GVR, source())).validators, histories);
    const empty = parseInterchange(await serialize(GVR, []));
    assert.deepEqual(empty, { genesisValidatorsRoot: GVR, validators: [] });
  });

  test("output follows the format: version \"5\", integers as decimal strings, roots only when known", async () => {
    const histories: ValidatorHistory[] = [
      {
        pubkey: PK_A,
        blocks: [
          { slot: 0, signingRoot: null },
          { slot: MAX_SAFE, signingRoot: ROOT_1 },
        ],
        attestations: [
          { sourceEpoch: 3, targetEpoch: 4, signingRoot: null },
          { sourceEpoch: 4, targetEpoch: 5, signingRoot: ROOT_2 },
        ],
      },
    ];
    const json = JSON.parse(await serialize(GVR, histories)) as Json;
    assert.deepEqual(json.metadata, { interchange_format_version: "5", genesis_validators_root: GVR });
    const entry = (json.data as Json[])[0]!;
    assert.deepEqual(entry, {
      pubkey: PK_A,
      signed_blocks: [{ slot: "0" }, { slot: String(MAX_SAFE), signing_root: ROOT_1 }],
      signed_attestations: [
        { source_epoch: "3", target_epoch: "4" },
        { source_epoch: "4", target_epoch: "5", signing_root: ROOT_2 },
      ],
    });
  });

  test("the document is streamed: one chunk per validator", async () => {
    const histories = randomHistories(11, 25);
    const chunks = await collect(serializeInterchange(GVR, histories));
    assert.ok(chunks.length >= histories.length, `expected at least ${histories.length} chunks, got ${chunks.length}`);
    for (const v of histories) {
      assert.equal(chunks.filter((c) => c.includes(v.pubkey)).length, 1, "each validator lands in exactly one chunk");
    }
  });

  test("serialized output satisfies the official JSON schema", async (t) => {
    if (!existsSync(SCHEMA_PATH)) {
      t.skip(`${SCHEMA_PATH} is absent (../shared not mounted)`);
      return;
    }
    const schema = JSON.parse(readFileSync(SCHEMA_PATH, "utf8")) as Schema;
    // Make sure the checker itself rejects what the schema rejects.
    assert.deepEqual(checkSchema({ metadata: {} }, schema), [
      "$.metadata: missing required interchange_format_version",
      "$.metadata: missing required genesis_validators_root",
      "$: missing required data",
    ]);
    assert.deepEqual(
      checkSchema(
        {
          metadata: { interchange_format_version: "5", genesis_validators_root: GVR },
          data: [{ pubkey: PK_A, signed_blocks: [{ slot: 1 }], signed_attestations: [{ source_epoch: "1" }] }],
        },
        schema,
      ),
      ["$.data[0].signed_blocks[0].slot: expected string, got number", "$.data[0].signed_attestations[0]: missing required target_epoch"],
    );

    const histories = randomHistories(42, 40);
    const json: unknown = JSON.parse(await serialize(GVR, histories));
    assert.deepEqual(checkSchema(json, schema), []);
    assert.deepEqual(checkSchema(JSON.parse(await serialize(GVR, [])), schema), []);
  });
});

describe("official EIP-3076 vectors", () => {
  test("every interchange in the suite parses and survives a serialize/parse round trip", async (t) => {
    const dir = join(SUITE_DIR, "tests");
    if (!existsSync(dir)) {
      t.skip(`${dir} is absent (../shared not mounted)`);
      return;
    }
    const files = readdirSync(dir).filter((f) => f.endsWith(".json"));
    assert.ok(files.length >= 30, `expected the 38 suite files, found ${files.length}`);
    let interchanges = 0;
    for (const file of files) {
      const suite = JSON.parse(readFileSync(join(dir, file), "utf8")) as { steps: Array<{ interchange: unknown }> };
      for (const step of suite.steps) {
        const parsed = parseInterchange(JSON.stringify(step.interchange));
        const again = parseInterchange(await serialize(parsed.genesisValidatorsRoot, parsed.validators));
        assert.deepEqual(again, parsed, `${file}: round trip changed the data`);
        const raw = step.interchange as { data: Array<{ signed_blocks: unknown[]; signed_attestations: unknown[] }> };
        const rawRecords = raw.data.reduce((n, v) => n + v.signed_blocks.length + v.signed_attestations.length, 0);
        const parsedRecords = parsed.validators.reduce((n, v) => n + v.blocks.length + v.attestations.length, 0);
        assert.equal(parsedRecords, rawRecords, `${file}: no record may be dropped or invented`);
        interchanges++;
      }
    }
    assert.ok(interchanges >= files.length);
  });
});

/**
 * A small checker for the subset of JSON Schema the interchange schema uses: type, properties,
 * required and items. A tuple-style `items: [schema]` is applied to every element, which is
 * stricter than the schema's own (draft-04 tuple) meaning and closer to its intent.
 */
interface Schema {
  type?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema | Schema[];
}

function checkSchema(value: unknown, schema: Schema, path = "$"): string[] {
  const errors: string[] = [];
  const actual = Array.isArray(value) ? "array" : value === null ? "null" : typeof value;
  if (schema.type !== undefined && schema.type !== actual) {
    return [`${path}: expected ${schema.type}, got ${actual}`];
  }
  if (actual === "object") {
    const object = value as Record<string, unknown>;
    for (const [key, sub] of Object.entries(schema.properties ?? {})) {
      if (key in object) errors.push(...checkSchema(object[key], sub, `${path}.${key}`));
    }
    for (const key of schema.required ?? []) {
      if (!(key in object)) errors.push(`${path}: missing required ${key}`);
    }
  }
  if (actual === "array" && schema.items !== undefined) {
    const itemSchema = Array.isArray(schema.items) ? schema.items[0] : schema.items;
    if (itemSchema !== undefined) {
      (value as unknown[]).forEach((item, i) => errors.push(...checkSchema(item, itemSchema, `${path}[${i}]`)));
    }
  }
  return errors;
}

describe("files written by other tools", () => {
  test("a leading UTF-8 byte-order mark is ignored", () => {
    const doc = {
      metadata: { interchange_format_version: "5", genesis_validators_root: "0x" + "ab".repeat(32) },
      data: [{ pubkey: "0x" + "cd".repeat(48), signed_blocks: [{ slot: "7" }], signed_attestations: [] }],
    };
    const parsed = parseInterchange("\uFEFF" + JSON.stringify(doc));
    assert.equal(parsed.validators[0]!.blocks[0]!.slot, 7);
  });
});
