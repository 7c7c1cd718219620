/**
 * The throughput and latency goals (DESIGN.md's performance targets, tightened by the store and
 * throughput issue), each measured by one benchmark of the run and printed together at the end:
 * figures and ratios, never a pass/fail exit code.
 */
export type GoalId = "http-128" | "http-16" | "burst" | "batch" | "pool-overhead" | "pool-end-to-end";

interface Goal {
  measure: string;
  /** The figure the goal names, compared with `sense`. */
  target: number;
  sense: ">=" | "<=" | "<";
  unit: "x" | "ms";
}

const COMPARE: Record<Goal["sense"], (value: number, target: number) => boolean> = {
  ">=": (v, t) => v >= t,
  "<=": (v, t) => v <= t,
  "<": (v, t) => v < t,
};

export const GOALS: Record<GoalId, Goal> = {
  "http-128": { measure: "attestations over HTTP, 128 connections / raw blst floor", target: 0.85, sense: ">=", unit: "x" },
  "http-16": { measure: "attestations over HTTP, 16 connections / raw blst floor", target: 0.7, sense: ">=", unit: "x" },
  burst: { measure: "2,000-request burst, p99 / ideal (2,000 x one sign / cores), worst burst", target: 1.3, sense: "<=", unit: "x" },
  batch: { measure: "batch, 100 keys per request / raw blst floor", target: 0.95, sense: ">=", unit: "x" },
  "pool-overhead": { measure: "pool 3-of-4, aggregator overhead p99 (stores on disk)", target: 2.5, sense: "<", unit: "ms" },
  "pool-end-to-end": { measure: "pool 3-of-4 attestation p50 / single signer p50 (stores on disk)", target: 3, sense: "<=", unit: "x" },
};

const met = (goal: Goal, value: number) => COMPARE[goal.sense](value, goal.target);
/** True when `figure` lies on the better side of `bound` in the goal's sense (a ratio above it, a latency below it). */
const better = (goal: Goal, figure: number, bound: number) => (goal.sense === ">=" ? figure > bound : figure < bound);
const format = (goal: Goal, value: number, digits = 2) => `${value.toFixed(digits)} ${goal.unit}`;

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
 * A figure or ceiling that rounds to the target would read as if it met it: it then gets as many
 * more digits as it takes to show on which side it lies.
 */
function formatNearTarget(goal: Goal, value: number): string {
  let digits = 2;
  while (digits < 6 && Number(value.toFixed(digits)) === goal.target && value !== goal.target) digits++;
  return format(goal, value, digits);
}

/** The goal table, in GOALS order, for the goals this run measured. */
export function renderGoals(): string | undefined {
  const rows = (Object.keys(GOALS) as GoalId[]).flatMap((id) => {
    const figure = measured.get(id);
    if (figure === undefined) return [];
    const goal = GOALS[id];
    const ceiling = ceilings.get(id);
    // A ceiling is a bound the figure cannot pass; whether the goal lies beyond it is the goal's own test.
    // A figure past its ceiling disproves the ceiling for this run (see the note under the table).
    const reach =
      ceiling === undefined ? "" : better(goal, figure.value, ceiling.value) ? "PASSED by the figure" : met(goal, ceiling.value) ? "within reach" : "OUT OF REACH here";
    const target = `${goal.sense} ${goal.target} ${goal.unit}`;
    return [[goal.measure, formatNearTarget(goal, figure.value), target, met(goal, figure.value) ? "met" : "NOT met", ceiling ? formatNearTarget(goal, ceiling.value) : "-", reach, figure.context]];
  });
  if (rows.length === 0) return undefined;
  const header = ["goal", "measured", "target", "", "ceiling", "", "context (same run)"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join("  ").trimEnd();
  const how = (Object.keys(GOALS) as GoalId[]).flatMap((id) => {
    const ceiling = ceilings.get(id);
    return ceiling === undefined ? [] : [`  ceiling of "${GOALS[id].measure}": ${ceiling.how}`];
  });
  // The floors and the figure are measured minutes apart, and this host's speed drifts: a figure
  // past its ceiling shows by how much at least, and neither verdict is firmer than that margin.
  const passed = (Object.keys(GOALS) as GoalId[]).flatMap((id) => {
    const figure = measured.get(id);
    const ceiling = ceilings.get(id);
    const goal = GOALS[id];
    if (figure === undefined || ceiling === undefined || !better(goal, figure.value, ceiling.value)) return [];
    const margin = Math.abs(figure.value / ceiling.value - 1) * 100;
    return [
      `  the figure of "${goal.measure}" passed its ceiling by ${margin.toFixed(1)}%: the floors and the figure were measured at different moments and the host's speed ` +
        `moved between them, so in this run neither the ceiling nor the verdict "${met(goal, figure.value) ? "met" : "NOT met"}" is firmer than that margin`,
    ];
  });
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line), ...how, ...passed, ...notes.map((n) => `  ${n}`)].join("\n");
}
