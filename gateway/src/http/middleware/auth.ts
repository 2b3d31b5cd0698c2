import type { NextFunction, Request, Response } from 'express';
import { ForbiddenError, GatewayError } from '../../common/errors';
import type { Identity, IdentityResolver } from '../../execution/identity';

/**
 * Authenticates every request through the IdentityResolver (tokens, trusted proxy headers)
 * and keeps the identity in `response.locals.identity` for the routes (read it with identityOf).
 */
export function authenticate(resolver: IdentityResolver) {
  return (request: Request, response: Response, next: NextFunction): void => {
    response.locals['identity'] = resolver.resolve(request);
    next();
  };
}

/** The identity `authenticate` resolved for this request. */
export function identityOf(response: Response): Identity {
  const identity = response.locals['identity'] as Identity | undefined;
  if (!identity) throw new GatewayError('internal', 'Internal error: a route ran before authentication. The gateway log has the details.');
  return identity;
}

/** Throws ForbiddenError unless the identity is an admin (for the admin APIs). */
export function requireAdmin(identity: Identity): void {
  if (!identity.admin)
    throw new ForbiddenError(
      `User "${identity.name}" is not an admin; this endpoint is for admins (auth.users[].admin in the gateway config).`,
    );
}

/** Express middleware form of requireAdmin, to put in front of an admin router. */
export function adminOnly(_request: Request, response: Response, next: NextFunction): void {
  requireAdmin(identityOf(response));
  next();
}
