/**
 * Web3Signer signing-request bodies for the end-to-end tests, built with the current
 * @lodestar/config and @lodestar/types (the Lodestar 1.5.1 client test builds its own with 1.5.1).
 */
import { PublicKey, Signature, verify } from "@chainsafe/blst";
import { type BeaconConfig, createBeaconConfig } from "@lodestar/config";
import { genesisData, networksChainConfig } from "@lodestar/config/networks";
import { DOMAIN_BEACON_ATTESTER, DOMAIN_RANDAO, SLOTS_PER_EPOCH } from "@lodestar/params";
import { ssz } from "@lodestar/types";

export interface NetworkFixture {
  config: BeaconConfig;
  genesisValidatorsRoot: string;
}

export function network(name: "hoodi" | "mainnet"): NetworkFixture {
  const genesisValidatorsRoot = genesisData[name].genesisValidatorsRoot;
  return {
    config: createBeaconConfig(networksChainConfig[name], Buffer.from(genesisValidatorsRoot.slice(2), "hex")),
    genesisValidatorsRoot,
  };
}

export interface SigningRequestFixture {
  body: Record<string, unknown>;
  /** What the signer must sign: computed here, independently of the server. */
  signingRoot: Uint8Array;
}

function hex(bytes: Uint8Array): string {
  return `0x${Buffer.from(bytes).toString("hex")}`;
}

function forkInfo(net: NetworkFixture, slot: number): Record<string, unknown> {
  const fork = net.config.getForkInfo(slot);
  return {
    fork: {
      previous_version: hex(fork.prevVersion),
      current_version: hex(fork.version),
      epoch: String(fork.epoch),
    },
    genesis_validators_root: net.genesisValidatorsRoot,
  };
}

export function root(byte: number): Uint8Array {
  return new Uint8Array(32).fill(byte);
}

export function attestation(
  net: NetworkFixture,
  vote: { source: number; target: number; blockRoot: Uint8Array },
): SigningRequestFixture {
  const data = {
    slot: vote.target * SLOTS_PER_EPOCH + 1,
    index: 0,
    beaconBlockRoot: vote.blockRoot,
    source: { epoch: vote.source, root: root(0xaa) },
    target: { epoch: vote.target, root: root(0xbb) },
  };
  const signingSlot = vote.target * SLOTS_PER_EPOCH;
  const domain = net.config.getDomain(signingSlot, DOMAIN_BEACON_ATTESTER);
  const signingRoot = ssz.phase0.SigningData.hashTreeRoot({ objectRoot: ssz.phase0.AttestationData.hashTreeRoot(data), domain });
  return {
    body: { type: "ATTESTATION", fork_info: forkInfo(net, signingSlot), attestation: ssz.phase0.AttestationData.toJson(data) },
    signingRoot,
  };
}

export function randaoReveal(net: NetworkFixture, epoch: number): SigningRequestFixture {
  const slot = epoch * SLOTS_PER_EPOCH;
  const domain = net.config.getDomain(slot, DOMAIN_RANDAO);
  const signingRoot = ssz.phase0.SigningData.hashTreeRoot({ objectRoot: ssz.Epoch.hashTreeRoot(epoch), domain });
  return {
    body: { type: "RANDAO_REVEAL", fork_info: forkInfo(net, slot), randao_reveal: { epoch: String(epoch) } },
    signingRoot,
  };
}

export function signatureOf(body: string): string {
  const parsed = JSON.parse(body) as { signature?: unknown };
  if (typeof parsed.signature !== "string") throw new Error(`no signature in ${body}`);
  return parsed.signature;
}

export function verifies(pubkey: string, signingRoot: Uint8Array, signature: string): boolean {
  return verify(signingRoot, PublicKey.fromHex(pubkey), Signature.fromHex(signature), true, true);
}
