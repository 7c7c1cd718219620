/** A ValidatorStateProof as JSON (numbers as decimal strings), for `pool vault settle --proof`. */
import { isHex, type Hex } from "viem";
import type { ValidatorStateProof } from "./beacon-proof.js";
import { codedError } from "../errors/bulwark-error.js";

export class ProofFileError extends codedError("proof-file") {
  override name = "ProofFileError";
}

export function proofToJson(proof: ValidatorStateProof): string {
  return JSON.stringify(proof, (_key, value: unknown) => (typeof value === "bigint" ? value.toString() : value), 2) + "\n";
}

export function parseProofJson(text: string, source = "proof"): ValidatorStateProof {
  let doc: any;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new ProofFileError(`${source} is not valid JSON: ${(err as Error).message}`);
  }
  const num = (v: unknown, field: string): bigint => {
    if (typeof v !== "string" || !/^(0|[1-9][0-9]*)$/.test(v)) throw new ProofFileError(`${source}: ${field}: expected a decimal string`);
    return BigInt(v);
  };
  const bytes = (v: unknown, field: string, length?: number): Hex => {
    if (typeof v !== "string" || !isHex(v) || (length !== undefined && v.length !== 2 + 2 * length)) {
      throw new ProofFileError(`${source}: ${field}: expected ${length ?? "some"} bytes of 0x-hex`);
    }
    return v.toLowerCase() as Hex;
  };
  const branch = (v: unknown, field: string): Hex[] => {
    if (!Array.isArray(v)) throw new ProofFileError(`${source}: ${field}: expected an array of 32-byte nodes`);
    return v.map((node, i) => bytes(node, `${field}[${i}]`, 32));
  };
  const h = doc?.header ?? {};
  const v = doc?.validator ?? {};
  if (typeof v.slashed !== "boolean") throw new ProofFileError(`${source}: validator.slashed: expected true or false`);
  return {
    beaconTimestamp: num(doc?.beaconTimestamp, "beaconTimestamp"),
    header: {
      slot: num(h.slot, "header.slot"),
      proposerIndex: num(h.proposerIndex, "header.proposerIndex"),
      parentRoot: bytes(h.parentRoot, "header.parentRoot", 32),
      stateRoot: bytes(h.stateRoot, "header.stateRoot", 32),
      bodyRoot: bytes(h.bodyRoot, "header.bodyRoot", 32),
    },
    validatorIndex: num(doc?.validatorIndex, "validatorIndex"),
    validator: {
      pubkey: bytes(v.pubkey, "validator.pubkey", 48),
      withdrawalCredentials: bytes(v.withdrawalCredentials, "validator.withdrawalCredentials", 32),
      effectiveBalance: num(v.effectiveBalance, "validator.effectiveBalance"),
      slashed: v.slashed,
      activationEligibilityEpoch: num(v.activationEligibilityEpoch, "validator.activationEligibilityEpoch"),
      activationEpoch: num(v.activationEpoch, "validator.activationEpoch"),
      exitEpoch: num(v.exitEpoch, "validator.exitEpoch"),
      withdrawableEpoch: num(v.withdrawableEpoch, "validator.withdrawableEpoch"),
    },
    validatorBranch: branch(doc?.validatorBranch, "validatorBranch"),
    balanceChunk: bytes(doc?.balanceChunk, "balanceChunk", 32),
    balanceBranch: branch(doc?.balanceBranch, "balanceBranch"),
  };
}
