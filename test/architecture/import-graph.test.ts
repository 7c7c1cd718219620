// The import graph of src/: no cycles (type-only imports included: a cycle of types is still two
// modules that cannot be understood apart), and src/pool/'s subfolders import one way only, in the
// order declared in src/pool/README.md.
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const SRC = join(REPO, "src");

/**
 * src/pool/'s layers, lowest first (as in src/pool/README.md). A file may import pool files of a
 * lower layer and of its own folder; folders on the same layer do not import each other. "" is the
 * files directly in src/pool/ (the pool's shared vocabulary).
 */
const POOL_LAYERS: readonly (readonly string[])[] = [[""], ["storage"], ["ceremony"], ["signing", "exit"]];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return name.endsWith(".ts") ? [path] : [];
  });
}

/** Static `import … from "./x.js"`, `export … from`, side-effect `import "./x.js"` and `import("./x.js")`. */
const RELATIVE_IMPORT = /(?:\bfrom\s*|\bimport\s*\(?\s*)["'](\.\.?\/[^"']+)["']/g;

/** Each source file (relative to src/, with "/") and the source files it imports. */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of sourceFiles(SRC)) {
    const text = readFileSync(file, "utf8");
    const targets = [...text.matchAll(RELATIVE_IMPORT)].map((match) => {
      const target = resolve(dirname(file), match[1]!).replace(/\.js$/, ".ts");
      return relative(SRC, target).split(sep).join("/");
    });
    graph.set(relative(SRC, file).split(sep).join("/"), [...new Set(targets)]);
  }
  return graph;
}

/** One cycle per strongly connected component of more than one file (or a file importing itself). */
function findCycles(graph: Map<string, string[]>): string[][] {
  const cycles: string[][] = [];
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const visit = (file: string): void => {
    state.set(file, "open");
    stack.push(file);
    for (const target of graph.get(file) ?? []) {
      if (!graph.has(target)) continue;
      if (state.get(target) === "open") cycles.push([...stack.slice(stack.indexOf(target)), target]);
      else if (state.get(target) === undefined) visit(target);
    }
    stack.pop();
    state.set(file, "done");
  };
  for (const file of [...graph.keys()].sort()) if (state.get(file) === undefined) visit(file);
  return cycles;
}

/** The pool folder of a file under pool/ ("" for pool/*.ts), or undefined outside pool/. */
function poolFolder(file: string): string | undefined {
  const parts = file.split("/");
  if (parts[0] !== "pool") return undefined;
  return parts.length === 2 ? "" : parts[1]!;
}

function layerOf(folder: string): number {
  return POOL_LAYERS.findIndex((layer) => layer.includes(folder));
}

describe("import graph of src/", () => {
  const graph = importGraph();

  test("every relative import names a file that exists", () => {
    const missing = [...graph].flatMap(([file, targets]) => targets.filter((target) => !graph.has(target)).map((target) => `${file} -> ${target}`));
    assert.deepEqual(missing, []);
  });

  test("has no import cycle", () => {
    const cycles = findCycles(graph).map((cycle) => cycle.join(" -> "));
    assert.deepEqual(cycles, [], `import cycles in src/:\n${cycles.join("\n")}`);
  });

  test("every folder of src/pool/ has a declared layer", () => {
    const folders = [...new Set([...graph.keys()].map(poolFolder).filter((folder) => folder !== undefined))];
    assert.ok(folders.length > 1, "src/pool/ has subfolders");
    assert.deepEqual(folders.filter((folder) => layerOf(folder) < 0), []);
  });

  test("src/pool/ imports go one way: down the layers, never sideways", () => {
    const wrong: string[] = [];
    for (const [file, targets] of graph) {
      const from = poolFolder(file);
      if (from === undefined) continue;
      for (const target of targets) {
        const to = poolFolder(target);
        if (to === undefined || to === from) continue;
        if (layerOf(to) >= layerOf(from)) wrong.push(`${file} -> ${target} (pool/${from || "."} may not import pool/${to || "."})`);
      }
    }
    assert.deepEqual(wrong, []);
  });

  test("the checks catch what they are for", () => {
    const cyclic = new Map([
      ["a.ts", ["b.ts"]],
      ["b.ts", ["c.ts"]],
      ["c.ts", ["a.ts"]],
      ["d.ts", ["a.ts"]],
    ]);
    assert.deepEqual(findCycles(cyclic), [["a.ts", "b.ts", "c.ts", "a.ts"]]);
    assert.deepEqual(findCycles(new Map([["a.ts", ["b.ts"]], ["b.ts", []]])), []);
    assert.ok(layerOf("storage") < layerOf("ceremony") && layerOf("ceremony") < layerOf("signing"));
    assert.equal(layerOf("signing"), layerOf("exit"));
    assert.equal(poolFolder("pool/definition.ts"), "");
    assert.equal(poolFolder("pool/exit/exit.ts"), "exit");
    assert.equal(poolFolder("eth/hex.ts"), undefined);
  });
});
