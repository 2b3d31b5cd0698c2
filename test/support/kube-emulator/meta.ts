// Object metadata the API server fills in: uid, creation time, names from generateName; and the
// timestamp formats (metav1.Time is RFC 3339 to the second, metav1.MicroTime to the microsecond).
import { randomInt, randomUUID } from 'node:crypto';

/** metav1.Time: `2024-05-01T12:00:00Z`. */
export function rfc3339(date: Date = new Date()): string {
  return date.toISOString().replace(/\.\d+Z$/, 'Z');
}

/** metav1.MicroTime: `2024-05-01T12:00:00.123456Z` (JavaScript has milliseconds; the rest is zero). */
export function microTime(date: Date = new Date()): string {
  return date.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

export function newUid(): string {
  return randomUUID();
}

// names.SimpleNameGenerator: 5 characters from an alphabet without vowels and look-alikes.
const NAME_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

export function generatedName(prefix: string): string {
  let suffix = '';
  for (let i = 0; i < 5; i++) suffix += NAME_ALPHABET[randomInt(NAME_ALPHABET.length)];
  return `${prefix}${suffix}`;
}

export function clone<T>(value: T): T {
  return structuredClone(value);
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
