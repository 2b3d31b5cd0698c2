import type { NextFunction, Request, Response } from 'express';
import { InvalidInputError } from '../../common/errors';

const MAX_BODY_BYTES = 10 * 1024 * 1024;

/** Paths whose bodies may be larger than the default (run submissions carry their input files). */
export type BodyLimits = ReadonlyArray<{ readonly path: string; readonly maxBytes: number }>;

/**
 * Parses a JSON body whatever the Content-Type (Jupyter Server's gateway client sends none).
 * An empty body is `{}`; anything else must be a JSON object.
 */
export function jsonBody(limits: BodyLimits = []) {
  return (request: Request, response: Response, next: NextFunction): Promise<void> => {
    const maxBytes = limits.find((limit) => request.path === limit.path)?.maxBytes ?? MAX_BODY_BYTES;
    return readJsonBody(request, response, next, maxBytes);
  };
}

async function readJsonBody(request: Request, _response: Response, next: NextFunction, maxBytes: number): Promise<void> {
  if (request.method === 'GET' || request.method === 'HEAD' || request.method === 'DELETE') {
    request.body = {};
    next();
    return;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) throw new InvalidInputError(`Request body is larger than ${maxBytes} bytes.`);
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (text === '') {
    request.body = {};
    next();
    return;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new InvalidInputError(
      `Request body is not valid JSON (${(error as Error).message}). Send a JSON object, e.g. {"name": "python3"}.`,
    );
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new InvalidInputError('Request body must be a JSON object.');
  }
  request.body = parsed;
  next();
}
