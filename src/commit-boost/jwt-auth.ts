/**
 * JWT checks of the Commit-Boost signer API (v0.10, crates/common/src/utils.rs validate_jwt and
 * validate_admin_jwt): HS256 only, `exp` required (10 s leeway), `route` equal to the request
 * path, and `payload_hash` the keccak-256 of the exact body bytes when there is a body and absent
 * when there is none. Module tokens carry `module`, signed with that module's secret; admin tokens
 * carry `admin: true`, signed with the admin secret.
 */
import { keccak_256 } from "@noble/hashes/sha3.js";
import { decodeJwt, jwtVerify, type JWTPayload } from "jose";
import { codedError } from "../errors/bulwark-error.js";

const LEEWAY_SECONDS = 10;

export class JwtRefusal extends codedError("unauthorized") {
  override name = "JwtRefusal";
}

export function bearerToken(header: string | undefined): string {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? "");
  if (match === null) throw new JwtRefusal("missing Authorization: Bearer <JWT>");
  return match[1]!;
}

/** 0x-hex keccak-256 of `body`, as a module puts it in `payload_hash`. */
export function payloadHash(body: Uint8Array): string {
  return "0x" + Buffer.from(keccak_256(body)).toString("hex");
}

async function verified(token: string, secret: string): Promise<JWTPayload> {
  try {
    const { payload } = await jwtVerify(token, new TextEncoder().encode(secret), {
      algorithms: ["HS256"],
      clockTolerance: LEEWAY_SECONDS,
      requiredClaims: ["exp"],
    });
    return payload;
  } catch (err) {
    throw new JwtRefusal(`invalid JWT: ${(err as Error).message}`);
  }
}

function checkRouteAndPayload(claims: JWTPayload, route: string, body: Uint8Array): void {
  if (claims.route !== route) throw new JwtRefusal("token route does not match the request path");
  const claimed = claims.payload_hash;
  if (body.length === 0) {
    if (claimed !== undefined && claimed !== null) throw new JwtRefusal("token has a payload_hash but the request has no body");
    return;
  }
  if (typeof claimed !== "string") throw new JwtRefusal("token has no payload_hash for the request body");
  const normalised = (claimed.startsWith("0x") ? claimed : `0x${claimed}`).toLowerCase();
  if (normalised !== payloadHash(body)) throw new JwtRefusal("payload_hash does not match the request body");
}

/** The module a token authenticates for this request; `secretOf` gives a configured module's secret. */
export async function verifyModuleJwt(
  token: string,
  secretOf: (module: string) => string | undefined,
  route: string,
  body: Uint8Array,
): Promise<string> {
  let unverified: JWTPayload;
  try {
    unverified = decodeJwt(token);
  } catch (err) {
    throw new JwtRefusal(`invalid JWT: ${(err as Error).message}`);
  }
  const module = unverified.module;
  if (typeof module !== "string") throw new JwtRefusal("token has no module claim");
  const secret = secretOf(module);
  if (secret === undefined) throw new JwtRefusal(`module ${module.slice(0, 64)} is not configured (or was revoked)`);
  const claims = await verified(token, secret);
  if (claims.module !== module) throw new JwtRefusal("token has no module claim");
  checkRouteAndPayload(claims, route, body);
  return module;
}

export async function verifyAdminJwt(token: string, adminSecret: string, route: string, body: Uint8Array): Promise<void> {
  const claims = await verified(token, adminSecret);
  if (claims.admin !== true) throw new JwtRefusal("token is not an admin token");
  checkRouteAndPayload(claims, route, body);
}
