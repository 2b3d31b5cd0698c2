// Small statistics and formatting helpers for the benchmark (Node built-ins only).
import { performance } from 'node:perf_hooks';

/** The p-th percentile (0..100) by nearest rank; undefined for an empty sample. */
export function percentile(values, p) {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

/** The median (mean of the two middle values for an even count); undefined for an empty sample. */
export function median(values) {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** Rounds to `digits` decimals (keeps numbers JSON-friendly). */
export function round(value, digits = 3) {
  if (value === undefined || value === null || !Number.isFinite(value)) return value ?? null;
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

/** Milliseconds since `start` (a performance.now() value). */
export function since(start) {
  return performance.now() - start;
}

/** Summary of a latency sample in ms. */
export function summarize(values) {
  return {
    n: values.length,
    p50: round(median(values)),
    p90: round(percentile(values, 90)),
    p99: round(percentile(values, 99)),
    min: round(Math.min(...values)),
    max: round(Math.max(...values)),
    mean: round(values.reduce((sum, v) => sum + v, 0) / Math.max(1, values.length)),
  };
}

/** A plain-text table: `rows` are arrays of cells, the first row is the header. */
export function formatTable(rows) {
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => String(row[column] ?? '').length)));
  const line = (row) =>
    row
      .map((cell, column) => String(cell ?? '').padEnd(widths[column]))
      .join('  ')
      .trimEnd();
  const rule = widths.map((width) => '-'.repeat(width)).join('  ');
  return [line(rows[0]), rule, ...rows.slice(1).map(line)].join('\n');
}
