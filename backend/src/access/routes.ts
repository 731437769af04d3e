import { z } from '../lib/zod';

import { findAccount, toProfile } from '../accounts/service';
import { ProfileResponse } from '../accounts/schemas';
import { Scope } from '../keys/schemas';
import { AppError } from '../lib/errors';
import type { ApiRouter } from '../lib/http';
import { SiteResponse } from '../sites/schemas';
import { getSite, listSitesFor, toSiteView } from '../sites/service';
import { requireAuth } from './auth';
import { roleOfKey } from './site-access';

const MeResponse = z
  .discriminatedUnion('type', [
    z.object({ type: z.literal('session'), account: ProfileResponse, sites: z.array(SiteResponse) }),
    z.object({
      type: z.literal('apiKey'),
      key: z.object({ id: z.string(), name: z.string(), prefix: z.string(), scopes: z.array(Scope) }),
      site: SiteResponse,
    }),
  ])
  .openapi('Me');

export function registerAccessRoutes(api: ApiRouter): void {
  api.route(
    {
      method: 'get',
      path: '/me',
      summary: "Who is calling: a user's profile and sites, or an API key's site and scopes",
      tag: 'Accounts',
      auth: 'session-or-key',
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
      const account = await findAccount(auth.accountId);
      if (!account) throw new AppError('unauthenticated', 'Account no longer exists');
      const sites = await listSitesFor(auth.accountId);
      res.json({
        type: 'session',
        account: toProfile(account),
        sites: sites.map(({ site, role }) => toSiteView(site, role)),
      });
    },
  );
}
