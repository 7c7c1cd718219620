import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import type { CoreObserver } from "../core/api.js";
import { ERROR_TABLE } from "../errors/catalogue.js";
import { SIGN_ERROR_CODES } from "../errors/codes.js";

/** The outcome labels of a refused signing request, from the error catalogue. */
const SIGNING_OUTCOME_LABELS = [...new Set(SIGN_ERROR_CODES.map((code) => ERROR_TABLE[code].metricLabel))];

/** Prometheus metrics of one signer process, on its own registry. */
export class SignerMetrics implements CoreObserver {
  readonly registry = new Registry();
  readonly requests = new Counter({
    name: "bulwark_signing_requests_total",
    help: `Signing requests by type and outcome (signed, ${SIGNING_OUTCOME_LABELS.join(", ")})`,
    labelNames: ["type", "outcome"] as const,
    registers: [this.registry],
  });
  readonly refusals = new Counter({
    name: "bulwark_slashing_refusals_total",
    help: "Signatures refused by slashing protection, by rule",
    labelNames: ["reason"] as const,
    registers: [this.registry],
  });
  readonly latency = new Histogram({
    name: "bulwark_signing_duration_seconds",
    help: "Time from request received to response, by request type",
    labelNames: ["type"] as const,
    buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });
  readonly keysLoaded = new Gauge({
    name: "bulwark_keys_loaded",
    help: "Validator keys the signer can sign with",
    registers: [this.registry],
  });
  readonly protectionLatency = new Histogram({
    name: "bulwark_protection_db_duration_seconds",
    help: "Slashing-protection check-and-record time, commit included",
    buckets: [0.0001, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.5, 1],
    registers: [this.registry],
  });
  readonly blsLatency = new Histogram({
    name: "bulwark_bls_sign_duration_seconds",
    help: "BLS signing time in the signing threads, queueing included",
    buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.5],
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: "bulwark_" });
  }

  protectionSeconds(seconds: number): void {
    this.protectionLatency.observe(seconds);
  }

  signSeconds(seconds: number): void {
    this.blsLatency.observe(seconds);
  }
}
