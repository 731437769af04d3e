import { ApiError } from './errors';
import { createStandaloneSource } from './standalone';
import { fakeResponse, SITE } from '../testing/fake-backend';

const range = { from: '2026-01-01', to: '2026-01-31', filters: [{ dim: 'country', op: 'is', value: 'NL' }] } as const;

describe('standalone data source', () => {
  it('sends report queries to /api/v1/sites/:siteId with the session cookie and repeated filters', async () => {
    const fetch = jest.fn(async () => fakeResponse(200, { dimension: 'page', rows: [], total: 0, page: 2, limit: 10 }));
    const source = createStandaloneSource({ siteId: SITE, fetch });
    const answer = await source.breakdown('page', {
      ...range,
      filters: [...range.filters, { dim: 'page', op: 'contains', value: '/a:b' }],
      limit: 10,
      page: 2,
      sort: 'visits',
      order: 'asc',
    });
    expect(answer.page).toBe(2);
    const [url, init] = fetch.mock.calls[0] as unknown as [string, RequestInit];
    const parsed = new URL(url, 'https://x.test');
    expect(parsed.pathname).toBe(`/api/v1/sites/${SITE}/stats/breakdown/page`);
    expect(parsed.searchParams.getAll('filter')).toEqual(['country:is:NL', 'page:contains:/a:b']);
    expect(parsed.searchParams.get('sort')).toBe('visits');
    expect(init.credentials).toBe('same-origin');
    expect(init.method).toBe('GET');
  });

  it('posts JSON bodies and unwraps list envelopes', async () => {
    const fetch = jest
      .fn()
      .mockResolvedValueOnce(
        fakeResponse(201, { id: 'g1', name: 'Signup', kind: 'event', match: 'signup', propKey: '', propValue: '' }),
      )
      .mockResolvedValueOnce(fakeResponse(200, { goals: [{ id: 'g1', name: 'Signup' }] }));
    const source = createStandaloneSource({ siteId: SITE, fetch });
    await source.createGoal({ name: 'Signup', kind: 'event', match: 'signup' });
    const [, init] = fetch.mock.calls[0] as [string, RequestInit];
    expect(init.method).toBe('POST');
    expect((init.headers as Record<string, string>)['Content-Type']).toBe('application/json');
    expect(JSON.parse(String(init.body))).toEqual({ name: 'Signup', kind: 'event', match: 'signup' });
    expect(await source.goals()).toEqual([{ id: 'g1', name: 'Signup' }]);
  });

  it('maps the backend error shape to an ApiError with code, message and status', async () => {
    const fetch = jest.fn(async () =>
      fakeResponse(400, {
        error: { code: 'validation_failed', message: 'filter[0] is malformed', details: [{ path: 'query.filter.0' }] },
      }),
    );
    const source = createStandaloneSource({ siteId: SITE, fetch });
    const error = await source.overview({ ...range, compare: 'previous' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ code: 'validation_failed', message: 'filter[0] is malformed', status: 400 });
  });

  it('reports an unreachable server and a non-JSON error page distinctly', async () => {
    const down = createStandaloneSource({
      siteId: SITE,
      fetch: jest.fn(async () => Promise.reject(new TypeError('Failed to fetch'))),
    });
    await expect(down.goals()).rejects.toMatchObject({ code: 'network_error' });
    const proxy = createStandaloneSource({
      siteId: SITE,
      fetch: jest.fn(async () => fakeResponse(502, undefined, '<html>Bad gateway</html>')),
    });
    await expect(proxy.goals()).rejects.toMatchObject({ code: 'http_502', status: 502 });
  });

  it('builds export links with the format and the same filters', () => {
    const source = createStandaloneSource({ siteId: SITE, fetch: jest.fn() });
    const url = new URL(source.exportUrl('country', range, 'csv'), 'https://x.test');
    expect(url.pathname).toBe(`/api/v1/sites/${SITE}/export/breakdown/country`);
    expect(url.searchParams.get('format')).toBe('csv');
    expect(url.searchParams.getAll('filter')).toEqual(['country:is:NL']);
  });

  it('sends the writes only the backend serves: goal edits, funnel and note deletion, erasure', async () => {
    const fetch = jest.fn(async (_url: string, _init?: RequestInit) =>
      fakeResponse(200, { visitors: 1, visits: 1, events: 1, complete: true }),
    );
    const source = createStandaloneSource({ siteId: SITE, fetch });
    await source.updateGoal?.('g1', { name: 'Paid' });
    await source.deleteFunnel?.('f1');
    await source.deleteAnnotation?.('a1');
    await source.eraseVisitor?.('c:abc');
    await source.erasePerson?.('user/42');
    const sent = fetch.mock.calls.map(([url, init]) => `${init?.method} ${url} ${String(init?.body ?? '')}`);
    expect(sent).toEqual([
      `PATCH /api/v1/sites/${SITE}/goals/g1 {"name":"Paid"}`,
      `DELETE /api/v1/sites/${SITE}/funnels/f1 `,
      `DELETE /api/v1/sites/${SITE}/annotations/a1 `,
      `DELETE /api/v1/sites/${SITE}/visitors/c%3Aabc `,
      `DELETE /api/v1/sites/${SITE}/people/user%2F42 `,
    ]);
  });
});
