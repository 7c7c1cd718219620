/**
 * The signer identity: a secp256k1 key made inside Bulwark on first start with attestation on,
 * sealed under the sealing secret (DATA/attestation-identity.json; the public key and address in
 * clear, bound into the seal). Its Ethereum address is the identity hardware evidence vouches for.
 * It signs only Bulwark's own statements and its own software evidence, never data from outside.
 */
import { join } from "node:path";
import { existsSync } from "node:fs";
import { secp256k1 } from "@noble/curves/secp256k1.js";
import type { Hex } from "viem";
import { sign } from "viem/accounts";
import { privateKeyToAccount, publicKeyToAddress } from "viem/accounts";
import { readSealedSecret, writeSealedSecret, type KdfParams } from "../keys/sealed-secret.js";
import { softwareEvidenceDigest } from "./binding.js";
import { statementTypedData, STATEMENT_FORMAT, type SignedStatement, type StatementMessages, type StatementType } from "./statements.js";

export const IDENTITY_FILE = "attestation-identity.json";
const IDENTITY_FORMAT = "bulwark-attestation-identity";

export interface SignerIdentity {
  address: Hex;
  /** Uncompressed (65 bytes), 0x-hex. */
  publicKey: Hex;
  signStatement<T extends StatementType>(primaryType: T, message: StatementMessages[T]): Promise<SignedStatement<T>>;
  /** Software evidence only: the labelled report data, never caller bytes as such. */
  signSoftwareEvidence(reportData: Uint8Array): Promise<Hex>;
}

export function identityPath(dataDir: string): string {
  return join(dataDir, IDENTITY_FILE);
}

function identityFromSecret(secret: Uint8Array): SignerIdentity {
  const privateKey = `0x${Buffer.from(secret).toString("hex")}` as Hex;
  const account = privateKeyToAccount(privateKey);
  const publicKey = `0x${Buffer.from(secp256k1.getPublicKey(secret, false)).toString("hex")}` as Hex;
  return {
    address: account.address,
    publicKey,
    async signStatement(primaryType, message) {
      const typed = statementTypedData(primaryType, message);
      const signature = await account.signTypedData(typed as Parameters<typeof account.signTypedData>[0]);
      return { format: STATEMENT_FORMAT, version: 1, primaryType, message, signer: account.address, signature };
    },
    async signSoftwareEvidence(reportData) {
      return sign({ hash: `0x${softwareEvidenceDigest(reportData).toString("hex")}`, privateKey, to: "hex" });
    },
  };
}

/** Opens the identity, creating it on first start. */
export async function loadOrCreateIdentity(dataDir: string, sealingSecret: Uint8Array, options: { kdf?: KdfParams } = {}): Promise<{ identity: SignerIdentity; created: boolean }> {
  const path = identityPath(dataDir);
  if (!existsSync(path)) {
    const secret = secp256k1.utils.randomSecretKey();
    const publicKey = `0x${Buffer.from(secp256k1.getPublicKey(secret, false)).toString("hex")}` as Hex;
    await writeSealedSecret(path, IDENTITY_FORMAT, { publicKey, address: publicKeyToAddress(publicKey) }, secret, sealingSecret, options.kdf ? { kdf: options.kdf } : {});
    const identity = identityFromSecret(secret);
    secret.fill(0);
    return { identity, created: true };
  }
  const { publicFields, secret } = await readSealedSecret(path, IDENTITY_FORMAT, sealingSecret);
  try {
    const identity = identityFromSecret(secret);
    if (identity.publicKey !== publicFields.publicKey) throw new Error(`${path}: the sealed identity key does not match its public key`);
    return { identity, created: false };
  } finally {
    secret.fill(0);
  }
}
