/**
 * The aggregator's /healthcheck is unauthenticated, and each check sends one authenticated probe
 * to every participant: answered afresh every time, one request from anyone became N. So the
 * probes run at most once per interval (2 s by default); calls in between, including those that
 * arrive while a probe is under way, get that probe's answer.
 */
export const PROBE_INTERVAL_MS = 2000;

export function atMostEvery<T>(intervalMs: number, probe: () => Promise<T>, now: () => number = Date.now): () => Promise<T> {
  let last: { startedAt: number; result: Promise<T> } | undefined;
  return () => {
    const time = now();
    if (last === undefined || time - last.startedAt >= intervalMs) {
      last = { startedAt: time, result: probe() };
    }
    return last.result;
  };
}
