import type { SitePath } from './api.generated';
import { reportParams, withQuery } from './query-string';
import type {
  AnnotationInput,
  BreakdownQuery,
  Dimension,
  ExportFormat,
  FunnelInput,
  GoalChanges,
  GoalInput,
  OverviewQuery,
  RangeQuery,
  TimeseriesQuery,
  VisitorsQuery,
} from './types';

export interface RouteRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Relative to the site: `stats/overview?from=…` (see the two data sources for the prefixes). */
  path: string;
  body?: unknown;
}

type Params = Parameters<typeof withQuery>[1];

// Paths are typed by the backend's operations (api.generated.ts): one it does not have with that
// method fails the type check; routes.test.ts matches each built request against the operation.
const get = (path: SitePath<'GET'>, params: Params = {}): RouteRequest => ({
  method: 'GET',
  path: withQuery(path, params),
});
const post = (path: SitePath<'POST'>, body: unknown): RouteRequest => ({ method: 'POST', path, body });
const patch = (path: SitePath<'PATCH'>, body: unknown): RouteRequest => ({ method: 'PATCH', path, body });
const del = (path: SitePath<'DELETE'>): RouteRequest => ({ method: 'DELETE', path });
const seg = encodeURIComponent;

/**
 * Every report request, relative to one site. The standalone dashboard sends them to
 * `/api/v1/sites/:siteId/<path>`; wp-admin sends them to the plugin's REST proxy at
 * `/wp-json/clickpath/v1/<path>`, which adds the connected site and its API key.
 */
export const routes = {
  overview: (q: OverviewQuery) => get('stats/overview', reportParams(q, { compare: q.compare })),
  timeseries: (q: TimeseriesQuery) => get('stats/timeseries', reportParams(q, { interval: q.interval })),
  breakdown: (dim: Dimension, q: BreakdownQuery) =>
    get(
      `stats/breakdown/${seg(dim)}`,
      reportParams(q, { limit: q.limit, page: q.page, sort: q.sort, order: q.order, goal: q.goal }),
    ),
  realtime: (cursor: string | null) => get('stats/realtime', { after: cursor }),
  visitors: (q: VisitorsQuery) => get('visitors', reportParams(q, { limit: q.limit, page: q.page })),
  visitor: (id: string, to: string) => get(`visitors/${seg(id)}`, { to }),
  goals: () => get('goals'),
  goalConversions: (q: RangeQuery) => get('stats/goals', reportParams(q)),
  createGoal: (input: GoalInput) => post('goals', input),
  updateGoal: (id: string, changes: GoalChanges) => patch(`goals/${seg(id)}`, changes),
  deleteGoal: (id: string) => del(`goals/${seg(id)}`),
  funnels: () => get('funnels'),
  createFunnel: (input: FunnelInput) => post('funnels', input),
  deleteFunnel: (id: string) => del(`funnels/${seg(id)}`),
  funnelReport: (id: string, q: RangeQuery) => get(`funnels/${seg(id)}/report`, reportParams(q)),
  annotations: (q: Pick<RangeQuery, 'from' | 'to'>) => get('annotations', { from: q.from, to: q.to }),
  createAnnotation: (input: AnnotationInput) => post('annotations', input),
  deleteAnnotation: (id: string) => del(`annotations/${seg(id)}`),
  eraseVisitor: (id: string) => del(`visitors/${seg(id)}`),
  erasePerson: (userId: string) => del(`people/${seg(userId)}`),
  exportBreakdown: (
    dim: Dimension,
    q: RangeQuery & Partial<Pick<BreakdownQuery, 'sort' | 'order'>>,
    format: ExportFormat,
  ) => get(`export/breakdown/${seg(dim)}`, reportParams(q, { sort: q.sort, order: q.order, format })),
} as const;
