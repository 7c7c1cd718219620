/**
 * Property test of the vault's accounting on the real EVM against the TypeScript model: random
 * bonds and reward shares, rewards swept (partial withdrawals) and paid in (fee recipient), reward
 * splits, the exit requested by the aggregator, the stake pool, an operator quorum in random order
 * or from outside, a final withdrawal with a random loss or gain, late income, and payouts in random
 * order. Every wei that came in goes out exactly once, and the stake pool's principal is paid
 * before any bond.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { ssz } from "@lodestar/types";
import { decodeEventLog, parseEther, type Address } from "viem";
import { contractArtifact } from "../../src/onchain/artifacts.js";
import type { ValidatorStateProof } from "../../src/onchain/beacon-proof.js";
import { vaultCall, vaultStatus, VaultCallError } from "../../src/onchain/vault-client.js";
import { makeBeaconState, publishAndProve, type TestBeaconState } from "../helpers/beacon-state.js";
import { skipWithoutEvmVectors } from "../helpers/evm.js";
import { AGGREGATOR, makeVault, OPERATORS, OUTSIDER, STAKE_POOL, startWorld, type TestVault, type VaultWorld } from "./vault-fixtures.js";
import { VaultModel, type Party } from "./vault-model.js";

const skip = skipWithoutEvmVectors("vault accounting property test");

const GWEI = 1_000_000_000n;
const INDEX = 2;
const SLOT = 32 * 40_000;

type Step = { kind: "reward"; gwei: bigint } | { kind: "tip"; wei: bigint } | { kind: "distribute" };
type Exit = { by: "aggregator" } | { by: "stakePool" } | { by: "operators"; order: number[] } | { by: "outside" };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant("reward" as const), gwei: fc.bigInt(1n, 3n * GWEI) }),
  fc.record({ kind: fc.constant("tip" as const), wei: fc.bigInt(1n, parseEther("1")) }),
  fc.record({ kind: fc.constant("distribute" as const) }),
);
const exit: fc.Arbitrary<Exit> = fc.oneof(
  fc.constant({ by: "aggregator" as const }),
  fc.constant({ by: "stakePool" as const }),
  fc.shuffledSubarray([0, 1, 2, 3], { minLength: 3, maxLength: 3 }).map((order) => ({ by: "operators" as const, order })),
  fc.constant({ by: "outside" as const }),
);
const scenario = fc.record({
  aggregatorBondGwei: fc.bigInt(0n, 8n * GWEI),
  operatorBondGwei: fc.bigInt(0n, 2n * GWEI),
  aggregatorRewardBps: fc.integer({ min: 0, max: 3000 }),
  operatorRewardBps: fc.integer({ min: 0, max: 1500 }),
  staked: fc.array(step, { maxLength: 3 }),
  exit,
  exiting: fc.array(step, { maxLength: 2 }),
  finalGwei: fc.bigInt(0n, 34n * GWEI),
  late: fc.array(step, { maxLength: 2 }),
  payoutOrder: fc.shuffledSubarray(["aggregator", "stakePool", "operator0", "operator1", "operator2", "operator3"] as Party[], { minLength: 6, maxLength: 6 }),
});

describe("vault accounting against the model (fast-check, real EVM)", { skip }, () => {
  let world: VaultWorld;
  let state: TestBeaconState;
  before(async () => {
    world = await startWorld();
    state = makeBeaconState([{ pubkey: `0x${"00".repeat(48)}`, withdrawalCredentials: `0x${"00".repeat(32)}`, balance: 0 }], { slot: SLOT, filler: INDEX });
  });
  after(() => world.chain.close());

  const partyIndex = (p: Party): number => (p === "aggregator" ? AGGREGATOR : p === "stakePool" ? STAKE_POOL : OPERATORS[Number(p.slice(8))]!);

  /** Publishes a state where the vault's validator is active, exiting, or withdrawn, and proves it. */
  async function prove(vault: TestVault, phase: "active" | "exiting" | "withdrawn"): Promise<ValidatorStateProof> {
    state.validators.set(
      INDEX,
      ssz.phase0.Validator.toViewDU({
        pubkey: Buffer.from(vault.deposit.pubkey, "hex"),
        withdrawalCredentials: Buffer.from(vault.deposit.withdrawal_credentials, "hex"),
        effectiveBalance: 32_000_000_000,
        slashed: false,
        activationEligibilityEpoch: 0,
        activationEpoch: 10,
        exitEpoch: phase === "active" ? Infinity : 39_000,
        withdrawableEpoch: phase === "active" ? Infinity : 39_256,
      }),
    );
    state.balances.set(INDEX, phase === "withdrawn" ? 0 : 32_000_000_000);
    state.commit();
    return publishAndProve(world.chain, state, INDEX);
  }

  it("every wei in goes out exactly once; the stake pool's principal comes before any bond", async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async (s) => {
        const vault = await makeVault(world, {
          config: {
            aggregatorBond: s.aggregatorBondGwei * GWEI,
            operatorBond: s.operatorBondGwei * GWEI,
            aggregatorRewardBps: s.aggregatorRewardBps,
            operatorRewardBps: s.operatorRewardBps,
          },
        });
        const model = new VaultModel({
          aggregatorBond: vault.config.aggregatorBond,
          operatorBond: vault.config.operatorBond,
          operators: 4,
          aggregatorRewardBps: BigInt(s.aggregatorRewardBps),
          operatorRewardBps: BigInt(s.operatorRewardBps),
        });
        const call = (who: number, fn: string, args: readonly unknown[] = [], value?: bigint) =>
          vaultCall(world.clients.publicClient, world.wallet(who), vault.address, fn, args, value);
        let cameIn = 0n;

        await call(AGGREGATOR, "bond", [], vault.config.aggregatorBond);
        for (const op of OPERATORS) await call(op, "bond", [], vault.config.operatorBond);
        await call(STAKE_POOL, "fund", [], model.funding);
        cameIn += 32n * 10n ** 18n;
        await call(OUTSIDER, "stake");
        cameIn -= 32n * 10n ** 18n; // to the deposit contract

        let phase: "active" | "exiting" | "withdrawn" = "active";
        let lastProof: ValidatorStateProof | undefined;
        const run = async (steps: Step[]) => {
          for (const st of steps) {
            if (st.kind === "reward") {
              await world.chain.mine({ withdrawals: [{ address: vault.address, amountGwei: st.gwei }] });
              model.arrive(st.gwei * GWEI);
              cameIn += st.gwei * GWEI;
            } else if (st.kind === "tip") {
              const hash = await world.wallet(OUTSIDER).sendTransaction({ to: vault.address, value: st.wei });
              await world.clients.publicClient.waitForTransactionReceipt({ hash });
              model.arrive(st.wei);
              cameIn += st.wei;
            } else {
              lastProof = model.settled ? lastProof : await prove(vault, phase);
              if (phase === "exiting") {
                await assert.rejects(call(OUTSIDER, "distributeRewards", [lastProof]), (e: unknown) => e instanceof VaultCallError && e.reason === "ValidatorExiting");
              } else {
                await call(OUTSIDER, "distributeRewards", [lastProof]);
                model.distribute();
              }
            }
          }
        };

        await run(s.staked);
        const fee = (await vaultStatus(world.clients.publicClient, vault.address)).exitFee;
        if (s.exit.by === "aggregator") await call(AGGREGATOR, "requestExit", [fee], fee);
        else if (s.exit.by === "stakePool") await call(STAKE_POOL, "requestExit", [fee], fee);
        else if (s.exit.by === "operators") {
          for (const [i, op] of s.exit.order.entries()) {
            await call(OPERATORS[op]!, "voteExit", [fee], fee);
            assert.equal((await vaultStatus(world.clients.publicClient, vault.address)).exitRequests, i === 2 ? 1n : 0n);
          }
        }
        phase = "exiting";
        await run(s.exiting);
        if (s.finalGwei > 0n) await world.chain.mine({ withdrawals: [{ address: vault.address, amountGwei: s.finalGwei }] });
        model.arrive(s.finalGwei * GWEI);
        cameIn += s.finalGwei * GWEI;
        phase = "withdrawn";
        lastProof = await prove(vault, "withdrawn");
        const settleHash = await call(OUTSIDER, "settle", [lastProof]);
        model.settle();

        // Principal before bonds, as the contract reports it.
        const receipt = await world.clients.publicClient.getTransactionReceipt({ hash: settleHash });
        const settled = receipt.logs
          .map((l) => {
            try {
              return decodeEventLog({ abi: contractArtifact("LowBondPoolVault").abi, data: l.data, topics: l.topics }) as unknown as { eventName: string; args: Record<string, bigint> };
            } catch {
              return undefined;
            }
          })
          .find((e) => e?.eventName === "SettledOut")!;
        const pot = settled.args.pot!;
        assert.equal(settled.args.toStakePool, pot < model.funding ? pot : model.funding);
        if (settled.args.toBonds! > 0n) assert.equal(settled.args.toStakePool, model.funding, "no bond is paid before the principal");
        assert.deepEqual({ toStakePool: settled.args.toStakePool, toBonds: settled.args.toBonds }, model.settlement);

        await run(s.late);
        const status = await vaultStatus(world.clients.publicClient, vault.address);
        for (const p of s.payoutOrder) assert.equal(status.owed[world.address(partyIndex(p))], model.owed.get(p) ?? 0n, `owed to ${p}`);

        let wentOut = 0n;
        for (const p of s.payoutOrder) {
          const expected = model.take(p);
          if (expected === 0n) {
            await assert.rejects(call(partyIndex(p), "withdraw"), (e: unknown) => e instanceof VaultCallError && e.reason === "NothingOwed");
            continue;
          }
          const before = await world.chain.getBalance(world.address(partyIndex(p)));
          const hash = await call(partyIndex(p), "withdraw");
          const r = await world.clients.publicClient.getTransactionReceipt({ hash });
          const received = (await world.chain.getBalance(world.address(partyIndex(p)))) - before + r.gasUsed * r.effectiveGasPrice;
          assert.equal(received, expected, `paid to ${p}`);
          wentOut += received;
        }
        assert.equal(await world.chain.getBalance(vault.address as Address), model.unallocated, "only undistributed late income stays");
        assert.equal(wentOut + model.unallocated, cameIn, "every wei in goes out exactly once");
      }),
      { numRuns: Number(process.env.VAULT_PROPERTY_RUNS ?? 8), endOnFailure: true },
    );
  });
});

