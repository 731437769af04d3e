import { requireAuth } from '../access/auth';
import { requireSiteAccess } from '../access/site-access';
import { actorOf } from '../audit/actor';
import type { ApiRouter } from '../lib/http';
import { z } from '../lib/zod';
import { issueRelaySecret } from './relay-secret';
import { SiteIdParams } from './schemas';

const RelaySecretResponse = z
  .object({ secret: z.string().describe('Key of the HMAC the relay signs each hit with; shown once') })
  .openapi('RelaySecret');

/** The first-party relay's secret (docs/plugin.md, "First-party relay"). */
export function registerRelayRoutes(api: ApiRouter): void {
  api.route(
    {
      method: 'post',
      path: '/sites/:siteId/relay-secret',
      operationId: 'issueRelaySecret',
      summary:
        "Issue (or rotate) the site's relay secret: a first-party relay signs each hit's visitor IP and user " +
        'agent with it, and the collector trusts those only when the signature verifies. The old secret stops working',
      tag: 'Sites',
      auth: 'session-or-key',
      wordpress: 'backend-only',
      params: SiteIdParams,
      responses: { 201: { description: 'The new secret', schema: RelaySecretResponse } },
    },
    async ({ params, req, res }) => {
      const auth = requireAuth(req);
      const { siteId } = await requireSiteAccess(auth, params.siteId, 'admin');
      res.status(201).json({ secret: await issueRelaySecret(siteId, actorOf(auth)) });
    },
  );
}
