// The core boundary: outside src/core/, modules depend on the core through src/core/api.ts only.
// The composition roots in src/cli/ construct the implementation and are the one exception.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, it } from "node:test";

const SRC = new URL("../../../src/", import.meta.url).pathname;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sourceFiles(join(dir, entry.name)) : entry.name.endsWith(".ts") ? [join(dir, entry.name)] : [],
  );
}

/** Every module specifier of `import ... from`, `export ... from`, `import "x"` and `import("x")`. */
function specifiers(text: string): string[] {
  const found: string[] = [];
  const patterns = [/\b(?:import|export)\s[^;]*?\sfrom\s*["']([^"']+)["']/g, /\bimport\s*["']([^"']+)["']/g, /\bimport\s*\(\s*["']([^"']+)["']\s*\)/g];
  for (const pattern of patterns) for (const match of text.matchAll(pattern)) found.push(match[1]!);
  return found;
}

/** The imports of `file` (a path relative to src/) that cross the core boundary. */
function boundaryViolations(file: string, text: string): string[] {
  if (file.startsWith("core/") || file.startsWith("cli/")) return [];
  return specifiers(text)
    .filter((specifier) => specifier.startsWith("."))
    .map((specifier) => relative(SRC, resolve(SRC, dirname(file), specifier)).replace(/\.js$/, ".ts"))
    .filter((target) => target.startsWith("core/") && target !== "core/api.ts");
}

describe("core boundary", () => {
  it("no module outside src/core/ and src/cli/ imports a core module other than core/api.ts", () => {
    const violations = sourceFiles(SRC).flatMap((path) => {
      const file = relative(SRC, path);
      return boundaryViolations(file, readFileSync(path, "utf8")).map((target) => `src/${file} imports src/${target}`);
    });
    assert.deepEqual(violations, [], `import the core through src/core/api.ts:\n${violations.join("\n")}`);
  });

  it("finds imports of every form, and allows core/api.ts, core/ itself and cli/", () => {
    const text = [
      'import type { SigningCore } from "../core/signing-core.js";',
      'import {\n  KeyManagement,\n} from "../core/key-management.js";',
      'export { CommitBoostSigner } from "../core/commit-boost-signer.js";',
      'const lazy = await import("../core/commit-boost-root.js");',
      'import type { SigningCoreApi } from "../core/api.js";',
      'import { BulwarkError } from "../errors/bulwark-error.js";',
    ].join("\n");
    assert.deepEqual(boundaryViolations("server/example.ts", text), [
      "core/signing-core.ts",
      "core/key-management.ts",
      "core/commit-boost-signer.ts",
      "core/commit-boost-root.ts",
    ]);
    assert.deepEqual(boundaryViolations("cli/serve.ts", text), []);
    assert.deepEqual(boundaryViolations("core/signing-core.ts", 'import { signErrorOf } from "./key-management.js";'), []);
    assert.deepEqual(boundaryViolations("pool/signing/aggregator.ts", 'import type { X } from "../../core/signing-core.js";'), ["core/signing-core.ts"]);
  });
});
