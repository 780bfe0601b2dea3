import type { Context, MiddlewareHandler } from 'hono';
import { getCookie } from 'hono/cookie';
import type { ApiToken, ApiTokenScope, Store } from '../store/store.js';

export type AuthVariables = { token: ApiToken };

/** The dashboard keeps the token the user signed in with in this HttpOnly, SameSite=Strict cookie. */
export const TOKEN_COOKIE = 'assay_token';

/** admin implies write implies read. */
const IMPLIES: Record<ApiTokenScope, readonly ApiTokenScope[]> = {
  read: ['read'],
  write: ['write', 'read'],
  admin: ['admin', 'write', 'read'],
};

export function grants(token: ApiToken, needed: ApiTokenScope): boolean {
  return token.scopes.some((scope) => IMPLIES[scope].includes(needed));
}

/**
 * The token presented as `Authorization: Bearer …`, or (for reading only) in the dashboard cookie, if it is valid.
 * Writes never take the cookie: a browser sends cookies on requests other sites make it send (CSRF).
 */
export async function presentedToken(c: Context, store: Store, allowCookie: boolean): Promise<ApiToken | undefined> {
  const bearer = /^Bearer\s+(\S+)$/i.exec(c.req.header('authorization') ?? '')?.[1];
  const value = bearer ?? (allowCookie ? getCookie(c, TOKEN_COOKIE) : undefined);
  return value ? store.authenticateApiToken(value) : undefined;
}

/**
 * Bearer-token authentication: only sha256 hashes of tokens are stored, so the store answers whether a presented
 * token exists and is not revoked. 401 without a valid token, 403 when it lacks the scope the route needs.
 */
export function requireScope(store: Store, needed: ApiTokenScope): MiddlewareHandler<{ Variables: AuthVariables }> {
  return async (c, next) => {
    const token = await presentedToken(c, store, needed === 'read');
    if (!token) {
      c.header('WWW-Authenticate', 'Bearer realm="assay"');
      return c.json(
        { error: 'unauthorised: send Authorization: Bearer <token> (create one with assay token create)' },
        401,
      );
    }
    if (!grants(token, needed)) return c.json({ error: `forbidden: this route needs the ${needed} scope` }, 403);
    c.set('token', token);
    await next();
  };
}
