/**
 * Builds a ValidatorStateProof from a beacon node (standard beacon API): the header of a block,
 * its post-state in SSZ (debug API), and the execution timestamp of the block's child, which is the
 * key EIP-4788 serves this block's root under.
 */
import { ssz } from "@lodestar/types";
import { toHex, type Hex } from "viem";
import { BeaconProofError, validatorStateProof, type BeaconStateView, type ValidatorStateProof } from "./beacon-proof.js";

const TIMEOUT_MS = 120_000;
const FORKS = ["electra", "fulu"] as const;

async function get(beaconNode: string, path: string, accept = "application/json"): Promise<Response> {
  const url = `${beaconNode.replace(/\/+$/, "")}${path}`;
  let response: Response;
  try {
    response = await fetch(url, { headers: { accept }, signal: AbortSignal.timeout(TIMEOUT_MS) });
  } catch (err) {
    throw new BeaconProofError(`cannot reach the beacon node at ${url}: ${(err as Error).message}`, { cause: err });
  }
  if (!response.ok) throw new BeaconProofError(`the beacon node answered HTTP ${response.status} for ${path}: ${(await response.text()).slice(0, 300)}`);
  return response;
}

async function getJson(beaconNode: string, path: string): Promise<any> {
  return (await get(beaconNode, path)).json();
}

/**
 * The proof that `pubkey`'s validator is what the state after block `blockId` says, against the
 * EIP-4788 root of that block's child execution block. The child must exist (the root is only
 * served from the next block on).
 */
export async function proofFromBeaconNode(beaconNode: string, pubkey: Hex, blockId = "finalized"): Promise<ValidatorStateProof> {
  const headerAnswer = await getJson(beaconNode, `/eth/v1/beacon/headers/${blockId}`);
  const root = headerAnswer?.data?.root as Hex;
  const message = headerAnswer?.data?.header?.message;
  if (typeof root !== "string" || message === undefined) throw new BeaconProofError(`the beacon node gave no header for block ${blockId}`);
  const children = await getJson(beaconNode, `/eth/v1/beacon/headers?parent_root=${root}`);
  const child = (children?.data as Array<{ root: Hex; canonical?: boolean }> | undefined)?.find((c) => c.canonical !== false);
  if (child === undefined) throw new BeaconProofError(`block ${root} has no child yet: EIP-4788 serves a root from the next block on; use an older --block-id`);
  const childBlock = await getJson(beaconNode, `/eth/v2/beacon/blocks/${child.root}`);
  const timestamp = childBlock?.data?.message?.body?.execution_payload?.timestamp;
  if (typeof timestamp !== "string") throw new BeaconProofError(`block ${child.root} has no execution payload timestamp`);

  const stateResponse = await get(beaconNode, `/eth/v2/debug/beacon/states/${message.state_root}`, "application/octet-stream");
  const fork = stateResponse.headers.get("eth-consensus-version") as (typeof FORKS)[number] | null;
  if (fork === null || !FORKS.includes(fork)) throw new BeaconProofError(`state of fork "${fork}" is not supported; the verifier expects the Electra/Fulu layout`);
  const state = ssz[fork].BeaconState.deserializeToViewDU(new Uint8Array(await stateResponse.arrayBuffer()));
  if (toHex(state.hashTreeRoot()) !== message.state_root) throw new BeaconProofError("the state the beacon node sent does not hash to the header's state root");

  const validatorAnswer = await getJson(beaconNode, `/eth/v1/beacon/states/${message.state_root}/validators/${pubkey}`);
  const index = Number(validatorAnswer?.data?.index);
  if (!Number.isSafeInteger(index)) throw new BeaconProofError(`validator ${pubkey} is not in the state of block ${root}`);
  return validatorStateProof(
    state as unknown as BeaconStateView,
    index,
    { slot: BigInt(message.slot), proposerIndex: BigInt(message.proposer_index), parentRoot: message.parent_root, bodyRoot: message.body_root },
    BigInt(timestamp),
  );
}
