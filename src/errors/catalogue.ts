/**
 * The one error table: for every code, the HTTP status a route answers, the label of
 * `bulwark_signing_requests_total{outcome}` (and of the participant's), the log level, and what it
 * means. The signing API, the keymanager API, the pool participant and aggregator and the
 * Commit-Boost API all reach it through ./route.ts. Codes met only at start-up or by a command have
 * 500 (were one ever to reach a route, it is the signer's fault, nothing was signed) and exit
 * status 1 on the command line.
 */
import type { ErrorCode } from "./codes.js";

export type LogLevel = "debug" | "info" | "warn" | "error";

export interface ErrorEntry {
  status: number;
  metricLabel: string;
  logLevel: LogLevel;
  summary: string;
}

const command = (summary: string): ErrorEntry => ({ status: 500, metricLabel: "error", logLevel: "error", summary });

export const ERROR_TABLE: Record<ErrorCode, ErrorEntry> = {
  // Signing requests (Web3Signer's statuses).
  "bad-request": { status: 400, metricLabel: "bad_request", logLevel: "debug", summary: "malformed request (the message names the field)" },
  "root-mismatch": { status: 400, metricLabel: "bad_request", logLevel: "debug", summary: "the supplied signing root is not the one computed from the request" },
  "unknown-key": { status: 404, metricLabel: "unknown_key", logLevel: "debug", summary: "no key loaded for this public key" },
  slashing: { status: 412, metricLabel: "refused_slashing", logLevel: "warn", summary: "refused by slashing protection (`reason` names the rule)" },
  policy: { status: 412, metricLabel: "refused_policy", logLevel: "warn", summary: "refused by the signing policy (time horizon, start guard, deposit, fee recipient, refused type)" },
  "wrong-network": { status: 412, metricLabel: "wrong_network", logLevel: "debug", summary: "the request is for another network or a fork it does not have" },
  unavailable: { status: 503, metricLabel: "unavailable", logLevel: "warn", summary: "too few pool participants answered in time; retry later" },
  internal: { status: 500, metricLabel: "error", logLevel: "error", summary: "internal failure (e.g. the protection database), nothing signed" },

  // Key management (keymanager API).
  "protection-import": { status: 400, metricLabel: "bad_request", logLevel: "debug", summary: "the EIP-3076 data given with the keystores is unusable; nothing imported" },
  "no-sealed-store": { status: 500, metricLabel: "error", logLevel: "error", summary: "the signer has no sealed key store (start it with a sealing secret)" },
  "key-generation": { status: 400, metricLabel: "bad_request", logLevel: "debug", summary: "invalid key generation request (count, withdrawal address, amount)" },

  unauthorized: { status: 401, metricLabel: "unauthorized", logLevel: "warn", summary: "missing or wrong bearer token or JWT" },

  // Pool commands.
  "invalid-parameters": command("bad parameters (threshold, operators, amounts, addresses)"),
  "invalid-pool": command("a pool definition that does not parse or whose cryptography does not check out"),
  "unknown-network": command("the pool's network is not one this program knows"),
  "no-identity": command("no operator identity in the data directory"),
  "identity-exists": command("an operator identity is already there"),
  "identity-mismatch": command("the operator's identity is not the pool participant's"),
  "wrong-participant": command("the share file holds another participant's share"),
  "share-for-another-pool": command("the share file holds a share of another pool"),
  "tampered-share": command("the share file was altered or corrupted"),
  "invalid-share": command("the share does not match the commitments or the component key"),
  "already-joined": command("the operator already holds a different share of this pool"),
  "not-joined": command("the operator holds no share of the pool"),
  "no-whole-key": command("the whole key is not in the aggregator's store"),
  "exit-exists": command("the exit was already pre-signed"),
  "no-exit": command("no pre-signed exit"),
  "invalid-partial": command("a partial signature that is malformed, forged, duplicated or for another message"),
  "verification-failed": command("a signature that does not verify (never released)"),
  "sealed-store": command("a sealed store that cannot be opened: wrong sealing secret, damaged file"),
  "file-exists": command("an output file that already exists"),
  "beacon-node": command("a beacon node refused or could not be reached"),

  // Keystore files.
  unreadable: command("a keystore file that cannot be read"),
  "malformed-json": command("a keystore file that is not JSON"),
  "invalid-keystore": command("not an EIP-2335 keystore"),
  "missing-password": command("no password file for a keystore"),
  "wrong-password": command("the password does not decrypt the keystore"),
  "invalid-secret": command("a secret key that is not valid"),
  "pubkey-mismatch": command("the keystore's secret does not give its public key"),
  "duplicate-pubkey": command("two keystores of the same key"),
  "decrypt-failed": command("a keystore that cannot be decrypted"),
  "worker-failed": command("a decryption thread failed"),

  // Threshold cryptography.
  "invalid-id": command("a participant id out of range"),
  "duplicate-id": command("the same participant id twice"),
  "too-few-partials": command("fewer partial signatures than the threshold"),
  "invalid-signature": command("a signature that is not a valid point"),
  "invalid-public-key": command("a public key that is not a valid point"),
  "invalid-commitments": command("commitments that are not valid points"),

  // Share envelopes.
  "unsupported-version": command("a share envelope of a version this program does not read"),
  "malformed-envelope": command("a share envelope that does not parse"),
  "pool-mismatch": command("a share envelope of another pool"),
  "participant-mismatch": command("a share envelope of another participant"),
  "recipient-mismatch": command("a share envelope encrypted to another identity"),
  "integrity-failure": command("a share envelope that was altered"),

  // Sealed secret files.
  "sealed-file-missing": command("a sealed file that does not exist"),
  "sealed-file-exists": command("a sealed file that already exists"),
  "sealed-file-wrong-secret": command("a sealed file and the wrong sealing secret"),
  "sealed-file-corrupted": command("a sealed file that was altered or damaged"),
  "sealed-file-unsupported": command("a sealed file of a newer format version"),

  // One module each.
  "api-token": command("the API token file is unusable"),
  attestation: command("attestation evidence cannot be made or checked"),
  "beacon-proof": command("a beacon state proof cannot be built"),
  "ceremony-attestation": command("the ceremony's attestation does not check out"),
  cli: command("a command-line usage error"),
  "commit-boost-config": command("the Commit-Boost configuration is unusable"),
  "config-file": command("the configuration file is unusable"),
  "configfs-tsm": command("the kernel's configfs-tsm interface failed"),
  deposit: command("invalid deposit parameters"),
  der: command("malformed DER data"),
  "derivation-path": command("an invalid EIP-2334 derivation path"),
  "expected-measurements": command("the expected measurements file is unusable"),
  "file-lock-timeout": command("a file lock was not released in time"),
  "genesis-mismatch": command("a database or file of another chain"),
  identity: command("the operator identity file is unusable"),
  "interchange-format": command("an invalid EIP-3076 interchange document"),
  "key-file": command("the private key file is unusable"),
  "keystore-create": command("a keystore cannot be created"),
  "keystore-load": command("keystores that cannot be loaded (each file is named)"),
  mnemonic: command("an invalid mnemonic"),
  "network-config": command("an unknown or invalid network configuration"),
  "participant-config": command("the participant cannot start with these shares or tokens"),
  "policy-config": command("an invalid signing policy"),
  "pool-aggregator-config": command("the aggregator cannot start with this pool, network or configuration"),
  "pool-definition": command("an invalid pool definition"),
  "preset-mismatch": command("the network's preset is not the one this process was built with"),
  "proof-file": command("the proof file is unusable"),
  "protection-store": command("the slashing-protection database is unusable"),
  "proxy-key-file": command("the Commit-Boost proxy key file is unusable"),
  "seth-keygen": command("the sETH signer key cannot be generated"),
  "signer-lock": command("another signer runs on this data directory"),
  "signing-threads": command("the signing threads failed"),
  "vault-call": command("a pool vault contract call failed or was refused"),
  "vault-config": command("the vault terms are invalid"),
};

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === "string" && Object.hasOwn(ERROR_TABLE, value);
}
