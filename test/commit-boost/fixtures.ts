/**
 * Test fixtures for the Commit-Boost signer: a real signing core on a temporary SQLite store, the
 * signing roots of the Commit-Boost spec built here from SSZ containers of their own (not the
 * code under test), and module / admin JWTs as Commit-Boost's SDK makes them.
 */
import { testPolicy } from "../helpers/policy.js";
import { randomBytes } from "node:crypto";
import { SecretKey } from "@chainsafe/blst";
import { ByteVectorType, ContainerType, UintBigintType } from "@chainsafe/ssz";
import { ssz } from "@lodestar/types";
import { SignJWT } from "jose";
import { keccak256 } from "viem";
import { type Network, resolveNetwork } from "../../src/config/networks.js";
import { SigningCore } from "../../src/core/signing-core.js";
import { SqliteProtectionStore } from "../../src/protection/sqlite-store.js";
import { tempDir } from "../helpers/temp.js";

export const hex = (bytes: Uint8Array): string => "0x" + Buffer.from(bytes).toString("hex");
export const bytes = (text: string): Uint8Array => Uint8Array.from(Buffer.from(text.replace(/^0x/, ""), "hex"));

/** Commit-Boost's domain type, spelled out from the spec text ("0x6D6D6F43"). */
export const SPEC_DOMAIN_TYPE = bytes("6d6d6f43");

/** PropCommitSigningInfo as the spec lists it: data, module_signing_id, nonce (u64), chain_id (u256). */
const SpecSigningInfo = new ContainerType({
  data: new ByteVectorType(32),
  module_signing_id: new ByteVectorType(32),
  nonce: new UintBigintType(8),
  chain_id: new UintBigintType(32),
});
const SpecDelegationBls = new ContainerType({ delegator: new ByteVectorType(48), proxy: new ByteVectorType(48) });
const SpecDelegationEcdsa = new ContainerType({ delegator: new ByteVectorType(48), proxy: new ByteVectorType(20) });

/** compute_domain(domain type, genesis fork version, zero genesis validators root). */
export function specDomain(network: Network, domainType: Uint8Array = SPEC_DOMAIN_TYPE): Uint8Array {
  const forkDataRoot = ssz.phase0.ForkData.hashTreeRoot({ currentVersion: network.config.GENESIS_FORK_VERSION, genesisValidatorsRoot: new Uint8Array(32) });
  return Uint8Array.from([...domainType, ...forkDataRoot.subarray(0, 28)]);
}

export function specCommitmentRoot(network: Network, data: string, signingId: string, nonce: bigint, chainId: bigint): Uint8Array {
  const objectRoot = SpecSigningInfo.hashTreeRoot({ data: bytes(data), module_signing_id: bytes(signingId), nonce, chain_id: chainId });
  return ssz.phase0.SigningData.hashTreeRoot({ objectRoot, domain: specDomain(network) });
}

export function specDelegationRoot(network: Network, delegator: string, proxy: string, domainType: Uint8Array = SPEC_DOMAIN_TYPE): Uint8Array {
  const message = { delegator: bytes(delegator), proxy: bytes(proxy) };
  const objectRoot = message.proxy.length === 20 ? SpecDelegationEcdsa.hashTreeRoot(message) : SpecDelegationBls.hashTreeRoot(message);
  return ssz.phase0.SigningData.hashTreeRoot({ objectRoot, domain: specDomain(network, domainType) });
}

export interface TestCore {
  core: SigningCore;
  network: Network;
  dataDir: string;
  pubkeys: string[];
  close(): Promise<void>;
}

/** A signing core for `networkName` with `keys` fresh random keys, in its own data directory. */
export function startCore(networkName = "hoodi", keys = 2, dataDir?: string, secrets?: Uint8Array[]): TestCore {
  const dir = dataDir === undefined ? tempDir("bulwark-cb-") : undefined;
  const path = dataDir ?? dir!.path;
  const network = resolveNetwork(networkName);
  // The keys before the store: a bad secret then leaves nothing open.
  const secretKeys = secrets ?? Array.from({ length: keys }, () => SecretKey.fromKeygen(randomBytes(32)).toBytes());
  const loaded = secretKeys.map((secretKey) => ({ pubkey: SecretKey.fromBytes(secretKey).toPublicKey().toHex(true).toLowerCase(), secretKey: Uint8Array.from(secretKey) }));
  const pubkeys = loaded.map((key) => key.pubkey);
  const store = SqliteProtectionStore.open({ dataDir: path, genesisValidatorsRoot: network.genesisValidatorsRoot });
  const core = new SigningCore({ network, store, signingThreads: 1, policy: testPolicy(network) });
  core.addKeys(loaded);
  return {
    core,
    network,
    dataDir: path,
    pubkeys,
    close: async () => {
      await core.close();
      dir?.cleanup();
    },
  };
}

/** Cheap scrypt for the sealed proxy file in tests (files record their own parameters). */
export const TEST_SEAL = { kdf: { n: 1 << 10, r: 8, p: 1 } };
export const SEALING_SECRET = new TextEncoder().encode("correct horse battery staple");

/** A module JWT as Commit-Boost's SignerClient makes one: module, route, exp and, with a body, payload_hash. */
export async function moduleJwt(
  module: string,
  secret: string,
  route: string,
  body?: string,
  extra: { expSecondsFromNow?: number; payloadHash?: string; alg?: string } = {},
): Promise<string> {
  const claims: Record<string, unknown> = { module, route, exp: Math.floor(Date.now() / 1000) + (extra.expSecondsFromNow ?? 300) };
  if (extra.payloadHash !== undefined) claims.payload_hash = extra.payloadHash;
  else if (body !== undefined && body !== "") claims.payload_hash = keccak256(new TextEncoder().encode(body));
  return new SignJWT(claims).setProtectedHeader({ alg: extra.alg ?? "HS256", typ: "JWT" }).sign(new TextEncoder().encode(secret));
}

export async function adminJwt(secret: string, route: string, body?: string, expSecondsFromNow = 300): Promise<string> {
  const claims: Record<string, unknown> = { admin: true, route, exp: Math.floor(Date.now() / 1000) + expSecondsFromNow };
  if (body !== undefined && body !== "") claims.payload_hash = keccak256(new TextEncoder().encode(body));
  return new SignJWT(claims).setProtectedHeader({ alg: "HS256", typ: "JWT" }).sign(new TextEncoder().encode(secret));
}
