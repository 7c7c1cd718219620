/**
 * EnclaveRegistry and SoloStakedETH on a real Prague EVM with the real deposit contract and the
 * EIP-4788/7002 system contracts: deposits admitted only with a registered identity's statement
 * binding this key, C's credentials, 32 ETH, the deposit and this chain; ejection below the
 * threshold from an EIP-4788 proof into the EIP-7002 queue; the redemption queue's order;
 * completion's exact split; and every refusal the issue names.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { encodeFunctionData, keccak256, parseEther, toFunctionSelector, toHex, type Hex } from "viem";
import { contractArtifact } from "../../src/onchain/artifacts.js";
import { deployArtifact } from "../helpers/contracts.js";
import { VaultCallError } from "../../src/onchain/vault-client.js";
import { registryCall } from "../../src/seth/seth-client.js";
import type { ValidatorStateProof } from "../../src/onchain/beacon-proof.js";
import { DEPOSIT_CONTRACT_ADDRESS, skipWithoutEvmVectors } from "../helpers/evm.js";
import {
  call,
  credentials,
  DEPLOYER,
  depositArgs,
  depositKey,
  EJECTOR,
  exitFee,
  identityAccount,
  makeKey,
  MINTED,
  OUTSIDER,
  prove,
  read,
  REGISTRAR,
  REWARD,
  STAKERS,
  startSethWorld,
  type SethWorld,
  type TestKey,
} from "./seth-fixtures.js";

const skip = skipWithoutEvmVectors("sETH tests");

async function refused(promise: Promise<unknown>, reason: string): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof VaultCallError, `expected a VaultCallError, got ${String(err)}`);
    assert.equal(err.reason, reason, err.message);
    return true;
  });
}

interface ValidatorRecord {
  staker: Hex;
  status: number;
  indexKnown: boolean;
  validatorIndex: bigint;
  exitBalanceGwei: bigint;
  ejector: Hex;
  ejectorClaim: bigint;
  pubkey: Hex;
}

describe("SoloStakedETH", { skip }, () => {
  let world: SethWorld;
  before(async () => {
    world = await startSethWorld();
  });
  after(async () => {
    await world?.chain.close();
  });

  const record = async (key: TestKey) => read<ValidatorRecord>(world, "validator", [await read<bigint>(world, "idOf", [key.pubkey])]);

  describe("deposit", () => {
    it("32 ETH with a registered identity's statement: the deposit contract gets the deposit for C's 0x02 credentials, the staker 31 sETH", async () => {
      const staker = world.address(STAKERS[0]!);
      const sethBefore = await read<bigint>(world, "balanceOf", [staker]);
      const depositBefore = await world.chain.getBalance(DEPOSIT_CONTRACT_ADDRESS);
      const key = await depositKey(world, STAKERS[0]!);
      assert.equal((await read<bigint>(world, "balanceOf", [staker])) - sethBefore, MINTED);
      assert.equal((await world.chain.getBalance(DEPOSIT_CONTRACT_ADDRESS)) - depositBefore, parseEther("32"));
      assert.equal(await world.chain.getBalance(world.seth), 0n, "C keeps nothing of the deposit");
      const r = await record(key);
      assert.equal(r.staker, staker);
      assert.equal(r.status, 1);
      assert.equal(r.pubkey, key.pubkey);
      assert.equal((await read<Hex>(world, "withdrawalCredentials")).toLowerCase(), toHex(credentials(world.seth)));
    });

    it("the contract's EIP-712 digest is the one viem computes for the statement", async () => {
      const key = await makeKey(world);
      const { statementDigest } = await import("../../src/attestation/statements.js");
      assert.equal(await read<Hex>(world, "provenanceDigest", [key.pubkey, `0x${key.deposit.deposit_data_root}`]), statementDigest("KeyProvenance", key.statement));
    });

    it("refuses a replayed pubkey", async () => {
      const key = await depositKey(world, STAKERS[1]!);
      await refused(call(world, STAKERS[1]!, "deposit", depositArgs(key), parseEther("32")), "PubkeyAlreadyUsed");
    });

    it("refuses any amount but exactly 32 ETH", async () => {
      const key = await makeKey(world);
      await refused(call(world, STAKERS[1]!, "deposit", depositArgs(key), parseEther("31")), "WrongAmount");
      await refused(call(world, STAKERS[1]!, "deposit", depositArgs(key), parseEther("33")), "WrongAmount");
    });

    it("refuses an unregistered identity", async () => {
      const key = await makeKey(world, { identity: identityAccount("never registered") });
      await refused(call(world, STAKERS[1]!, "deposit", depositArgs(key), parseEther("32")), "IdentityNotRegistered");
    });

    it("refuses a revoked identity; only the registrar registers and revokes", async () => {
      const revoked = identityAccount("to be revoked");
      const { publicClient } = world.clients;
      await refused(registryCall(publicClient, world.wallet(OUTSIDER), world.registry, "register", [revoked.address, keccak256("0x01"), keccak256("0x02")]), "NotRegistrar");
      await registryCall(publicClient, world.wallet(REGISTRAR), world.registry, "register", [revoked.address, keccak256("0x01"), keccak256("0x02")]);
      const before = await makeKey(world, { identity: revoked });
      await call(world, STAKERS[1]!, "deposit", depositArgs(before), parseEther("32"));
      await refused(registryCall(publicClient, world.wallet(OUTSIDER), world.registry, "revoke", [revoked.address]), "NotRegistrar");
      await registryCall(publicClient, world.wallet(REGISTRAR), world.registry, "revoke", [revoked.address]);
      const after = await makeKey(world, { identity: revoked });
      await refused(call(world, STAKERS[1]!, "deposit", depositArgs(after), parseEther("32")), "IdentityNotRegistered");
      assert.equal((await record(before)).status, 1, "a validator admitted before the revocation stays");
    });

    it("refuses a statement for another chain", async () => {
      const key = await makeKey(world, { statement: { genesisValidatorsRoot: toHex(0xbadn, { size: 32 }) } });
      await refused(call(world, STAKERS[1]!, "deposit", depositArgs(key), parseEther("32")), "IdentityNotRegistered");
    });

    it("refuses a statement for another pubkey", async () => {
      const other = await makeKey(world);
      const key = await makeKey(world, { statement: { pubkey: other.pubkey } });
      await refused(call(world, STAKERS[1]!, "deposit", depositArgs(key), parseEther("32")), "IdentityNotRegistered");
    });

    it("refuses other credentials: C's address with 0x01, or another address with 0x02", async () => {
      const legacy = await makeKey(world, { credentials: credentials(world.seth, 0x01) });
      await refused(call(world, STAKERS[1]!, "deposit", depositArgs(legacy), parseEther("32")), "IdentityNotRegistered");
      const elsewhere = await makeKey(world, { credentials: credentials(world.address(OUTSIDER)) });
      await refused(call(world, STAKERS[1]!, "deposit", depositArgs(elsewhere), parseEther("32")), "IdentityNotRegistered");
    });

    it("refuses a statement for another deposit data root, and a deposit whose root does not match (the deposit contract)", async () => {
      const key = await makeKey(world, { statement: { depositDataRoot: toHex(0x1234n, { size: 32 }) } });
      await refused(call(world, STAKERS[1]!, "deposit", depositArgs(key), parseEther("32")), "IdentityNotRegistered");
      const good = await makeKey(world);
      const forgedSignature = [good.pubkey, `0x${"11".repeat(96)}`, `0x${good.deposit.deposit_data_root}`, good.provenanceSignature] as const;
      await assert.rejects(call(world, STAKERS[1]!, "deposit", forgedSignature, parseEther("32")), /reverted|refused/);
    });

    it("refuses a statement that does not say generated inside and not exportable", async () => {
      const key = await makeKey(world, { statement: { notExportable: false } });
      await refused(call(world, STAKERS[1]!, "deposit", depositArgs(key), parseEther("32")), "IdentityNotRegistered");
    });
  });

  describe("eject", () => {
    it("balance 31.98 ETH: exit requested through EIP-7002 (the queue holds C's request for this pubkey)", async () => {
      const key = await depositKey(world, STAKERS[0]!);
      const proof = await prove(world, [key], [{ balance: 31_980_000_000 }], 0);
      const fee = await read<bigint>(world, "exitFee");
      const hash = await call(world, EJECTOR, "eject", [proof.validatorIndex, proof, fee * 2n], fee * 2n);
      const receipt = await world.clients.publicClient.getTransactionReceipt({ hash });
      const requests = world.chain.withdrawalRequestsOf(receipt.blockNumber);
      assert.deepEqual(requests, [{ source: world.seth.toLowerCase(), pubkey: key.pubkey, amountGwei: 0n }]);
      const r = await record(key);
      assert.equal(r.status, 2);
      assert.equal(r.ejector, world.address(EJECTOR));
      assert.equal(r.ejectorClaim, fee + REWARD);
      assert.equal(await read<bigint>(world, "owed", [world.address(EJECTOR)]), fee, "the excess value is credited back");
      await refused(call(world, OUTSIDER, "eject", [proof.validatorIndex, proof, fee * 2n], fee * 2n), "NotActive");
    });

    it("balance 32.00 ETH (and exactly the threshold): refused", async () => {
      const key = await depositKey(world, STAKERS[0]!);
      const fee = await exitFee(world);
      const full = await prove(world, [key], [{ balance: 32_000_000_000 }], 0);
      await refused(call(world, EJECTOR, "eject", [full.validatorIndex, full, fee], fee), "BalanceNotBelowThreshold");
      const threshold = await prove(world, [key], [{ balance: 31_990_000_000 }], 0);
      await refused(call(world, EJECTOR, "eject", [threshold.validatorIndex, threshold, fee], fee), "BalanceNotBelowThreshold");
    });

    it("refuses a forged proof (balance chunk or branch changed)", async () => {
      const key = await depositKey(world, STAKERS[0]!);
      const fee = await exitFee(world);
      const proof = await prove(world, [key], [{ balance: 32_000_000_000 }], 0);
      const low = 31_000_000_000n;
      const chunk = BigInt(proof.balanceChunk);
      const offset = BigInt(Number(proof.validatorIndex % 4n) * 8);
      let le = 0n;
      for (let i = 0n; i < 8n; i++) le |= ((low >> (8n * i)) & 0xffn) << (8n * (7n - i));
      const forgedChunk = toHex((chunk & ~(((1n << 64n) - 1n) << (192n - 8n * offset))) | (le << (192n - 8n * offset)), { size: 32 });
      const forged: ValidatorStateProof = { ...proof, balanceChunk: forgedChunk };
      await refused(call(world, EJECTOR, "eject", [forged.validatorIndex, forged, fee], fee), "InvalidProof");
      const branch: ValidatorStateProof = { ...proof, validatorBranch: proof.validatorBranch.map((n, i) => (i === 3 ? toHex(0xfeedn, { size: 32 }) : n)) };
      await refused(call(world, EJECTOR, "eject", [branch.validatorIndex, branch, fee], fee), "InvalidProof");
    });

    it("refuses a stale proof", async () => {
      const key = await depositKey(world, STAKERS[0]!);
      const fee = await exitFee(world);
      const proof = await prove(world, [key], [{ balance: 31_000_000_000 }], 0);
      world.chain.advanceTime(2 * 3600);
      await refused(call(world, EJECTOR, "eject", [proof.validatorIndex, proof, fee], fee), "StaleProof");
    });

    it("refuses a proof for another validator index, and a validator that is not C's", async () => {
      const a = await depositKey(world, STAKERS[0]!);
      const b = await depositKey(world, STAKERS[1]!);
      const fee = await exitFee(world);
      const proof = await prove(world, [a, b], [{ balance: 31_000_000_000 }, { balance: 32_000_000_000 }], 0);
      await refused(call(world, EJECTOR, "eject", [proof.validatorIndex + 1n, proof, fee], fee), "WrongValidatorIndex");
      await call(world, EJECTOR, "eject", [proof.validatorIndex, proof, fee], fee);
      // The successful ejection fixed a's index; a state placing a elsewhere is refused.
      const moved = await prove(world, [b, a], [{}, { balance: 31_000_000_000, exitEpoch: 31_000, withdrawableEpoch: 31_300 }], 1);
      await refused(call(world, OUTSIDER, "recordExitBalance", [moved.validatorIndex, moved]), "WrongValidatorIndex");
      const stranger = await makeKey(world);
      const strangerProof = await prove(world, [stranger], [{ balance: 31_000_000_000 }], 0);
      await refused(call(world, EJECTOR, "eject", [strangerProof.validatorIndex, strangerProof, fee], fee), "UnknownValidator");
    });

    it("refuses a validator already exiting on the beacon chain, and a fee above the caller's maximum", async () => {
      const key = await depositKey(world, STAKERS[0]!);
      const exiting = await prove(world, [key], [{ balance: 31_000_000_000, exitEpoch: 31_300, withdrawableEpoch: 31_556 }], 0);
      const fee = await exitFee(world);
      await refused(call(world, EJECTOR, "eject", [exiting.validatorIndex, exiting, fee], fee), "AlreadyExiting");
      const low = await prove(world, [key], [{ balance: 31_000_000_000 }], 0);
      await refused(call(world, EJECTOR, "eject", [low.validatorIndex, low, 0n], 0n), "FeeAboveMaximum");
    });
  });

  describe("re-entrancy", () => {
    it("a payee that calls withdraw again from its receive hook is refused, and paid exactly once", async () => {
      const partyAbi = contractArtifact("ReentrantParty").abi;
      const sethAbi = contractArtifact("SoloStakedETH").abi;
      const party = await deployArtifact(world.clients, DEPLOYER, "ReentrantParty");
      const write = async (functionName: string, args: readonly unknown[], value?: bigint) => {
        const hash = await world.wallet(DEPLOYER).writeContract({ address: party, abi: partyAbi, functionName, args, ...(value !== undefined ? { value } : {}) } as never);
        assert.equal((await world.clients.publicClient.waitForTransactionReceipt({ hash })).status, "success");
      };
      const data = (functionName: string, args: readonly unknown[] = []) => encodeFunctionData({ abi: sethAbi, functionName, args } as never);
      const key = await depositKey(world, STAKERS[2]!);
      const proof = await prove(world, [key], [{ balance: 31_500_000_000 }], 0);
      const fee = await read<bigint>(world, "exitFee");
      // The party ejects with 1 ETH of value: the change is credited to it.
      await write("act", [world.seth, data("eject", [proof.validatorIndex, proof, parseEther("1")])], parseEther("1"));
      const change = parseEther("1") - fee;
      assert.equal(await read<bigint>(world, "owed", [party]), change);
      await write("setTarget", [world.seth, data("withdraw")]);
      const before = await world.chain.getBalance(party);
      await write("act", [world.seth, data("withdraw")]);
      const readParty = (functionName: string) => world.clients.publicClient.readContract({ address: party, abi: partyAbi, functionName });
      assert.equal(await readParty("reentered"), true);
      assert.equal(await readParty("reentryRefused"), true);
      assert.equal(await readParty("reentryError"), toFunctionSelector("Reentrant()"));
      assert.equal((await world.chain.getBalance(party)) - before, change);
      assert.equal(await read<bigint>(world, "owed", [party]), 0n);
    });
  });

  describe("redemption and completion", () => {
    // A fresh chain, so that the queue and the exiting validators are only this suite's.
    before(async () => {
      await world.chain.close();
      world = await startSethWorld();
    });

    it("pays the queue in order over several stakers as withdrawn ETH is attributed; completion splits exactly", async () => {
      const [s1, s2, s3, s4] = STAKERS as [number, number, number, number];
      const k0 = await depositKey(world, s4);
      const k1 = await depositKey(world, s1);
      const k2 = await depositKey(world, s2);
      const keys = [k1, k2];
      const queueStart = await read<bigint>(world, "queueLength");
      // s2 redeems first, then s3 (who got sETH from s1), then s1.
      await call(world, s1, "transfer", [world.address(s3), parseEther("20")]);
      await call(world, s2, "redeem", [parseEther("25")]);
      await call(world, s3, "redeem", [parseEther("20")]);
      await call(world, s1, "redeem", [parseEther("11")]);
      const reserveBefore = await read<bigint>(world, "redemptionReserve");
      assert.equal(reserveBefore, 0n);

      // The queue is larger than what is arriving: anyone can have the oldest active validator exit.
      const fee = await exitFee(world);
      const oldestActive = async () => {
        const count = await read<bigint>(world, "validatorCount");
        for (let id = 0n; id < count; id++) if ((await read<ValidatorRecord>(world, "validator", [id])).status === 1) return id;
        return -1n;
      };
      assert.equal(await oldestActive(), 0n);
      await call(world, OUTSIDER, "ejectForRedemptions", [fee], fee);
      assert.equal((await record(k0)).status, 2, "the oldest active validator was asked to exit");
      assert.equal(await oldestActive(), 1n);

      // k1 drops under the threshold and is ejected; it exits with 31.98 ETH.
      const low = await prove(world, keys, [{ balance: 31_980_000_000 }, {}], 0);
      const ejectFee = await read<bigint>(world, "exitFee");
      await call(world, EJECTOR, "eject", [low.validatorIndex, low, fee], fee);
      const exited = await prove(world, keys, [{ balance: 31_980_000_000, exitEpoch: 31_200, withdrawableEpoch: 31_456 }, {}], 0);
      await refused(call(world, OUTSIDER, "complete", [exited.validatorIndex, exited]), "ExitBalanceNotRecorded");
      await call(world, OUTSIDER, "recordExitBalance", [exited.validatorIndex, exited]);
      const withdrawn = await prove(world, keys, [{ balance: 0, exitEpoch: 31_200, withdrawableEpoch: 31_456 }, {}], 0, 31_500);
      await refused(call(world, OUTSIDER, "complete", [withdrawn.validatorIndex, withdrawn]), "WithdrawalNotArrived");
      await world.chain.mine({ withdrawals: [{ address: world.seth, amountGwei: 31_980_000_000n }] });

      const owedBefore = async (i: number) => read<bigint>(world, "owed", [world.address(i)]);
      const [stakerBefore, ejectorBefore] = [await owedBefore(s1), await owedBefore(EJECTOR)];
      await call(world, OUTSIDER, "complete", [withdrawn.validatorIndex, withdrawn]);
      assert.equal(await read<bigint>(world, "redemptionReserve"), MINTED);
      assert.equal((await owedBefore(EJECTOR)) - ejectorBefore, ejectFee + REWARD, "the ejector: the EIP-7002 fee it advanced plus the reward");
      assert.equal((await owedBefore(s1)) - stakerBefore, parseEther("0.98") - ejectFee - REWARD, "the staker: the rest of its collateral");
      await refused(call(world, OUTSIDER, "complete", [withdrawn.validatorIndex, withdrawn]), "NotActive");

      // 31 ETH reserve: s2's 25, then 6 of s3's 20; s1 waits.
      const owed = async () => Promise.all([s2, s3, s1].map((i) => owedBefore(i)));
      const before = await owed();
      await call(world, OUTSIDER, "claim", [10n]);
      const after = await owed();
      assert.deepEqual(after.map((v, i) => v - before[i]!), [parseEther("25"), parseEther("6"), 0n]);
      const head = await read<{ owner: Hex; amount: bigint; remaining: bigint }>(world, "redemption", [queueStart + 1n]);
      assert.equal(head.remaining, parseEther("14"));
      assert.equal(await read<bigint>(world, "queueHead"), queueStart + 1n);
      assert.equal(await read<bigint>(world, "redemptionReserve"), 0n);

      // Pull: withdraw pays exactly what is owed.
      const balanceBefore = await world.clients.publicClient.getBalance({ address: world.address(s2) });
      const hash = await call(world, s2, "withdraw");
      const receipt = await world.clients.publicClient.getTransactionReceipt({ hash });
      const balanceAfter = await world.clients.publicClient.getBalance({ address: world.address(s2) });
      assert.equal(balanceAfter - balanceBefore + receipt.gasUsed * receipt.effectiveGasPrice, after[0]!);
      await refused(call(world, s2, "withdraw"), "NothingOwed");
    });

    it("ejectForRedemptions is refused when the queue is covered", async () => {
      // Every queued wei is covered by the validators already exiting (31 ETH each) plus the reserve.
      const queued = await read<bigint>(world, "queuedTotal");
      const covered = (await read<bigint>(world, "redemptionReserve")) + (await read<bigint>(world, "exitingCount")) * MINTED;
      assert.ok(queued <= covered, `precondition: queued ${queued} covered ${covered}`);
      const fee = await exitFee(world);
      await refused(call(world, OUTSIDER, "ejectForRedemptions", [fee], fee), "NoShortfall");
    });

    it("redeem refuses more sETH than the caller holds, and zero", async () => {
      await refused(call(world, OUTSIDER, "redeem", [1n]), "InsufficientBalance");
      await refused(call(world, OUTSIDER, "redeem", [0n]), "NothingToRedeem");
    });

    it("a recorded exit balance must come from after the exit epoch (a slashed one's: the withdrawable epoch) and before the withdrawal", async () => {
      const key = await depositKey(world, STAKERS[3]!);
      const active = await prove(world, [key], [{ balance: 32_000_000_000 }], 0);
      await refused(call(world, OUTSIDER, "recordExitBalance", [active.validatorIndex, active]), "NotExited");
      const sameEpoch = await prove(world, [key], [{ balance: 32_000_000_000, exitEpoch: 31_250, withdrawableEpoch: 31_506 }], 0);
      await refused(call(world, OUTSIDER, "recordExitBalance", [sameEpoch.validatorIndex, sameEpoch]), "NotExited");
      const swept = await prove(world, [key], [{ balance: 0, exitEpoch: 31_000, withdrawableEpoch: 31_200 }], 0);
      await refused(call(world, OUTSIDER, "recordExitBalance", [swept.validatorIndex, swept]), "NotExited");
      // Slashed: its balance is final only after its withdrawable epoch.
      const slashed = { slashed: true, balance: 30_500_000_000, exitEpoch: 31_000, withdrawableEpoch: 31_250 };
      const penalised = await prove(world, [key], [slashed], 0, 31_250);
      await refused(call(world, OUTSIDER, "recordExitBalance", [penalised.validatorIndex, penalised]), "NotExited");
      const final = await prove(world, [key], [slashed], 0, 31_251);
      await call(world, OUTSIDER, "recordExitBalance", [final.validatorIndex, final]);
      assert.equal((await record(key)).exitBalanceGwei, 30_500_000_000n);
      await refused(call(world, OUTSIDER, "recordExitBalance", [final.validatorIndex, final]), "ExitBalanceAlreadyRecorded");
    });
  });
});
