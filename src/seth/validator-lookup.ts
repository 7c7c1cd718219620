/**
 * Which of C's validators has beacon-chain index I: first from C's own records (the index a past
 * proof fixed), else by asking the beacon node for the index of each of C's pubkeys in the state
 * of `blockId`. A validator that is not C's is refused here, before any proof is built.
 */
import type { Hex, PublicClient, Address } from "viem";
import { BeaconProofError } from "../onchain/beacon-proof.js";
import { sethStatus } from "./seth-client.js";

const TIMEOUT_MS = 60_000;

async function getJson(beaconNode: string, path: string): Promise<{ status: number; body: any }> {
  const url = `${beaconNode.replace(/\/+$/, "")}${path}`;
  let response: Response;
  try {
    response = await fetch(url, { headers: { accept: "application/json" }, signal: AbortSignal.timeout(TIMEOUT_MS) });
  } catch (err) {
    throw new BeaconProofError(`cannot reach the beacon node at ${url}: ${(err as Error).message}`, { cause: err });
  }
  return { status: response.status, body: response.ok ? await response.json() : undefined };
}

export async function validatorPubkeyAt(publicClient: PublicClient, seth: Address, beaconNode: string, index: bigint, blockId: string): Promise<Hex> {
  const status = await sethStatus(publicClient, seth);
  const known = status.validators.find((v) => v.validatorIndex === index);
  if (known !== undefined) return known.pubkey;
  const header = await getJson(beaconNode, `/eth/v1/beacon/headers/${blockId}`);
  const stateRoot = header.body?.data?.header?.message?.state_root as string | undefined;
  if (stateRoot === undefined) throw new BeaconProofError(`the beacon node gave no header for block ${blockId}`);
  for (const v of status.validators) {
    if (v.validatorIndex !== undefined) continue;
    const answer = await getJson(beaconNode, `/eth/v1/beacon/states/${stateRoot}/validators/${v.pubkey}`);
    if (answer.status === 200 && BigInt(answer.body?.data?.index ?? -1) === index) return v.pubkey;
  }
  throw new BeaconProofError(`validator ${index} is not one of ${seth}'s validators in the state of block ${blockId}`);
}
