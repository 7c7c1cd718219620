/**
 * ATTESTATION request bodies for load tests: one mainnet fork_info (the fork at `baseEpoch`) and
 * fixed roots, so that a body differs only by its epochs and nothing a signer does is refused.
 */
import { randomBytes } from "node:crypto";

const SLOTS_PER_EPOCH = 32;
const hex = (bytes: Uint8Array) => "0x" + Buffer.from(bytes).toString("hex");

export async function attestationBodies(baseEpoch: number): Promise<(targetEpoch: number) => string> {
  const { resolveNetwork } = await import("../src/config/networks.js");
  const network = resolveNetwork("mainnet");
  const fork = network.config.getForkInfo(baseEpoch * SLOTS_PER_EPOCH);
  const forkInfo = JSON.stringify({
    fork: { previous_version: hex(fork.prevVersion), current_version: hex(fork.version), epoch: String(fork.epoch) },
    genesis_validators_root: network.genesisValidatorsRoot,
  });
  const blockRoot = hex(randomBytes(32));
  const sourceRoot = hex(randomBytes(32));
  const targetRoot = hex(randomBytes(32));
  return (targetEpoch) =>
    `{"type":"ATTESTATION","fork_info":${forkInfo},"attestation":{"slot":"${targetEpoch * SLOTS_PER_EPOCH + 7}","index":"0",` +
    `"beacon_block_root":"${blockRoot}","source":{"epoch":"${targetEpoch - 1}","root":"${sourceRoot}"},` +
    `"target":{"epoch":"${targetEpoch}","root":"${targetRoot}"}}}`;
}
