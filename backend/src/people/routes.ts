import { requireAuth } from '../access/auth';
import { requireSiteAccess } from '../access/site-access';
import { actorOf } from '../audit/actor';
import { recordAudit } from '../audit/service';
import type { ApiRouter } from '../lib/http';
import type { z } from '../lib/zod';
import { erasePerson, eraseVisitors } from '../lifecycle/service';
import { VisitorParams } from '../reports/schemas';
import { ErasedResponse, PersonExport, PersonParams } from './schemas';
import { exportPerson } from './service';

const TAG = 'Privacy';

/**
 * Data-subject requests: a site owner (or their WordPress plugin, with a key) exports
 * or erases what is stored about one visitor or one identified person. Each request is
 * audited, also one that found nobody, with counts but never the person's id: keeping
 * it would keep what the erasure removed.
 */
export function registerPeopleRoutes(api: ApiRouter): void {
  api.route(
    {
      method: 'get',
      path: '/sites/:siteId/people/:userId',
      operationId: 'exportPerson',
      summary: 'Everything stored about an identified person (first-party mode): their visitors and clickpaths',
      tag: TAG,
      auth: 'session-or-key',
      wordpress: 'backend-only',
      params: PersonParams,
      responses: { 200: { description: 'The person’s data', schema: PersonExport } },
    },
    async ({ params, req, res }) => {
      const auth = requireAuth(req);
      const { siteId } = await requireSiteAccess(auth, params.siteId, 'viewer');
      const exported = await exportPerson(siteId, params.userId);
      await recordAudit(siteId, actorOf(auth), 'person.exported', { visitors: exported.visitors.length });
      res.json(exported satisfies z.input<typeof PersonExport>);
    },
  );

  api.route(
    {
      method: 'delete',
      path: '/sites/:siteId/people/:userId',
      operationId: 'erasePerson',
      summary: 'Erase an identified person: their visitors, visits and raw events',
      tag: TAG,
      auth: 'session-or-key',
      wordpress: 'backend-only',
      params: PersonParams,
      responses: { 200: { description: 'What was erased', schema: ErasedResponse } },
    },
    async ({ params, req, res }) => {
      const auth = requireAuth(req);
      const { siteId } = await requireSiteAccess(auth, params.siteId, 'admin');
      const erased = await erasePerson(siteId, params.userId);
      await recordAudit(siteId, actorOf(auth), 'person.erased', { ...erased });
      res.json(erased);
    },
  );

  api.route(
    {
      method: 'delete',
      path: '/sites/:siteId/visitors/:visitorId',
      operationId: 'eraseVisitor',
      summary: 'Erase one visitor: their profile, visits and raw events',
      tag: TAG,
      auth: 'session-or-key',
      wordpress: 'backend-only',
      params: VisitorParams,
      responses: { 200: { description: 'What was erased', schema: ErasedResponse } },
    },
    async ({ params, req, res }) => {
      const auth = requireAuth(req);
      const { siteId } = await requireSiteAccess(auth, params.siteId, 'admin');
      const erased = await eraseVisitors(siteId, [params.visitorId]);
      await recordAudit(siteId, actorOf(auth), 'visitor.erased', { ...erased });
      res.json(erased);
    },
  );
}
