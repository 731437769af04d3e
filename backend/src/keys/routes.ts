import { requireSession } from '../access/auth';
import { requireSiteAccess } from '../access/site-access';
import { actorOf } from '../audit/actor';
import type { ApiRouter } from '../lib/http';
import { SiteIdParams } from '../sites/schemas';
import { CreateKeyBody, KeyList, KeyParams, KeyResponse, KeyWithSecret } from './schemas';
import { createKey, keyView, listKeys, revokeKey, rotateKey, toKeyViews } from './service';

const TAG = 'API keys';

/** Keys are managed by logged-in owners and admins only; a key cannot mint keys. */
export function registerKeyRoutes(api: ApiRouter): void {
  api.route(
    {
      method: 'get',
      path: '/sites/:siteId/keys',
      operationId: 'listKeys',
      summary: "List a site's API keys (prefix, name, scopes, who created each, use)",
      tag: TAG,
      auth: 'session',
      wordpress: 'backend-only',
      params: SiteIdParams,
      responses: { 200: { description: 'Keys', schema: KeyList } },
    },
    async ({ params, req, res }) => {
      const { siteId } = await requireSiteAccess(requireSession(req), params.siteId, 'admin');
      res.json({ keys: await toKeyViews(await listKeys(siteId)) });
    },
  );

  api.route(
    {
      method: 'post',
      path: '/sites/:siteId/keys',
      operationId: 'createKey',
      summary: "Create an API key; the secret is returned once. A key acts with its creator's current role at most",
      tag: TAG,
      auth: 'session',
      wordpress: 'backend-only',
      params: SiteIdParams,
      body: CreateKeyBody,
      responses: { 201: { description: 'Key created', schema: KeyWithSecret } },
    },
    async ({ params, body, req, res }) => {
      const auth = requireSession(req);
      const { siteId } = await requireSiteAccess(auth, params.siteId, 'admin');
      const { key, secret } = await createKey({
        siteId,
        createdBy: auth.accountId,
        name: body.name,
        scopes: body.scopes,
      });
      res
        .status(201)
        .set('Cache-Control', 'no-store')
        .json({ ...(await keyView(key)), secret });
    },
  );

  api.route(
    {
      method: 'post',
      path: '/sites/:siteId/keys/:keyId/revoke',
      operationId: 'revokeKey',
      summary: 'Revoke an API key; it stops working at once',
      tag: TAG,
      auth: 'session',
      wordpress: 'backend-only',
      params: KeyParams,
      responses: { 200: { description: 'Revoked key', schema: KeyResponse } },
    },
    async ({ params, req, res }) => {
      const auth = requireSession(req);
      const { siteId } = await requireSiteAccess(auth, params.siteId, 'admin');
      res.json(await keyView(await revokeKey(siteId, params.keyId, actorOf(auth))));
    },
  );

  api.route(
    {
      method: 'post',
      path: '/sites/:siteId/keys/:keyId/rotate',
      operationId: 'rotateKey',
      summary: 'Issue a replacement key; the old key keeps working until you revoke it',
      tag: TAG,
      auth: 'session',
      wordpress: 'backend-only',
      params: KeyParams,
      responses: { 201: { description: 'Replacement key', schema: KeyWithSecret } },
    },
    async ({ params, req, res }) => {
      const auth = requireSession(req);
      const { siteId } = await requireSiteAccess(auth, params.siteId, 'admin');
      const { key, secret } = await rotateKey(siteId, params.keyId, auth.accountId);
      res
        .status(201)
        .set('Cache-Control', 'no-store')
        .json({ ...(await keyView(key)), secret });
    },
  );
}
