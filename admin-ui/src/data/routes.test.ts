import { SITE_OPERATIONS, type SiteOperationId } from './api.generated';
import { routes, type RouteRequest } from './routes';

const range = { from: '2026-01-01', to: '2026-01-31', filters: [{ dim: 'country', op: 'is', value: 'NL' }] } as const;
const ID = '65a1b2c3d4e5f60718293a4c';

/** One request of every route, built with sample arguments. */
const requests: Record<keyof typeof routes, RouteRequest> = {
  overview: routes.overview({ ...range, compare: 'previous' }),
  timeseries: routes.timeseries({ ...range, interval: 'day' }),
  breakdown: routes.breakdown('page', { ...range, limit: 10, page: 1, sort: 'visitors', order: 'desc', goal: ID }),
  realtime: routes.realtime('1700000000000:abc'),
  visitors: routes.visitors({ ...range, limit: 50, page: 1 }),
  visitor: routes.visitor('c:AbCdEfGhIj12', '2026-01-31'),
  goals: routes.goals(),
  goalConversions: routes.goalConversions(range),
  createGoal: routes.createGoal({ name: 'Signup', kind: 'event', match: 'signup' }),
  updateGoal: routes.updateGoal(ID, { name: 'Sign-up' }),
  deleteGoal: routes.deleteGoal(ID),
  funnels: routes.funnels(),
  createFunnel: routes.createFunnel({ name: 'Checkout', steps: [ID, ID] }),
  deleteFunnel: routes.deleteFunnel(ID),
  funnelReport: routes.funnelReport(ID, range),
  annotations: routes.annotations(range),
  createAnnotation: routes.createAnnotation({ day: '2026-01-02', text: 'Launch' }),
  deleteAnnotation: routes.deleteAnnotation(ID),
  eraseVisitor: routes.eraseVisitor('c:AbCdEfGhIj12'),
  erasePerson: routes.erasePerson('user-1'),
  exportBreakdown: routes.exportBreakdown('page', range, 'csv'),
};

/** The backend operation a request reaches: the one with its method whose path pattern matches. */
const operationOf = ({ method, path }: RouteRequest): SiteOperationId | undefined =>
  (Object.keys(SITE_OPERATIONS) as SiteOperationId[]).find(
    (id) => SITE_OPERATIONS[id].method === method && SITE_OPERATIONS[id].pattern.test(path.split('?')[0] ?? ''),
  );

describe('the route table against the API contract (api.generated.ts)', () => {
  it('when built, then every request reaches an operation of the backend with that method', () => {
    const reached = Object.fromEntries(Object.entries(requests).map(([name, request]) => [name, operationOf(request)]));

    expect(Object.entries(reached).filter(([, id]) => id === undefined)).toEqual([]);
    expect(reached).toMatchObject({
      breakdown: 'getBreakdown',
      goalConversions: 'getGoalConversions',
      visitor: 'getVisitor',
      eraseVisitor: 'eraseVisitor',
      updateGoal: 'updateGoal',
      exportBreakdown: 'exportBreakdown',
    });
  });

  it('when a path or method is not the backend’s, then no operation matches it', () => {
    expect(operationOf({ method: 'GET', path: 'stats/goal?from=2026-01-01' })).toBeUndefined();
    expect(operationOf({ method: 'PUT', path: `goals/${ID}` })).toBeUndefined();
    expect(operationOf({ method: 'GET', path: 'stats/breakdown/page/extra' })).toBeUndefined();
  });
});
