/**
 * Evidence requests are slow (a quote takes the quoting hardware's time) and serialised by it, so
 * the attestation endpoints take one at a time and at most `perMinute` in any sliding minute.
 */
export class EvidenceRateLimit {
  private readonly times: number[] = [];
  private busy = false;

  constructor(private readonly perMinute: number) {}

  /** Seconds to wait, or 0 when the request may go ahead (then `release` must be called). */
  acquire(now = Date.now()): number {
    while (this.times.length > 0 && now - this.times[0]! >= 60_000) this.times.shift();
    if (this.busy) return 1;
    if (this.times.length >= this.perMinute) return Math.max(1, Math.ceil((60_000 - (now - this.times[0]!)) / 1000));
    this.times.push(now);
    this.busy = true;
    return 0;
  }

  release(): void {
    this.busy = false;
  }
}

