import { requireSession } from '../access/auth';
import { requireSiteAccess } from '../access/site-access';
import type { ApiRouter } from '../lib/http';
import { SiteIdParams } from '../sites/schemas';
import { AuditPageResponse, AuditQuery } from './schemas';
import { readAuditLog } from './service';

/**
 * The site's audit log, for its owner and admins signed in: it names members by address,
 * which a key may not list either (docs/architecture.md, roles and scopes).
 */
export function registerAuditRoutes(api: ApiRouter, { retentionDays }: { retentionDays: number }): void {
  api.route(
    {
      method: 'get',
      path: '/sites/:siteId/audit',
      operationId: 'listAuditLog',
      summary:
        "The site's audit log, newest first: keys, members and invitations, settings, goals and funnels, " +
        'erasures and exports, with who did each and when. Owner and admins only',
      tag: 'Sites',
      auth: 'session',
      wordpress: 'backend-only',
      params: SiteIdParams,
      query: AuditQuery,
      responses: { 200: { description: 'A page of entries', schema: AuditPageResponse } },
    },
    async ({ params, query, req, res }) => {
      const { siteId } = await requireSiteAccess(requireSession(req), params.siteId, 'admin');
      const page = await readAuditLog(
        siteId,
        { cursor: query.cursor, actions: query.action, limit: query.limit },
        { retentionDays },
      );
      res.json({ ...page, retentionDays });
    },
  );
}
