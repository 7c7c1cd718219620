/**
 * Property test of SoloStakedETH on the real EVM against the TypeScript model (fast-check): random
 * deposits by several stakers, beacon balance paths (no slashing; the lowest balance is 31.5 ETH),
 * ejections below the threshold (and refusals at or above it), redemptions and transfers, ejections
 * for the queue, exits withdrawn and completed from proofs, claims and withdrawals in random order.
 * After every step the contract agrees with the model, and every sETH in circulation (or burned
 * into the queue and not yet paid) is backed by at least 1 ETH held for redemptions or at stake.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { parseEther, toHex, type Address, type Hex } from "viem";
import type { ValidatorStateProof } from "../../src/onchain/beacon-proof.js";
import { VaultCallError } from "../../src/onchain/vault-client.js";
import { deploySeth, sethCall, sethRead } from "../../src/seth/seth-client.js";
import { makeBeaconState, publishAndProve, SLOTS_PER_EPOCH, type TestValidator } from "../helpers/beacon-state.js";
import { DEPOSIT_CONTRACT_ADDRESS, skipWithoutEvmVectors } from "../helpers/evm.js";
import { credentials, depositArgs, DEPLOYER, EJECTOR, FILLER, HOODI, makeKey, OUTSIDER, STAKERS, startSethWorld, type SethWorld, type TestKey } from "./seth-fixtures.js";
import { MINTED, SethModel } from "./seth-model.js";

const skip = skipWithoutEvmVectors("sETH invariant property test");

type Action =
  | { kind: "deposit"; staker: number }
  | { kind: "balance"; v: number; gwei: bigint }
  | { kind: "eject"; v: number }
  | { kind: "ejectForRedemptions" }
  | { kind: "redeem"; staker: number; percent: number }
  | { kind: "transfer"; from: number; to: number; percent: number }
  | { kind: "withdrawn"; v: number }
  | { kind: "claim"; max: number }
  | { kind: "withdraw"; who: number };

const staker = fc.integer({ min: 0, max: STAKERS.length - 1 });
const action: fc.Arbitrary<Action> = fc.oneof(
  { arbitrary: fc.record({ kind: fc.constant("deposit" as const), staker }), weight: 3 },
  { arbitrary: fc.record({ kind: fc.constant("balance" as const), v: fc.nat(), gwei: fc.bigInt(31_500_000_000n, 32_200_000_000n) }), weight: 3 },
  { arbitrary: fc.record({ kind: fc.constant("eject" as const), v: fc.nat() }), weight: 2 },
  fc.record({ kind: fc.constant("ejectForRedemptions" as const) }),
  { arbitrary: fc.record({ kind: fc.constant("redeem" as const), staker, percent: fc.integer({ min: 1, max: 100 }) }), weight: 2 },
  fc.record({ kind: fc.constant("transfer" as const), from: staker, to: staker, percent: fc.integer({ min: 1, max: 100 }) }),
  { arbitrary: fc.record({ kind: fc.constant("withdrawn" as const), v: fc.nat() }), weight: 2 },
  fc.record({ kind: fc.constant("claim" as const), max: fc.integer({ min: 1, max: 4 }) }),
  fc.record({ kind: fc.constant("withdraw" as const), who: fc.constantFrom(...STAKERS, EJECTOR, OUTSIDER) }),
);

const EPOCH = 31_250;

describe("sETH backing invariant against the model (fast-check, real EVM)", { skip }, () => {
  let world: SethWorld;
  before(async () => {
    world = await startSethWorld();
  });
  after(() => world?.chain.close());

  it("every sETH is backed, and the contract does what the model does, over random histories", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(action, { minLength: 4, maxLength: 12 }), async (actions) => {
        const { publicClient } = world.clients;
        // A fresh vault per history, on the same chain and registry.
        const { seth } = await deploySeth(publicClient, world.wallet(DEPLOYER), {
          depositContract: DEPOSIT_CONTRACT_ADDRESS,
          registrar: world.address(0),
          registry: world.registry,
          genesisValidatorsRoot: HOODI.genesisValidatorsRoot as Hex,
        });
        const w: SethWorld = { ...world, seth };
        const model = new SethModel();
        const keys: TestKey[] = [];
        const exited = new Set<number>();
        const read = <T>(fn: string, args: readonly unknown[] = []) => sethRead<T>(publicClient, seth, fn, args);
        const send = async (who: number, fn: string, args: readonly unknown[] = [], value?: bigint): Promise<string | undefined> => {
          try {
            await sethCall(publicClient, world.wallet(who), seth, fn, args, value);
            return undefined;
          } catch (err) {
            if (err instanceof VaultCallError && err.reason !== undefined) return err.reason;
            throw err;
          }
        };
        const prove = async (id: number, fields: Partial<TestValidator>, epoch = EPOCH): Promise<ValidatorStateProof> => {
          const validators = keys.map((k, i): TestValidator => ({
            pubkey: k.pubkey,
            withdrawalCredentials: toHex(credentials(seth)),
            balance: Number(model.validators[i]!.balanceGwei),
            activationEpoch: 10,
            ...(exited.has(i) ? { exitEpoch: 31_000, withdrawableEpoch: 31_256 } : {}),
          }));
          validators[id] = { ...validators[id]!, ...fields };
          return publishAndProve(world.chain, makeBeaconState(validators, { filler: FILLER, slot: epoch * SLOTS_PER_EPOCH }), FILLER + id);
        };
        const pick = (n: number) => (keys.length === 0 ? undefined : n % keys.length);

        for (const a of actions) {
          switch (a.kind) {
            case "deposit": {
              const key = await makeKey(w);
              assert.equal(await send(STAKERS[a.staker]!, "deposit", depositArgs(key), parseEther("32")), undefined);
              keys.push(key);
              model.deposit(STAKERS[a.staker]!);
              break;
            }
            case "balance": {
              const id = pick(a.v);
              if (id !== undefined && model.validators[id]!.status !== "completed") model.validators[id]!.balanceGwei = a.gwei;
              break;
            }
            case "eject": {
              const id = pick(a.v);
              if (id === undefined || exited.has(id)) break;
              const proof = await prove(id, {});
              const fee = await read<bigint>("exitFee");
              const expected = model.ejectRefusal(id);
              assert.equal(await send(EJECTOR, "eject", [proof.validatorIndex, proof, fee], fee), expected, `eject ${id}`);
              if (expected === undefined) model.eject(id, EJECTOR, fee);
              break;
            }
            case "ejectForRedemptions": {
              const fee = await read<bigint>("exitFee");
              const expected = model.redemptionEjection();
              assert.equal(await send(OUTSIDER, "ejectForRedemptions", [fee], fee), typeof expected === "string" ? expected : undefined);
              if (typeof expected === "number") model.ejectForRedemptions(expected, OUTSIDER, fee);
              break;
            }
            case "redeem": {
              const who = STAKERS[a.staker]!;
              const amount = ((model.seth.get(who) ?? 0n) * BigInt(a.percent)) / 100n;
              if (amount === 0n) break;
              assert.equal(await send(who, "redeem", [amount]), undefined);
              model.redeem(who, amount);
              break;
            }
            case "transfer": {
              const from = STAKERS[a.from]!;
              const amount = ((model.seth.get(from) ?? 0n) * BigInt(a.percent)) / 100n;
              assert.equal(await send(from, "transfer", [world.address(STAKERS[a.to]!), amount]), undefined);
              model.transfer(from, STAKERS[a.to]!, amount);
              break;
            }
            case "withdrawn": {
              // The validator exits (ejected, or voluntarily if still active) and is withdrawn.
              const id = pick(a.v);
              if (id === undefined || model.validators[id]!.status === "completed") break;
              const exitProof = await prove(id, { exitEpoch: 31_000, withdrawableEpoch: 31_256 });
              assert.equal(await send(OUTSIDER, "recordExitBalance", [exitProof.validatorIndex, exitProof]), undefined);
              exited.add(id);
              await world.chain.mine({ withdrawals: [{ address: seth, amountGwei: model.validators[id]!.balanceGwei }] });
              const withdrawnProof = await prove(id, { balance: 0 }, 31_300);
              assert.equal(await send(OUTSIDER, "complete", [withdrawnProof.validatorIndex, withdrawnProof]), undefined);
              model.complete(id);
              break;
            }
            case "claim":
              assert.equal(await send(OUTSIDER, "claim", [BigInt(a.max)]), undefined);
              model.claim(a.max);
              break;
            case "withdraw": {
              const expected = model.withdraw(a.who);
              assert.equal(await send(a.who, "withdraw"), expected === 0n ? "NothingOwed" : undefined);
              break;
            }
          }

          // The contract agrees with the model.
          const [supply, queued, reserve, active, exiting] = await Promise.all(["totalSupply", "queuedTotal", "redemptionReserve", "activeCount", "exitingCount"].map((f) => read<bigint>(f)));
          assert.equal(supply, model.supply, "supply");
          assert.equal(queued, model.queuedTotal, "queued");
          assert.equal(reserve, model.reserve, "reserve");
          assert.equal(active, model.count("active"), "active");
          assert.equal(exiting, model.count("exiting"), "exiting");
          for (const who of [...STAKERS, EJECTOR, OUTSIDER]) {
            assert.equal(await read<bigint>("owed", [world.address(who)]), model.owed.get(who) ?? 0n, `owed to ${who}`);
            if (STAKERS.includes(who)) assert.equal(await read<bigint>("balanceOf", [world.address(who)]), model.seth.get(who) ?? 0n, `sETH of ${who}`);
          }
          // Backing: every sETH out (or queued unpaid) has 1 ETH held for redemptions or at stake.
          const liabilities = supply + queued;
          assert.ok(liabilities <= reserve + model.atStake(), `sETH ${liabilities} backed by reserve ${reserve} + at stake ${model.atStake()}`);
          // And exactly 31 ETH of principal per validator not completed (no loss below 31 ETH in this model).
          assert.equal(liabilities, reserve + (active + exiting) * MINTED, "principal accounting");
          // Pull payments are solvent: C holds what it owes and reserves.
          const held = await publicClient.getBalance({ address: seth as Address });
          assert.ok(held >= reserve + (await read<bigint>("totalOwed")), "C holds the reserve and what it owes");
        }
      }),
      { numRuns: 10, endOnFailure: true },
    );
  });
});

