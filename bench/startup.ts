/**
 * Start-up of `bulwark serve` with 10,000 keys in the sealed key store (DESIGN target: keys ready in
 * under 3 s, resident memory under 300 MB), against the same signer with no keys as a baseline.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { SecretKey } from "@chainsafe/blst";
import { SealedKeyStore } from "../src/keys/sealed-store.js";
import { type Benchmark, type BenchRow, makeTempDir, removeTempDir } from "./harness.js";

const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));
const PASSPHRASE = "bench sealing passphrase";
const KEYS = 10_000;

interface StartResult {
  readyMs: number;
  rssMb: number;
  peakRssMb: number;
  keys: number;
}

/** Spawns serve, waits for its ready line, samples its memory, and stops it. */
function startOnce(dataDir: string): Promise<StartResult> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(
      process.execPath,
      [join(REPO_ROOT, "bin/bulwark.js"), "serve", "--network", "mainnet", "--data-dir", dataDir, "--http-port", "0", "--log-level", "info"],
      { env: { ...process.env, BULWARK_SEALING_PASSPHRASE: PASSPHRASE, CI: "1" }, stdio: ["ignore", "pipe", "pipe"] },
    );
    let buffer = "";
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk));
    child.stdout.on("data", (chunk: Buffer) => {
      buffer += chunk;
      const lines = buffer.split("\n");
      buffer = lines.pop() ?? "";
      for (const line of lines) {
        let entry: { msg?: string; keys?: number };
        try {
          entry = JSON.parse(line);
        } catch {
          continue;
        }
        if (entry.msg !== "bulwark signer ready") continue;
        const readyMs = performance.now() - started;
        // Let the signing threads finish deserialising their keys before sampling memory.
        setTimeout(() => {
          const status = readFileSync(`/proc/${child.pid}/status`, "utf8");
          const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
          const result = { readyMs, rssMb: kb("VmRSS") / 1024, peakRssMb: kb("VmHWM") / 1024, keys: entry.keys ?? 0 };
          child.kill("SIGTERM");
          child.on("exit", () => resolve(result));
        }, 500);
      }
    });
    child.on("exit", (code) => {
      if (code !== 0 && code !== null) reject(new Error(`serve exited with ${code}: ${stderr}`));
    });
  });
}

async function sealedStoreWith(count: number): Promise<string> {
  const dir = makeTempDir("bulwark-bench-startup-");
  const store = await SealedKeyStore.open(dir, Buffer.from(PASSPHRASE), { create: true });
  const keys = Array.from({ length: count }, () => {
    const secret = SecretKey.fromKeygen(randomBytes(32));
    return { pubkey: secret.toPublicKey().toHex(true), secretKey: secret.toBytes() };
  });
  await store.add(keys);
  return dir;
}

export const startupBenchmarks: Benchmark[] = [
  {
    name: "startup-sealed",
    description: `bulwark serve start-up with ${KEYS} keys in the sealed key store (target < 3 s, < 300 MB RSS)`,
    async run(): Promise<BenchRow[]> {
      const empty = await sealedStoreWith(0);
      const full = await sealedStoreWith(KEYS);
      try {
        const baseline = await startOnce(empty);
        const loaded = await startOnce(full);
        console.log(
          `  no keys:     ready in ${baseline.readyMs.toFixed(0)} ms, RSS ${baseline.rssMb.toFixed(0)} MB (peak ${baseline.peakRssMb.toFixed(0)} MB)`,
        );
        console.log(
          `  ${loaded.keys} keys: ready in ${loaded.readyMs.toFixed(0)} ms, RSS ${loaded.rssMb.toFixed(0)} MB (peak ${loaded.peakRssMb.toFixed(0)} MB); ` +
            `target < 3000 ms and < 300 MB: ${(loaded.readyMs / 3000).toFixed(2)}x and ${(loaded.peakRssMb / 300).toFixed(2)}x of the limits`,
        );
        return [
          { measurement: "serve start-up, no keys", count: 1, unit: "starts", seconds: baseline.readyMs / 1000, note: `RSS ${baseline.rssMb.toFixed(0)} MB` },
          {
            measurement: `serve start-up, ${loaded.keys} sealed keys`,
            count: loaded.keys,
            unit: "keys",
            seconds: loaded.readyMs / 1000,
            note: `RSS ${loaded.rssMb.toFixed(0)} MB, peak ${loaded.peakRssMb.toFixed(0)} MB`,
          },
        ];
      } finally {
        removeTempDir(empty);
        removeTempDir(full);
      }
    },
  },
];
