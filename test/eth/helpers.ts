// Test-only helpers: build real SSZ objects, wrap them in Web3Signer JSON bodies, and compute the
// expected signing root with lodestar's own domain code (not ours).
import { type BeaconConfig, createBeaconConfig } from "@lodestar/config";
import { ssz } from "@lodestar/types";
import type { Network } from "../../src/config/networks.js";

export function hex(bytes: Uint8Array): string {
  return "0x" + Buffer.from(bytes).toString("hex");
}

export function fromHex(value: string): Uint8Array {
  return Uint8Array.from(Buffer.from(value.slice(2), "hex"));
}

/** Deterministic, distinct-looking bytes. */
export function bytes(length: number, seed: number): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => (seed * 31 + i * 7 + 1) & 0xff);
}

export function beaconConfig(network: Network): BeaconConfig {
  return createBeaconConfig(network.config, fromHex(network.genesisValidatorsRoot));
}

/** fork_info as a client sends it: the fork of the beacon state at `stateSlot`. */
export function forkInfoJson(network: Network, stateSlot: number): Record<string, unknown> {
  const fork = network.config.getForkInfo(stateSlot);
  return {
    fork: {
      previous_version: hex(fork.prevVersion),
      current_version: hex(fork.version),
      epoch: String(fork.epoch),
    },
    genesis_validators_root: network.genesisValidatorsRoot,
  };
}

/** compute_signing_root from the consensus spec. */
export function specSigningRoot(objectRoot: Uint8Array, domain: Uint8Array): string {
  return hex(ssz.phase0.SigningData.hashTreeRoot({ objectRoot, domain }));
}

export function clone<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/** compute_domain from the consensus spec. */
export function specDomain(domainType: Uint8Array, forkVersion: Uint8Array, gvr: Uint8Array): Uint8Array {
  const forkDataRoot = ssz.phase0.ForkData.hashTreeRoot({ currentVersion: forkVersion, genesisValidatorsRoot: gvr });
  return Uint8Array.from([...domainType, ...forkDataRoot.subarray(0, 28)]);
}

/** The beacon-API JSON of a type's default value. */
export function defaultJson<T>(type: { defaultValue(): T; toJson(value: T): unknown }): Record<string, unknown> {
  return type.toJson(type.defaultValue()) as Record<string, unknown>;
}
