/**
 * The throughput and latency goals (DESIGN.md's performance targets, tightened by the store and
 * throughput issue), each measured by one benchmark of the run and printed together at the end:
 * figures and ratios, never a pass/fail exit code.
 */
export type GoalId = "http-128" | "http-16" | "burst" | "batch" | "pool-overhead" | "pool-end-to-end";

interface Goal {
  measure: string;
  /** How the goal reads, for the table. */
  goal: string;
  met: (value: number) => boolean;
  format: (value: number) => string;
}

const ratio = (value: number) => `${value.toFixed(2)} x`;

export const GOALS: Record<GoalId, Goal> = {
  "http-128": { measure: "attestations over HTTP, 128 connections / raw blst floor", goal: ">= 0.85 x", met: (v) => v >= 0.85, format: ratio },
  "http-16": { measure: "attestations over HTTP, 16 connections / raw blst floor", goal: ">= 0.70 x", met: (v) => v >= 0.7, format: ratio },
  burst: { measure: "2,000-request burst, p99 / ideal (2,000 x one sign / cores), worst burst", goal: "<= 1.3 x", met: (v) => v <= 1.3, format: ratio },
  batch: { measure: "batch, 100 keys per request / raw blst floor", goal: ">= 0.95 x", met: (v) => v >= 0.95, format: ratio },
  "pool-overhead": { measure: "pool 3-of-4, aggregator overhead p99 (stores on disk)", goal: "< 2.5 ms", met: (v) => v < 2.5, format: (v) => `${v.toFixed(2)} ms` },
  "pool-end-to-end": { measure: "pool 3-of-4 attestation p50 / single signer p50 (stores on disk)", goal: "<= 3 x", met: (v) => v <= 3, format: ratio },
};

const measured = new Map<GoalId, { value: number; context: string }>();
const ceilings = new Map<GoalId, { value: number; how: string }>();
const notes: string[] = [];

/**
 * The best figure this machine allows for a goal, composed from floors measured in the same run
 * (raw blst, the HTTP stack alone, the durable record alone, the load generator): every signer
 * that must do each of those per signature on these cores stays on the wrong side of it. A goal
 * beyond its ceiling is out of reach here whatever the signer does; one inside it is not proven so.
 */
export function recordCeiling(id: GoalId, value: number, how: string): void {
  ceilings.set(id, { value, how });
}

/** A line printed under the goal table: a floor or ceiling that explains a figure. */
export function noteUnderGoals(line: string): void {
  notes.push(line);
}

/** Records a goal's figure (a later record of the same goal replaces an earlier one). */
export function recordGoal(id: GoalId, value: number, context: string): void {
  measured.set(id, { value, context });
}

/**
 * A ceiling that rounds to the target would read as if it met it: it then gets as many more digits
 * as it takes to show on which side it lies.
 */
function formatCeiling(goal: Goal, value: number): string {
  const text = goal.format(value);
  if (text !== goal.format(Number(/[\d.]+/.exec(goal.goal)?.[0] ?? NaN))) return text;
  for (let digits = 3; digits <= 6; digits++) {
    const finer = text.replace(/[\d.]+/, value.toFixed(digits));
    if (Number(/[\d.]+/.exec(finer)![0]) !== Number(/[\d.]+/.exec(goal.goal)![0])) return finer;
  }
  return text;
}

/** The goal table, in GOALS order, for the goals this run measured. */
export function renderGoals(): string | undefined {
  const rows = (Object.keys(GOALS) as GoalId[]).flatMap((id) => {
    const figure = measured.get(id);
    if (figure === undefined) return [];
    const goal = GOALS[id];
    const ceiling = ceilings.get(id);
    // A ceiling is a bound the figure cannot pass; whether the goal lies beyond it is the goal's own test.
    const reach = ceiling === undefined ? "" : goal.met(ceiling.value) ? "within reach" : "OUT OF REACH here";
    return [
      [goal.measure, goal.format(figure.value), goal.goal, goal.met(figure.value) ? "met" : "NOT met", ceiling ? formatCeiling(goal, ceiling.value) : "-", reach, figure.context],
    ];
  });
  if (rows.length === 0) return undefined;
  const header = ["goal", "measured", "target", "", "ceiling", "", "context (same run)"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join("  ").trimEnd();
  const how = (Object.keys(GOALS) as GoalId[]).flatMap((id) => {
    const ceiling = ceilings.get(id);
    return ceiling === undefined ? [] : [`  ceiling of "${GOALS[id].measure}": ${ceiling.how}`];
  });
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line), ...how, ...notes.map((n) => `  ${n}`)].join("\n");
}
