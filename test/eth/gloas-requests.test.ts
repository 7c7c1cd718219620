// Parsing of the Gloas request bodies: the `{version, data}` wrapper, strict payloads.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { BadRequestError, parseSigningRequest } from "../../src/eth/index.js";
import { gloasCases, requestAuthCase } from "./gloas-cases.js";
import { devnetSlot, LODESTAR_DEVNET } from "./gloas-network.js";
import { clone } from "./helpers.js";

function refusedAt(body: unknown, path: string, reason: RegExp): void {
  assert.throws(
    () => parseSigningRequest(body),
    (e: unknown) => e instanceof BadRequestError && e.path === path && reason.test(e.reason),
    `${path} ${reason}`,
  );
}

describe("Gloas request bodies", () => {
  const cases = gloasCases(LODESTAR_DEVNET, devnetSlot("GLOAS", 1)).filter((c) => !["BLOCK_V2", "AGGREGATE_AND_PROOF_V2"].includes(c.type));

  for (const c of cases) {
    const key = Object.keys(c.body).find((k) => k !== "type" && k !== "fork_info")!;
    test(`${c.type}: wrapped as {version: GLOAS, data}, strictly`, () => {
      assert.equal(parseSigningRequest(clone(c.body)).type, c.type);
      const wrapper = () => clone(c.body) as Record<string, Record<string, unknown>>;
      const fulu = wrapper();
      fulu[key]!.version = "FULU";
      refusedAt(fulu, `${key}.version`, /expected one of GLOAS/);
      const unwrapped = wrapper();
      unwrapped[key] = unwrapped[key]!.data as Record<string, unknown>;
      refusedAt(unwrapped, `${key}.version`, /missing/);
      const extra = wrapper();
      (extra[key]!.data as Record<string, unknown>).signature = "0x" + "00".repeat(96);
      refusedAt(extra, `${key}.data.signature`, /unknown field/);
    });
  }

  test("BUILDER_REQUEST_AUTH needs no fork_info but refuses empty auth data", () => {
    const body = requestAuthCase(LODESTAR_DEVNET, 300).body as { builder_request_auth: { data: Record<string, unknown> } };
    assert.equal(parseSigningRequest(clone(body)).type, "BUILDER_REQUEST_AUTH");
    body.builder_request_auth.data.data = "0x";
    refusedAt(body, "builder_request_auth.data.data", /must not be empty/);
  });
});
