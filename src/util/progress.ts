/**
 * Progress for long operations (loading keystores, importing interchange files). Draws a bar on an
 * interactive terminal and stays silent in CI, in pipes and in tests.
 */
export interface Progress {
  /** Advances the count by `n` (default 1). */
  tick(n?: number): void;
  /** Clears the bar and prints the final line when drawing. */
  done(): void;
}

export interface ProgressOptions {
  label: string;
  total: number;
  stream?: NodeJS.WriteStream;
  /** Forces drawing on or off; by default only on a TTY outside CI. */
  enabled?: boolean;
}

const REDRAW_INTERVAL_MS = 100;
const BAR_WIDTH = 30;

export function progressEnabled(stream: NodeJS.WriteStream = process.stderr): boolean {
  return Boolean(stream.isTTY) && !process.env.CI && process.env.BULWARK_NO_PROGRESS === undefined;
}

export function createProgress(options: ProgressOptions): Progress {
  const stream = options.stream ?? process.stderr;
  const enabled = options.enabled ?? progressEnabled(stream);
  if (!enabled) return { tick() {}, done() {} };

  let count = 0;
  let lastDraw = 0;
  const started = Date.now();
  const draw = (final: boolean) => {
    const total = Math.max(options.total, 1);
    const fraction = Math.min(count / total, 1);
    const filled = Math.round(fraction * BAR_WIDTH);
    const seconds = (Date.now() - started) / 1000;
    const bar = "#".repeat(filled) + "-".repeat(BAR_WIDTH - filled);
    const line = `${options.label} [${bar}] ${count}/${options.total} ${seconds.toFixed(1)}s`;
    stream.write(`\r${line}${final ? "\n" : ""}`);
  };
  return {
    tick(n = 1) {
      count += n;
      const now = Date.now();
      if (now - lastDraw >= REDRAW_INTERVAL_MS) {
        lastDraw = now;
        draw(false);
      }
    },
    done() {
      draw(true);
    },
  };
}
