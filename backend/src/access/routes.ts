import type { Types } from 'mongoose';

import { z } from '../lib/zod';

import { findAccount, toProfile } from '../accounts/service';
import { ProfileResponse } from '../accounts/schemas';
import { Scope } from '../keys/schemas';
import type { Config } from '../lib/config';
import { AppError } from '../lib/errors';
import type { ApiRouter } from '../lib/http';
import { isOperator } from '../mail/outbox';
import { SiteResponse } from '../sites/schemas';
import { getSite, listSitesFor, toSiteView } from '../sites/service';
import { requireAuth } from './auth';
import { roleOfKey } from './site-access';

const SessionMe = z.object({
  type: z.literal('session'),
  account: ProfileResponse,
  sites: z.array(SiteResponse),
  operator: z.boolean().openapi({ description: 'Whether you operate this instance and may read its outbox' }),
});

const MeResponse = z
  .discriminatedUnion('type', [
    SessionMe,
    z.object({
      type: z.literal('apiKey'),
      key: z.object({ id: z.string(), name: z.string(), prefix: z.string(), scopes: z.array(Scope) }),
      site: SiteResponse,
    }),
  ])
  .openapi('Me');

const SessionResponse = z
  .discriminatedUnion('type', [SessionMe, z.object({ type: z.literal('anonymous') })])
  .openapi('Session');

/** The signed-in person's profile and sites, as /me and /auth/session show them; null once the account is gone. */
async function sessionBody(
  accountId: Types.ObjectId,
  adminEmails: readonly string[],
): Promise<z.infer<typeof SessionMe> | null> {
  const account = await findAccount(accountId);
  if (!account) return null;
  const sites = await listSitesFor(accountId);
  return {
    type: 'session',
    account: toProfile(account),
    sites: sites.map(({ site, role }) => toSiteView(site, role)),
    operator: await isOperator(accountId, adminEmails),
  };
}

export function registerAccessRoutes(api: ApiRouter, config: Pick<Config, 'ADMIN_EMAILS'>): void {
  api.route(
    {
      method: 'get',
      path: '/auth/session',
      operationId: 'getSession',
      summary: "The browser session's person and sites, or `anonymous`: lets a dashboard ask without a 401",
      tag: 'Accounts',
      auth: 'none',
      wordpress: 'backend-only',
      responses: { 200: { description: 'The signed-in person, or anonymous', schema: SessionResponse } },
    },
    async ({ req, res }) => {
      // No cookie, an expired session, a deleted account or an API key all mean: nobody is signed in here.
      const body = req.auth?.kind === 'session' ? await sessionBody(req.auth.accountId, config.ADMIN_EMAILS) : null;
      res.json(body ?? { type: 'anonymous' });
    },
  );

  api.route(
    {
      method: 'get',
      path: '/me',
      operationId: 'getMe',
      summary: "Who is calling: a user's profile and sites, or an API key's site and scopes",
      tag: 'Accounts',
      auth: 'session-or-key',
      wordpress: 'backend-only',
      responses: { 200: { description: 'The caller', schema: MeResponse } },
    },
    async ({ req, res }) => {
      const auth = requireAuth(req);
      if (auth.kind === 'key') {
        const site = await getSite(auth.siteId);
        if (!site) throw new AppError('unauthenticated', 'The site of this API key no longer exists');
        // /me answers "who am I" even for a write-only key, so it shows the weakest role there.
        const role = roleOfKey(auth.scopes) ?? 'viewer';
        res.json({
          type: 'apiKey',
          key: { id: auth.keyId.toHexString(), name: auth.name, prefix: auth.prefix, scopes: auth.scopes },
          site: toSiteView(site, role),
        });
        return;
      }
      const body = await sessionBody(auth.accountId, config.ADMIN_EMAILS);
      if (!body) throw new AppError('unauthenticated', 'Account no longer exists');
      res.json(body);
    },
  );
}
