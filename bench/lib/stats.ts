/** Small statistics helpers shared by the benchmark suites. */

/** The value at quantile `q` (0..1) of an unsorted sample, nearest-rank. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank]!;
}

export function median(values: readonly number[]): number {
  return quantile(values, 0.5);
}

/** Rounds to `digits` significant decimals so JSON output stays readable. */
export function round(value: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** Nanosecond clock as a float in milliseconds. */
export function nowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/** Runs `gc()` when the process was started with `--expose-gc` (scripts/bench.mjs does). */
export function collectGarbage(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc) gc();
}

/** Number of measured rounds per suite; `BENCH_ROUNDS` overrides it for quick checks. */
export function rounds(defaultRounds = 5): number {
  const raw = Number(process.env.BENCH_ROUNDS);
  return Number.isInteger(raw) && raw > 0 ? raw : defaultRounds;
}

/** Prints the suite's single JSON result line (scripts/bench.mjs reads the last stdout line). */
export function report(result: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
