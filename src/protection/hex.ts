/** Conversions between the 0x-hex strings of the API and the raw bytes kept in databases. */

export function hexToBytes(hex: string): Buffer {
  return Buffer.from(hex.slice(2), "hex");
}

export function bytesToHex(bytes: Uint8Array): string {
  return "0x" + Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");
}

/** Unknown roots are stored as an empty blob, not NULL, so unique indexes collapse repeats of them. */
export function rootToBytes(root: string | null): Buffer {
  return root === null ? Buffer.alloc(0) : hexToBytes(root);
}

export function rootFromBytes(bytes: Uint8Array): string | null {
  return bytes.byteLength === 0 ? null : bytesToHex(bytes);
}

export function isHex(value: string, bytes: number): boolean {
  return value.length === 2 + bytes * 2 && /^0x[0-9a-fA-F]*$/.test(value);
}
