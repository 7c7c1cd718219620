import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { readPrivateKeyFile, KeyFileError } from "../../src/onchain/key-file.js";
import { parseProofJson, ProofFileError, proofToJson } from "../../src/onchain/proof-file.js";
import { parseVaultTerms, VaultConfigError } from "../../src/onchain/vault-config.js";
import { tempDir } from "../helpers/temp.js";

const A = (n: number) => `0x${n.toString(16).padStart(40, "0")}`;
const terms = {
  factory: A(1),
  salt: `0x${"07".repeat(32)}`,
  aggregator: A(2),
  operators: [A(3), A(4), A(5), A(6)],
  threshold: 3,
  aggregator_bond_wei: "4000000000000000000",
  operator_bond_wei: "1000000000000000000",
  stake_pool: A(7),
  stake_deadline: 1_900_000_000,
  aggregator_reward_bps: 1000,
  operator_reward_bps: 500,
};

describe("vault terms, key files and proof files", () => {
  it("reads vault.json into the contract's VaultConfig", () => {
    const parsed = parseVaultTerms(terms);
    assert.equal(parsed.config.aggregatorBond, 4n * 10n ** 18n);
    assert.equal(parsed.config.threshold, 3n);
    assert.equal(parsed.config.operators.length, 4);
    assert.equal(parsed.salt, terms.salt);
    assert.equal(parseVaultTerms({ ...terms, salt: undefined }).salt, `0x${"00".repeat(32)}`);
  });

  it("refuses vault.json fields with the field and the reason", () => {
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ aggregator: "0x1234" }, /aggregator: expected a 0x-prefixed 20-byte address/],
      [{ operator_bond_wei: 1 }, /operator_bond_wei: expected a decimal string of wei/],
      [{ operators: [A(3)] }, /operators: expected at least 2 addresses/],
      [{ salt: "0x01" }, /salt: expected 32 bytes/],
      [{ aggregator_reward_bps: 10_001 }, /aggregator_reward_bps: expected an integer 0..10000/],
      [{ operators: [A(3), "nope"] }, /operators\[1\]: expected an address/],
    ];
    for (const [change, message] of cases) {
      assert.throws(() => parseVaultTerms({ ...terms, ...change }, "vault.json"), (e: unknown) => e instanceof VaultConfigError && message.test(e.message) && e.message.startsWith("vault.json"));
    }
  });

  it("reads a private key only from a file its owner alone can read", () => {
    const dir = tempDir();
    try {
      const key = `0x${"ab".repeat(32)}`;
      const good = join(dir.path, "good");
      writeFileSync(good, `${key}\n`, { mode: 0o600 });
      assert.equal(readPrivateKeyFile(good), key);
      const open = join(dir.path, "open");
      writeFileSync(open, key, { mode: 0o640 });
      assert.throws(() => readPrivateKeyFile(open), (e: unknown) => e instanceof KeyFileError && /readable by others \(mode 640\)/.test(e.message));
      const short = join(dir.path, "short");
      writeFileSync(short, "0x1234", { mode: 0o600 });
      assert.throws(() => readPrivateKeyFile(short), /one 32-byte private key/);
      assert.throws(() => readPrivateKeyFile(join(dir.path, "missing")), /ENOENT/);
    } finally {
      dir.cleanup();
    }
  });

  it("round-trips a proof through JSON and names a bad field", () => {
    const node = `0x${"11".repeat(32)}` as const;
    const proof = {
      beaconTimestamp: 1_800_000_012n,
      header: { slot: 99n, proposerIndex: 3n, parentRoot: node, stateRoot: node, bodyRoot: node },
      validatorIndex: 5n,
      validator: {
        pubkey: `0x${"22".repeat(48)}` as const,
        withdrawalCredentials: node,
        effectiveBalance: 32_000_000_000n,
        slashed: false,
        activationEligibilityEpoch: 0n,
        activationEpoch: 1n,
        exitEpoch: 2n ** 64n - 1n,
        withdrawableEpoch: 2n ** 64n - 1n,
      },
      validatorBranch: [node, node],
      balanceChunk: node,
      balanceBranch: [node],
    };
    assert.deepEqual(parseProofJson(proofToJson(proof)), proof);
    const broken = JSON.parse(proofToJson(proof));
    broken.validator.pubkey = "0x22";
    assert.throws(() => parseProofJson(JSON.stringify(broken), "p.json"), (e: unknown) => e instanceof ProofFileError && /p.json: validator.pubkey: expected 48 bytes/.test(e.message));
  });
});
