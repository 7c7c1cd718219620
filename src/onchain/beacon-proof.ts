/**
 * SSZ Merkle proofs from a beacon block root down to one validator's record and balance, in the
 * shape contracts/BeaconProofs.sol verifies (ValidatorStateProof).
 *
 * The root EIP-4788 serves for an execution block is the PARENT beacon block root: the
 * hash_tree_root of a BeaconBlockHeader whose state_root is the post-state of that parent block.
 * So a proof is: the header's fields (the contract hashes them and compares with the EIP-4788
 * root), then two branches from the state root, to validators[i] and to the balances chunk of i.
 */
import { Tree } from "@chainsafe/persistent-merkle-tree";
import { ssz } from "@lodestar/types";
import { toHex, type Hex } from "viem";
import { codedError } from "../errors/bulwark-error.js";

/** The state layout the verifier assumes (Electra and Fulu: depth-6 container, fields 11 and 12). */
const STATE_DEPTH = 6n;
const VALIDATORS_FIELD = 11n;
const BALANCES_FIELD = 12n;
const VALIDATORS_DEPTH = 40n;
const BALANCES_DEPTH = 38n;

export class BeaconProofError extends codedError("beacon-proof") {
  override name = "BeaconProofError";
}

/** A BeaconBlockHeader, as the contract takes it. */
export interface BeaconBlockHeaderFields {
  slot: bigint;
  proposerIndex: bigint;
  parentRoot: Hex;
  stateRoot: Hex;
  bodyRoot: Hex;
}

export interface BeaconValidatorFields {
  pubkey: Hex;
  withdrawalCredentials: Hex;
  effectiveBalance: bigint;
  slashed: boolean;
  activationEligibilityEpoch: bigint;
  activationEpoch: bigint;
  exitEpoch: bigint;
  withdrawableEpoch: bigint;
}

/** The ValidatorStateProof struct of BeaconProofs.sol. */
export interface ValidatorStateProof {
  beaconTimestamp: bigint;
  header: BeaconBlockHeaderFields;
  validatorIndex: bigint;
  validator: BeaconValidatorFields;
  validatorBranch: Hex[];
  balanceChunk: Hex;
  balanceBranch: Hex[];
}

/** What the proof is built from: any BeaconState view with the Electra/Fulu layout. */
export interface BeaconStateView {
  readonly type: { getPathInfo(path: Array<string | number>): { gindex: bigint } };
  readonly node: ConstructorParameters<typeof Tree>[0];
  hashTreeRoot(): Uint8Array;
}

export function validatorGindex(index: bigint): bigint {
  return ((((1n << STATE_DEPTH) | VALIDATORS_FIELD) << 1n) << VALIDATORS_DEPTH) | index;
}

export function balanceGindex(index: bigint): bigint {
  return ((((1n << STATE_DEPTH) | BALANCES_FIELD) << 1n) << BALANCES_DEPTH) | (index / 4n);
}

/** hash_tree_root(BeaconBlockHeader): the value EIP-4788 stores for the child execution block. */
export function beaconBlockRoot(header: BeaconBlockHeaderFields): Hex {
  return toHex(
    ssz.phase0.BeaconBlockHeader.hashTreeRoot({
      slot: Number(header.slot),
      proposerIndex: Number(header.proposerIndex),
      parentRoot: hexBytes(header.parentRoot),
      stateRoot: hexBytes(header.stateRoot),
      bodyRoot: hexBytes(header.bodyRoot),
    }),
  );
}

function hexBytes(hex: Hex): Uint8Array {
  return Uint8Array.from(Buffer.from(hex.slice(2), "hex"));
}

function branch(tree: Tree, gindex: bigint): Hex[] {
  return tree.getSingleProof(gindex).map((node) => toHex(node));
}

/**
 * Proves validators[index] and balances[index] of `state` under a header with that state root.
 * `beaconTimestamp` is the timestamp of the execution block whose parent beacon root is that
 * header's root (the key EIP-4788 serves it under).
 */
export function validatorStateProof(
  state: BeaconStateView,
  validatorIndex: number,
  header: Omit<BeaconBlockHeaderFields, "stateRoot">,
  beaconTimestamp: bigint,
): ValidatorStateProof {
  const index = BigInt(validatorIndex);
  if (state.type.getPathInfo(["validators", validatorIndex]).gindex !== validatorGindex(index) || state.type.getPathInfo(["balances", validatorIndex]).gindex !== balanceGindex(index)) {
    throw new BeaconProofError("this BeaconState's layout is not the Electra/Fulu one the on-chain verifier expects");
  }
  const tree = new Tree(state.node);
  const validators = (state as unknown as { validators: { length: number; getReadonly(i: number): ValidatorView } }).validators;
  if (validatorIndex >= validators.length) throw new BeaconProofError(`validator index ${validatorIndex} is not in the state (${validators.length} validators)`);
  const v = validators.getReadonly(validatorIndex);
  const stateRoot = toHex(state.hashTreeRoot());
  return {
    beaconTimestamp,
    header: { ...header, stateRoot },
    validatorIndex: index,
    validator: {
      pubkey: toHex(v.pubkey),
      withdrawalCredentials: toHex(v.withdrawalCredentials),
      effectiveBalance: BigInt(v.effectiveBalance),
      slashed: v.slashed,
      activationEligibilityEpoch: epoch(v.activationEligibilityEpoch),
      activationEpoch: epoch(v.activationEpoch),
      exitEpoch: epoch(v.exitEpoch),
      withdrawableEpoch: epoch(v.withdrawableEpoch),
    },
    validatorBranch: branch(tree, validatorGindex(index)),
    balanceChunk: toHex(tree.getNode(balanceGindex(index)).root),
    balanceBranch: branch(tree, balanceGindex(index)),
  };
}

interface ValidatorView {
  pubkey: Uint8Array;
  withdrawalCredentials: Uint8Array;
  effectiveBalance: number;
  slashed: boolean;
  activationEligibilityEpoch: number;
  activationEpoch: number;
  exitEpoch: number;
  withdrawableEpoch: number;
}

/** Epochs are uint64; lodestar gives FAR_FUTURE_EPOCH (2^64-1) as Infinity. */
function epoch(value: number): bigint {
  return value === Infinity ? 2n ** 64n - 1n : BigInt(value);
}
