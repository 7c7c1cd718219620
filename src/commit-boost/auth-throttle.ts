/**
 * Commit-Boost's lock-out after failed JWT authentication (crates/signer/src/service.rs): per
 * client address, once `limit` failures were counted, every request is refused with 429 until
 * `timeoutMs` have passed since the last failure; then the count starts again from zero.
 */
export class AuthFailureThrottle {
  private readonly failures = new Map<string, { count: number; last: number }>();

  constructor(
    private limit: number,
    private timeoutMs: number,
    private readonly now: () => number = () => Date.now(),
  ) {}

  configure(limit: number, timeoutMs: number): void {
    this.limit = limit;
    this.timeoutMs = timeoutMs;
  }

  /** Milliseconds the client must still wait, or undefined when it may try. */
  retryAfterMs(client: string): number | undefined {
    const entry = this.failures.get(client);
    if (entry === undefined) return undefined;
    const elapsed = this.now() - entry.last;
    if (elapsed > this.timeoutMs) {
      this.failures.delete(client);
      return undefined;
    }
    if (entry.count < this.limit) return undefined;
    return Math.max(0, this.timeoutMs - elapsed);
  }

  recordFailure(client: string): void {
    const now = this.now();
    const entry = this.failures.get(client) ?? { count: 0, last: now };
    entry.count += 1;
    entry.last = now;
    this.failures.set(client, entry);
    if (this.failures.size > 10_000) this.prune(now);
  }

  private prune(now: number): void {
    for (const [client, entry] of this.failures) if (now - entry.last > this.timeoutMs) this.failures.delete(client);
  }
}
