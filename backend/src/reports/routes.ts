import { requireAuth } from '../access/auth';
import { requireSiteAccess } from '../access/site-access';
import { actorOf } from '../audit/actor';
import { recordAudit } from '../audit/service';
import type { ApiRouter } from '../lib/http';
import { SiteIdParams } from '../sites/schemas';
import type { z } from '../lib/zod';
import { createAnnotation, deleteAnnotation, listAnnotations, toAnnotationView } from './annotations';
import { rowMetrics } from './dimensions';
import { attachment, EVENT_COLUMNS, rawEvents, sendRows, sendSiteExport, siteExportName } from './export';
import { goalConversions } from './goal-conversions';
import { createFunnel, createGoal, deleteFunnel, deleteGoal, listFunnels, listGoals, updateGoal } from './goals';
import { resolveRange } from './range';
import {
  AnnotationsQuery,
  AnnotationsResponse,
  AnnotationView,
  BreakdownQuery,
  BreakdownResponse,
  CreateAnnotationBody,
  CreateFunnelBody,
  CreateGoalBody,
  DimensionParams,
  EventsExportQuery,
  ExportQuery,
  FunnelQuery,
  FunnelReportResponse,
  FunnelsResponse,
  FunnelView,
  GoalConversionsResponse,
  GoalsResponse,
  GoalView,
  ItemParams,
  OverviewQuery,
  OverviewResponse,
  RangeQuery,
  RealtimeQuery,
  RealtimeResponse,
  TimeseriesQuery,
  TimeseriesResponse,
  UpdateGoalBody,
  VisitorParams,
  VisitorProfileQuery,
  VisitorProfileResponse,
  VisitorsQuery,
  VisitorsResponse,
} from './schemas';
import { breakdown, breakdownRows, funnelReport, overview, timeseries } from './service';
import { listVisitors, profileDays, realtime, visitorProfile } from './visitors';

const TAG = 'Reports';

const goalView = (g: {
  _id: { toHexString(): string };
  name: string;
  kind: 'page' | 'event';
  match: string;
  propKey: string;
  propValue: string;
}): z.input<typeof GoalView> => ({
  id: g._id.toHexString(),
  name: g.name,
  kind: g.kind,
  match: g.match,
  propKey: g.propKey,
  propValue: g.propValue,
});
const funnelView = (f: {
  _id: { toHexString(): string };
  name: string;
  steps: Array<{ toHexString(): string }>;
}): z.input<typeof FunnelView> => ({
  id: f._id.toHexString(),
  name: f.name,
  steps: f.steps.map((s) => s.toHexString()),
});

/** Report routes: a member of the site (any role) or an API key with `stats:read`. */
export function registerReportRoutes(api: ApiRouter): void {
  const site = (req: Parameters<typeof requireAuth>[0], siteId: string, role: 'viewer' | 'admin' = 'viewer') =>
    requireSiteAccess(requireAuth(req), siteId, role);
  /** Who the audit log names for a change made by this request. */
  const actor = (req: Parameters<typeof requireAuth>[0]) => actorOf(requireAuth(req));

  api.route(
    {
      method: 'get',
      path: '/sites/:siteId/stats/overview',
      operationId: 'getOverview',
      summary:
        'Visitors, visits, pageviews, views per visit, bounce rate, visit duration, events and conversions, with the comparison period',
      tag: TAG,
      auth: 'session-or-key',
      wordpress: 'read',
      params: SiteIdParams,
      query: OverviewQuery,
      responses: { 200: { description: 'Overview', schema: OverviewResponse } },
    },
    async ({ params, query, req, res }) => {
      res.json(await overview((await site(req, params.siteId)).site, query));
    },
  );

  api.route(
    {
      method: 'get',
      path: '/sites/:siteId/stats/timeseries',
      operationId: 'getTimeseries',
      summary: 'The overview metrics per hour, day, week or month (gaps filled with zeros), with annotations',
      tag: TAG,
      auth: 'session-or-key',
      wordpress: 'read',
      params: SiteIdParams,
      query: TimeseriesQuery,
      responses: { 200: { description: 'Series', schema: TimeseriesResponse } },
    },
    async ({ params, query, req, res }) => {
      res.json(await timeseries((await site(req, params.siteId)).site, query));
    },
  );

  api.route(
    {
      method: 'get',
      path: '/sites/:siteId/stats/breakdown/:dimension',
      operationId: 'getBreakdown',
      summary: 'Top keys of a dimension with paging and sort; with `goal`, conversions per key',
      tag: TAG,
      auth: 'session-or-key',
      wordpress: 'read',
      params: DimensionParams,
      query: BreakdownQuery,
      responses: { 200: { description: 'Breakdown', schema: BreakdownResponse } },
    },
    async ({ params, query, req, res }) => {
      res.json(await breakdown((await site(req, params.siteId)).site, params.dimension, query));
    },
  );

  api.route(
    {
      method: 'get',
      path: '/sites/:siteId/stats/goals',
      operationId: 'getGoalConversions',
      summary: 'Every goal of the site with its converted visits, visitors and conversion rate in the range',
      tag: TAG,
      auth: 'session-or-key',
      wordpress: 'read',
      params: SiteIdParams,
      query: RangeQuery,
      responses: { 200: { description: 'Goal conversions', schema: GoalConversionsResponse } },
    },
    async ({ params, query, req, res }) => {
      res.json(await goalConversions((await site(req, params.siteId)).site, query));
    },
  );

  api.route(
    {
      method: 'get',
      path: '/sites/:siteId/stats/realtime',
      operationId: 'getRealtime',
      summary: 'Visitors in the last 5 minutes, their current pages, and the newest 50 events (poll with `after`)',
      tag: TAG,
      auth: 'session-or-key',
      wordpress: 'read',
      params: SiteIdParams,
      query: RealtimeQuery,
      responses: { 200: { description: 'Realtime', schema: RealtimeResponse } },
    },
    async ({ params, query, req, res }) => {
      const { site: s } = await site(req, params.siteId);
      res.json((await realtime(s._id, s.timezone, query.after)) satisfies z.input<typeof RealtimeResponse>);
    },
  );

  api.route(
    {
      method: 'get',
      path: '/sites/:siteId/visitors',
      operationId: 'listVisitors',
      summary: 'Visitors last seen in the range (paged, filterable by country, device, browser, source)',
      tag: TAG,
      auth: 'session-or-key',
      wordpress: 'read',
      params: SiteIdParams,
      query: VisitorsQuery,
      responses: { 200: { description: 'Visitors', schema: VisitorsResponse } },
    },
    async ({ params, query, req, res }) => {
      const { site: s } = await site(req, params.siteId);
      res.json((await listVisitors(s._id, s.timezone, query)) satisfies z.input<typeof VisitorsResponse>);
    },
  );

  api.route(
    {
      method: 'get',
      path: '/sites/:siteId/visitors/:visitorId',
      operationId: 'getVisitor',
      summary: "A visitor's profile and clickpath: every visit with its ordered pageviews and events",
      tag: TAG,
      auth: 'session-or-key',
      wordpress: 'read',
      params: VisitorParams,
      query: VisitorProfileQuery,
      responses: { 200: { description: 'Visitor profile', schema: VisitorProfileResponse } },
    },
    async ({ params, query, req, res }) => {
      const { site: s } = await site(req, params.siteId);
      const profile = await visitorProfile(s._id, params.visitorId, profileDays(s.timezone, query));
      res.json(profile satisfies z.input<typeof VisitorProfileResponse>);
    },
  );

  // ---- goals and funnels ----------------------------------------------------

  api.route(
    {
      method: 'get',
      path: '/sites/:siteId/goals',
      operationId: 'listGoals',
      summary: "List the site's goals",
      tag: TAG,
      auth: 'session-or-key',
      wordpress: 'read',
      params: SiteIdParams,
      responses: { 200: { description: 'Goals', schema: GoalsResponse } },
    },
    async ({ params, req, res }) => {
      res.json({ goals: (await listGoals((await site(req, params.siteId)).siteId)).map(goalView) });
    },
  );

  api.route(
    {
      method: 'post',
      path: '/sites/:siteId/goals',
      operationId: 'createGoal',
      summary: 'Create a goal: a page path pattern (`*` wildcard) or an event name, optionally with a property value',
      tag: TAG,
      auth: 'session-or-key',
      wordpress: 'write',
      params: SiteIdParams,
      body: CreateGoalBody,
      responses: { 201: { description: 'Goal', schema: GoalView } },
    },
    async ({ params, body, req, res }) => {
      const { siteId } = await site(req, params.siteId, 'admin');
      res.status(201).json(goalView(await createGoal(siteId, body, actor(req))));
    },
  );

  api.route(
    {
      method: 'patch',
      path: '/sites/:siteId/goals/:id',
      operationId: 'updateGoal',
      summary: 'Edit a goal',
      tag: TAG,
      auth: 'session-or-key',
      wordpress: 'write',
      params: ItemParams,
      body: UpdateGoalBody,
      responses: { 200: { description: 'Goal', schema: GoalView } },
    },
    async ({ params, body, req, res }) => {
      const { siteId } = await site(req, params.siteId, 'admin');
      res.json(goalView(await updateGoal(siteId, params.id, body, actor(req))));
    },
  );

  api.route(
    {
      method: 'delete',
      path: '/sites/:siteId/goals/:id',
      operationId: 'deleteGoal',
      summary: 'Delete a goal (and the funnels that use it)',
      tag: TAG,
      auth: 'session-or-key',
      wordpress: 'write',
      params: ItemParams,
      responses: { 204: { description: 'Deleted' } },
    },
    async ({ params, req, res }) => {
      await deleteGoal((await site(req, params.siteId, 'admin')).siteId, params.id, actor(req));
      res.status(204).end();
    },
  );

  api.route(
    {
      method: 'get',
      path: '/sites/:siteId/funnels',
      operationId: 'listFunnels',
      summary: "List the site's funnels",
      tag: TAG,
      auth: 'session-or-key',
      wordpress: 'read',
      params: SiteIdParams,
      responses: { 200: { description: 'Funnels', schema: FunnelsResponse } },
    },
    async ({ params, req, res }) => {
      res.json({ funnels: (await listFunnels((await site(req, params.siteId)).siteId)).map(funnelView) });
    },
  );

  api.route(
    {
      method: 'post',
      path: '/sites/:siteId/funnels',
      operationId: 'createFunnel',
      summary: 'Create a funnel of 2 to 8 goals',
      tag: TAG,
      auth: 'session-or-key',
      wordpress: 'write',
      params: SiteIdParams,
      body: CreateFunnelBody,
      responses: { 201: { description: 'Funnel', schema: FunnelView } },
    },
    async ({ params, body, req, res }) => {
      const { siteId } = await site(req, params.siteId, 'admin');
      res.status(201).json(funnelView(await createFunnel(siteId, body.name, body.steps, actor(req))));
    },
  );

  api.route(
    {
      method: 'delete',
      path: '/sites/:siteId/funnels/:id',
      operationId: 'deleteFunnel',
      summary: 'Delete a funnel',
      tag: TAG,
      auth: 'session-or-key',
      wordpress: 'write',
      params: ItemParams,
      responses: { 204: { description: 'Deleted' } },
    },
    async ({ params, req, res }) => {
      await deleteFunnel((await site(req, params.siteId, 'admin')).siteId, params.id, actor(req));
      res.status(204).end();
    },
  );

  api.route(
    {
      method: 'get',
      path: '/sites/:siteId/funnels/:id/report',
      operationId: 'getFunnelReport',
      summary: 'Visits reaching each funnel step in order, with conversion and drop-off',
      tag: TAG,
      auth: 'session-or-key',
      wordpress: 'read',
      params: ItemParams,
      query: FunnelQuery,
      responses: { 200: { description: 'Funnel report', schema: FunnelReportResponse } },
    },
    async ({ params, query, req, res }) => {
      const report = await funnelReport((await site(req, params.siteId)).site, params.id, query);
      res.json(report satisfies z.input<typeof FunnelReportResponse>);
    },
  );

  // ---- annotations ------------------------------------------------------------

  api.route(
    {
      method: 'get',
      path: '/sites/:siteId/annotations',
      operationId: 'listAnnotations',
      summary: 'Annotations in a range',
      tag: TAG,
      auth: 'session-or-key',
      wordpress: 'read',
      params: SiteIdParams,
      query: AnnotationsQuery,
      responses: { 200: { description: 'Annotations', schema: AnnotationsResponse } },
    },
    async ({ params, query, req, res }) => {
      const { site: s } = await site(req, params.siteId);
      const range = resolveRange(query.from, query.to, s.timezone);
      res.json({ annotations: (await listAnnotations(s._id, range)).map(toAnnotationView) });
    },
  );

  api.route(
    {
      method: 'post',
      path: '/sites/:siteId/annotations',
      operationId: 'createAnnotation',
      summary: 'Add a dated note to the site (shown on the time series)',
      tag: TAG,
      auth: 'session-or-key',
      wordpress: 'write',
      params: SiteIdParams,
      body: CreateAnnotationBody,
      responses: { 201: { description: 'Annotation', schema: AnnotationView } },
    },
    async ({ params, body, req, res }) => {
      const auth = requireAuth(req);
      const { siteId } = await site(req, params.siteId, 'admin');
      const author = auth.kind === 'key' ? `API key ${auth.name}` : '';
      res.status(201).json(toAnnotationView(await createAnnotation(siteId, body.day, body.text, author)));
    },
  );

  api.route(
    {
      method: 'delete',
      path: '/sites/:siteId/annotations/:id',
      operationId: 'deleteAnnotation',
      summary: 'Delete an annotation',
      tag: TAG,
      auth: 'session-or-key',
      wordpress: 'write',
      params: ItemParams,
      responses: { 204: { description: 'Deleted' } },
    },
    async ({ params, req, res }) => {
      await deleteAnnotation((await site(req, params.siteId, 'admin')).siteId, params.id);
      res.status(204).end();
    },
  );

  // ---- export -----------------------------------------------------------------

  api.route(
    {
      method: 'get',
      path: '/sites/:siteId/export/breakdown/:dimension',
      operationId: 'exportBreakdown',
      summary: 'A whole breakdown as CSV or JSON (cells that would run as spreadsheet formulas are defused)',
      tag: 'Export',
      auth: 'session-or-key',
      wordpress: 'read',
      params: DimensionParams,
      query: ExportQuery,
      responses: { 200: { description: 'CSV or JSON file', file: ['text/csv', 'application/json'] } },
    },
    async ({ params, query, req, res }) => {
      const { site: s } = await site(req, params.siteId);
      const rows = await breakdownRows(s, params.dimension, query);
      const columns: string[] = ['key', ...rowMetrics(params.dimension), 'share'];
      if (query.goal) columns.push('conversions', 'conversionRate');
      const cells = rows.map((row) => Object.fromEntries(columns.map((c) => [c, row[c as keyof typeof row]])));
      res.set(attachment(`${s.domain}-${params.dimension}-${query.from}-${query.to}`, query.format));
      await sendRows(res, query.format, columns, cells);
    },
  );

  api.route(
    {
      method: 'get',
      path: '/sites/:siteId/export/events',
      operationId: 'exportEvents',
      summary: 'Raw events of a range as CSV or JSON, streamed',
      tag: 'Export',
      auth: 'session-or-key',
      wordpress: 'backend-only',
      params: SiteIdParams,
      query: EventsExportQuery,
      responses: { 200: { description: 'CSV or JSON file', file: ['text/csv', 'application/json'] } },
    },
    async ({ params, query, req, res }) => {
      const { site: s } = await site(req, params.siteId);
      const range = resolveRange(query.from, query.to, s.timezone);
      // Raw events leave the service with their visitor ids: audited before the file starts.
      await recordAudit(s._id, actor(req), 'export.events', { from: range.from, to: range.to, format: query.format });
      res.set(attachment(`${s.domain}-events-${range.from}-${range.to}`, query.format));
      await sendRows(res, query.format, EVENT_COLUMNS, rawEvents(s._id, range));
    },
  );

  api.route(
    {
      method: 'get',
      path: '/sites/:siteId/export/site',
      operationId: 'exportSite',
      summary: 'Everything stored for the site as one JSON document (data portability)',
      tag: 'Export',
      auth: 'session-or-key',
      wordpress: 'backend-only',
      params: SiteIdParams,
      responses: { 200: { description: 'JSON file', file: ['application/json'] } },
    },
    async ({ params, req, res }) => {
      const { site: s } = await site(req, params.siteId, 'admin');
      await recordAudit(s._id, actor(req), 'export.site');
      res.set(attachment(siteExportName(s), 'json'));
      await sendSiteExport(res, s);
    },
  );
}
