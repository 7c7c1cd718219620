/** The Commit-Boost configuration file: secrets from env / file / inline, and the checks Commit-Boost makes. */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { CommitBoostConfigError, parseCommitBoostConfig } from "../../src/commit-boost/config.js";
import { tempDir } from "../helpers/temp.js";

const dir = tempDir("bulwark-cb-config-");
after(() => dir.cleanup());

const ID1 = "0x" + "01".repeat(32);
const ID2 = "02".repeat(32);

describe("Commit-Boost config file", () => {
  test("secrets come from jwt_env, then jwt_file, then jwt_secret; signing ids are normalised; defaults apply", () => {
    const file = join(dir.path, "b.secret");
    writeFileSync(file, "from-file\n");
    const adminFile = join(dir.path, "admin.secret");
    writeFileSync(adminFile, "admin-from-file\n");
    const config = parseCommitBoostConfig(
      `admin_jwt_file: ${adminFile}
modules:
  - { id: A, signing_id: "${ID1}", jwt_env: CB_A, jwt_secret: ignored }
  - { id: B, signing_id: "${ID2}", jwt_file: ${file}, jwt_secret: ignored }
  - { id: C, signing_id: "0x${"AB".repeat(32)}", jwt_secret: inline }
`,
      "cfg",
      { CB_A: "from-env" },
    );
    assert.equal(config.modules.get("A")?.jwtSecret, "from-env");
    assert.equal(config.modules.get("B")?.jwtSecret, "from-file");
    assert.equal(config.modules.get("B")?.signingId, "0x" + ID2);
    assert.equal(config.modules.get("C")?.signingId, "0x" + "ab".repeat(32));
    assert.equal(config.adminSecret, "admin-from-file");
    assert.equal(config.jwtAuthFailLimit, 3);
    assert.equal(config.jwtAuthFailTimeoutSeconds, 300);
  });

  test("refused: zero or malformed signing id, duplicate module or signing id, missing secrets, no modules, bad limits", () => {
    const bad: Array<[string, RegExp]> = [
      [`admin_jwt_secret: a\nmodules:\n  - { id: A, signing_id: "0x${"00".repeat(32)}", jwt_secret: s }`, /cannot be zero/],
      [`admin_jwt_secret: a\nmodules:\n  - { id: A, signing_id: "0x1234", jwt_secret: s }`, /signing_id/],
      [`admin_jwt_secret: a\nmodules:\n  - { id: A, signing_id: "${ID1}", jwt_secret: s }\n  - { id: A, signing_id: "${ID2}", jwt_secret: s }`, /duplicate module id A/],
      [`admin_jwt_secret: a\nmodules:\n  - { id: A, signing_id: "${ID1}", jwt_secret: s }\n  - { id: B, signing_id: "${ID1}", jwt_secret: s }`, /already used by module A/],
      [`admin_jwt_secret: a\nmodules:\n  - { id: A, signing_id: "${ID1}" }`, /jwt_secret, jwt_file or jwt_env/],
      [`modules:\n  - { id: A, signing_id: "${ID1}", jwt_secret: s }`, /admin_jwt_secret/],
      [`admin_jwt_secret: a\nmodules:\n  - { id: A, signing_id: "${ID1}", jwt_env: NOT_SET }`, /NOT_SET/],
      [`admin_jwt_secret: a\nmodules: []`, /non-empty list/],
      [`admin_jwt_secret: a\njwt_auth_fail_limit: 0\nmodules:\n  - { id: A, signing_id: "${ID1}", jwt_secret: s }`, /jwt_auth_fail_limit/],
      ["[1, 2", /not valid YAML/],
    ];
    for (const [text, message] of bad) {
      assert.throws(() => parseCommitBoostConfig(text, "cfg", {}), (err: Error) => err instanceof CommitBoostConfigError && message.test(err.message), text);
    }
  });
});
