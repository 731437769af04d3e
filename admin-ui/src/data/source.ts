import { routes, type RouteRequest } from './routes';
import type { Annotation, DataSource, Dimension, Funnel, Goal, RequestOptions } from './types';

type DirectWrites = 'updateGoal' | 'deleteFunnel' | 'deleteAnnotation' | 'eraseVisitor' | 'erasePerson';

/** Sends one route to the host: the backend directly, or the WordPress REST proxy. */
export type Transport = <T>(route: RouteRequest, options?: RequestOptions) => Promise<T>;

/**
 * The data source both hosts share: the same routes and unwrapping, over the
 * host's transport, with export links the host can open in the browser.
 */
export function createDataSource(call: Transport, exportUrl: (route: RouteRequest) => string): DataSource {
  return {
    overview: (q, o) => call(routes.overview(q), o),
    timeseries: (q, o) => call(routes.timeseries(q), o),
    breakdown: (dim, q, o) => call(routes.breakdown(dim, q), o),
    realtime: (cursor, o) => call(routes.realtime(cursor), o),
    visitors: (q, o) => call(routes.visitors(q), o),
    visitor: (id, to, o) => call(routes.visitor(id, to), o),
    goals: async (o) => (await call<{ goals: Goal[] }>(routes.goals(), o)).goals,
    goalConversions: (q, o) => call(routes.goalConversions(q), o),
    createGoal: (input) => call(routes.createGoal(input)),
    deleteGoal: (id) => call(routes.deleteGoal(id)),
    funnels: async (o) => (await call<{ funnels: Funnel[] }>(routes.funnels(), o)).funnels,
    createFunnel: (input) => call(routes.createFunnel(input)),
    funnelReport: (id, q, o) => call(routes.funnelReport(id, q), o),
    annotations: async (q, o) => (await call<{ annotations: Annotation[] }>(routes.annotations(q), o)).annotations,
    createAnnotation: (input) => call(routes.createAnnotation(input)),
    exportUrl: (dim: Dimension, q, format) => exportUrl(routes.exportBreakdown(dim, q, format)),
  };
}

/** Edits, deletions and erasure; the WordPress source takes all but erasure (see `DataSource`). */
export function createDirectWrites(call: Transport): Required<Pick<DataSource, DirectWrites>> {
  return {
    updateGoal: (id, changes) => call(routes.updateGoal(id, changes)),
    deleteFunnel: (id) => call(routes.deleteFunnel(id)),
    deleteAnnotation: (id) => call(routes.deleteAnnotation(id)),
    eraseVisitor: (id) => call(routes.eraseVisitor(id)),
    erasePerson: (userId) => call(routes.erasePerson(userId)),
  };
}
