import { z } from 'zod';

/** Binary multipliers, as Docker reads `--memory 4g`: k = 1024, m = 1024², … */
const UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

/** "512m", "4g", "1.5g", "4GiB", "1024" (bytes). */
const BYTE_SIZE = /^(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?$/i;

/**
 * Parses a memory size the way Docker does (`4g`, `512m`, binary units; `Gi`/`GiB` spellings are
 * accepted too). Returns undefined for anything else so callers word the error for their field.
 */
export function parseByteSize(text: string): number | undefined {
  const match = BYTE_SIZE.exec(text.trim());
  if (!match) return undefined;
  const bytes = Number(match[1]) * UNITS[match[2]!.toLowerCase()]!;
  return Number.isFinite(bytes) && bytes >= 1 ? Math.round(bytes) : undefined;
}

/** A size in YAML as a string with a unit ("4g") or a whole number of bytes; parsed to bytes. */
export const byteSizeSchema = z.union([z.number(), z.string()]).transform((value, ctx) => {
  const bytes = typeof value === 'number' ? (Number.isInteger(value) && value > 0 ? value : undefined) : parseByteSize(value);
  if (bytes === undefined) {
    ctx.addIssue({
      code: 'custom',
      message: `"${value}" is not a size: write a number with a unit, like "512m" or "4g" (k, m, g, t; binary, as Docker reads them), or a whole number of bytes`,
    });
    return z.NEVER;
  }
  return bytes;
});
