/**
 * A stand-in beacon node for the exit tests: a tiny HTTP server on 127.0.0.1 that knows some
 * validators (index -> pubkey) and
 * - GET /eth/v1/beacon/states/{head,finalized}/validators/{pubkey}: the validator's index (404 if
 *   unknown), with `finalized` true for the finalized state, as the beacon API says;
 * - POST /eth/v1/beacon/pool/voluntary_exits: verifies the SignedVoluntaryExit's signature against
 *   the validator's pubkey with the real domain, computed by lodestar's own BeaconConfig for a
 *   Deneb+ state (getDomainForVoluntaryExit: the Capella fork version, EIP-7044), not by our code.
 *   200 when it verifies, 400 {code, message} otherwise, like a real beacon node.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { PublicKey, Signature, verify } from "@chainsafe/blst";
import { createBeaconConfig } from "@lodestar/config";
import { SLOTS_PER_EPOCH } from "@lodestar/params";
import { ssz } from "@lodestar/types";
import type { Network } from "../../../src/config/networks.js";

export interface BeaconStandIn {
  url: string;
  /** Every exit POSTed, with the status answered. */
  received: Array<{ body: unknown; status: number }>;
  close(): Promise<void>;
}

function fromHex(text: string): Uint8Array {
  return Uint8Array.from(Buffer.from(text.replace(/^0x/, ""), "hex"));
}

/** The exit's signing root, by lodestar: a state in the network's latest fork (Deneb or later). */
export function lodestarExitSigningRoot(network: Network, epoch: number, validatorIndex: number): Uint8Array {
  const config = createBeaconConfig(network.config, fromHex(network.genesisValidatorsRoot));
  const forks = network.config.forksAscendingEpochOrder.filter((f) => Number.isFinite(f.epoch));
  const stateSlot = forks[forks.length - 1]!.epoch * SLOTS_PER_EPOCH + 1;
  if (stateSlot < network.config.DENEB_FORK_EPOCH * SLOTS_PER_EPOCH) throw new Error("the stand-in needs a Deneb+ network");
  const domain = config.getDomainForVoluntaryExit(stateSlot, epoch * SLOTS_PER_EPOCH);
  const objectRoot = ssz.phase0.VoluntaryExit.hashTreeRoot({ epoch, validatorIndex });
  return ssz.phase0.SigningData.hashTreeRoot({ objectRoot, domain });
}

export function exitVerifies(network: Network, pubkey: string, json: { message: { epoch: string; validator_index: string }; signature: string }): boolean {
  try {
    const root = lodestarExitSigningRoot(network, Number(json.message.epoch), Number(json.message.validator_index));
    return verify(root, PublicKey.fromBytes(fromHex(pubkey), true), Signature.fromBytes(fromHex(json.signature), true, true), true, true);
  } catch {
    return false;
  }
}

export async function startBeaconStandIn(network: Network, validators: Record<number, string>): Promise<BeaconStandIn> {
  const received: BeaconStandIn["received"] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const answer = (status: number, body?: unknown) => {
        res.writeHead(status, { "content-type": "application/json" });
        res.end(body === undefined ? "" : JSON.stringify(body));
      };
      const url = req.url ?? "";
      const lookup = /^\/eth\/v1\/beacon\/states\/(head|finalized)\/validators\/(0x[0-9a-f]{96})$/.exec(url);
      if (req.method === "GET" && lookup !== null) {
        const entry = Object.entries(validators).find(([, pubkey]) => pubkey === lookup[2]);
        if (entry === undefined) return answer(404, { code: 404, message: "Validator not found" });
        return answer(200, { execution_optimistic: false, finalized: lookup[1] === "finalized", data: { index: entry[0], balance: "32000000000", status: "active_ongoing", validator: { pubkey: entry[1] } } });
      }
      if (req.method === "POST" && url === "/eth/v1/beacon/pool/voluntary_exits") {
        let body: { message: { epoch: string; validator_index: string }; signature: string };
        try {
          body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as typeof body;
          ssz.phase0.SignedVoluntaryExit.fromJson(body);
        } catch {
          received.push({ body: undefined, status: 400 });
          return answer(400, { code: 400, message: "Invalid request body" });
        }
        const pubkey = validators[Number(body.message.validator_index)];
        const status = pubkey !== undefined && exitVerifies(network, pubkey, body) ? 200 : 400;
        received.push({ body, status });
        return status === 200 ? answer(200) : answer(400, { code: 400, message: "Invalid voluntary exit: signature verification failed" });
      }
      answer(404, { code: 404, message: "Route not found" });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
