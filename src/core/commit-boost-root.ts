/**
 * Signing roots of Commit-Boost proposer commitments (Commit-Boost v0.10,
 * crates/common/src/signature.rs and types.rs), computed inside the signing core from plain inputs.
 *
 * - commitment: SigningData(hash_tree_root(PropCommitSigningInfo{data, module_signing_id, nonce:
 *   uint64, chain_id: uint256}), domain)
 * - delegation (a proxy key authorised by a consensus key): SigningData(hash_tree_root(
 *   ProxyDelegation{delegator: BLSPubkey, proxy: BLSPubkey | Bytes20}), domain)
 *
 * The domain is compute_domain(0x6d6d6f43, genesis fork version, zero genesis validators root).
 * No caller chooses the domain; and it is checked against every beacon-chain domain so that these
 * signatures can never count as a proposal, an attestation or any other consensus message.
 */
import { ByteVectorType, ContainerType, UintBigintType } from "@chainsafe/ssz";
import * as params from "@lodestar/params";
import type { Network } from "../config/networks.js";
import { computeDomain, signingRootOf, ZERO_ROOT } from "../eth/domain.js";
import type { SignError } from "./api.js";

/** Commit-Boost's own domain type ("mmoC"). */
export const COMMIT_BOOST_DOMAIN_TYPE = Uint8Array.from([0x6d, 0x6d, 0x6f, 0x43]);

const MAX_U64 = (1n << 64n) - 1n;

export const PropCommitSigningInfo = new ContainerType({
  data: new ByteVectorType(32),
  moduleSigningId: new ByteVectorType(32),
  nonce: new UintBigintType(8),
  chainId: new UintBigintType(32),
});

export const ProxyDelegationBls = new ContainerType({ delegator: new ByteVectorType(48), proxy: new ByteVectorType(48) });
export const ProxyDelegationEcdsa = new ContainerType({ delegator: new ByteVectorType(48), proxy: new ByteVectorType(20) });

/** What the core signs for Commit-Boost; hex strings are 0x-prefixed, the nonce a decimal u64. */
export type CommitBoostRootRequest =
  | { kind: "commitment"; objectRoot: string; moduleSigningId: string; nonce: string }
  | { kind: "delegation"; delegator: string; proxy: string };

export type CommitBoostRoot = { ok: true; signingRoot: Uint8Array; chainId: bigint } | { ok: false; error: SignError };

const refuse = (code: SignError["code"], message: string): { ok: false; error: SignError } => ({ ok: false, error: { code, message } });

/** The chain id Commit-Boost binds commitments to: the execution chain of the network. */
export function commitBoostChainId(network: Network): bigint {
  return BigInt(network.config.DEPOSIT_CHAIN_ID);
}

export function commitBoostDomain(network: Network, domainType: Uint8Array = COMMIT_BOOST_DOMAIN_TYPE): Uint8Array {
  return computeDomain(domainType, network.config.GENESIS_FORK_VERSION, ZERO_ROOT);
}

/** Every DOMAIN_* type of the consensus specs (as @lodestar/params knows them). */
export const BEACON_DOMAIN_TYPES: ReadonlyArray<{ name: string; type: Uint8Array }> = Object.entries(params as Record<string, unknown>).flatMap(
  ([name, type]) => (name.startsWith("DOMAIN_") && type instanceof Uint8Array && type.length === 4 ? [{ name, type }] : []),
);

const checked = new WeakMap<Network, string | null>();

/**
 * Why a domain type may not be used for Commit-Boost signatures on this network, or undefined when
 * it may: it must differ from every beacon-chain domain type, and the resulting domain from every
 * beacon-chain domain of every scheduled fork (with the network's root and with a zero root).
 */
export function beaconDomainCollision(network: Network, domainType: Uint8Array): string | undefined {
  const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));
  const typeClash = BEACON_DOMAIN_TYPES.find(({ type }) => same(type, domainType));
  if (typeClash !== undefined) return `domain type 0x${Buffer.from(domainType).toString("hex")} is the beacon chain's ${typeClash.name}`;
  const domain = commitBoostDomain(network, domainType);
  const roots = [ZERO_ROOT, Uint8Array.from(Buffer.from(network.genesisValidatorsRoot.slice(2), "hex"))];
  for (const fork of network.config.forksAscendingEpochOrder) {
    for (const { name, type } of BEACON_DOMAIN_TYPES) {
      for (const root of roots) {
        if (same(computeDomain(type, fork.version, root), domain)) return `domain equals the beacon chain's ${name} domain of fork ${fork.name}`;
      }
    }
  }
  return undefined;
}

function commitBoostDomainChecked(network: Network): { ok: true; domain: Uint8Array } | { ok: false; error: SignError } {
  let problem = checked.get(network);
  if (problem === undefined) {
    problem = beaconDomainCollision(network, COMMIT_BOOST_DOMAIN_TYPE) ?? null;
    checked.set(network, problem);
  }
  if (problem !== null) return refuse("bad-request", `refused: ${problem}`);
  return { ok: true, domain: commitBoostDomain(network) };
}

function hexBytes(value: unknown, bytes: number, field: string): Uint8Array | string {
  if (typeof value !== "string" || !new RegExp(`^0x[0-9a-fA-F]{${bytes * 2}}$`).test(value)) {
    return `${field}: expected 0x followed by ${bytes * 2} hex digits`;
  }
  return Uint8Array.from(Buffer.from(value.slice(2), "hex"));
}

const FIELDS = { commitment: ["kind", "objectRoot", "moduleSigningId", "nonce"], delegation: ["kind", "delegator", "proxy"] } as const;

/**
 * The signing root of a Commit-Boost request, or why it is refused. Nothing here takes a domain.
 * With `signingKey`, a delegation is only signed by its own delegator.
 */
export function commitBoostSigningRoot(network: Network, request: CommitBoostRootRequest, signingKey?: string): CommitBoostRoot {
  const body = request as unknown as Record<string, unknown> | null;
  const kind = body?.kind;
  if (kind !== "commitment" && kind !== "delegation") return refuse("bad-request", 'kind: expected "commitment" or "delegation"');
  const extra = Object.keys(body!).filter((key) => !(FIELDS[kind] as readonly string[]).includes(key));
  if (extra.length > 0) return refuse("bad-request", `unexpected field(s) ${extra.join(", ")}: the core computes the domain and chain itself`);
  const domain = commitBoostDomainChecked(network);
  if (!domain.ok) return domain;
  const chainId = commitBoostChainId(network);

  if (kind === "commitment") {
    const data = hexBytes(body!.objectRoot, 32, "object_root");
    if (typeof data === "string") return refuse("bad-request", data);
    const moduleSigningId = hexBytes(body!.moduleSigningId, 32, "module_signing_id");
    if (typeof moduleSigningId === "string") return refuse("bad-request", moduleSigningId);
    const nonceText = body!.nonce;
    if (typeof nonceText !== "string" || !/^(0|[1-9][0-9]{0,19})$/.test(nonceText) || BigInt(nonceText) > MAX_U64) {
      return refuse("bad-request", "nonce: expected an unsigned 64-bit integer");
    }
    const objectRoot = PropCommitSigningInfo.hashTreeRoot({ data, moduleSigningId, nonce: BigInt(nonceText), chainId });
    return { ok: true, signingRoot: signingRootOf(objectRoot, domain.domain), chainId };
  }
  const delegator = hexBytes(body!.delegator, 48, "delegator");
  if (typeof delegator === "string") return refuse("bad-request", delegator);
  if (signingKey !== undefined && (body!.delegator as string).toLowerCase() !== signingKey.toLowerCase()) {
    return refuse("bad-request", "delegator: a delegation is signed only by the delegating key itself");
  }
  const proxyText = body!.proxy;
  const proxy = hexBytes(proxyText, typeof proxyText === "string" && proxyText.length === 42 ? 20 : 48, "proxy");
  if (typeof proxy === "string") return refuse("bad-request", `${proxy} (a BLS public key) or 40 (an address)`);
  const objectRoot = proxy.length === 20 ? ProxyDelegationEcdsa.hashTreeRoot({ delegator, proxy }) : ProxyDelegationBls.hashTreeRoot({ delegator, proxy });
  return { ok: true, signingRoot: signingRootOf(objectRoot, domain.domain), chainId };
}
