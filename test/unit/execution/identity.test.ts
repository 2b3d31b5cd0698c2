import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { authConfigSchema, type AuthConfig } from '../../../gateway/src/config/auth-schema';
import { IdentityResolver, presentedToken } from '../../../gateway/src/execution/identity';

const ALICE_TOKEN = 'alice-token-0123456789';
const BOB_TOKEN = 'bob-token-0123456789abc';

function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

function auth(input: unknown): AuthConfig {
  return authConfigSchema.parse(input);
}

/** Just what the resolver reads from a request: headers, URL and the socket's remote address. */
function request(options: { headers?: Record<string, string>; url?: string; from?: string } = {}): IncomingMessage {
  return {
    headers: options.headers ?? {},
    url: options.url ?? '/api/kernels',
    socket: { remoteAddress: options.from ?? '127.0.0.1' },
  } as unknown as IncomingMessage;
}

const users = auth({
  users: [
    { name: 'alice', token: ALICE_TOKEN, groups: ['data'] },
    { name: 'bob', tokenSha256: sha256(BOB_TOKEN).toUpperCase() },
    { name: 'root', token: 'root-token-0123456789', admin: true },
  ],
});

describe('IdentityResolver: tokens', () => {
  const resolver = new IdentityResolver(users, 'shared-token');

  it('maps each token to its user, in the header (token or Bearer) or the query', () => {
    expect(resolver.resolve(request({ headers: { authorization: `token ${ALICE_TOKEN}` } }))).toEqual({
      name: 'alice',
      groups: ['data'],
      admin: false,
    });
    expect(resolver.resolve(request({ headers: { authorization: `Bearer ${BOB_TOKEN}` } })).name).toBe('bob');
    expect(resolver.resolve(request({ url: `/api/kernels?token=${encodeURIComponent(BOB_TOKEN)}` })).name).toBe('bob');
    expect(resolver.resolve(request({ headers: { authorization: 'token root-token-0123456789' } }))).toMatchObject({
      name: 'root',
      admin: true,
    });
  });

  it('keeps the shared token working as the admin "default"', () => {
    expect(resolver.resolve(request({ headers: { authorization: 'token shared-token' } }))).toEqual({
      name: 'default',
      groups: [],
      admin: true,
    });
  });

  it('refuses a missing token with unauthenticated and a wrong one with forbidden', () => {
    expect(() => resolver.resolve(request())).toThrow(expect.objectContaining({ code: 'unauthenticated' }));
    expect(() => resolver.resolve(request({ headers: { authorization: 'token ' } }))).toThrow(
      expect.objectContaining({ code: 'unauthenticated' }),
    );
    expect(() => resolver.resolve(request({ url: '/api?token=' }))).toThrow(expect.objectContaining({ code: 'unauthenticated' }));
    expect(() => resolver.resolve(request({ headers: { authorization: `token ${ALICE_TOKEN}x` } }))).toThrow(
      expect.objectContaining({ code: 'forbidden' }),
    );
    // A SHA-256 is not itself a token.
    expect(() => resolver.resolve(request({ headers: { authorization: `token ${sha256(BOB_TOKEN)}` } }))).toThrow(
      expect.objectContaining({ code: 'forbidden' }),
    );
  });

  it('compares in constant time against every credential, with no early exit', () => {
    // The module object itself (an `import *` namespace is frozen), which identity.ts calls into.
    const spy = jest.spyOn(jest.requireActual<typeof import('node:crypto')>('node:crypto'), 'timingSafeEqual');
    try {
      resolver.resolve(request({ headers: { authorization: `token ${ALICE_TOKEN}` } })); // the first credential
      expect(spy).toHaveBeenCalledTimes(4); // alice, bob, root and the shared token
      for (const [a, b] of spy.mock.calls) expect([(a as Buffer).length, (b as Buffer).length]).toEqual([32, 32]);
      spy.mockClear();
      expect(() => resolver.resolve(request({ headers: { authorization: 'token nope' } }))).toThrow();
      expect(spy).toHaveBeenCalledTimes(4);
    } finally {
      spy.mockRestore();
    }
  });

  it('without any credential configured, everyone is the anonymous admin', () => {
    const open = new IdentityResolver(auth({}), undefined);
    expect(open.enabled).toBe(false);
    expect(open.resolve(request())).toEqual({ name: 'anonymous', groups: [], admin: true });
  });

  it('refuses two users with the same token', () => {
    expect(() => new IdentityResolver(auth({ users: [{ name: 'a', token: ALICE_TOKEN }] }), ALICE_TOKEN)).toThrow(/same token/);
  });

  it('finds the token in the Authorization header or the query only', () => {
    expect(presentedToken(request({ headers: { authorization: 'Basic abc' } }))).toBeUndefined();
    expect(presentedToken(request({ headers: { authorization: '  TOKEN  xyz ' } }))).toBe('xyz');
  });
});

describe('IdentityResolver: trusted proxy headers', () => {
  const config = auth({
    users: [{ name: 'alice', token: ALICE_TOKEN, groups: ['data'] }],
    proxy: { trustedAddresses: ['10.0.0.5', '::1'], adminGroups: ['ops'] },
  });
  const resolver = new IdentityResolver(config, undefined);
  const proxied = { 'x-forwarded-user': 'carol', 'x-forwarded-groups': 'data, gpu,,' };

  it('takes user and groups from the headers on a connection from a trusted address', () => {
    expect(resolver.resolve(request({ headers: proxied, from: '10.0.0.5' }))).toEqual({
      name: 'carol',
      groups: ['data', 'gpu'],
      admin: false,
    });
    expect(resolver.resolve(request({ headers: proxied, from: '::ffff:10.0.0.5' })).name).toBe('carol');
    expect(resolver.resolve(request({ headers: proxied, from: '::1' })).name).toBe('carol');
  });

  it('ignores the headers from any other address: no token is 401, a token wins', () => {
    expect(() => resolver.resolve(request({ headers: proxied, from: '10.0.0.6' }))).toThrow(
      expect.objectContaining({ code: 'unauthenticated' }),
    );
    expect(() => resolver.resolve(request({ headers: proxied, from: '127.0.0.1' }))).toThrow(
      expect.objectContaining({ code: 'unauthenticated' }),
    );
    expect(resolver.resolve(request({ headers: { ...proxied, authorization: `token ${ALICE_TOKEN}` }, from: '10.0.0.6' })).name).toBe(
      'alice',
    );
  });

  it('makes admins of adminGroups members, and merges a configured user of that name', () => {
    expect(
      resolver.resolve(request({ headers: { 'x-forwarded-user': 'dave', 'x-forwarded-groups': 'ops' }, from: '10.0.0.5' })).admin,
    ).toBe(true);
    expect(resolver.resolve(request({ headers: { 'x-forwarded-user': 'alice', 'x-forwarded-groups': 'gpu' }, from: '10.0.0.5' }))).toEqual({
      name: 'alice',
      groups: ['data', 'gpu'],
      admin: false,
    });
  });

  it('falls back to the token when a trusted proxy sends no user', () => {
    expect(resolver.resolve(request({ headers: { authorization: `token ${ALICE_TOKEN}` }, from: '10.0.0.5' })).name).toBe('alice');
    expect(() => resolver.resolve(request({ from: '10.0.0.5' }))).toThrow(expect.objectContaining({ code: 'unauthenticated' }));
  });

  it('reads custom header names, case-insensitively', () => {
    const custom = new IdentityResolver(
      auth({ proxy: { userHeader: 'X-Auth-User', groupsHeader: 'X-Auth-Groups', trustedAddresses: ['10.0.0.5'] } }),
      undefined,
    );
    expect(custom.resolve(request({ headers: { 'x-auth-user': 'erin', 'x-auth-groups': 'a' }, from: '10.0.0.5' }))).toEqual({
      name: 'erin',
      groups: ['a'],
      admin: false,
    });
  });
});

describe('auth config schema', () => {
  function issues(input: unknown): string[] {
    const result = authConfigSchema.safeParse(input);
    return result.success ? [] : result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
  }

  it('rejects unclear or unsafe users with the field path', () => {
    expect(issues({ users: [{ name: 'a' }] })).toEqual(['users.0: give exactly one of token or tokenSha256']);
    expect(issues({ users: [{ name: 'a', token: ALICE_TOKEN, tokenSha256: sha256('x') }] })).toEqual([
      'users.0: give exactly one of token or tokenSha256',
    ]);
    expect(issues({ users: [{ name: 'a', token: 'short' }] })).toEqual(['users.0.token: a user token must be at least 16 characters']);
    expect(issues({ users: [{ name: 'default', token: ALICE_TOKEN }] })[0]).toMatch(/^users\.0\.name: the names "default"/);
    expect(issues({ users: [{ name: 'a', token: ALICE_TOKEN, role: 'x' }] })[0]).toMatch(/^users\.0: Unrecognized key/);
    expect(
      issues({
        users: [
          { name: 'a', token: ALICE_TOKEN },
          { name: 'a', token: BOB_TOKEN },
        ],
      }),
    ).toEqual(['users.1.name: user "a" is also users.0']);
    expect(issues({ proxy: { trustedAddresses: ['proxy.local'] } })).toEqual(['proxy.trustedAddresses.0: not an IP address']);
    expect(issues({ proxy: { trustedAddresses: [] } })).toEqual(['proxy.trustedAddresses: list the address(es) the proxy connects from']);
  });
});
