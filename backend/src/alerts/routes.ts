import { requireAuth } from '../access/auth';
import { requireSiteAccess } from '../access/site-access';
import { actorOf } from '../audit/actor';
import type { ApiRouter } from '../lib/http';
import { SiteIdParams } from '../sites/schemas';
import { AlertSettingsBody, AlertSettingsResponse } from './schemas';
import { getAlertSettings, recentAlerts, saveAlertSettings } from './service';

const TAG = 'Alerts';

/** Alerts are site settings: owners and admins (and their sites:manage keys) read and change them. */
export function registerAlertRoutes(api: ApiRouter): void {
  api.route(
    {
      method: 'get',
      path: '/sites/:siteId/alerts',
      operationId: 'getAlertSettings',
      summary: "A site's traffic spike and drop alerts, and the latest that fired",
      tag: TAG,
      auth: 'session-or-key',
      wordpress: 'admin',
      params: SiteIdParams,
      responses: { 200: { description: 'Alert settings', schema: AlertSettingsResponse } },
    },
    async ({ params, req, res }) => {
      const { siteId } = await requireSiteAccess(requireAuth(req), params.siteId, 'admin');
      res.json({ ...(await getAlertSettings(siteId)), recent: await recentAlerts(siteId) });
    },
  );

  api.route(
    {
      method: 'put',
      path: '/sites/:siteId/alerts',
      operationId: 'setAlertSettings',
      summary: "Set a site's traffic spike and drop alerts (mail to members, and to webhooks that subscribed)",
      tag: TAG,
      auth: 'session-or-key',
      wordpress: 'admin',
      params: SiteIdParams,
      body: AlertSettingsBody,
      responses: { 200: { description: 'Alert settings', schema: AlertSettingsResponse } },
    },
    async ({ params, body, req, res }) => {
      const auth = requireAuth(req);
      const { siteId } = await requireSiteAccess(auth, params.siteId, 'admin');
      res.json({ ...(await saveAlertSettings(siteId, body, actorOf(auth))), recent: await recentAlerts(siteId) });
    },
  );
}
