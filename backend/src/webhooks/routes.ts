import { requireSession } from '../access/auth';
import { actorOf } from '../audit/actor';
import { requireSiteAccess } from '../access/site-access';
import type { ApiRouter } from '../lib/http';
import { hit, type Limit } from '../lib/rate-limit';
import { SiteIdParams } from '../sites/schemas';
import { sendTestEvent } from './delivery';
import {
  CreateWebhookBody,
  DeliveryAttempt,
  DeliveryLog,
  WebhookList,
  WebhookParams,
  WebhookWithSecret,
} from './schemas';
import { createWebhook, deleteWebhook, deliveryLog, listWebhooks, toAttemptView, toWebhookView } from './service';
import type { PostOptions } from './target';

const TAG = 'Webhooks';

/** Test deliveries per webhook: each is a request to someone's server made on demand. */
const TEST_SENDS: Limit = { name: 'webhook-test', max: 5, windowMs: 60_000 };

/**
 * Webhooks are managed by logged-in owners and admins, like API keys: the secret is shown once,
 * and a key cannot point the server's requests somewhere new.
 */
export function registerWebhookRoutes(api: ApiRouter, options: PostOptions): void {
  api.route(
    {
      method: 'get',
      path: '/sites/:siteId/webhooks',
      operationId: 'listWebhooks',
      summary: "List a site's webhooks (the secrets are not shown again)",
      tag: TAG,
      auth: 'session',
      wordpress: 'backend-only',
      params: SiteIdParams,
      responses: { 200: { description: 'Webhooks', schema: WebhookList } },
    },
    async ({ params, req, res }) => {
      const { siteId } = await requireSiteAccess(requireSession(req), params.siteId, 'admin');
      res.json({ webhooks: (await listWebhooks(siteId)).map(toWebhookView) });
    },
  );

  api.route(
    {
      method: 'post',
      path: '/sites/:siteId/webhooks',
      operationId: 'createWebhook',
      summary:
        'Create a webhook; its signing secret is returned once. The URL must resolve to public addresses (400 naming the address otherwise)',
      tag: TAG,
      auth: 'session',
      wordpress: 'backend-only',
      params: SiteIdParams,
      body: CreateWebhookBody,
      responses: { 201: { description: 'Webhook created', schema: WebhookWithSecret } },
    },
    async ({ params, body, req, res }) => {
      const auth = requireSession(req);
      const { siteId } = await requireSiteAccess(auth, params.siteId, 'admin');
      const { webhook, secret } = await createWebhook(siteId, auth.accountId, body, options);
      res
        .status(201)
        .set('Cache-Control', 'no-store')
        .json({ ...toWebhookView(webhook), secret });
    },
  );

  api.route(
    {
      method: 'delete',
      path: '/sites/:siteId/webhooks/:webhookId',
      operationId: 'deleteWebhook',
      summary: 'Delete a webhook, its waiting deliveries and its log',
      tag: TAG,
      auth: 'session',
      wordpress: 'backend-only',
      params: WebhookParams,
      responses: { 204: { description: 'Deleted' } },
    },
    async ({ params, req, res }) => {
      const auth = requireSession(req);
      const { siteId } = await requireSiteAccess(auth, params.siteId, 'admin');
      await deleteWebhook(siteId, params.webhookId, actorOf(auth));
      res.status(204).end();
    },
  );

  api.route(
    {
      method: 'post',
      path: '/sites/:siteId/webhooks/:webhookId/test',
      operationId: 'testWebhook',
      summary: 'Send a signed webhook.test event now (once, no retries) and answer what the receiver said',
      tag: TAG,
      auth: 'session',
      wordpress: 'backend-only',
      params: WebhookParams,
      responses: { 200: { description: 'The attempt, also in the log', schema: DeliveryAttempt } },
    },
    async ({ params, req, res }) => {
      const { site } = await requireSiteAccess(requireSession(req), params.siteId, 'admin');
      await hit(TEST_SENDS, params.webhookId.toLowerCase());
      res.json(toAttemptView(await sendTestEvent(site, params.webhookId, options)));
    },
  );

  api.route(
    {
      method: 'get',
      path: '/sites/:siteId/webhooks/:webhookId/deliveries',
      operationId: 'listWebhookDeliveries',
      summary: "A webhook's delivery log (the last 100 attempts, newest first) and the deliveries still waiting",
      tag: TAG,
      auth: 'session',
      wordpress: 'backend-only',
      params: WebhookParams,
      responses: { 200: { description: 'Delivery log', schema: DeliveryLog } },
    },
    async ({ params, req, res }) => {
      const { siteId } = await requireSiteAccess(requireSession(req), params.siteId, 'admin');
      res.json(await deliveryLog(siteId, params.webhookId));
    },
  );
}
