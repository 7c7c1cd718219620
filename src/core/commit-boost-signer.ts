/**
 * The Commit-Boost half of the signing core: consensus-key commitments (signed by the core's own
 * keys through SigningCore.signCommitBoost) and proxy keys made here, sealed, used here, and never
 * handed out. Plain data in and out, like the rest of the core. Which module asks, and with which
 * signing id, is decided by the authenticated caller (src/commit-boost/); a proxy key serves only
 * the module that created it.
 */
import { randomBytes } from "node:crypto";
import { SecretKey } from "@chainsafe/blst";
import { keccak_256 } from "@noble/hashes/sha3.js";
import { secp256k1 } from "@noble/curves/secp256k1.js";
import type { Network } from "../config/networks.js";
import type { SealSecretOptions } from "../keys/sealed-secret.js";
import type {
  CommitBoostSigningApi,
  CommitmentRequest,
  ConsensusProxyMap,
  DelegationOutcome,
  ProxyScheme,
  SignedProxyDelegation,
  SignError,
  SignOutcome,
} from "./api.js";
import { commitBoostChainId, commitBoostSigningRoot } from "./commit-boost-root.js";
import { type ProxyKeyRecord, proxyKeyFilePath, readProxyKeyFile, writeProxyKeyFile } from "./commit-boost-proxy-file.js";
import type { SigningCore } from "./signing-core.js";
import { toHex as hex } from "../util/hex.js";

export type { CommitmentRequest, ConsensusProxyMap, DelegationOutcome, ProxyScheme, SignedProxyDelegation };

/** The part of the signing core this needs. */
export type ConsensusSigner = Pick<SigningCore, "hasKey" | "listKeys" | "signCommitBoost">;

const fail = (code: SignError["code"], message: string): { ok: false; error: SignError } => ({ ok: false, error: { code, message } });

export interface CommitBoostSignerOptions {
  core: ConsensusSigner;
  network: Network;
  dataDir: string;
  /** The operator's sealing secret; copied, the caller may wipe its own. */
  sealingSecret: Uint8Array;
  /** Cheaper scrypt for tests. */
  seal?: SealSecretOptions;
}

export class CommitBoostSigner implements CommitBoostSigningApi {
  private readonly proxies = new Map<string, ProxyKeyRecord>();
  private writing: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly core: ConsensusSigner,
    private readonly network: Network,
    private readonly path: string,
    private readonly sealingSecret: Uint8Array,
    private readonly seal: SealSecretOptions,
    records: ProxyKeyRecord[],
  ) {
    for (const record of records) this.proxies.set(record.proxy, record);
  }

  /** Unseals the proxy keys of `dataDir` (none yet is fine); a wrong secret or damaged file throws. */
  static async open(options: CommitBoostSignerOptions): Promise<CommitBoostSigner> {
    const path = proxyKeyFilePath(options.dataDir);
    const secret = Uint8Array.from(options.sealingSecret);
    const records = await readProxyKeyFile(path, secret);
    return new CommitBoostSigner(options.core, options.network, path, secret, options.seal ?? {}, records);
  }

  get chainId(): bigint {
    return commitBoostChainId(this.network);
  }

  get proxyCount(): number {
    return this.proxies.size;
  }

  /** Every consensus key with the proxies `module` made for it. */
  async listKeys(module: string): Promise<ConsensusProxyMap[]> {
    const maps = new Map((await this.core.listKeys()).map((consensus) => [consensus, { consensus, proxy_bls: [] as string[], proxy_ecdsa: [] as string[] }]));
    for (const record of this.proxies.values()) {
      const entry = maps.get(record.delegator);
      if (record.module !== module || entry === undefined) continue;
      (record.scheme === "bls" ? entry.proxy_bls : entry.proxy_ecdsa).push(record.proxy);
    }
    return [...maps.values()];
  }

  /** A commitment signed by a consensus key. */
  async signConsensus(pubkey: string, request: CommitmentRequest): Promise<SignOutcome> {
    return this.core.signCommitBoost(pubkey, { kind: "commitment", objectRoot: request.objectRoot, moduleSigningId: request.moduleSigningId, nonce: request.nonce });
  }

  /** A commitment signed by a proxy key of `request.module`: BLS, or ECDSA as r‖s‖v (v = 27 + parity). */
  async signProxy(scheme: ProxyScheme, proxy: string, request: CommitmentRequest): Promise<SignOutcome> {
    const record = this.proxies.get(proxy.toLowerCase());
    if (record === undefined || record.scheme !== scheme || record.module !== request.module) {
      return fail("unknown-key", `no ${scheme} proxy key ${proxy} for module ${request.module}`);
    }
    if (!this.core.hasKey(record.delegator)) return fail("unknown-key", `the consensus key that delegated to ${proxy} is no longer loaded`);
    const root = commitBoostSigningRoot(this.network, { kind: "commitment", objectRoot: request.objectRoot, moduleSigningId: request.moduleSigningId, nonce: request.nonce });
    if (!root.ok) return root;
    if (scheme === "bls") return { ok: true, signature: hex(SecretKey.fromBytes(record.secretKey).sign(root.signingRoot).toBytes()) };
    const recovered = secp256k1.sign(root.signingRoot, record.secretKey, { prehash: false, format: "recovered" });
    const rsv = new Uint8Array(65);
    rsv.set(recovered.subarray(1, 65), 0);
    rsv[64] = 27 + recovered[0]!;
    return { ok: true, signature: hex(rsv) };
  }

  /**
   * Makes a proxy key for `delegator`, has the consensus key sign the delegation, seals the key
   * durably, and only then lets it sign. Returns the signed delegation; the secret stays here.
   */
  async generateProxy(module: string, delegator: string, scheme: ProxyScheme): Promise<DelegationOutcome> {
    const consensus = delegator.toLowerCase();
    if (!/^0x[0-9a-f]{96}$/.test(consensus)) return fail("bad-request", "pubkey: expected 0x followed by 96 hex digits");
    if (!this.core.hasKey(consensus)) return fail("unknown-key", `no key loaded for ${delegator}`);
    const { proxy, secretKey } = scheme === "bls" ? newBlsProxy() : newEcdsaProxy();
    const signed = await this.core.signCommitBoost(consensus, { kind: "delegation", delegator: consensus, proxy });
    if (!signed.ok) {
      secretKey.fill(0);
      return signed;
    }
    const record: ProxyKeyRecord = { module, scheme, proxy, delegator: consensus, signature: signed.signature, secretKey };
    // One writer at a time, each writing every proxy stored before it plus its own.
    const persisted = this.writing.then(async () => {
      await writeProxyKeyFile(this.path, [...this.proxies.values(), record], this.sealingSecret, this.seal);
      this.proxies.set(proxy, record);
    });
    this.writing = persisted.catch(() => undefined);
    try {
      await persisted;
    } catch (err) {
      secretKey.fill(0);
      return fail("internal", `proxy key not stored, not created: ${(err as Error).message}`);
    }
    return { ok: true, delegation: { message: { delegator: consensus, proxy }, signature: signed.signature } };
  }
}

function newBlsProxy(): { proxy: string; secretKey: Uint8Array } {
  const ikm = randomBytes(32);
  const secret = SecretKey.fromKeygen(ikm);
  ikm.fill(0);
  return { proxy: hex(secret.toPublicKey().toBytes(true)), secretKey: secret.toBytes() };
}

function newEcdsaProxy(): { proxy: string; secretKey: Uint8Array } {
  const secretKey = secp256k1.utils.randomSecretKey();
  return { proxy: ethereumAddress(secp256k1.getPublicKey(secretKey, false)), secretKey };
}

/** The address of an uncompressed secp256k1 public key: the last 20 bytes of its keccak-256. */
export function ethereumAddress(uncompressedPublicKey: Uint8Array): string {
  return hex(keccak_256(uncompressedPublicKey.subarray(1)).subarray(12));
}
