import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { ForbiddenError, InvalidInputError, UnauthenticatedError } from '../common/errors';
import { ANONYMOUS_USER, SHARED_TOKEN_USER, type AuthConfig, type AuthProxyConfig } from '../config/auth-schema';

/** Who a request comes from. Only the resolver makes these; nothing a client sends in a body does. */
export interface Identity {
  readonly name: string;
  readonly groups: readonly string[];
  readonly admin: boolean;
}

interface Credential {
  readonly digest: Buffer;
  readonly identity: Identity;
}

/**
 * Resolves the identity of a request, in this order:
 * 1. auth proxy headers, honoured only on a connection whose remote address is one of
 *    `auth.proxy.trustedAddresses` (from anywhere else they are ignored, never trusted);
 * 2. a token (`Authorization: token <t>` or `Bearer <t>`, or `?token=<t>`) matched against every
 *    configured user and the shared `token` (an admin named "default"), in constant time;
 * 3. with no authentication configured at all, an anonymous admin (the CLI allows that on loopback only).
 * Throws UnauthenticatedError (401) when no credential was sent, ForbiddenError (403) when it is wrong.
 */
export class IdentityResolver {
  private readonly credentials: Credential[];
  private readonly proxy: AuthProxyConfig | undefined;
  private readonly trusted: ReadonlySet<string>;
  private readonly usersByName: ReadonlyMap<string, Identity>;

  constructor(auth: AuthConfig, sharedToken: string | undefined) {
    this.credentials = auth.users.map((user) => ({
      digest: user.tokenSha256 !== undefined ? Buffer.from(user.tokenSha256, 'hex') : tokenDigest(user.token!),
      identity: { name: user.name, groups: [...user.groups], admin: user.admin },
    }));
    if (sharedToken)
      this.credentials.push({ digest: tokenDigest(sharedToken), identity: { name: SHARED_TOKEN_USER, groups: [], admin: true } });
    const seen = new Map<string, string>();
    for (const { digest, identity } of this.credentials) {
      const other = seen.get(digest.toString('hex'));
      if (other !== undefined)
        throw new InvalidInputError(`Users "${other}" and "${identity.name}" have the same token; give each user a token of their own.`);
      seen.set(digest.toString('hex'), identity.name);
    }
    this.proxy = auth.proxy;
    this.trusted = new Set((auth.proxy?.trustedAddresses ?? []).map(normalizeAddress));
    this.usersByName = new Map(this.credentials.map(({ identity }) => [identity.name, identity]));
  }

  /** False when no token, user or proxy is configured: everyone is the anonymous admin. */
  get enabled(): boolean {
    return this.credentials.length > 0 || this.proxy !== undefined;
  }

  resolve(request: IncomingMessage): Identity {
    const fromProxy = this.fromProxy(request);
    if (fromProxy) return fromProxy;
    if (!this.enabled) return { name: ANONYMOUS_USER, groups: [], admin: true };
    const presented = presentedToken(request);
    if (presented === undefined) {
      throw new UnauthenticatedError('Authentication required: send "Authorization: token <token>" or add ?token=<token> to the URL.');
    }
    const digest = tokenDigest(presented);
    // Compare against every credential, with no early exit, so timing tells nothing about which matched.
    let match: Identity | undefined;
    for (const credential of this.credentials) {
      if (timingSafeEqual(digest, credential.digest)) match = credential.identity;
    }
    if (!match)
      throw new ForbiddenError('The token is not valid for this gateway. Check the token you were given (BERTH_TOKEN / --token).');
    return match;
  }

  private fromProxy(request: IncomingMessage): Identity | undefined {
    const proxy = this.proxy;
    if (!proxy || !this.trusted.has(normalizeAddress(request.socket.remoteAddress ?? ''))) return undefined;
    const name = singleHeader(request, proxy.userHeader)?.trim();
    if (!name) return undefined; // the proxy passed the request through unauthenticated: a token may still identify it
    const asserted = (singleHeader(request, proxy.groupsHeader) ?? '')
      .split(',')
      .map((group) => group.trim())
      .filter(Boolean);
    const configured = this.usersByName.get(name);
    const groups = [...new Set([...(configured?.groups ?? []), ...asserted])];
    const admin = (configured?.admin ?? false) || asserted.some((group) => proxy.adminGroups.includes(group));
    return { name, groups, admin };
  }
}

/** The token a request carries, as Jupyter Server reads it; an empty one counts as none. */
export function presentedToken(request: IncomingMessage): string | undefined {
  const header = request.headers.authorization;
  if (header) {
    const match = /^(?:token|bearer)\s+(.*)$/i.exec(header.trim());
    if (match) return match[1]!.trim() || undefined;
  }
  const query = new URL(request.url ?? '/', 'http://gateway').searchParams.get('token');
  return query || undefined;
}

/** SHA-256 of a token: both sides are hashed first, so the constant-time comparison sees equal lengths. */
export function tokenDigest(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

function singleHeader(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** "::ffff:127.0.0.1" (IPv4 on a dual-stack socket) is 127.0.0.1. */
function normalizeAddress(address: string): string {
  return address.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, '').toLowerCase();
}
