/**
 * LowBondPoolVault on a real Prague EVM with the real deposit contract and EIP-4788/7002 system
 * contracts: creation checks, funding, staking (the DepositEvent is the signed deposit), the three
 * exit paths through EIP-7002, settlement from beacon-state proofs, refunds and re-entrancy.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { decodeEventLog, encodeFunctionData, parseEther, toFunctionSelector, toHex, type Abi, type Address, type Hex } from "viem";
import { verifyDepositSignature } from "../../src/eth/deposit.js";
import { contractArtifact } from "../../src/onchain/artifacts.js";
import { validatorStateProof, type ValidatorStateProof } from "../../src/onchain/beacon-proof.js";
import { vaultCall, vaultStatus, VaultCallError } from "../../src/onchain/vault-client.js";
import { makeBeaconState, publishAndProve, type TestValidator } from "../helpers/beacon-state.js";
import { deployArtifact } from "../helpers/contracts.js";
import { Scratch } from "../pool/ceremony/ceremony-fixtures.js";
import { DEPOSIT_CONTRACT_ADDRESS, EVM_VECTORS_DIR, skipWithoutEvmVectors, WITHDRAWAL_REQUESTS_ADDRESS } from "../helpers/evm.js";
import {
  AGGREGATOR,
  AGGREGATOR_BOND,
  ceremonyVault,
  credentialsFor,
  DEPLOYER,
  HOODI,
  makeVault,
  OPERATOR_BOND,
  OPERATORS,
  OUTSIDER,
  STAKE_POOL,
  startWorld,
  type TestVault,
  type VaultWorld,
} from "./vault-fixtures.js";

const skip = skipWithoutEvmVectors("vault tests");

const VAULT_ABI = () => contractArtifact("LowBondPoolVault").abi;
const STAKE_POOL_FUNDING = parseEther("32") - AGGREGATOR_BOND - 4n * OPERATOR_BOND;
const GWEI = 1_000_000_000n;

async function refused(promise: Promise<unknown>, reason: string): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof VaultCallError, `expected a VaultCallError, got ${String(err)}`);
    assert.equal(err.reason, reason, err.message);
    return true;
  });
}

describe("LowBondPoolVault", { skip }, () => {
  const scratch = new Scratch();
  let world: VaultWorld;
  before(async () => {
    world = await startWorld();
  });
  after(async () => {
    await world?.chain.close();
    scratch.cleanup();
  });

  const call = (who: number, vault: TestVault, fn: string, args: readonly unknown[] = [], value?: bigint) =>
    vaultCall(world.clients.publicClient, world.wallet(who), vault.address, fn, args, value);

  async function fundAll(vault: TestVault): Promise<void> {
    await call(AGGREGATOR, vault, "bond", [], AGGREGATOR_BOND);
    for (const op of OPERATORS) await call(op, vault, "bond", [], OPERATOR_BOND);
    await call(STAKE_POOL, vault, "fund", [], STAKE_POOL_FUNDING);
  }

  async function stakedVault(): Promise<TestVault> {
    const vault = await makeVault(world);
    await fundAll(vault);
    await call(OUTSIDER, vault, "stake");
    return vault;
  }

  /** The validator of `vault` in a beacon state: `fields` say how far it is through its exit. */
  function validatorOf(vault: TestVault, fields: Partial<TestValidator>): TestValidator {
    return { pubkey: `0x${vault.deposit.pubkey}`, withdrawalCredentials: `0x${vault.deposit.withdrawal_credentials}`, balance: 32_000_000_000, activationEpoch: 10, ...fields };
  }

  const WITHDRAWN = { balance: 0, exitEpoch: 30_000, withdrawableEpoch: 30_256 };
  const AT_SLOT = 32 * 31_000;

  async function proofFor(vault: TestVault, fields: Partial<TestValidator>, filler = 3): Promise<ValidatorStateProof> {
    const state = makeBeaconState([validatorOf(vault, fields)], { slot: AT_SLOT, filler });
    return publishAndProve(world.chain, state, filler);
  }

  it("refuses creation with deposit data that is not a 32 ETH deposit to this vault", async () => {
    const other = world.address(OUTSIDER);
    await refused(makeVault(world, { credentials: () => credentialsFor(other) }), "BadDeposit");
    await refused(makeVault(world, { credentials: (v) => credentialsFor(v, 0x00) }), "BadDeposit");
    await refused(makeVault(world, { tamper: (d) => ({ ...d, amountGwei: 31_000_000_000n }) }), "BadDeposit");
    await refused(makeVault(world, { tamper: (d) => ({ ...d, depositDataRoot: toHex(1n, { size: 32 }) }) }), "BadDeposit");
    await refused(makeVault(world, { tamper: (d) => ({ ...d, signature: `0x${"11".repeat(96)}` }) }), "BadDeposit");
    await refused(makeVault(world, { config: { threshold: 5n } }), "BadConfig");
    await refused(makeVault(world, { config: { operatorBond: parseEther("8") } }), "BadConfig");
    await refused(makeVault(world, { config: { stakeDeadline: BigInt(world.chain.pendingTimestamp - 1) } }), "BadConfig");
    const ok = await makeVault(world, { credentials: (v) => credentialsFor(v, 0x02) });
    assert.equal((await vaultStatus(world.clients.publicClient, ok.address)).phase, "funding");
  });

  it("takes exact bonds from parties only, the stake pool's funding, then stakes once into the deposit contract", async () => {
    const vault = await makeVault(world);
    await refused(call(OUTSIDER, vault, "bond", [], OPERATOR_BOND), "NotParty");
    await refused(call(STAKE_POOL, vault, "bond", [], OPERATOR_BOND), "NotParty");
    await refused(call(AGGREGATOR, vault, "bond", [], OPERATOR_BOND), "WrongAmount");
    await refused(call(OPERATORS[0]!, vault, "bond", [], OPERATOR_BOND + 1n), "WrongAmount");
    await refused(call(OUTSIDER, vault, "fund", [], STAKE_POOL_FUNDING), "NotParty");
    await refused(call(STAKE_POOL, vault, "fund", [], STAKE_POOL_FUNDING - 1n), "WrongAmount");
    await call(OPERATORS[0]!, vault, "bond", [], OPERATOR_BOND);
    await refused(call(OPERATORS[0]!, vault, "bond", [], OPERATOR_BOND), "AlreadyPaidIn");
    await refused(call(OUTSIDER, vault, "stake"), "NotAllPaidIn");
    await call(AGGREGATOR, vault, "bond", [], AGGREGATOR_BOND);
    for (const op of OPERATORS.slice(1)) await call(op, vault, "bond", [], OPERATOR_BOND);
    await refused(call(OUTSIDER, vault, "stake"), "NotAllPaidIn");
    await call(STAKE_POOL, vault, "fund", [], STAKE_POOL_FUNDING);
    assert.equal(await world.chain.getBalance(vault.address), parseEther("32"));

    const depositBefore = await world.chain.getBalance(DEPOSIT_CONTRACT_ADDRESS);
    const hash = await call(OUTSIDER, vault, "stake");
    assert.equal(await world.chain.getBalance(vault.address), 0n);
    assert.equal((await world.chain.getBalance(DEPOSIT_CONTRACT_ADDRESS)) - depositBefore, parseEther("32"));

    const depositAbi = JSON.parse(readFileSync(join(EVM_VECTORS_DIR, "deposit_contract.abi.json"), "utf8")) as Abi;
    const receipt = await world.clients.publicClient.getTransactionReceipt({ hash });
    const logs = receipt.logs.filter((l) => l.address.toLowerCase() === DEPOSIT_CONTRACT_ADDRESS.toLowerCase());
    assert.equal(logs.length, 1);
    const event = decodeEventLog({ abi: depositAbi, data: logs[0]!.data, topics: logs[0]!.topics }) as unknown as { eventName: string; args: Record<string, Hex> };
    assert.equal(event.eventName, "DepositEvent");
    assert.equal(event.args.pubkey, `0x${vault.deposit.pubkey}`);
    assert.equal(event.args.withdrawal_credentials, `0x${vault.deposit.withdrawal_credentials}`);
    assert.equal(event.args.withdrawal_credentials!.slice(26), vault.address.slice(2).toLowerCase(), "credentials name the vault");
    assert.equal(Buffer.from(event.args.amount!.slice(2), "hex").readBigUInt64LE(), 32_000_000_000n);
    assert.equal(event.args.signature, `0x${vault.deposit.signature}`);
    const bytes = (h: Hex) => Uint8Array.from(Buffer.from(h.slice(2), "hex"));
    assert.ok(
      verifyDepositSignature(
        { pubkey: bytes(event.args.pubkey!), withdrawalCredentials: bytes(event.args.withdrawal_credentials!), amount: 32_000_000_000 },
        bytes(event.args.signature!),
        HOODI.config.GENESIS_FORK_VERSION,
      ),
      "the deposit event's signature verifies under the network's deposit domain",
    );
    await refused(call(OUTSIDER, vault, "stake"), "WrongPhase");
    await refused(call(OPERATORS[0]!, vault, "bond", [], OPERATOR_BOND), "WrongPhase");
  });

  it("the aggregator alone requests the full exit of a ceremony's 3-of-4 validator: queued in EIP-7002 with the pubkey, exact fee forwarded", async () => {
    const vault = await ceremonyVault(world, scratch);
    assert.equal(`0x${vault.deposit.pubkey}`, vault.pool.compositePublicKey);
    await fundAll(vault);
    await call(OUTSIDER, vault, "stake");
    await refused(call(OUTSIDER, vault, "requestExit", [100n], 100n), "NotParty");
    await refused(call(OPERATORS[0]!, vault, "requestExit", [100n], 100n), "NotParty");
    await refused(call(AGGREGATOR, vault, "requestExit", [0n], 100n), "FeeAboveMaximum");
    await refused(call(AGGREGATOR, vault, "requestExit", [100n], 0n), "FeeNotCovered");

    const { publicClient } = world.clients;
    const fee = (await vaultStatus(publicClient, vault.address)).exitFee;
    assert.ok(fee >= 1n);
    const aggregatorBefore = await world.chain.getBalance(world.address(AGGREGATOR));
    const predeployBefore = await world.chain.getBalance(WITHDRAWAL_REQUESTS_ADDRESS);
    world.chain.automine = false;
    let hash: Hex;
    try {
      hash = await world.wallet(AGGREGATOR).writeContract({ address: vault.address, abi: VAULT_ABI(), functionName: "requestExit", args: [1000n], value: 1000n });
      // Before the block ends: the request sits in the predeploy's queue storage.
      const tail = BigInt(await world.chain.getStorage(WITHDRAWAL_REQUESTS_ADDRESS, 3n));
      const head = BigInt(await world.chain.getStorage(WITHDRAWAL_REQUESTS_ADDRESS, 2n));
      assert.equal(tail - head, 1n);
      const slot = 4n + 3n * head;
      assert.equal(BigInt(await world.chain.getStorage(WITHDRAWAL_REQUESTS_ADDRESS, slot)), BigInt(vault.address), "source is the vault");
      const pubkey = vault.deposit.pubkey;
      assert.equal(await world.chain.getStorage(WITHDRAWAL_REQUESTS_ADDRESS, slot + 1n), `0x${pubkey.slice(0, 64)}`);
      assert.equal(await world.chain.getStorage(WITHDRAWAL_REQUESTS_ADDRESS, slot + 2n), `0x${pubkey.slice(64)}${"00".repeat(8)}${"00".repeat(8)}`, "amount 0: full exit");
    } finally {
      world.chain.automine = true;
    }
    const block = await world.chain.mine();
    assert.deepEqual(world.chain.withdrawalRequestsOf(block.header.number), [{ source: vault.address.toLowerCase(), pubkey: `0x${vault.deposit.pubkey}`, amountGwei: 0n }]);
    const receipt = await publicClient.getTransactionReceipt({ hash });
    assert.equal(receipt.status, "success");
    const gasCost = receipt.gasUsed * receipt.effectiveGasPrice;
    assert.equal(aggregatorBefore - (await world.chain.getBalance(world.address(AGGREGATOR))), fee + gasCost, "only the fee (and gas) left the caller");
    assert.equal((await world.chain.getBalance(WITHDRAWAL_REQUESTS_ADDRESS)) - predeployBefore, fee, "exactly the fee was forwarded");
    assert.equal(await world.chain.getBalance(vault.address), 0n);

    // The stake pool may ask too (a request the consensus layer ignores is harmless).
    await call(STAKE_POOL, vault, "requestExit", [fee * 10n], fee * 10n);
    assert.equal((await vaultStatus(publicClient, vault.address)).exitRequests, 2n);
  });

  it("operators exit by an M-of-N quorum: a minority only votes, the M-th vote sends the request", async () => {
    const vault = await stakedVault();
    const { publicClient } = world.clients;
    const status = () => vaultStatus(publicClient, vault.address);
    await refused(call(OUTSIDER, vault, "voteExit", [100n], 100n), "NotParty");
    await refused(call(AGGREGATOR, vault, "voteExit", [100n], 100n), "NotParty");
    const tailBefore = await world.chain.getStorage(WITHDRAWAL_REQUESTS_ADDRESS, 3n);
    await call(OPERATORS[0]!, vault, "voteExit", [100n], 77n);
    await refused(call(OPERATORS[0]!, vault, "voteExit", [100n], 0n), "AlreadyVoted");
    await call(OPERATORS[1]!, vault, "voteExit", [0n], 0n);
    assert.equal((await status()).exitVotes, 2n);
    assert.equal((await status()).exitRequests, 0n, "two of four is a minority: no request");
    assert.equal(await world.chain.getBalance(vault.address), 0n, "a non-triggering vote's value came back");
    assert.equal(await world.chain.getStorage(WITHDRAWAL_REQUESTS_ADDRESS, 3n), tailBefore);

    await refused(call(OPERATORS[3]!, vault, "voteExit", [0n], 0n), "FeeAboveMaximum");
    assert.equal((await status()).exitVotes, 2n, "a refused vote is not counted");
    const hash = await call(OPERATORS[3]!, vault, "voteExit", [1000n], 1000n);
    const receipt = await publicClient.getTransactionReceipt({ hash });
    assert.deepEqual(world.chain.withdrawalRequestsOf(receipt.blockNumber), [{ source: vault.address.toLowerCase(), pubkey: `0x${vault.deposit.pubkey}`, amountGwei: 0n }]);
    assert.equal((await status()).exitRequests, 1n);
    assert.equal(await world.chain.getBalance(vault.address), 0n);
  });

  it("splits rewards only on a recent proof that the validator is not exiting", async () => {
    const vault = await stakedVault();
    await world.chain.mine({ withdrawals: [{ address: vault.address, amountGwei: 2n * GWEI }] });
    const active = await proofFor(vault, { balance: 32_000_000_000 });
    await call(OUTSIDER, vault, "distributeRewards", [active]);
    const s = await vaultStatus(world.clients.publicClient, vault.address);
    const reward = 2n * 10n ** 18n;
    assert.equal(s.owed[world.address(AGGREGATOR)], (reward * 1000n) / 10_000n);
    for (const op of OPERATORS) assert.equal(s.owed[world.address(op)], (reward * 500n) / 10_000n);
    assert.equal(s.owed[world.address(STAKE_POOL)], reward - (reward * 1000n) / 10_000n - 4n * ((reward * 500n) / 10_000n));

    await world.chain.mine({ withdrawals: [{ address: vault.address, amountGwei: GWEI }] });
    const exiting = await proofFor(vault, { balance: 32_000_000_000, exitEpoch: 30_000, withdrawableEpoch: 30_256 });
    await refused(call(OUTSIDER, vault, "distributeRewards", [exiting]), "ValidatorExiting");
    world.chain.advanceTime(13 * 3600);
    await refused(call(OUTSIDER, vault, "distributeRewards", [active]), "StaleProof");
  });

  it("settles only from a real proof of the full withdrawal: principal first, then bonds, then surplus", async () => {
    const vault = await stakedVault();
    const { publicClient } = world.clients;
    await call(AGGREGATOR, vault, "requestExit", [1000n], 1000n);

    // No proof (a timestamp with no beacon root), a forged one, another validator, not yet withdrawn.
    const withdrawn = await proofFor(vault, WITHDRAWN);
    await refused(call(OUTSIDER, vault, "settle", [{ ...withdrawn, beaconTimestamp: withdrawn.beaconTimestamp + 1n }]), "BeaconRootUnavailable");
    await refused(call(OUTSIDER, vault, "settle", [{ ...withdrawn, validator: { ...withdrawn.validator, exitEpoch: 29_999n } }]), "InvalidProof");
    await refused(call(OUTSIDER, vault, "settle", [{ ...withdrawn, balanceChunk: toHex(BigInt(withdrawn.balanceChunk) ^ 1n, { size: 32 }) }]), "InvalidProof");
    const forgedState = makeBeaconState([validatorOf(vault, WITHDRAWN)], { slot: AT_SLOT, filler: 3 });
    const unpublished = validatorStateProof(forgedState, 3, { ...withdrawn.header, proposerIndex: 8n }, withdrawn.beaconTimestamp);
    await refused(call(OUTSIDER, vault, "settle", [unpublished]), "InvalidProof");
    const stillStaked = await proofFor(vault, { balance: 32_000_000_000, exitEpoch: 30_000, withdrawableEpoch: 30_256 });
    await refused(call(OUTSIDER, vault, "settle", [stillStaked]), "NotWithdrawn");
    const notExited = await proofFor(vault, { balance: 0 });
    await refused(call(OUTSIDER, vault, "settle", [notExited]), "NotWithdrawn");
    const early = makeBeaconState([validatorOf(vault, WITHDRAWN)], { slot: 32 * 30_255, filler: 3 });
    await refused(call(OUTSIDER, vault, "settle", [await publishAndProve(world.chain, early, 3)]), "NotWithdrawn");
    const someoneElse = await proofFor({ ...vault, deposit: { ...vault.deposit, pubkey: "b0".repeat(48) } }, WITHDRAWN);
    await refused(call(OUTSIDER, vault, "settle", [someoneElse]), "NotThisValidator");

    // The full withdrawal lands (32 ETH + 0.5 ETH rewards), then the proof of it.
    await world.chain.mine({ withdrawals: [{ address: vault.address, amountGwei: 32_500_000_000n }] });
    const proof = await proofFor(vault, WITHDRAWN, 11);
    await call(OUTSIDER, vault, "settle", [proof]);
    const s = await vaultStatus(publicClient, vault.address);
    assert.equal(s.phase, "settled");
    const surplus = parseEther("0.5");
    const aggReward = (surplus * 1000n) / 10_000n;
    const opReward = (surplus * 500n) / 10_000n;
    assert.equal(s.owed[world.address(STAKE_POOL)], STAKE_POOL_FUNDING + surplus - aggReward - 4n * opReward);
    assert.equal(s.owed[world.address(AGGREGATOR)], AGGREGATOR_BOND + aggReward);
    for (const op of OPERATORS) assert.equal(s.owed[world.address(op)], OPERATOR_BOND + opReward);
    await refused(call(OUTSIDER, vault, "settle", [proof]), "WrongPhase");
    for (const who of [STAKE_POOL, AGGREGATOR, ...OPERATORS]) await call(who, vault, "withdraw");
    await refused(call(AGGREGATOR, vault, "withdraw"), "NothingOwed");
    assert.equal(await world.chain.getBalance(vault.address), 0n);
  });

  it("takes a shortfall from the bonds pro rata, after the stake pool's principal", async () => {
    for (const [returnedGwei, expectedBonds] of [
      [30_000_000_000n, parseEther("6")],
      [20_000_000_000n, 0n],
    ] as Array<[bigint, bigint]>) {
      const vault = await stakedVault();
      await world.chain.mine({ withdrawals: [{ address: vault.address, amountGwei: returnedGwei }] });
      await call(OUTSIDER, vault, "settle", [await proofFor(vault, WITHDRAWN)]);
      const s = await vaultStatus(world.clients.publicClient, vault.address);
      const returned = returnedGwei * GWEI;
      const toStakePool = returned < STAKE_POOL_FUNDING ? returned : STAKE_POOL_FUNDING;
      assert.equal(s.owed[world.address(STAKE_POOL)], toStakePool);
      const bonds = AGGREGATOR_BOND + 4n * OPERATOR_BOND;
      for (const op of OPERATORS) assert.equal(s.owed[world.address(op)], (expectedBonds * OPERATOR_BOND) / bonds);
      assert.equal(s.owed[world.address(AGGREGATOR)], (expectedBonds * AGGREGATOR_BOND) / bonds);
      assert.equal(Object.values(s.owed).reduce((a, b) => a + b, 0n), returned);
    }
  });

  it("refunds every contribution when not staked by the deadline", async () => {
    const deadline = BigInt(world.chain.pendingTimestamp + 3600);
    const vault = await makeVault(world, { config: { stakeDeadline: deadline } });
    await call(AGGREGATOR, vault, "bond", [], AGGREGATOR_BOND);
    await call(OPERATORS[2]!, vault, "bond", [], OPERATOR_BOND);
    await refused(call(OUTSIDER, vault, "refund"), "DeadlineNotReached");
    world.chain.advanceTime(3600);
    await refused(call(OPERATORS[0]!, vault, "bond", [], OPERATOR_BOND), "DeadlinePassed");
    await call(OUTSIDER, vault, "refund");
    await refused(call(OUTSIDER, vault, "stake"), "WrongPhase");
    const s = await vaultStatus(world.clients.publicClient, vault.address);
    assert.equal(s.phase, "refunded");
    assert.equal(s.owed[world.address(AGGREGATOR)], AGGREGATOR_BOND);
    assert.equal(s.owed[world.address(OPERATORS[2]!)], OPERATOR_BOND);
    assert.equal(s.owed[world.address(OPERATORS[0]!)], 0n);
    await call(AGGREGATOR, vault, "withdraw");
    await call(OPERATORS[2]!, vault, "withdraw");
    assert.equal(await world.chain.getBalance(vault.address), 0n);
  });

  describe("re-entrancy through every payout (a party that calls back when paid)", () => {
    const REENTRANT = toFunctionSelector("Reentrant()");
    let partyAbi: Abi;
    before(() => {
      partyAbi = contractArtifact("ReentrantParty").abi;
    });

    async function partyVault(role: "aggregator" | "operator"): Promise<{ vault: TestVault; party: Address }> {
      const party = await deployArtifact(world.clients, DEPLOYER, "ReentrantParty");
      const config =
        role === "aggregator" ? { aggregator: party } : { operators: [party, ...OPERATORS.slice(1).map((i) => world.address(i))] };
      const vault = await makeVault(world, { config });
      return { vault, party };
    }

    const partyWrite = (party: Address, functionName: string, args: readonly unknown[], value?: bigint) =>
      world.wallet(DEPLOYER).writeContract({ address: party, abi: partyAbi, functionName, args, ...(value !== undefined ? { value } : {}) } as never);
    const vaultData = (functionName: string, args: readonly unknown[] = []) => encodeFunctionData({ abi: VAULT_ABI(), functionName, args } as never);
    async function partyAct(party: Address, vault: TestVault, data: Hex, value?: bigint): Promise<void> {
      const hash = await partyWrite(party, "act", [vault.address, data], value);
      assert.equal((await world.clients.publicClient.waitForTransactionReceipt({ hash })).status, "success");
    }
    async function reentry(party: Address): Promise<{ refused: boolean; error: Hex }> {
      const read = (functionName: string) => world.clients.publicClient.readContract({ address: party, abi: partyAbi, functionName });
      assert.equal(await read("reentered"), true, "the party was paid and called back");
      return { refused: (await read("reentryRefused")) as boolean, error: (await read("reentryError")) as Hex };
    }

    async function fundWithParty(vault: TestVault, party: Address, role: "aggregator" | "operator"): Promise<void> {
      await partyAct(party, vault, vaultData("bond"), role === "aggregator" ? AGGREGATOR_BOND : OPERATOR_BOND);
      if (role === "operator") await call(AGGREGATOR, vault, "bond", [], AGGREGATOR_BOND);
      for (const op of role === "operator" ? OPERATORS.slice(1) : OPERATORS) await call(op, vault, "bond", [], OPERATOR_BOND);
      await call(STAKE_POOL, vault, "fund", [], STAKE_POOL_FUNDING);
    }

    it("settlement withdrawal: withdraw() again from the receive hook is refused; paid once", async () => {
      const { vault, party } = await partyVault("aggregator");
      await fundWithParty(vault, party, "aggregator");
      await call(OUTSIDER, vault, "stake");
      await world.chain.mine({ withdrawals: [{ address: vault.address, amountGwei: 32_000_000_000n }] });
      await call(OUTSIDER, vault, "settle", [await proofFor(vault, WITHDRAWN)]);
      await partyWrite(party, "setTarget", [vault.address, vaultData("withdraw")]);
      const before = await world.chain.getBalance(party);
      await partyAct(party, vault, vaultData("withdraw"));
      const r = await reentry(party);
      assert.ok(r.refused);
      assert.equal(r.error, REENTRANT);
      assert.equal((await world.chain.getBalance(party)) - before, AGGREGATOR_BOND, "paid exactly once");
    });

    it("refund withdrawal: withdraw() again is refused", async () => {
      const deadline = BigInt(world.chain.pendingTimestamp + 600);
      const party = await deployArtifact(world.clients, DEPLOYER, "ReentrantParty");
      const vault = await makeVault(world, { config: { aggregator: party, stakeDeadline: deadline } });
      await partyAct(party, vault, vaultData("bond"), AGGREGATOR_BOND);
      world.chain.advanceTime(600);
      await call(OUTSIDER, vault, "refund");
      await partyWrite(party, "setTarget", [vault.address, vaultData("withdraw")]);
      const before = await world.chain.getBalance(party);
      await partyAct(party, vault, vaultData("withdraw"));
      assert.equal((await reentry(party)).error, REENTRANT);
      assert.equal((await world.chain.getBalance(party)) - before, AGGREGATOR_BOND);
    });

    it("the exit fee's change: requesting again from the receive hook is refused", async () => {
      const { vault, party } = await partyVault("aggregator");
      await fundWithParty(vault, party, "aggregator");
      await call(OUTSIDER, vault, "stake");
      await partyWrite(party, "setTarget", [vault.address, vaultData("requestExit", [1000n])]);
      await partyAct(party, vault, vaultData("requestExit", [1000n]), 1000n);
      assert.equal((await reentry(party)).error, REENTRANT);
      assert.equal((await vaultStatus(world.clients.publicClient, vault.address)).exitRequests, 1n);
    });

    it("an early vote's returned value: voting again from the receive hook is refused", async () => {
      const { vault, party } = await partyVault("operator");
      await fundWithParty(vault, party, "operator");
      await call(OUTSIDER, vault, "stake");
      await partyWrite(party, "setTarget", [vault.address, vaultData("voteExit", [1000n])]);
      await partyAct(party, vault, vaultData("voteExit", [1000n]), 5n);
      assert.equal((await reentry(party)).error, REENTRANT);
      assert.equal((await vaultStatus(world.clients.publicClient, vault.address)).exitVotes, 1n);
    });
  });
});
