import type { z } from 'zod';
import { InvalidInputError } from '../../common/errors';
import { formatIssues } from '../../config/load';

/** Parses a request body with a schema; the error names each bad field. */
export function parseBody<S extends z.ZodType>(schema: S, body: unknown, what: string): z.infer<S> {
  const result = schema.safeParse(body);
  if (!result.success) throw new InvalidInputError(`Invalid ${what}: ${formatIssues(result.error)}`);
  return result.data;
}
