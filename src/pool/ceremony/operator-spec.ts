/** The ceremony's `--operator ID=IDENTITY@URL` argument. */
import { IdentityError, formatIdentity, parseIdentity } from "../identity.js";
import { PoolError } from "../errors.js";

export interface OperatorSpec {
  /** Share id x, 1..N. */
  id: number;
  /** `x25519:…` */
  identity: string;
  /** Base URL of the operator's participant API (no trailing slash). */
  endpoint: string;
}

/** Parses `ID=x25519:…@https://host:port`; refuses bad ids, identities and URLs with a message naming the argument. */
export function parseOperatorSpec(text: string): OperatorSpec {
  const match = /^\s*([0-9]+)=(x25519:[^@\s]*)@(\S+)\s*$/.exec(text);
  if (match === null) {
    throw new PoolError("invalid-parameters", `--operator "${text}": expected ID=x25519:<identity>@https://host:port`);
  }
  const id = Number(match[1]);
  if (!Number.isSafeInteger(id) || id < 1) throw new PoolError("invalid-parameters", `--operator "${text}": the id must be an integer from 1`);
  let identity: string;
  try {
    identity = formatIdentity(parseIdentity(match[2]!));
  } catch (err) {
    if (err instanceof IdentityError) throw new PoolError("invalid-parameters", `--operator "${text}": ${err.message}`, { cause: err });
    throw err;
  }
  let url: URL;
  try {
    url = new URL(match[3]!);
  } catch {
    throw new PoolError("invalid-parameters", `--operator "${text}": "${match[3]!}" is not a URL`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new PoolError("invalid-parameters", `--operator "${text}": the endpoint must be an http(s) URL`);
  }
  if (url.search !== "" || url.hash !== "" || url.username !== "" || url.password !== "") {
    throw new PoolError("invalid-parameters", `--operator "${text}": the endpoint must be a base URL without query, fragment or credentials`);
  }
  return { id, identity, endpoint: url.toString().replace(/\/+$/, "") };
}
