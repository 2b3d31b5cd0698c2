import type { NextFunction, Request, Response } from 'express';
import { InvalidInputError } from '../../common/errors';

const MAX_BODY_BYTES = 10 * 1024 * 1024;

/**
 * Parses a JSON body whatever the Content-Type (Jupyter Server's gateway client sends none).
 * An empty body is `{}`; anything else must be a JSON object.
 */
export async function jsonBody(request: Request, _response: Response, next: NextFunction): Promise<void> {
  if (request.method === 'GET' || request.method === 'HEAD' || request.method === 'DELETE') {
    request.body = {};
    next();
    return;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new InvalidInputError(`Request body is larger than ${MAX_BODY_BYTES} bytes.`);
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
