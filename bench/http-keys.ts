/**
 * Cheap EIP-2335 keystores for the HTTP benchmarks: the real file format, with pbkdf2 c=2 so that
 * decrypting is microseconds (the approach of test/keys/fixtures.ts, copied so the benchmarks do not
 * depend on test code).
 */
import { randomBytes } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { create } from "@chainsafe/bls-keystore";
import { SecretKey } from "@chainsafe/blst";

/** Writes `count` keystores into `dir` (created) and resolves with their pubkeys (0x hex, lowercase). */
export async function writeCheapKeystores(dir: string, count: number, password: string, seedBase = 0): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const pubkeys: string[] = new Array(count);
  const CHUNK = 500;
  for (let start = 0; start < count; start += CHUNK) {
    const jobs: Promise<void>[] = [];
    for (let i = start; i < Math.min(count, start + CHUNK); i++) {
      jobs.push(
        (async () => {
          const ikm = new Uint8Array(32).fill(0x42);
          new DataView(ikm.buffer).setUint32(0, seedBase + i);
          const sk = SecretKey.fromKeygen(ikm);
          const pk = sk.toPublicKey().toBytes();
          const kdf = { function: "pbkdf2" as const, params: { dklen: 32, c: 2, prf: "hmac-sha256" as const, salt: randomBytes(32).toString("hex") } };
          const keystore = await create(password, sk.toBytes(), pk, `m/12381/3600/${i}/0/0`, null, kdf);
          pubkeys[i] = "0x" + Buffer.from(pk).toString("hex");
          await writeFile(join(dir, `keystore-m_12381_3600_${i}_0_0-1700000000.json`), JSON.stringify(keystore));
        })(),
      );
    }
    await Promise.all(jobs);
  }
  return pubkeys;
}
