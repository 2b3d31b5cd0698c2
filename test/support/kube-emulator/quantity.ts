// resource.Quantity: parsing ("500m", "1", "1Gi", "512Mi", "1e3"), exact sums (in nano units, as
// BigInt), comparison and the canonical string the API prints ("1024Mi" → "1Gi", "0.5" → "500m").
import type { QuantityValue } from './types';

export type QuantityFormat = 'BinarySI' | 'DecimalSI' | 'DecimalExponent';

export interface Quantity {
  /** The amount in units of 10^-9 (rounded up, as the API server rounds sub-nano amounts). */
  nanos: bigint;
  format: QuantityFormat;
}

const QUANTITY_PATTERN = '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$';
const QUANTITY_RE = new RegExp(QUANTITY_PATTERN);
const NUMBER_RE = /^[+-]?(\d+\.?\d*|\.\d+)$/;
const DECIMAL_SUFFIXES: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const BINARY_SUFFIXES: Record<string, number> = { Ki: 1, Mi: 2, Gi: 3, Ti: 4, Pi: 5, Ei: 6 };
const NANO = 1_000_000_000n;

export const ZERO: Quantity = { nanos: 0n, format: 'DecimalSI' };

function pow(base: bigint, exponent: number): bigint {
  return base ** BigInt(exponent);
}

/** The quantity, or undefined when `input` does not parse (the API then refuses the object with 400). */
export function parseQuantity(input: QuantityValue): Quantity | undefined {
  const text = String(input).trim();
  const match = QUANTITY_RE.exec(text);
  if (match === null || !NUMBER_RE.test(match[1])) return undefined;
  const [, number, suffix] = match;
  const negative = number.startsWith('-');
  const unsigned = number.replace(/^[+-]/, '');
  const [whole, fraction = ''] = unsigned.split('.');
  let digits = BigInt(`${whole}${fraction}` || '0');
  let exponent10 = -fraction.length + 9;
  let format: QuantityFormat;
  if (suffix in DECIMAL_SUFFIXES) {
    exponent10 += DECIMAL_SUFFIXES[suffix];
    format = 'DecimalSI';
  } else if (suffix in BINARY_SUFFIXES) {
    digits *= pow(1024n, BINARY_SUFFIXES[suffix]);
    format = 'BinarySI';
  } else if (/^[eE][-+]?\d+$/.test(suffix)) {
    exponent10 += Number(suffix.slice(1));
    format = 'DecimalExponent';
  } else {
    return undefined;
  }
  let nanos: bigint;
  if (exponent10 >= 0) nanos = digits * pow(10n, exponent10);
  else {
    const divisor = pow(10n, -exponent10);
    nanos = digits / divisor + (digits % divisor === 0n ? 0n : 1n);
  }
  return { nanos: negative ? -nanos : nanos, format };
}

/** Why `input` is not a quantity, in the decoder's words (the API answers 400 with it), or undefined. */
export function quantityProblem(input: QuantityValue): string | undefined {
  if (parseQuantity(input) !== undefined) return undefined;
  const text = String(input).trim();
  if (QUANTITY_RE.test(text) && NUMBER_RE.test(QUANTITY_RE.exec(text)![1])) return "unable to parse quantity's suffix";
  return `quantities must match the regular expression '${QUANTITY_PATTERN}'`;
}

/** Quantity.Add: the sum takes the format of the first non-zero operand. */
export function addQuantities(a: Quantity, b: Quantity): Quantity {
  return { nanos: a.nanos + b.nanos, format: a.nanos === 0n ? b.format : a.format };
}

/** The canonical form, as Quantity.String() prints it. */
export function formatQuantity(q: Quantity): string {
  const { nanos } = q;
  if (nanos === 0n) return '0';
  const sign = nanos < 0n ? '-' : '';
  const abs = nanos < 0n ? -nanos : nanos;
  if (q.format === 'BinarySI' && abs % NANO === 0n) {
    const units = abs / NANO;
    for (const [suffix, power] of Object.entries(BINARY_SUFFIXES).reverse()) {
      const unit = pow(1024n, power);
      if (units >= unit && units % unit === 0n) return `${sign}${units / unit}${suffix}`;
    }
    return `${sign}${units}`;
  }
  const decimal = Object.entries(DECIMAL_SUFFIXES).sort((a, b) => b[1] - a[1]);
  for (const [suffix, exponent] of decimal) {
    const unit = pow(10n, exponent + 9);
    if (abs % unit === 0n) {
      const text = q.format === 'DecimalExponent' ? (exponent === 0 ? '' : `e${exponent}`) : suffix;
      return `${sign}${abs / unit}${text}`;
    }
  }
  return `${sign}${abs}n`;
}

/** The amount as a JavaScript number of units (cores, bytes): for Docker's limits. */
export function quantityNumber(q: Quantity): number {
  return Number(q.nanos) / 1e9;
}
