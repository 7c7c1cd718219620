/**
 * Provenance statements of the keys generated inside, one public file per key under
 * DATA/provenance/. A file here also marks its key as never exportable: `keys export` refuses it.
 * Written (durably, exclusively) before the key itself is sealed, so no key generated with
 * attestation on is ever in the store without its mark.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { writeFileDurably } from "../util/durable-file.js";
import { parseSignedStatement, type SignedStatement } from "./statements.js";

export function provenanceDir(dataDir: string): string {
  return join(dataDir, "provenance");
}

function provenancePath(dataDir: string, pubkey: string): string {
  return join(provenanceDir(dataDir), `${pubkey.toLowerCase().replace(/^0x/, "")}.json`);
}

export function writeProvenance(dataDir: string, pubkey: string, statement: SignedStatement): void {
  writeFileDurably(provenancePath(dataDir, pubkey), JSON.stringify(statement, null, 2) + "\n", { mode: 0o644, exclusive: true });
}

export function readProvenance(dataDir: string, pubkey: string): SignedStatement | undefined {
  const path = provenancePath(dataDir, pubkey);
  if (!existsSync(path)) return undefined;
  return parseSignedStatement(JSON.parse(readFileSync(path, "utf8")), path);
}

/** Whether the key was generated inside with attestation on (and so must never leave). */
export function isNotExportable(dataDir: string, pubkey: string): boolean {
  return existsSync(provenancePath(dataDir, pubkey));
}
