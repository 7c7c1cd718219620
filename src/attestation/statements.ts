/**
 * Bulwark's own statements, as EIP-712 typed data signed by the signer identity (secp256k1), so a
 * contract can check them with ecrecover. The identity signs nothing else. The domain has no chain
 * id or contract: the statements are about the beacon chain, named by its genesis validators root.
 */
import { hashTypedData, recoverTypedDataAddress, type Hex } from "viem";

export const STATEMENT_DOMAIN = { name: "Bulwark", version: "1" } as const;

const CHAIN = { name: "genesisValidatorsRoot", type: "bytes32" } as const;

/** The deposit a statement vouches for, in this order wherever it appears (the order is hashed). */
const DEPOSIT = [
  { name: "withdrawalCredentials", type: "bytes32" },
  { name: "amountGwei", type: "uint64" },
  { name: "depositDataRoot", type: "bytes32" },
] as const;

export const STATEMENT_TYPES = {
  KeyProvenance: [
    CHAIN,
    { name: "pubkey", type: "bytes" },
    ...DEPOSIT,
    { name: "generatedInside", type: "bool" },
    { name: "notExportable", type: "bool" },
  ],
  PoolCeremony: [
    CHAIN,
    { name: "compositePubkey", type: "bytes" },
    { name: "threshold", type: "uint32" },
    { name: "componentPubkeys", type: "bytes[]" },
    { name: "commitmentsHash", type: "bytes32" },
    { name: "encryptedShareHashes", type: "bytes32[]" },
    ...DEPOSIT,
  ],
  WholeKeyDestroyed: [
    CHAIN,
    { name: "compositePubkey", type: "bytes" },
    { name: "presignedExitHash", type: "bytes32" },
  ],
} as const;

export type StatementType = keyof typeof STATEMENT_TYPES;

export interface KeyProvenanceMessage {
  genesisValidatorsRoot: Hex;
  pubkey: Hex;
  withdrawalCredentials: Hex;
  amountGwei: string;
  depositDataRoot: Hex;
  generatedInside: boolean;
  notExportable: boolean;
}

export interface PoolCeremonyMessage {
  genesisValidatorsRoot: Hex;
  compositePubkey: Hex;
  threshold: number;
  componentPubkeys: Hex[];
  commitmentsHash: Hex;
  encryptedShareHashes: Hex[];
  withdrawalCredentials: Hex;
  amountGwei: string;
  depositDataRoot: Hex;
}

export interface WholeKeyDestroyedMessage {
  genesisValidatorsRoot: Hex;
  compositePubkey: Hex;
  presignedExitHash: Hex;
}

export interface StatementMessages {
  KeyProvenance: KeyProvenanceMessage;
  PoolCeremony: PoolCeremonyMessage;
  WholeKeyDestroyed: WholeKeyDestroyedMessage;
}

export const STATEMENT_FORMAT = "bulwark-statement";

/** A statement as served and stored: JSON, amounts as decimal strings. */
export interface SignedStatement<T extends StatementType = StatementType> {
  format: typeof STATEMENT_FORMAT;
  version: 1;
  primaryType: T;
  message: StatementMessages[T];
  /** The identity's Ethereum address. */
  signer: Hex;
  /** 65-byte secp256k1 signature (r‖s‖v) over the EIP-712 digest. */
  signature: Hex;
}

/** The viem typed-data object, as a contract's EIP-712 code hashes it. */
export function statementTypedData(primaryType: StatementType, message: StatementMessages[StatementType]) {
  const typedMessage: Record<string, unknown> = { ...message };
  if ("amountGwei" in message) typedMessage.amountGwei = BigInt(message.amountGwei);
  return { domain: STATEMENT_DOMAIN, types: STATEMENT_TYPES, primaryType, message: typedMessage } as const;
}

export function statementDigest(primaryType: StatementType, message: StatementMessages[StatementType]): Hex {
  return hashTypedData(statementTypedData(primaryType, message) as Parameters<typeof hashTypedData>[0]);
}

/** The address that signed the statement (throws on a malformed signature). */
export async function statementSigner(statement: SignedStatement): Promise<Hex> {
  return recoverTypedDataAddress({
    ...(statementTypedData(statement.primaryType, statement.message) as Parameters<typeof hashTypedData>[0]),
    signature: statement.signature,
  });
}

export function parseSignedStatement(json: unknown, source = "statement"): SignedStatement {
  const doc = json as SignedStatement | null;
  if (doc === null || typeof doc !== "object" || doc.format !== STATEMENT_FORMAT) throw new Error(`${source} is not a ${STATEMENT_FORMAT} document`);
  if (doc.version !== 1) throw new Error(`${source}: statement version ${String(doc.version)} is not supported`);
  if (!(doc.primaryType in STATEMENT_TYPES)) throw new Error(`${source}: unknown statement type ${String(doc.primaryType)}`);
  if (typeof doc.signature !== "string" || !/^0x[0-9a-fA-F]{130}$/.test(doc.signature)) throw new Error(`${source}: signature must be 65 bytes of 0x-hex`);
  if (typeof doc.signer !== "string" || !/^0x[0-9a-fA-F]{40}$/.test(doc.signer)) throw new Error(`${source}: signer must be an address`);
  if (doc.message === null || typeof doc.message !== "object") throw new Error(`${source}: message missing`);
  try {
    statementDigest(doc.primaryType, doc.message);
  } catch (err) {
    throw new Error(`${source}: message does not fit ${doc.primaryType}: ${(err as Error).message.split("\n")[0]}`);
  }
  return doc;
}
