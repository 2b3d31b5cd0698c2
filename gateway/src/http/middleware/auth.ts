import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { NextFunction, Request, Response } from 'express';
import { ForbiddenError, UnauthenticatedError } from '../../common/errors';

/**
 * Token authentication, as Jupyter Server does it: `Authorization: token <t>` (or `Bearer`),
 * or `?token=<t>`. Compared in constant time (both sides hashed first, so lengths match).
 * With no token configured every request passes (the CLI allows that on loopback only).
 */
export class TokenAuth {
  private readonly expected: Buffer | undefined;

  constructor(token: string | undefined) {
    this.expected = token ? digest(token) : undefined;
  }

  get enabled(): boolean {
    return this.expected !== undefined;
  }

  /** Throws UnauthenticatedError (no token) or ForbiddenError (wrong token). */
  check(request: IncomingMessage): void {
    if (!this.expected) return;
    const presented = presentedToken(request);
    if (presented === undefined) {
      throw new UnauthenticatedError('Authentication required: send "Authorization: token <token>" or add ?token=<token> to the URL.');
    }
    if (!timingSafeEqual(digest(presented), this.expected)) {
      throw new ForbiddenError('The token is not valid for this gateway. Check the token you were given (BERTH_TOKEN / --token).');
    }
  }

  /** Express middleware form. */
  readonly middleware = (request: Request, _response: Response, next: NextFunction): void => {
    this.check(request);
    next();
  };
}

function presentedToken(request: IncomingMessage): string | undefined {
  const header = request.headers.authorization;
  if (header) {
    const match = /^(?:token|bearer)\s+(.*)$/i.exec(header.trim());
    if (match) return match[1]!.trim();
  }
  const query = new URL(request.url ?? '/', 'http://gateway').searchParams.get('token');
  return query || undefined; // an empty ?token= is no token (401), as an empty "Authorization: token " is
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}
