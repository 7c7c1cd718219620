/**
 * Deposit data: signatures checked with blst against a signing root computed independently with
 * @lodestar/config's BeaconConfig (not src/eth/domain.ts), roots checked with lodestar's SSZ types,
 * and every field compared with deposit data another implementation (ethstaker-deposit-cli, the
 * successor of staking-deposit-cli) made for the same mnemonic on mainnet and hoodi.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, statSync } from "node:fs";
import { PublicKey, Signature, verify } from "@chainsafe/blst";
import { createBeaconConfig } from "@lodestar/config";
import { networksChainConfig } from "@lodestar/config/networks";
import { DOMAIN_DEPOSIT, ForkName } from "@lodestar/params";
import { ssz } from "@lodestar/types";
import { resolveNetwork } from "../../src/config/networks.js";
import {
  checksumAddress,
  createDeposit,
  DEFAULT_DEPOSIT_GWEI,
  DEPOSIT_CLI_VERSION,
  depositAmountProblem,
  depositDomain,
  DepositError,
  executionWithdrawalCredentials,
  parseAmountGwei,
  parseExecutionAddress,
} from "../../src/eth/deposit.js";
import { depositFileName, serializeDepositFile, writeDepositFile } from "../../src/eth/deposit-file.js";
import { deriveValidatorKey, deriveValidatorKeys } from "../../src/keys/derive.js";
import { mnemonicToSeed } from "../../src/keys/mnemonic.js";
import { tempDir } from "../helpers/temp.js";
import {
  HOODI_0X02_DEPOSITS,
  MAINNET_0X00_DEPOSIT_1024,
  MAINNET_0X01_DEPOSITS,
  STAKING_DEPOSIT_CLI_MNEMONIC,
  STAKING_DEPOSIT_CLI_WITHDRAWAL_ADDRESS,
} from "../keys/known-answers.js";

const bytes = (hex: string) => Uint8Array.from(Buffer.from(hex, "hex"));
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const GWEI = 1_000_000_000;

/** The deposit signing root as lodestar computes it: BeaconConfig's phase0 domain, zero genesis root. */
function lodestarSigningRoot(networkName: "mainnet" | "hoodi", message: { pubkey: Uint8Array; withdrawalCredentials: Uint8Array; amount: number }) {
  const config = createBeaconConfig(networksChainConfig[networkName], new Uint8Array(32));
  const domain = config.getDomainAtFork(ForkName.phase0, DOMAIN_DEPOSIT);
  return ssz.phase0.SigningData.hashTreeRoot({ objectRoot: ssz.phase0.DepositMessage.hashTreeRoot(message), domain });
}

for (const networkName of ["mainnet", "hoodi"] as const) {
  test(`${networkName}: signatures verify against lodestar's signing root; roots equal lodestar's SSZ roots`, () => {
    const network = resolveNetwork(networkName);
    const seed = new Uint8Array(64).fill(9);
    const address = parseExecutionAddress("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed");
    for (const [compounding, amount] of [[false, DEFAULT_DEPOSIT_GWEI], [false, 1 * GWEI], [true, 2048 * GWEI], [true, 33 * GWEI]] as const) {
      const key = deriveValidatorKey(seed, amount % 7);
      const withdrawalCredentials = executionWithdrawalCredentials(address, compounding);
      const deposit = createDeposit(key.secretKey, { withdrawalCredentials, amount, network });
      const message = { pubkey: key.publicKey, withdrawalCredentials, amount };

      const signingRoot = lodestarSigningRoot(networkName, message);
      const ok = verify(signingRoot, PublicKey.fromBytes(bytes(deposit.pubkey), true), Signature.fromBytes(bytes(deposit.signature), true, true));
      assert.ok(ok, "blst verifies the written signature over lodestar's signing root");
      assert.equal(deposit.deposit_message_root, hex(ssz.phase0.DepositMessage.hashTreeRoot(message)));
      assert.equal(deposit.deposit_data_root, hex(ssz.phase0.DepositData.hashTreeRoot({ ...message, signature: bytes(deposit.signature) })));
      assert.equal(deposit.fork_version, hex(networksChainConfig[networkName].GENESIS_FORK_VERSION));
      assert.equal(deposit.network_name, networkName);
      assert.equal(deposit.amount, amount);
      assert.equal(deposit.withdrawal_credentials, `${compounding ? "02" : "01"}${"00".repeat(11)}5aaeb6053f3e94c9b9a09f33669435e7ef1beaed`);
      assert.equal(deposit.deposit_cli_version, DEPOSIT_CLI_VERSION);
    }
  });
}

test("the deposit domains: mainnet's well-known value, and hoodi's equal to lodestar's", () => {
  assert.equal(hex(depositDomain(bytes("00000000"))), "03000000f5a5fd42d16a20302798ef6ed309979b43003d2320d9f0e8ea9831a9");
  const hoodi = createBeaconConfig(networksChainConfig.hoodi, new Uint8Array(32)).getDomainAtFork(ForkName.phase0, DOMAIN_DEPOSIT);
  assert.equal(hex(depositDomain(bytes("10000910"))), hex(hoodi));
});

test("known answers: deposit data identical to ethstaker-deposit-cli's for mainnet 0x01, hoodi 0x02 and mainnet 0x00", () => {
  const seed = mnemonicToSeed(STAKING_DEPOSIT_CLI_MNEMONIC.mnemonic);
  const address = parseExecutionAddress(STAKING_DEPOSIT_CLI_WITHDRAWAL_ADDRESS);
  const cases = [
    { network: resolveNetwork("mainnet"), compounding: false, expected: MAINNET_0X01_DEPOSITS },
    { network: resolveNetwork("hoodi"), compounding: true, expected: HOODI_0X02_DEPOSITS },
  ];
  for (const { network, compounding, expected } of cases) {
    const keys = deriveValidatorKeys(seed, 0, expected.length);
    const withdrawalCredentials = executionWithdrawalCredentials(address, compounding);
    const made = keys.map((key) => createDeposit(key.secretKey, { withdrawalCredentials, amount: 32 * GWEI, network }));
    assert.deepEqual(made, expected.map((e) => ({ ...e, deposit_cli_version: DEPOSIT_CLI_VERSION })), network.name);
    // Byte for byte the same file text, apart from the version string.
    assert.equal(serializeDepositFile(made).replaceAll(`"${DEPOSIT_CLI_VERSION}"`, '"1.3.0"'), serializeDepositFile(expected));
  }
  const key1024 = deriveValidatorKey(seed, 1024);
  const bls = createDeposit(key1024.secretKey, {
    withdrawalCredentials: bytes(MAINNET_0X00_DEPOSIT_1024.withdrawal_credentials),
    amount: 32 * GWEI,
    network: resolveNetwork("mainnet"),
  });
  assert.deepEqual(bls, { ...MAINNET_0X00_DEPOSIT_1024, deposit_cli_version: DEPOSIT_CLI_VERSION });
});

test("the file text is Python json.dump style, as staking-deposit-cli writes it", () => {
  const text = serializeDepositFile(MAINNET_0X01_DEPOSITS);
  assert.ok(text.startsWith('[{"pubkey": "88b6'));
  assert.ok(text.includes('", "withdrawal_credentials": "01'));
  assert.ok(text.includes('"amount": 32000000000, "signature": '));
  assert.ok(text.includes('}, {"pubkey": "a33a'));
  assert.ok(text.endsWith('"deposit_cli_version": "1.3.0"}]'));
  assert.deepEqual(JSON.parse(text), MAINNET_0X01_DEPOSITS);
});

test("deposit files are named deposit_data-<timestamp>.json, mode 0644, never overwritten", async (t) => {
  const dir = tempDir();
  t.after(dir.cleanup);
  assert.equal(depositFileName(1700000000), "deposit_data-1700000000.json");
  const path = await writeDepositFile(dir.path, MAINNET_0X01_DEPOSITS, 1700000000);
  assert.equal(statSync(path).mode & 0o777, 0o644);
  assert.deepEqual(JSON.parse(readFileSync(path, "utf8")), MAINNET_0X01_DEPOSITS);
  await assert.rejects(writeDepositFile(dir.path, HOODI_0X02_DEPOSITS, 1700000000), { code: "EEXIST" });
  assert.deepEqual(JSON.parse(readFileSync(path, "utf8")), MAINNET_0X01_DEPOSITS);
});

test("withdrawal addresses: EIP-55 checked when mixed case, lower and upper case taken, junk and zero refused", () => {
  // EIP-55's own examples.
  for (const good of [
    "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
    "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
    "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
    "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
  ]) {
    assert.equal(checksumAddress(parseExecutionAddress(good)), good);
    assert.equal(checksumAddress(parseExecutionAddress(good.toLowerCase())), good);
    assert.equal(checksumAddress(parseExecutionAddress(`0x${good.slice(2).toUpperCase()}`)), good);
  }
  const flipped = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD";
  assert.throws(() => parseExecutionAddress(flipped), (err) => err instanceof DepositError && /EIP-55 checksum/.test(err.message) && !err.message.includes("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"));
  for (const bad of ["5aaeb6053f3e94c9b9a09f33669435e7ef1beaed", "0x5aaeb6053f3e94c9b9a09f33669435e7ef1bea", "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaedd", "0xgaaeb6053f3e94c9b9a09f33669435e7ef1beaed", ""]) {
    assert.throws(() => parseExecutionAddress(bad), DepositError, bad);
  }
  assert.throws(() => parseExecutionAddress(`0x${"0".repeat(40)}`), /zero address/);
});

test("amount bounds: 1 ETH minimum; 32 ETH maximum, or 2048 ETH for 0x02", () => {
  const address = parseExecutionAddress("0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed");
  const x01 = executionWithdrawalCredentials(address, false);
  const x02 = executionWithdrawalCredentials(address, true);
  assert.equal(parseAmountGwei("32000000000", x01), 32 * GWEI);
  assert.equal(parseAmountGwei("1000000000", x01), GWEI);
  assert.equal(parseAmountGwei("2048000000000", x02), 2048 * GWEI);
  assert.throws(() => parseAmountGwei("999999999", x01), /below the minimum/);
  assert.throws(() => parseAmountGwei("32000000001", x01), /above 32000000000 gwei \(32 ETH\)/);
  assert.throws(() => parseAmountGwei("2048000000001", x02), /above 2048000000000 gwei \(2048 ETH\)/);
  for (const junk of ["", "32e9", "-1", "1.5", "0x10", " 32000000000"]) assert.throws(() => parseAmountGwei(junk, x01), DepositError, junk);
  assert.equal(depositAmountProblem(32 * GWEI + 0.5, x01), "amount must be a whole number of gwei, got 32000000000.5");

  const key = deriveValidatorKey(new Uint8Array(32).fill(1), 0);
  const network = resolveNetwork("mainnet");
  assert.throws(() => createDeposit(key.secretKey, { withdrawalCredentials: x01, amount: 33 * GWEI, network }), DepositError);
  const badPrefix = x01.slice();
  badPrefix[0] = 3;
  assert.throws(() => createDeposit(key.secretKey, { withdrawalCredentials: badPrefix, amount: 32 * GWEI, network }), /prefix 0x03/);
  const dirty = x01.slice();
  dirty[5] = 1;
  assert.throws(() => createDeposit(key.secretKey, { withdrawalCredentials: dirty, amount: 32 * GWEI, network }), /11 zero bytes/);
});
