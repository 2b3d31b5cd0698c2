import { isIP } from 'node:net';
import { z } from 'zod';

/** Names the gateway gives its own identities; configured users may not take them. */
export const SHARED_TOKEN_USER = 'default';
export const ANONYMOUS_USER = 'anonymous';
const RESERVED_NAMES = new Set([SHARED_TOKEN_USER, ANONYMOUS_USER]);

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

export const authUserSchema = z
  .object({
    name: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._@-]{0,127}$/, 'a user name is letters, digits, ".", "_", "@" or "-" (at most 128)')
      .describe('User name: owner of the kernels this user starts, and what per-user quotas count'),
    token: z
      .string()
      .min(16, 'a user token must be at least 16 characters')
      .optional()
      .describe('The token this user sends (Authorization: token …, or ?token=); prefer tokenSha256 in files'),
    tokenSha256: z
      .string()
      .regex(/^[0-9a-fA-F]{64}$/, 'tokenSha256 is the hex SHA-256 of the token (64 hex digits)')
      .transform((value) => value.toLowerCase())
      .optional()
      .describe('Hex SHA-256 of the token, so the secret need not sit in the file (printf %s TOKEN | sha256sum)'),
    groups: z.array(z.string().min(1)).default([]).describe('Groups the user belongs to (exec configs allow groups)'),
    admin: z.boolean().default(false).describe('Admins see and act on every kernel and session, and use the admin APIs'),
  })
  .strict()
  .refine((user) => (user.token === undefined) !== (user.tokenSha256 === undefined), {
    message: 'give exactly one of token or tokenSha256',
  })
  .refine((user) => !RESERVED_NAMES.has(user.name), {
    message: `the names "${SHARED_TOKEN_USER}" (the shared token) and "${ANONYMOUS_USER}" (no auth) are reserved`,
    path: ['name'],
  });

export const authProxySchema = z
  .object({
    userHeader: z
      .string()
      .regex(HEADER_NAME, 'not a valid HTTP header name')
      .transform((value) => value.toLowerCase())
      .default('x-forwarded-user')
      .describe('Header in which the trusted auth proxy names the user'),
    groupsHeader: z
      .string()
      .regex(HEADER_NAME, 'not a valid HTTP header name')
      .transform((value) => value.toLowerCase())
      .default('x-forwarded-groups')
      .describe("Header in which the proxy lists the user's groups, comma-separated"),
    trustedAddresses: z
      .array(z.string().refine((value) => isIP(value) !== 0, 'not an IP address'))
      .min(1, 'list the address(es) the proxy connects from')
      .describe('Exact IP addresses of the proxy; the headers are ignored on connections from anywhere else'),
    adminGroups: z.array(z.string().min(1)).default([]).describe('Proxy-asserted groups whose members are admins'),
  })
  .strict();

export const authConfigSchema = z
  .object({
    users: z.array(authUserSchema).default([]).describe('Users, each with a token (or its SHA-256), groups and an admin flag'),
    proxy: authProxySchema
      .optional()
      .describe('Take the identity from headers set by a trusted auth proxy (only on connections from its addresses)'),
  })
  .strict()
  .superRefine((auth, context) => {
    const names = new Map<string, number>();
    auth.users.forEach((user, index) => {
      const first = names.get(user.name);
      if (first !== undefined)
        context.addIssue({ code: 'custom', path: ['users', index, 'name'], message: `user "${user.name}" is also users.${first}` });
      else names.set(user.name, index);
    });
  });

export type AuthConfig = z.infer<typeof authConfigSchema>;
export type AuthUser = z.infer<typeof authUserSchema>;
export type AuthProxyConfig = z.infer<typeof authProxySchema>;
