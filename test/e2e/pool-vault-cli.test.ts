/**
 * End to end through the real program: `bulwark pool vault …` and `bulwark pool create
 * --withdrawal-vault` as child processes against the test chain's JSON-RPC (real Prague EVM, real
 * deposit contract and EIP-4788/7002 system contracts). The vault's address is predicted, the 3-of-4
 * ceremony signs the deposit for it, the parties bond and fund, the vault stakes, three operators
 * vote the exit (EIP-7002 dequeues the request for the pool's key), and the vault settles from a
 * proof that `pool vault proof` builds from a beacon node serving a @lodestar/types beacon state.
 */
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { getAddress, parseEther, toHex, type Hex } from "viem";
import { POOL_FILES } from "../../src/pool/definition.js";
import { parseProofJson, proofToJson } from "../../src/onchain/proof-file.js";
import { startBeaconNode } from "../helpers/beacon-node.js";
import { makeBeaconState, publishAndProve } from "../helpers/beacon-state.js";
import { chainClients, type ChainClients } from "../helpers/contracts.js";
import { skipWithoutEvmVectors, TestChain } from "../helpers/evm.js";
import { PASSPHRASE, Scratch, seedCheapStore } from "../pool/ceremony/ceremony-fixtures.js";
import { runBulwark } from "./harness.js";

const skip = skipWithoutEvmVectors("pool vault CLI test");

const ENV = { BULWARK_SEALING_PASSPHRASE: PASSPHRASE };
const AGGREGATOR = 1;
const OPERATORS = [2, 3, 4, 5];
const STAKE_POOL = 6;
const OUTSIDER = 7;
const scratch = new Scratch();

async function bulwark(args: string[], expectCode = 0) {
  const result = await runBulwark(["pool", ...args], { env: ENV, timeoutMs: 60_000 });
  assert.equal(result.code, expectCode, `bulwark pool ${args.join(" ")}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`);
  return result;
}

describe("bulwark pool vault (CLI, against a JSON-RPC test chain)", { skip }, () => {
  const root = scratch.dir("bulwark-e2e-vault-");
  const agg = join(root, "aggregator");
  const out = join(root, "ceremony");
  const termsFile = join(root, "vault.json");
  const key = (i: number) => join(root, `key-${i}`);
  let chain: TestChain;
  let clients: ChainClients;
  let url = "";
  let factory = "";
  let vault = "";
  const rpc = () => ["--rpc-url", url];
  const as = (i: number) => [...rpc(), "--key-file", key(i)];
  const address = (i: number) => getAddress(chain.accounts[i]!.address);

  before(async () => {
    chain = await TestChain.start();
    url = await chain.serve();
    clients = chainClients(chain, url);
    for (const [i, account] of chain.accounts.entries()) writeFileSync(key(i), `${account.privateKey}\n`, { mode: 0o600 });
  });
  after(async () => {
    await chain?.close();
    scratch.cleanup();
  });

  test("deploy-factory (on the network's chain only), then the vault's address from its terms; a key file others can read is refused", async () => {
    writeFileSync(join(root, "open-key"), `${chain.accounts[0]!.privateKey}\n`, { mode: 0o644 });
    const open = await bulwark(["vault", "deploy-factory", ...rpc(), "--key-file", join(root, "open-key"), "--network", "hoodi"], 1);
    assert.match(open.stderr, /readable by others.*chmod 600/);

    const otherChain = await bulwark(["vault", "deploy-factory", ...as(AGGREGATOR), "--network", "mainnet"], 1);
    assert.match(otherChain.stderr, /is chain 560048, but mainnet's deposit contract is on chain 1/);
    const noContract = await bulwark(["vault", "status", ...rpc(), "--vault", address(OUTSIDER)], 1);
    assert.match(noContract.stderr, /no contract at/);
    factory = (await bulwark(["vault", "deploy-factory", ...as(AGGREGATOR), "--network", "hoodi"])).stdout.trim();
    assert.match(factory, /^0x[0-9a-fA-F]{40}$/);
    writeFileSync(
      termsFile,
      JSON.stringify({
        factory,
        salt: toHex(42n, { size: 32 }),
        aggregator: address(AGGREGATOR),
        operators: OPERATORS.map(address),
        threshold: 3,
        aggregator_bond_wei: parseEther("4").toString(),
        operator_bond_wei: parseEther("1").toString(),
        stake_pool: address(STAKE_POOL),
        stake_deadline: chain.pendingTimestamp + 7 * 24 * 3600,
        aggregator_reward_bps: 1000,
        operator_reward_bps: 500,
      }),
    );
    vault = (await bulwark(["vault", "address", ...as(AGGREGATOR), "--terms", termsFile])).stdout.trim();
    const byDeployer = (await bulwark(["vault", "address", ...rpc(), "--terms", termsFile, "--deployer", address(AGGREGATOR)])).stdout.trim();
    assert.equal(byDeployer, vault);
    const other = (await bulwark(["vault", "address", ...rpc(), "--terms", termsFile, "--deployer", address(OUTSIDER)])).stdout.trim();
    assert.notEqual(other, vault, "another deployer gets another address");
  });

  test("pool create --withdrawal-vault: 3-of-4 ceremony with the vault in the credentials; vault deploy", async () => {
    const ops = [1, 2, 3, 4].map((i) => join(root, `operator-${i}`));
    const ids = (await Promise.all(ops.map((dir) => bulwark(["operator-init", "--data-dir", dir])))).map((r) => r.stdout.trim());
    seedCheapStore(agg, POOL_FILES.wholeKeys);
    const operatorArgs = ids.flatMap((id, i) => ["--operator", `${i + 1}=${id}@https://noop${i + 1}.example:9100`]);
    const base = ["create", "--network", "hoodi", ...operatorArgs, "--data-dir", agg];
    const both = await bulwark([...base, "--withdrawal-vault", vault, "--withdrawal-address", vault, "--out", join(root, "x")], 1);
    assert.match(both.stderr, /exactly one of --withdrawal-address and --withdrawal-vault/);
    const small = await bulwark([...base, "--withdrawal-vault", vault, "--amount-gwei", "1000000000", "--out", join(root, "y")], 1);
    assert.match(small.stderr, /exactly 32 ETH/);
    await bulwark([...base, "--withdrawal-vault", vault, "--out", out]);
    const pool = JSON.parse(readFileSync(join(out, "pool.json"), "utf8")) as { deposit_data: { withdrawal_credentials: string } };
    assert.equal(pool.deposit_data.withdrawal_credentials, `01${"00".repeat(11)}${vault.slice(2).toLowerCase()}`);

    const wrongDeployer = await bulwark(["vault", "deploy", ...as(OUTSIDER), "--terms", termsFile, "--pool", join(out, "pool.json")], 1);
    assert.match(wrongDeployer.stderr, /credentials name .* but these terms deployed by/);
    const deployed = (await bulwark(["vault", "deploy", ...as(AGGREGATOR), "--terms", termsFile, "--pool", join(out, "pool.json")])).stdout.trim();
    assert.equal(deployed, vault);
  });

  test("bond, fund, stake; refusals carry the contract's reason", async () => {
    const pay = (verb: string, who: number) => ["vault", verb, ...as(who), "--vault", vault, "--network", "hoodi", "--pool", join(out, "pool.json")];
    const wrongNetwork = await bulwark(["vault", "bond", ...as(AGGREGATOR), "--vault", vault, "--network", "sepolia"], 1);
    assert.match(wrongNetwork.stderr, /deposit signature does not verify for sepolia/);
    const outsider = await bulwark(pay("bond", OUTSIDER), 1);
    assert.match(outsider.stderr, /neither the aggregator nor an operator/);
    const early = await bulwark(["vault", "stake", ...as(OUTSIDER), "--vault", vault], 1);
    assert.match(early.stderr, /NotAllPaidIn\(0, 6\)/);
    for (const i of [AGGREGATOR, ...OPERATORS]) await bulwark(pay("bond", i));
    const again = await bulwark(pay("bond", OPERATORS[0]!), 1);
    assert.match(again.stderr, /AlreadyPaidIn/);
    await bulwark(pay("fund", STAKE_POOL));
    await bulwark(["vault", "stake", ...as(OUTSIDER), "--vault", vault]);
    const twice = await bulwark(["vault", "stake", ...as(OUTSIDER), "--vault", vault], 1);
    assert.match(twice.stderr, /WrongPhase/);
    const status = JSON.parse((await bulwark(["vault", "status", ...rpc(), "--vault", vault])).stdout) as { phase: string; balance: string; pubkey: string };
    assert.equal(status.phase, "staked");
    assert.equal(status.balance, "0");
  });

  test("vote-exit by 3 of 4 operators: the third vote's request is dequeued by EIP-7002 for the pool's key", async () => {
    const composite = JSON.parse(readFileSync(join(out, "pool.json"), "utf8")).composite_public_key as Hex;
    const notOperator = await bulwark(["vault", "vote-exit", ...as(AGGREGATOR), "--vault", vault], 1);
    assert.match(notOperator.stderr, /NotParty/);
    const lowFee = await bulwark(["vault", "exit", ...as(AGGREGATOR), "--vault", vault, "--max-fee-wei", "0"], 1);
    assert.match(lowFee.stderr, /FeeAboveMaximum/);
    for (const op of OPERATORS.slice(0, 2)) await bulwark(["vault", "vote-exit", ...as(op), "--vault", vault]);
    const two = JSON.parse((await bulwark(["vault", "status", ...rpc(), "--vault", vault])).stdout) as { exitVotes: string; exitRequests: string };
    assert.deepEqual([two.exitVotes, two.exitRequests], ["2", "0"]);
    const hash = (await bulwark(["vault", "vote-exit", ...as(OPERATORS[3]!), "--vault", vault, "--max-fee-wei", "1000"])).stdout.trim() as Hex;
    const receipt = await clients.publicClient.getTransactionReceipt({ hash });
    assert.deepEqual(chain.withdrawalRequestsOf(receipt.blockNumber), [{ source: vault.toLowerCase(), pubkey: composite, amountGwei: 0n }]);
  });

  test("settle from a proof file; a forged proof is refused; the stake pool withdraws its principal", async () => {
    const pool = JSON.parse(readFileSync(join(out, "pool.json"), "utf8")) as { composite_public_key: Hex; deposit_data: { withdrawal_credentials: string } };
    await chain.mine({ withdrawals: [{ address: vault as Hex, amountGwei: 32_000_000_000n }] });
    const state = makeBeaconState(
      [{ pubkey: pool.composite_public_key, withdrawalCredentials: `0x${pool.deposit_data.withdrawal_credentials}`, balance: 0, exitEpoch: 50_000, withdrawableEpoch: 50_256 }],
      { slot: 32 * 51_000, filler: 6 },
    );
    const proof = await publishAndProve(chain, state, 6);
    const forgedFile = join(root, "forged-proof.json");
    writeFileSync(forgedFile, proofToJson({ ...proof, validator: { ...proof.validator, withdrawableEpoch: 1n } }));
    const forged = await bulwark(["vault", "settle", ...as(OUTSIDER), "--vault", vault, "--proof", forgedFile], 1);
    assert.match(forged.stderr, /InvalidProof/);
    // The real proof comes from a beacon node: header, SSZ state and the child block's timestamp.
    const header = { slot: proof.header.slot, proposerIndex: proof.header.proposerIndex, parentRoot: proof.header.parentRoot, bodyRoot: proof.header.bodyRoot };
    const beacon = await startBeaconNode(state, "electra", header, proof.beaconTimestamp);
    try {
      const proofFile = join(root, "proof.json");
      await bulwark(["vault", "proof", ...rpc(), "--vault", vault, "--beacon-node", beacon.url, "--out", proofFile]);
      assert.deepEqual(parseProofJson(readFileSync(proofFile, "utf8")), proof, "the beacon node's proof is the one over the published state");
      await bulwark(["vault", "settle", ...as(OUTSIDER), "--vault", vault, "--proof", proofFile]);
    } finally {
      await beacon.close();
    }
    const status = JSON.parse((await bulwark(["vault", "status", ...rpc(), "--vault", vault])).stdout) as { phase: string; owed: Record<string, string> };
    assert.equal(status.phase, "settled");
    assert.equal(status.owed[address(STAKE_POOL)], parseEther("24").toString());
    assert.equal(status.owed[address(AGGREGATOR)], parseEther("4").toString());
    const before = await chain.getBalance(address(STAKE_POOL));
    await bulwark(["vault", "withdraw", ...as(STAKE_POOL), "--vault", vault]);
    assert.ok((await chain.getBalance(address(STAKE_POOL))) - before > parseEther("23.99"));
  });
});
