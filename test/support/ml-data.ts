// What the ML runs in kernel containers and pods share: the code env's Debian packages (the same
// list everywhere, so the daemon builds their apt layer once and every such code env reuses it)
// and a synthetic classification dataset, deterministic (a seeded generator), so the tests are too.
import { normalFrom, seededUniform } from './seeded-random';

/** Debian's scikit-learn and pandas: the apt packages of the code envs ML runs use. */
export const ML_APT_PACKAGES: readonly string[] = ['python3-sklearn', 'python3-pandas'];

export interface Row {
  x1: number;
  x2: number;
  color: string;
  noise: number;
  y: number;
}

const COLOR_SHIFT: Record<string, number> = { red: -1.5, green: 0, blue: 1.5 };

/**
 * y = 1 when 2·x1 − x2 + shift(color) + small noise > 0. The colour moves the boundary (so it
 * matters to the model), while `noise` is drawn independently of everything: it must rank last.
 */
export function dataset(rows: number, seed: number): Row[] {
  const random = seededUniform(seed);
  const normal = normalFrom(random);
  const colors = Object.keys(COLOR_SHIFT);
  return Array.from({ length: rows }, () => {
    const x1 = normal();
    const x2 = normal();
    const color = colors[Math.floor(random() * colors.length)]!;
    const noise = random() * 10;
    const y = 2 * x1 - x2 + COLOR_SHIFT[color]! + 0.2 * normal() > 0 ? 1 : 0;
    return { x1, x2, color, noise, y };
  });
}

/** The rows as CSV, with the label column y or without it (rows to score). */
export function csv(rows: readonly Row[], labelled: boolean): string {
  const header = labelled ? 'x1,x2,color,noise,y' : 'x1,x2,color,noise';
  const lines = rows.map((r) => [r.x1.toFixed(4), r.x2.toFixed(4), r.color, r.noise.toFixed(4), ...(labelled ? [r.y] : [])].join(','));
  return `${header}\n${lines.join('\n')}\n`;
}

/** A CSV without quoted fields (what pandas writes for these columns) as header + rows of cells. */
export function parseCsv(text: string): { header: string[]; rows: string[][] } {
  const [header, ...rows] = text
    .trim()
    .split('\n')
    .map((line) => line.split(','));
  return { header: header!, rows };
}
