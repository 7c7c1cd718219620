/** The health check every protection store answers, in one shape. */
import type { StoreHealth } from "./store.js";

/** Touches every table: a database that lost one still answers SELECT 1. */
export const HEALTH_PROBE_SQL = `SELECT (SELECT value FROM metadata WHERE key = 'genesis_validators_root') AS gvr,
       EXISTS (SELECT 1 FROM validators) AS has_validators,
       EXISTS (SELECT 1 FROM signed_blocks) AS has_blocks,
       EXISTS (SELECT 1 FROM signed_attestations) AS has_attestations`;

/**
 * Runs `probe` and times it. The probe returns why the store is unhealthy (undefined when it is
 * healthy) or throws; either way the answer carries the latency and the reason.
 */
export async function measureHealth(probe: () => Promise<string | undefined>): Promise<StoreHealth> {
  const started = performance.now();
  try {
    const error = await probe();
    const latencyMs = performance.now() - started;
    return error === undefined ? { ok: true, latencyMs } : { ok: false, latencyMs, error };
  } catch (err) {
    return { ok: false, latencyMs: performance.now() - started, error: (err as Error).message };
  }
}
