import { ApiError } from './errors';
import { createWordPressSource, restUrl } from './wordpress';
import { fakeResponse } from '../testing/fake-backend';

const rest = { root: 'https://blog.example.com/wp-json/', nonce: 'n0nce' };
const range = {
  from: '2026-01-01',
  to: '2026-01-31',
  filters: [{ dim: 'source', op: 'is', value: 'Google' }],
} as const;

describe('WordPress data source', () => {
  const fetch = jest.fn();
  beforeAll(() => {
    (window as unknown as { fetch: typeof fetch }).fetch = fetch;
  });
  afterEach(() => fetch.mockReset());

  it('calls the plugin proxy under clickpath/v1 with the nonce header', async () => {
    fetch.mockResolvedValueOnce(fakeResponse(200, { interval: 'day', points: [], annotations: [] }));
    const source = createWordPressSource(rest);
    const series = await source.timeseries({ ...range, interval: 'day' });
    expect(series.interval).toBe('day');
    const [url, init] = fetch.mock.calls[0] as [string, RequestInit & { headers: Record<string, string> }];
    const parsed = new URL(url);
    expect(parsed.origin + parsed.pathname).toBe('https://blog.example.com/wp-json/clickpath/v1/stats/timeseries');
    // A PHP list (api-fetch numbers it: filter[0]=…), since PHP keeps only the last of repeated names.
    const filters = [...parsed.searchParams].filter(([name]) => /^filter\[\d*\]$/.test(name)).map(([, v]) => v);
    expect(filters).toEqual(['source:is:Google']);
    expect(parsed.searchParams.has('filter')).toBe(false);
    expect(parsed.searchParams.get('interval')).toBe('day');
    expect(init.headers['X-WP-Nonce']).toBe('n0nce');
  });

  it('sends JSON bodies for writes', async () => {
    fetch.mockResolvedValueOnce(
      fakeResponse(201, { id: 'a1', day: '2026-01-02', text: 'Launch', author: '', createdAt: '' }),
    );
    const source = createWordPressSource(rest);
    const note = await source.createAnnotation({ day: '2026-01-02', text: 'Launch' });
    expect(note.text).toBe('Launch');
    const [url, init] = fetch.mock.calls[0] as [string, RequestInit];
    expect(new URL(url).pathname).toBe('/wp-json/clickpath/v1/annotations');
    expect(init.method).toBe('POST');
    expect(JSON.parse(String(init.body))).toEqual({ day: '2026-01-02', text: 'Launch' });
  });

  it('edits goals and deletes funnels and notes through the proxy; it has no erase methods (WordPress’s privacy tools erase)', async () => {
    const source = createWordPressSource(rest);
    fetch.mockResolvedValueOnce(fakeResponse(200, { id: 'g1', name: 'Signup' }));
    await source.updateGoal!('65a1b2c3d4e5f60718293a4d', { name: 'Signup' });
    fetch.mockResolvedValueOnce(fakeResponse(204));
    await source.deleteFunnel!('65a1b2c3d4e5f60718293a4e');
    fetch.mockResolvedValueOnce(fakeResponse(204));
    await source.deleteAnnotation!('65a1b2c3d4e5f60718293a4f');
    // api-fetch sends PATCH and DELETE as POST with X-HTTP-Method-Override, which WordPress honours.
    const sent = (fetch.mock.calls as Array<[string, RequestInit & { headers: Record<string, string> }]>).map(
      ([url, init]) => [init.headers['X-HTTP-Method-Override'] ?? init.method, new URL(url).pathname],
    );
    expect(sent).toEqual([
      ['PATCH', '/wp-json/clickpath/v1/goals/65a1b2c3d4e5f60718293a4d'],
      ['DELETE', '/wp-json/clickpath/v1/funnels/65a1b2c3d4e5f60718293a4e'],
      ['DELETE', '/wp-json/clickpath/v1/annotations/65a1b2c3d4e5f60718293a4f'],
    ]);
    expect(JSON.parse(String(fetch.mock.calls[0]![1].body))).toEqual({ name: 'Signup' });
    expect(source.eraseVisitor).toBeUndefined();
    expect(source.erasePerson).toBeUndefined();
  });

  it('maps a WP_Error to an ApiError', async () => {
    fetch.mockResolvedValueOnce(
      fakeResponse(503, {
        code: 'clickpath_not_connected',
        message: 'Connect the plugin first.',
        data: { status: 503 },
      }),
    );
    const error = await createWordPressSource(rest)
      .goals()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ code: 'clickpath_not_connected', message: 'Connect the plugin first.', status: 503 });
  });

  it('maps a backend error passed through by the proxy', async () => {
    fetch.mockResolvedValueOnce(fakeResponse(404, { error: { code: 'not_found', message: 'Visitor not found' } }));
    await expect(createWordPressSource(rest).visitor('c:abcdefghijkl', '2026-03-10')).rejects.toMatchObject({
      code: 'not_found',
      message: 'Visitor not found',
    });
  });

  it('maps a network failure to network_error', async () => {
    fetch.mockRejectedValueOnce(new TypeError('Failed to fetch'));
    await expect(createWordPressSource(rest).funnels()).rejects.toMatchObject({ code: 'network_error' });
  });

  it('builds download links that carry the nonce, with or without pretty permalinks', () => {
    const pretty = new URL(
      restUrl(rest, 'export/breakdown/page?from=2026-01-01&format=csv&filter=a:is:1&filter=b:is:2'),
    );
    expect(pretty.searchParams.getAll('filter[]')).toEqual(['a:is:1', 'b:is:2']);
    expect(pretty.pathname).toBe('/wp-json/clickpath/v1/export/breakdown/page');
    expect(pretty.searchParams.get('_wpnonce')).toBe('n0nce');
    const plain = new URL(
      restUrl({ root: 'https://blog.example.com/?rest_route=/', nonce: 'n' }, 'export/breakdown/page?format=json'),
    );
    expect(plain.searchParams.get('rest_route')).toBe('/clickpath/v1/export/breakdown/page');
    expect(plain.searchParams.get('format')).toBe('json');
  });
});
