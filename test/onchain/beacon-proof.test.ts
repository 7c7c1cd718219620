import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { BaseError, ContractFunctionRevertedError, toHex, type Hex } from "viem";
import { contractArtifact } from "../../src/onchain/artifacts.js";
import { beaconBlockRoot, validatorStateProof, type ValidatorStateProof } from "../../src/onchain/beacon-proof.js";
import { makeBeaconState, publishAndProve, type BeaconFork } from "../helpers/beacon-state.js";
import { chainClients, deployArtifact, type ChainClients } from "../helpers/contracts.js";
import { skipWithoutEvmVectors, TestChain } from "../helpers/evm.js";

const skip = skipWithoutEvmVectors("beacon proof tests");

export function revertName(err: unknown): string | undefined {
  if (!(err instanceof BaseError)) return undefined;
  const revert = err.walk((e) => e instanceof ContractFunctionRevertedError);
  return revert instanceof ContractFunctionRevertedError ? revert.data?.errorName : undefined;
}

describe("beacon state proofs verified on-chain against EIP-4788 roots", { skip }, () => {
  let chain: TestChain;
  let clients: ChainClients;
  let probe: Hex;
  before(async () => {
    chain = await TestChain.start();
    clients = chainClients(chain, await chain.serve());
    probe = await deployArtifact(clients, 0, "BeaconProofsProbe");
  });
  after(() => chain.close());

  const verify = (proof: ValidatorStateProof) =>
    clients.publicClient.readContract({ address: probe, abi: contractArtifact("BeaconProofsProbe").abi, functionName: "verify", args: [proof] }) as Promise<bigint>;

  const pubkey = `0x${"a1".repeat(48)}` as Hex;
  const credentials = `0x01${"00".repeat(11)}${"42".repeat(20)}` as Hex;

  for (const [fork, index] of [["electra", 0], ["electra", 6], ["fulu", 9]] as Array<[BeaconFork, number]>) {
    it(`proves validator ${index} and its balance in a ${fork} state`, async () => {
      const state = makeBeaconState([{ pubkey, withdrawalCredentials: credentials, balance: 31_987_654_321, exitEpoch: 100, withdrawableEpoch: 356 }], { fork, filler: index });
      const proof = await publishAndProve(chain, state, index);
      assert.equal(proof.validator.pubkey, pubkey);
      assert.equal(proof.validator.exitEpoch, 100n);
      assert.equal(await verify(proof), 31_987_654_321n);
    });
  }

  it("uses the gindices of the lodestar types", async () => {
    const abi = contractArtifact("BeaconProofsProbe").abi;
    const { ssz } = await import("@lodestar/types");
    for (const i of [0, 3, 4, 1_000_001]) {
      const v = await clients.publicClient.readContract({ address: probe, abi, functionName: "validatorGindex", args: [BigInt(i)] });
      const b = await clients.publicClient.readContract({ address: probe, abi, functionName: "balanceGindex", args: [BigInt(i)] });
      assert.equal(v, ssz.fulu.BeaconState.getPathInfo(["validators", i]).gindex);
      assert.equal(b, ssz.electra.BeaconState.getPathInfo(["balances", i]).gindex);
    }
  });

  it("refuses forged fields, branches, headers and unknown roots", async () => {
    const state = makeBeaconState([{ pubkey, withdrawalCredentials: credentials, balance: 0, exitEpoch: 100, withdrawableEpoch: 356 }], { filler: 5 });
    const proof = await publishAndProve(chain, state, 5);
    assert.equal(await verify(proof), 0n);
    const refused = async (forged: ValidatorStateProof, reason: string) => {
      await assert.rejects(verify(forged), (err) => revertName(err) === reason, reason);
    };
    await refused({ ...proof, validator: { ...proof.validator, withdrawableEpoch: 355n } }, "InvalidProof");
    await refused({ ...proof, validator: { ...proof.validator, slashed: true } }, "InvalidProof");
    await refused({ ...proof, balanceChunk: toHex(BigInt(proof.balanceChunk) | 1n, { size: 32 }) }, "InvalidProof");
    await refused({ ...proof, validatorIndex: 4n }, "InvalidProof");
    await refused({ ...proof, validatorBranch: proof.validatorBranch.slice(1) }, "InvalidProof");
    await refused({ ...proof, header: { ...proof.header, slot: proof.header.slot + 1n } }, "InvalidProof");
    await refused({ ...proof, beaconTimestamp: proof.beaconTimestamp + 1n }, "BeaconRootUnavailable");
    // A self-consistent proof over a state whose root was never published.
    const other = makeBeaconState([{ pubkey, withdrawalCredentials: credentials, balance: 0 }], { filler: 5 });
    const unpublished = validatorStateProof(other, 5, proof.header, proof.beaconTimestamp);
    assert.notEqual(beaconBlockRoot(unpublished.header), beaconBlockRoot(proof.header));
    await refused(unpublished, "InvalidProof");
  });
});
