/** Conversions between PostgreSQL values (bigint as text, bytea as Buffer) and the store's types. */
import { ProtectionStoreError } from "../store.js";
import type { Root } from "../types.js";

/** Unknown roots are stored as an empty bytea (decode('', 'hex')). */
export function rootHex(root: string | null): string {
  return root === null ? "" : root.slice(2).toLowerCase();
}

export function rootFromBuffer(bytes: Buffer): Root | null {
  return bytes.length === 0 ? null : "0x" + bytes.toString("hex");
}

/** A bigint column read back (as text) into a safe integer. */
export function toNumber(value: string | null): number {
  const n = Number(value);
  if (value === null || !Number.isSafeInteger(n)) throw new ProtectionStoreError(`unexpected number ${value} in the database`);
  return n;
}

export function toNumberOrNull(value: string | null): number | null {
  return value === null ? null : toNumber(value);
}
