/**
 * Bearer token of the keymanager API: a random token written to DATA_DIR/api-token.txt (0600) on
 * first start, or a file the operator provides. Compared in constant time.
 */
import { randomBytes, timingSafeEqual } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { codedError } from "../errors/bulwark-error.js";

export const API_TOKEN_FILE = "api-token.txt";

export class ApiTokenError extends codedError("api-token") {
  override name = "ApiTokenError";
}

/** Reads the token file, creating DATA_DIR/api-token.txt with a fresh token when none is given or present. */
export function loadOrCreateApiToken(dataDir: string, tokenFile?: string): { token: string; path: string; created: boolean } {
  const path = tokenFile ?? join(dataDir, API_TOKEN_FILE);
  if (!existsSync(path)) {
    if (tokenFile !== undefined) throw new ApiTokenError(`keymanager token file ${tokenFile} does not exist`);
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    const token = "api-token-0x" + randomBytes(32).toString("hex");
    writeFileSync(path, token + "\n", { mode: 0o600, flag: "wx" });
    return { token, path, created: true };
  }
  const token = readFileSync(path, "utf8").trim();
  if (token.length < 16) throw new ApiTokenError(`keymanager token in ${path} is shorter than 16 characters`);
  return { token, path, created: false };
}

export function bearerTokenMatches(header: string | undefined, token: string): boolean {
  if (header === undefined) return false;
  const match = /^Bearer\s+(.+)$/i.exec(header.trim());
  if (match === null) return false;
  const given = Buffer.from(match[1]!.trim());
  const expected = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
