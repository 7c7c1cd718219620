import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadKeystores } from "../../src/keys/load-keystores.js";
import { hex, keystoreName, removeLayout, tempLayout } from "./fixtures.js";

// dist/test/keys -> project root -> ../shared
const VECTORS = fileURLToPath(new URL("../../../../shared/vectors/eip2335.json", import.meta.url));

interface VectorCase {
  name: string;
  password: string;
  keystore: { pubkey?: string };
  secret: string;
}

test("EIP-2335 vectors decrypt to their secrets through the loader", async (t) => {
  if (!existsSync(VECTORS)) {
    t.skip(`EIP-2335 vectors not found at ${VECTORS}`);
    return;
  }
  const { cases } = JSON.parse(await readFile(VECTORS, "utf8")) as { cases: VectorCase[] };
  assert.ok(cases.length > 0, "vector file has no cases");

  // One load per case: the vectors share a secret, and one directory would be a duplicate key.
  for (const vector of cases) {
    await t.test(vector.name, async () => {
      const layout = await tempLayout();
      try {
        const name = keystoreName(0);
        await writeFile(join(layout.keystores, name), JSON.stringify(vector.keystore));
        await writeFile(join(layout.passwords, name.replace(".json", ".txt")), `${vector.password}\n`);

        const [loaded, ...rest] = await loadKeystores({ keystoresDir: layout.keystores, passwordsDir: layout.passwords });

        assert.equal(rest.length, 0);
        assert.equal(hex(loaded!.secretKey), vector.secret.toLowerCase());
        if (vector.keystore.pubkey) assert.equal(loaded!.pubkey, `0x${vector.keystore.pubkey.toLowerCase()}`);
      } finally {
        await removeLayout(layout);
      }
    });
  }
});
