/**
 * Beacon states for contract tests: a real @lodestar/types BeaconState (Electra or Fulu) holding
 * the validators a test needs, whose block root the test chain then serves through EIP-4788.
 */
import { ssz } from "@lodestar/types";
import { toHex, type Hex } from "viem";
import { beaconBlockRoot, validatorStateProof, type ValidatorStateProof } from "../../src/onchain/beacon-proof.js";
import type { TestChain } from "./evm.js";

export const FAR_FUTURE_EPOCH = Infinity;
export const SLOTS_PER_EPOCH = 32;

export interface TestValidator {
  pubkey: Hex;
  withdrawalCredentials: Hex;
  /** gwei */
  balance: number;
  effectiveBalance?: number;
  slashed?: boolean;
  activationEpoch?: number;
  exitEpoch?: number;
  withdrawableEpoch?: number;
}

export type BeaconFork = "electra" | "fulu";

function bytes(hex: Hex): Uint8Array {
  return Uint8Array.from(Buffer.from(hex.slice(2), "hex"));
}

/** A default BeaconState of `fork` at `slot`, with `filler` unrelated validators before the given ones. */
export function makeBeaconState(validators: readonly TestValidator[], options: { fork?: BeaconFork; slot?: number; filler?: number } = {}) {
  const type = ssz[options.fork ?? "electra"].BeaconState;
  const state = type.defaultViewDU();
  state.slot = options.slot ?? 1_000_000;
  const all: TestValidator[] = [];
  for (let i = 0; i < (options.filler ?? 0); i++) {
    all.push({ pubkey: toHex(i + 1, { size: 48 }), withdrawalCredentials: toHex(0x01n << 248n | BigInt(i), { size: 32 }), balance: 32_000_000_000 + i });
  }
  all.push(...validators);
  for (const v of all) {
    state.validators.push(
      ssz.phase0.Validator.toViewDU({
        pubkey: bytes(v.pubkey),
        withdrawalCredentials: bytes(v.withdrawalCredentials),
        effectiveBalance: v.effectiveBalance ?? Math.min(32_000_000_000, Math.floor(v.balance / 1e9) * 1e9),
        slashed: v.slashed ?? false,
        activationEligibilityEpoch: 0,
        activationEpoch: v.activationEpoch ?? 0,
        exitEpoch: v.exitEpoch ?? FAR_FUTURE_EPOCH,
        withdrawableEpoch: v.withdrawableEpoch ?? FAR_FUTURE_EPOCH,
      }),
    );
    state.balances.push(v.balance);
  }
  state.commit();
  return state;
}

export type TestBeaconState = ReturnType<typeof makeBeaconState>;

/**
 * Puts the block root of a header over `state` into EIP-4788 (as the parent beacon block root of
 * the next test-chain block) and returns the proof of validators[index] and balances[index].
 */
export async function publishAndProve(chain: TestChain, state: TestBeaconState, validatorIndex: number): Promise<ValidatorStateProof> {
  const header = { slot: BigInt(state.slot), proposerIndex: 7n, parentRoot: toHex(0x1234n, { size: 32 }), bodyRoot: toHex(0x5678n, { size: 32 }) };
  const beaconTimestamp = BigInt(chain.pendingTimestamp);
  const proof = validatorStateProof(state, validatorIndex, header, beaconTimestamp);
  await chain.mine({ parentBeaconBlockRoot: beaconBlockRoot(proof.header) });
  return proof;
}
