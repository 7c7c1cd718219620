/**
 * Prometheus metrics of the pool aggregator, on the signer's registry (served at /metrics with the
 * signing API's own metrics).
 */
import { Counter, Histogram, type Registry } from "prom-client";
import type { AggregatorObserver } from "./aggregator.js";
import type { ParticipantFailure } from "./fanout.js";

export class PoolMetrics implements AggregatorObserver {
  readonly participantLatency: Histogram<"participant" | "outcome">;
  readonly participantFailures: Counter<"participant" | "reason">;
  readonly overhead: Histogram;
  readonly fanouts: Counter<"outcome">;
  readonly cacheHits: Counter;

  constructor(registry: Registry) {
    this.participantLatency = new Histogram({
      name: "bulwark_pool_participant_duration_seconds",
      help: "Time from fan-out to a participant's answer (or failure), by participant id and outcome (valid, failed)",
      labelNames: ["participant", "outcome"] as const,
      buckets: [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2, 5],
      registers: [registry],
    });
    this.participantFailures = new Counter({
      name: "bulwark_pool_participant_failures_total",
      help: "Participant answers that gave no valid partial signature, by participant id and reason",
      labelNames: ["participant", "reason"] as const,
      registers: [registry],
    });
    this.overhead = new Histogram({
      name: "bulwark_pool_aggregator_overhead_seconds",
      help: "Aggregator CPU time per signature: verify the M partials used, recover, verify the result",
      buckets: [0.0005, 0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.02, 0.05],
      registers: [registry],
    });
    this.fanouts = new Counter({
      name: "bulwark_pool_fanouts_total",
      help: "Fan-outs to the participants by outcome (quorum, refused_slashing, unavailable)",
      labelNames: ["outcome"] as const,
      registers: [registry],
    });
    this.cacheHits = new Counter({
      name: "bulwark_pool_cache_hits_total",
      help: "Requests answered with a recovered signature already made for the same signing root (no fan-out)",
      registers: [registry],
    });
  }

  participantDone(id: number, seconds: number, ok: boolean): void {
    this.participantLatency.observe({ participant: String(id), outcome: ok ? "valid" : "failed" }, seconds);
  }

  participantFailed(failure: ParticipantFailure): void {
    this.participantFailures.inc({ participant: String(failure.id), reason: failure.reason.replace(/-/g, "_") });
  }

  overheadSeconds(seconds: number): void {
    this.overhead.observe(seconds);
  }

  fanout(outcome: "quorum" | "refused_slashing" | "unavailable"): void {
    this.fanouts.inc({ outcome });
  }

  cacheHit(): void {
    this.cacheHits.inc();
  }
}
