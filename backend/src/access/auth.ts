import type { Request, RequestHandler } from 'express';
import { parse as parseCookie } from 'cookie';
import type { Types } from 'mongoose';

import { resolveSession } from '../accounts/service';
import { resolveApiKey, type KeyPrincipal } from '../keys/service';
import { AppError } from '../lib/errors';
import { getMembership } from '../sites/service';
import { scopesWithin } from './site-access';

export const SESSION_COOKIE = 'clickpath_session';

export type Auth =
  { kind: 'session'; accountId: Types.ObjectId; sessionId: Types.ObjectId } | ({ kind: 'key' } & KeyPrincipal);

declare module 'express-serve-static-core' {
  interface Request {
    auth?: Auth;
  }
}

// Keys in URLs end up in logs, proxies and browser history.
const KEY_QUERY_PARAMS = new Set(['key', 'api_key', 'apikey', 'access_token', 'token']);
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export interface AuthOptions {
  /** Origins, besides the request's own, allowed to make cookie-authenticated writes. */
  trustedOrigins: readonly string[];
}

function requestOrigin(req: Request): string | undefined {
  const origin = req.get('origin');
  if (origin && origin !== 'null') return origin;
  const referer = req.get('referer');
  if (!referer) return undefined;
  try {
    return new URL(referer).origin;
  } catch {
    return undefined;
  }
}

/**
 * Cross-site request forgery defence for cookie-authenticated writes: the
 * browser-set Origin (or Referer) must be this server or a trusted origin.
 */
function assertSameOrigin(req: Request, options: AuthOptions): void {
  const origin = requestOrigin(req);
  const own = `${req.protocol}://${req.get('host') ?? ''}`;
  if (origin && (origin === own || options.trustedOrigins.includes(origin))) return;
  throw new AppError('csrf_rejected', 'Cross-site request refused: the Origin header is missing or not trusted');
}

/** Resolves who is calling (session cookie or bearer key) and enforces CSRF rules; does not require auth. */
export function authenticate(options: AuthOptions): RequestHandler {
  return async (req, _res, next) => {
    try {
      if (Object.keys(req.query as Record<string, unknown>).some((p) => KEY_QUERY_PARAMS.has(p.toLowerCase()))) {
        throw new AppError(
          'bad_request',
          'API keys are not accepted in the query string; send Authorization: Bearer <key>',
        );
      }
      const authorization = req.get('authorization');
      if (authorization !== undefined) {
        const match = /^Bearer ([^\s]+)$/i.exec(authorization);
        const principal = match?.[1] ? await resolveApiKey(match[1]) : null;
        // The creator's role is read on every request, never cached past it, so a demotion or
        // removal binds their keys from the next request on (see docs/security.md).
        const creator = principal ? await getMembership(principal.siteId, principal.createdBy) : null;
        if (!principal || !creator) throw new AppError('unauthenticated', 'API key is invalid or revoked');
        req.auth = { kind: 'key', ...principal, scopes: scopesWithin(principal.scopes, creator.role) };
        next();
        return;
      }
      const token = parseCookie(req.get('cookie') ?? '')[SESSION_COOKIE];
      const unsafe = !SAFE_METHODS.has(req.method);
      if (token !== undefined && unsafe) assertSameOrigin(req, options);
      else if (unsafe && req.get('origin')) assertSameOrigin(req, options);
      const session = token ? await resolveSession(token) : null;
      if (session) req.auth = { kind: 'session', ...session };
      next();
    } catch (error) {
      next(error);
    }
  };
}

export function requireAuth(req: Request): Auth {
  if (!req.auth) throw new AppError('unauthenticated', 'Log in or send an API key');
  return req.auth;
}

/** Account-level actions (profile, sites list changes, keys) need a logged-in person, not a key. */
export function requireSession(req: Request): Extract<Auth, { kind: 'session' }> {
  const auth = requireAuth(req);
  if (auth.kind !== 'session') throw new AppError('forbidden', 'This action needs a logged-in user, not an API key');
  return auth;
}
