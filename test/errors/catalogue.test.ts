// The error catalogue against the README's list of status and error codes (both ways), and the
// route helper against the catalogue for a real error of every class that reaches an HTTP answer.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { BodyError } from "../../src/commit-boost/json-body.js";
import { JwtRefusal } from "../../src/commit-boost/jwt-auth.js";
import { KeyGenerationError, KeyImportUnavailableError, ProtectionImportError } from "../../src/core/key-management.js";
import { BulwarkError } from "../../src/errors/bulwark-error.js";
import { ERROR_TABLE } from "../../src/errors/catalogue.js";
import { type ErrorCode, SIGN_ERROR_CODES } from "../../src/errors/codes.js";
import { errorBody, routeError, signErrorOf } from "../../src/errors/route.js";
import { PresetMismatchError, SigningRootMismatchError, UnknownForkError, WrongNetworkError } from "../../src/eth/errors.js";
import { parseSigningRequest } from "../../src/eth/request.js";
import { PoolError } from "../../src/pool/errors.js";

const CODES = Object.keys(ERROR_TABLE) as ErrorCode[];

/** Each row of the README's "Status and error codes" tables: the status and the codes it lists. */
function readmeRows(): Array<{ status: number; codes: string[] }> {
  const readme = readFileSync(new URL("../../../README.md", import.meta.url), "utf8");
  const start = readme.indexOf("### Status and error codes");
  assert.ok(start >= 0, "README.md has no '### Status and error codes' section");
  const end = readme.indexOf("\n## ", start);
  const section = readme.slice(start, end < 0 ? undefined : end);
  return section
    .split("\n")
    .filter((line) => /^\| `\d{3}` \|/.test(line))
    .map((line) => {
      const cells = line.split("|").map((cell) => cell.trim());
      return { status: Number(cells[1]!.replace(/`/g, "")), codes: [...cells[2]!.matchAll(/`([^`]+)`/g)].map((m) => m[1]!) };
    });
}

describe("error catalogue", () => {
  it("lists every code in the README with the table's status, and nothing the table lacks", () => {
    const rows = readmeRows();
    const listed = new Map<string, number>();
    for (const { status, codes } of rows) {
      for (const code of codes) {
        assert.ok(!listed.has(code), `README lists ${code} twice`);
        listed.set(code, status);
      }
    }
    for (const code of CODES) {
      assert.ok(listed.has(code), `README's status list lacks ${code}`);
      assert.equal(listed.get(code), ERROR_TABLE[code].status, `README gives ${code} status ${listed.get(code)}, the table ${ERROR_TABLE[code].status}`);
    }
    for (const code of listed.keys()) assert.ok(Object.hasOwn(ERROR_TABLE, code), `README lists ${code}, which the catalogue does not have`);
    // The statuses the README lists without a code: the success and the HTTP layer's own, before any route.
    assert.deepEqual(rows.filter((row) => row.codes.length === 0).map((row) => row.status), [200, 403, 408, 413, 429]);
  });

  it("gives every code an error status, a metric label, a log level and a summary", () => {
    for (const code of CODES) {
      const entry = ERROR_TABLE[code];
      assert.ok(entry.status >= 400 && entry.status <= 599, `${code}: status ${entry.status}`);
      assert.match(entry.metricLabel, /^[a-z_]+$/, code);
      assert.ok(["debug", "info", "warn", "error"].includes(entry.logLevel), `${code}: log level ${entry.logLevel}`);
      assert.ok(entry.summary.length > 10, `${code}: summary`);
    }
  });

  it("keeps Web3Signer's statuses for the refusals of a signing request", () => {
    const web3signer: Record<string, number> = {
      "bad-request": 400,
      "root-mismatch": 400,
      "unknown-key": 404,
      slashing: 412,
      policy: 412,
      "wrong-network": 412,
      unavailable: 503,
      internal: 500,
    };
    assert.deepEqual(Object.fromEntries(SIGN_ERROR_CODES.map((code) => [code, ERROR_TABLE[code].status])), web3signer);
  });
});

describe("route helper", () => {
  const badBody = (() => {
    try {
      parseSigningRequest({ type: "RANDAO_REVEAL", fork_info: {}, randao_reveal: { epoch: "x" } });
    } catch (err) {
      return err;
    }
    throw new Error("parseSigningRequest accepted a malformed body");
  })();
  const httpErrors: Array<[string, unknown, ErrorCode, number]> = [
    ["BadRequestError (a malformed body)", badBody, "bad-request", 400],
    ["SigningRootMismatchError", new SigningRootMismatchError("0x" + "11".repeat(32), "0x" + "22".repeat(32)), "root-mismatch", 400],
    ["WrongNetworkError", new WrongNetworkError("0x" + "11".repeat(32), "0x" + "22".repeat(32)), "wrong-network", 412],
    ["UnknownForkError", new UnknownForkError("fork_info: unknown fork version 0x01020304"), "wrong-network", 412],
    ["ProtectionImportError", new ProtectionImportError("slashing protection data: bad"), "protection-import", 400],
    ["KeyGenerationError", new KeyGenerationError("count: expected an integer from 1 to 1000"), "key-generation", 400],
    ["KeyImportUnavailableError", new KeyImportUnavailableError("no sealed key store"), "no-sealed-store", 500],
    ["BodyError (Commit-Boost)", new BodyError("pubkey: expected 48 bytes of hex"), "bad-request", 400],
    ["JwtRefusal (Commit-Boost)", new JwtRefusal("missing Authorization: Bearer <JWT>"), "unauthorized", 401],
  ];
  for (const [name, error, code, status] of httpErrors) {
    it(`routes ${name} to ${status} with the table's label`, () => {
      assert.ok(error instanceof BulwarkError, `${name} is not a BulwarkError`);
      assert.equal(error.code, code);
      const routed = routeError(error);
      assert.equal(routed.status, status);
      assert.equal(routed.status, ERROR_TABLE[code].status);
      assert.equal(routed.metricLabel, ERROR_TABLE[code].metricLabel);
      assert.equal(routed.logLevel, ERROR_TABLE[code].logLevel);
      assert.equal(routed.message, error.message);
    });
  }

  it("routes each refusal the core returns by its code, reason kept", () => {
    for (const code of SIGN_ERROR_CODES) {
      const routed = routeError({ code, message: `refused: ${code}`, reason: "surrounds-existing" });
      assert.equal(routed.status, ERROR_TABLE[code].status, code);
      assert.equal(routed.metricLabel, ERROR_TABLE[code].metricLabel, code);
      assert.equal(routed.reason, "surrounds-existing");
      assert.deepEqual(errorBody(routed, "signing"), { statusCode: ERROR_TABLE[code].status, error: code, message: `refused: ${code}` });
    }
  });

  it("answers anything else thrown as internal (500, label error)", () => {
    const routed = routeError(new TypeError("x is undefined"));
    assert.deepEqual([routed.code, routed.status, routed.metricLabel, routed.message], ["internal", 500, "error", "x is undefined"]);
    assert.deepEqual(errorBody(routed, "status-code"), { code: 500, message: "x is undefined" });
  });

  it("turns a thrown error into a signing refusal only when its code is a signing code", () => {
    assert.deepEqual(signErrorOf(badBody, "cannot compute signing root: "), { code: "bad-request", message: (badBody as Error).message });
    const preset = new PresetMismatchError("preset minimal, built for mainnet");
    assert.deepEqual(signErrorOf(preset, "cannot compute signing root: "), { code: "internal", message: "cannot compute signing root: preset minimal, built for mainnet" });
  });

  it("keeps the cause", () => {
    const cause = new Error("EACCES");
    const error = new PoolError("sealed-store", "cannot open the store", { cause });
    assert.equal(error.cause, cause);
    assert.equal(error.code, "sealed-store");
    assert.equal(error.name, "PoolError");
  });
});
