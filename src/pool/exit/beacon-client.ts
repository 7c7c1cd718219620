/** The two beacon-node API calls the pool's exits need, over fetch, with a deadline. */
import { PoolError } from "../errors.js";
import type { SignedVoluntaryExitJson } from "./exit-message.js";

const TIMEOUT_MS = 15_000;

export interface BeaconAnswer {
  status: number;
  /** The response body as text (empty on success for voluntary_exits). */
  body: string;
}

function baseUrl(beaconNode: string): string {
  let url: URL;
  try {
    url = new URL(beaconNode);
  } catch {
    throw new PoolError("invalid-parameters", `--beacon-node "${beaconNode}" is not a URL`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new PoolError("invalid-parameters", `--beacon-node "${beaconNode}" must be an http(s) URL`);
  return url.toString().replace(/\/+$/, "");
}

async function call(url: string, init: RequestInit): Promise<BeaconAnswer> {
  let response: Response;
  try {
    response = await fetch(url, { ...init, signal: AbortSignal.timeout(TIMEOUT_MS) });
  } catch (err) {
    const inner = (err as { cause?: { code?: string; message?: string } }).cause;
    const cause = inner?.code ?? inner?.message ?? (err as Error).message;
    throw new PoolError("beacon-node", `cannot reach the beacon node at ${url}: ${cause}`, { cause: err });
  }
  return { status: response.status, body: await response.text() };
}

/** The beacon API's error message from a body, or the body itself. */
function messageOf(body: string): string {
  try {
    const json = JSON.parse(body) as { message?: unknown; failures?: unknown };
    if (typeof json.message === "string") return json.failures !== undefined ? `${json.message} ${JSON.stringify(json.failures)}` : json.message;
  } catch {
    // not JSON
  }
  return body.trim() === "" ? "(empty body)" : body.trim();
}

/**
 * POST /eth/v1/beacon/pool/voluntary_exits. Resolves with the answer when the beacon node accepts
 * the exit (2xx); PoolError("beacon-node") with its status and message otherwise.
 */
export async function submitVoluntaryExit(beaconNode: string, signedExit: SignedVoluntaryExitJson): Promise<BeaconAnswer> {
  const url = `${baseUrl(beaconNode)}/eth/v1/beacon/pool/voluntary_exits`;
  const answer = await call(url, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json" },
    body: JSON.stringify(signedExit),
  });
  if (answer.status < 200 || answer.status >= 300) {
    throw new PoolError("beacon-node", `the beacon node refused the exit (HTTP ${answer.status}): ${messageOf(answer.body)}`);
  }
  return answer;
}

/** What one beacon node says about a validator, unchecked (see validator-check.ts for the checks). */
export interface ValidatorAnswer {
  /** The validator index, when the answer has a well-formed one. */
  index?: number;
  status: string;
  /** data.validator.pubkey as answered (lower case), when present. */
  pubkey?: string;
  /** The response's `finalized` flag: true only when the state it was read from is finalized. */
  finalized: boolean;
  /** The response's `execution_optimistic` flag. */
  optimistic: boolean;
}

/**
 * GET /eth/v1/beacon/states/finalized/validators/{pubkey}: the validator as of the finalized state.
 * PoolError("beacon-node") when the node cannot be reached, does not know the validator (404) or
 * answers something that is not a validator document.
 */
export async function fetchValidator(beaconNode: string, pubkey: string): Promise<ValidatorAnswer> {
  const url = `${baseUrl(beaconNode)}/eth/v1/beacon/states/finalized/validators/${pubkey}`;
  const answer = await call(url, { headers: { accept: "application/json" } });
  if (answer.status === 404) {
    throw new PoolError("beacon-node", `the beacon node ${beaconNode} does not know validator ${pubkey} yet in its finalized state (not deposited, or not yet finalized); give --validator-index once it has one`);
  }
  if (answer.status !== 200) throw new PoolError("beacon-node", `the beacon node ${beaconNode} answered HTTP ${answer.status} for validator ${pubkey}: ${messageOf(answer.body)}`);
  let json: { finalized?: unknown; execution_optimistic?: unknown; data?: { index?: unknown; status?: unknown; validator?: { pubkey?: unknown } } };
  try {
    json = JSON.parse(answer.body) as typeof json;
  } catch {
    throw new PoolError("beacon-node", `the beacon node ${beaconNode} answered for validator ${pubkey} with something that is not JSON`);
  }
  const index = json.data?.index;
  const answeredKey = json.data?.validator?.pubkey;
  return {
    ...(typeof index === "string" && /^[0-9]+$/.test(index) && Number.isSafeInteger(Number(index)) ? { index: Number(index) } : {}),
    status: typeof json.data?.status === "string" ? json.data.status : "unknown",
    ...(typeof answeredKey === "string" ? { pubkey: answeredKey.toLowerCase() } : {}),
    finalized: json.finalized === true,
    optimistic: json.execution_optimistic === true,
  };
}
