/**
 * The Commit-Boost signer configuration file (--commit-boost-config), YAML or JSON: the modules
 * allowed to ask for signatures, each with its JWT secret and 32-byte signing id, the admin JWT
 * secret, and the failed-authentication throttle. Secrets may sit in the file, in a file of their
 * own, or in an environment variable (jwt_env, then jwt_file, then jwt_secret, in Commit-Boost's
 * order of precedence; admin_jwt_env / admin_jwt_file / admin_jwt_secret for the admin secret).
 *
 * ```yaml
 * admin_jwt_file: /etc/bulwark/cb-admin.secret
 * jwt_auth_fail_limit: 3
 * jwt_auth_fail_timeout_seconds: 300
 * modules:
 *   - id: DA_COMMIT
 *     signing_id: "0x6a33a23ef26a4836979edff86c493a69b26ccf0b4a16491a815a13787657431b"
 *     jwt_file: /etc/bulwark/da-commit.secret
 * ```
 */
import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import { codedError } from "../errors/bulwark-error.js";

/** Commit-Boost's defaults (crates/common/src/signer/constants.rs): 3 failures lock out for 5 minutes. */
export const DEFAULT_JWT_AUTH_FAIL_LIMIT = 3;
export const DEFAULT_JWT_AUTH_FAIL_TIMEOUT_SECONDS = 300;

export interface ModuleConfig {
  id: string;
  jwtSecret: string;
  /** 0x-hex lowercase, 32 bytes, not zero. */
  signingId: string;
}

export interface CommitBoostConfig {
  modules: Map<string, ModuleConfig>;
  adminSecret: string;
  jwtAuthFailLimit: number;
  jwtAuthFailTimeoutSeconds: number;
}

export class CommitBoostConfigError extends codedError("commit-boost-config") {
  override name = "CommitBoostConfigError";
}

type Doc = Record<string, unknown>;

/** The secret named `${base}_secret`, or read from `${base}_file`, or from the variable `${base}_env`. */
function secretFrom(doc: Doc, base: string, where: string, env: NodeJS.ProcessEnv): string {
  const envName = doc[`${base}_env`];
  const file = doc[`${base}_file`];
  const inline = doc[`${base}_secret`];
  let value: unknown;
  if (envName !== undefined) {
    if (typeof envName !== "string") throw new CommitBoostConfigError(`${where}: ${base}_env must be a variable name`);
    value = env[envName];
    if (value === undefined) throw new CommitBoostConfigError(`${where}: environment variable ${envName} (${base}_env) is not set`);
  } else if (file !== undefined) {
    if (typeof file !== "string") throw new CommitBoostConfigError(`${where}: ${base}_file must be a path`);
    try {
      value = readFileSync(file, "utf8").replace(/\r?\n$/, "");
    } catch (err) {
      throw new CommitBoostConfigError(`${where}: cannot read ${base}_file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  } else {
    value = inline;
  }
  if (typeof value !== "string" || value.length === 0) throw new CommitBoostConfigError(`${where}: give ${base}_secret, ${base}_file or ${base}_env (a non-empty secret)`);
  return value;
}

function positiveInteger(value: unknown, fallback: number, field: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1 || value > 1_000_000) {
    throw new CommitBoostConfigError(`${field}: expected an integer from 1 to 1000000`);
  }
  return value;
}

/** Parses and checks the configuration document. */
export function parseCommitBoostConfig(text: string, source: string, env: NodeJS.ProcessEnv = process.env): CommitBoostConfig {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new CommitBoostConfigError(`${source} is not valid YAML/JSON: ${(err as Error).message}`);
  }
  if (doc === null || typeof doc !== "object" || Array.isArray(doc)) throw new CommitBoostConfigError(`${source}: expected a mapping with modules:`);
  const top = doc as Doc;
  const list = top.modules;
  if (!Array.isArray(list) || list.length === 0) throw new CommitBoostConfigError(`${source}: modules: expected a non-empty list`);
  const modules = new Map<string, ModuleConfig>();
  const signingIds = new Map<string, string>();
  list.forEach((entry: unknown, i) => {
    const where = `${source}: modules[${i}]`;
    if (entry === null || typeof entry !== "object") throw new CommitBoostConfigError(`${where}: expected a mapping`);
    const m = entry as Doc;
    if (typeof m.id !== "string" || m.id.length === 0) throw new CommitBoostConfigError(`${where}: id: expected the module id (a non-empty string)`);
    const rawId = typeof m.signing_id === "string" ? m.signing_id : "";
    const signingId = (rawId.startsWith("0x") ? rawId : `0x${rawId}`).toLowerCase();
    if (!/^0x[0-9a-f]{64}$/.test(signingId)) throw new CommitBoostConfigError(`${where} (${m.id}): signing_id: expected 32 bytes of hex (quote it in YAML)`);
    if (/^0x0{64}$/.test(signingId)) throw new CommitBoostConfigError(`${where} (${m.id}): signing_id cannot be zero`);
    if (modules.has(m.id)) throw new CommitBoostConfigError(`${where}: duplicate module id ${m.id}`);
    const clash = signingIds.get(signingId);
    if (clash !== undefined) throw new CommitBoostConfigError(`${where} (${m.id}): signing_id already used by module ${clash}`);
    signingIds.set(signingId, m.id);
    modules.set(m.id, { id: m.id, jwtSecret: secretFrom(m, "jwt", `${where} (${m.id})`, env), signingId });
  });
  return {
    modules,
    adminSecret: secretFrom(top, "admin_jwt", source, env),
    jwtAuthFailLimit: positiveInteger(top.jwt_auth_fail_limit, DEFAULT_JWT_AUTH_FAIL_LIMIT, "jwt_auth_fail_limit"),
    jwtAuthFailTimeoutSeconds: positiveInteger(top.jwt_auth_fail_timeout_seconds, DEFAULT_JWT_AUTH_FAIL_TIMEOUT_SECONDS, "jwt_auth_fail_timeout_seconds"),
  };
}

export function loadCommitBoostConfig(path: string, env: NodeJS.ProcessEnv = process.env): CommitBoostConfig {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new CommitBoostConfigError(`cannot read Commit-Boost config ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return parseCommitBoostConfig(text, path, env);
}
