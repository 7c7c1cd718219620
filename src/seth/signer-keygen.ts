/**
 * A key for an sETH deposit, generated inside a running Bulwark signer (keymanager API,
 * `POST /eth/v1/keygen`) with C as the 0x02 withdrawal address, and the deposit arguments built
 * from its answer: the signed deposit data and the KeyProvenance statement the signer's identity
 * signed for it.
 */
import { randomBytes } from "node:crypto";
import { getAddress, isAddress, type Address, type Hex } from "viem";
import type { DepositDataJson } from "../eth/deposit.js";
import { parseSignedStatement, type KeyProvenanceMessage, type SignedStatement } from "../attestation/statements.js";
import { codedError } from "../errors/bulwark-error.js";

const TIMEOUT_MS = 120_000;
const DEPOSIT_GWEI = 32_000_000_000;

export class SignerKeygenError extends codedError("seth-keygen") {
  override name = "SignerKeygenError";
}

export interface GeneratedSethKey {
  pubkey: Hex;
  depositData: DepositDataJson;
  provenance: SignedStatement<"KeyProvenance">;
}

/** The signer's identity address, from its evidence document (asked for a fresh nonce). */
export async function signerIdentity(signerUrl: string): Promise<Address> {
  const nonce = `0x${randomBytes(32).toString("hex")}`;
  const url = `${signerUrl.replace(/\/+$/, "")}/bulwark/v1/attestation/identity?nonce=${nonce}`;
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS) });
  } catch (err) {
    throw new SignerKeygenError(`cannot reach the signer at ${url}: ${(err as Error).message}`, { cause: err });
  }
  const text = await response.text();
  if (!response.ok) throw new SignerKeygenError(`the signer gave no identity evidence (HTTP ${response.status}): ${text.slice(0, 300)}; is it started with --attestation?`);
  return evidenceIdentity(JSON.parse(text), url);
}

/** The identity address an evidence document names. */
export function evidenceIdentity(doc: unknown, source: string): Address {
  const address = (doc as { identity?: { address?: unknown } } | null)?.identity?.address;
  if (typeof address !== "string" || !isAddress(address, { strict: false })) throw new SignerKeygenError(`${source} is not a Bulwark evidence document naming an identity address`);
  return getAddress(address);
}

export async function generateSethKey(signerUrl: string, apiToken: string, seth: Address): Promise<GeneratedSethKey> {
  const url = `${signerUrl.replace(/\/+$/, "")}/eth/v1/keygen`;
  let response: Response;
  try {
    response = await fetch(url, {
      method: "POST",
      headers: { authorization: `Bearer ${apiToken}`, "content-type": "application/json" },
      body: JSON.stringify({ count: 1, withdrawal_address: seth, compounding: true, amount_gwei: DEPOSIT_GWEI }),
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch (err) {
    throw new SignerKeygenError(`cannot reach the signer at ${url}: ${(err as Error).message}`, { cause: err });
  }
  const text = await response.text();
  if (!response.ok) throw new SignerKeygenError(`the signer refused keygen (HTTP ${response.status}): ${text.slice(0, 300)}`);
  const key = (JSON.parse(text) as { data?: Array<{ pubkey: string; deposit_data: DepositDataJson; provenance?: unknown }> }).data?.[0];
  if (key === undefined) throw new SignerKeygenError("the signer's keygen answer holds no key");
  if (key.provenance === undefined) {
    throw new SignerKeygenError(`the signer generated ${key.pubkey} without a provenance statement: start it with --attestation tdx|sev-snp (the key stays in the signer, unused)`);
  }
  const provenance = parseSignedStatement(key.provenance, "the signer's provenance statement") as SignedStatement<"KeyProvenance">;
  return { pubkey: key.pubkey as Hex, depositData: key.deposit_data, provenance };
}

/**
 * The arguments of SoloStakedETH.deposit, after checking locally what the contract checks, so a
 * mismatch is explained before a transaction is sent.
 */
export function sethDepositArgs(key: GeneratedSethKey, expected: { withdrawalCredentials: Hex; genesisValidatorsRoot: Hex }): readonly [Hex, Hex, Hex, Hex] {
  const d = key.depositData;
  const m: KeyProvenanceMessage = key.provenance.message;
  if (key.provenance.primaryType !== "KeyProvenance") throw new SignerKeygenError(`expected a KeyProvenance statement, got ${key.provenance.primaryType}`);
  const problems: string[] = [];
  if (m.pubkey.toLowerCase() !== `0x${d.pubkey}`.toLowerCase()) problems.push("the statement names another pubkey");
  if (m.withdrawalCredentials.toLowerCase() !== expected.withdrawalCredentials.toLowerCase()) problems.push(`credentials ${m.withdrawalCredentials} are not the vault's ${expected.withdrawalCredentials}`);
  if (`0x${d.withdrawal_credentials}`.toLowerCase() !== expected.withdrawalCredentials.toLowerCase()) problems.push("the deposit's credentials are not the vault's");
  if (m.genesisValidatorsRoot.toLowerCase() !== expected.genesisValidatorsRoot.toLowerCase()) problems.push(`the statement is for chain ${m.genesisValidatorsRoot}, the vault for ${expected.genesisValidatorsRoot}`);
  if (m.amountGwei !== String(DEPOSIT_GWEI) || d.amount !== DEPOSIT_GWEI) problems.push("the amount is not 32 ETH");
  if (m.depositDataRoot.toLowerCase() !== `0x${d.deposit_data_root}`.toLowerCase()) problems.push("the statement's deposit data root is not the deposit's");
  if (!m.generatedInside || !m.notExportable) problems.push("the statement does not say generated inside and not exportable");
  if (problems.length > 0) throw new SignerKeygenError(`the signer's key ${key.pubkey} cannot be deposited into this vault: ${problems.join("; ")}`);
  return [`0x${d.pubkey}`, `0x${d.signature}`, `0x${d.deposit_data_root}`, key.provenance.signature];
}

export function identityOf(statement: SignedStatement): Address {
  return getAddress(statement.signer);
}
