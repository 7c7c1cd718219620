/** Roots as the databases keep them; the plain hex conversions are in util/hex.ts. */
import { hexToBytes, toHex } from "../util/hex.js";

/** Unknown roots are stored as an empty blob, not NULL, so unique indexes collapse repeats of them. */
export function rootToBytes(root: string | null): Buffer {
  return root === null ? Buffer.alloc(0) : hexToBytes(root);
}

export function rootFromBytes(bytes: Uint8Array): string | null {
  return bytes.byteLength === 0 ? null : toHex(bytes);
}
