import { randomUUID } from 'node:crypto';

/** Kernel, session and run ids are UUID v4, as Jupyter clients expect (`\w+-\w+-\w+-\w+-\w+`). */
export function newId(): string {
  return randomUUID();
}

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: string): boolean {
  return UUID_PATTERN.test(value);
}

/** Jupyter's timestamp format: `%Y-%m-%dT%H:%M:%S.%fZ`. JS gives milliseconds; pad to microseconds. */
export function jupyterTimestamp(date: Date = new Date()): string {
  return date.toISOString().replace(/Z$/, '000Z');
}
