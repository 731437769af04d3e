import request from 'supertest';

import { processPendingEvents } from '../src/aggregate/aggregator';
import { createKey, createSite, signUp, startTestApp, type TestApp, type TestUser } from './support/app';
import { pageview, postEvent } from './support/collect';
import { at, insertEvents } from './support/events';
import { getJson, qs } from './support/reports';

/**
 * Metric definitions that both report engines must follow (docs/metrics.md): the
 * rollups answer unfiltered reports, the raw engine filtered ones, so every case
 * is asked both without a filter and with one that selects every visit.
 */

const EVERY_VISIT = ['country:is_not:__none__'];
const ENGINES = [
  ['rollups', []],
  ['raw', EVERY_VISIT],
] as const;

let clock = new Date('2026-03-01T00:00:00Z');
let t: TestApp;
let user: TestUser;

beforeAll(async () => {
  t = await startTestApp({}, () => clock);
  user = await signUp(t.app);
});
afterAll(() => t.close());

async function newSite(timezone: string) {
  const site = await createSite(user, { timezone });
  const { secret } = await createKey(user, site.id, ['stats:read', 'sites:manage']);
  const get = (path: string, params: Record<string, string | number>, filters: readonly string[] = []) =>
    getJson(t, secret, `/api/v1/sites/${site.id}${path}?${qs(params, [...filters])}`);
  const post = async (path: string, body: Record<string, unknown>) => {
    const res = await request(t.app)
      .post(`/api/v1/sites/${site.id}${path}`)
      .set('Authorization', `Bearer ${secret}`)
      .send(body);
    expect(res.status).toBe(201);
    return res.body.id as string;
  };
  return { ...site, get, post };
}

/** Sends one tracker event through the real collector at `when`, from `ip`. */
async function collect(publicId: string, when: string, ip: string, overrides: Record<string, unknown> = {}) {
  clock = new Date(when);
  const res = await postEvent(t.handler, pageview(publicId, overrides), { ip });
  expect(res.status).toBe(202);
}

/** The points of an hourly series that are not empty, as local hour → pageviews. */
async function busyHours(site: Awaited<ReturnType<typeof newSite>>, day: string, filters: readonly string[]) {
  const series = await site.get('/stats/timeseries', { from: day, to: day, interval: 'hour' }, filters);
  return Object.fromEntries(
    (series.points as Array<{ period: string; pageviews: number }>)
      .filter((p) => p.pageviews > 0)
      .map((p) => [p.period, p.pageviews]),
  );
}

describe('hours are local hours of the site', () => {
  it.each(ENGINES)(
    'when a site is in a half-hour zone, then hits land in their local hour and a day starts at its own midnight (%s)',
    async (_engine, filters) => {
      const site = await newSite('Asia/Calcutta');
      // India is UTC+5:30: 23:50 on the 1st, then 00:10, 20:13 and 20:39 local on the 2nd.
      await collect(site.publicId, '2026-03-01T18:20:00Z', '203.0.113.1');
      await collect(site.publicId, '2026-03-01T18:40:00Z', '203.0.113.2');
      await collect(site.publicId, '2026-03-02T14:43:00Z', '203.0.113.3');
      await collect(site.publicId, '2026-03-02T15:09:00Z', '203.0.113.4');
      await processPendingEvents();

      expect(await busyHours(site, '2026-03-01', filters)).toEqual({ '2026-03-01T23:00:00+05:30': 1 });
      expect(await busyHours(site, '2026-03-02', filters)).toEqual({
        '2026-03-02T00:00:00+05:30': 1,
        '2026-03-02T20:00:00+05:30': 2,
      });
      const series = await site.get(
        '/stats/timeseries',
        { from: '2026-03-02', to: '2026-03-02', interval: 'hour' },
        filters,
      );
      const eight = series.points.find((p: { period: string }) => p.period === '2026-03-02T20:00:00+05:30');
      expect(eight).toMatchObject({ visitors: 2, visits: 2, pageviews: 2 });
    },
  );

  it.each(ENGINES)(
    'when a site is in a 45-minute zone, then two hits of one UTC hour split into their two local hours (%s)',
    async (_engine, filters) => {
      const site = await newSite('Asia/Katmandu');
      // Nepal is UTC+5:45: 04:05 and 04:20 UTC are 09:50 and 10:05 local.
      await collect(site.publicId, '2026-03-02T04:05:00Z', '203.0.113.5');
      await collect(site.publicId, '2026-03-02T04:20:00Z', '203.0.113.6');
      await processPendingEvents();

      expect(await busyHours(site, '2026-03-02', filters)).toEqual({
        '2026-03-02T09:00:00+05:45': 1,
        '2026-03-02T10:00:00+05:45': 1,
      });
    },
  );
});

describe('what opens a visit', () => {
  it.each(ENGINES)(
    'when an engagement ping comes from a visitor with no pageview in the visit, then it opens no visit (%s)',
    async (_engine, filters) => {
      const site = await newSite('UTC');
      // A tab left open across UTC midnight: the cookieless id rotates, so the ping's visitor never viewed a page.
      await collect(site.publicId, '2026-03-03T23:50:00Z', '203.0.113.7');
      await collect(site.publicId, '2026-03-04T00:10:00Z', '203.0.113.7', { k: 'en', e: 5000 });
      await processPendingEvents();

      for (const [day, visits] of [
        ['2026-03-03', 1],
        ['2026-03-04', 0],
      ] as const) {
        const range = { from: day, to: day };
        const overview = await site.get('/stats/overview', { ...range, compare: 'none' }, filters);
        expect({ day, ...overview.metrics }).toMatchObject({
          day,
          visits,
          visitors: visits,
          bounceRate: visits && 100,
        });
        const sources = await site.get('/stats/breakdown/source', range, filters);
        const rows = sources.rows as Array<{ visits: number; visitors: number }>;
        expect(rows.reduce((sum, r) => sum + r.visits, 0)).toBe(visits);
        expect(rows.reduce((sum, r) => sum + r.visitors, 0)).toBe(visits);
      }
    },
  );
});

describe('who is a visitor of a day', () => {
  it.each(ENGINES)(
    'when a visit from before midnight only identifies after it, then the new day has no visitor (%s)',
    async (_engine, filters) => {
      const site = await newSite('UTC');
      await insertEvents(site.id, [
        { ts: '2026-03-07T23:50:00Z', vid: 'f:reader', path: '/posts/hello' },
        { ts: '2026-03-08T00:05:00Z', vid: 'f:reader', kind: 'id', userId: 'u1', path: '/posts/hello' },
      ]);
      await processPendingEvents();

      for (const [day, visitors] of [
        ['2026-03-07', 1],
        ['2026-03-08', 0],
      ] as const) {
        const overview = await site.get('/stats/overview', { from: day, to: day, compare: 'none' }, filters);
        expect({ day, visitors: overview.metrics.visitors }).toEqual({ day, visitors });
      }
    },
  );
});

describe('entry and exit pages', () => {
  it.each(ENGINES)(
    'when a visit has no pageview, then it is a visit without an entry or exit page row (%s)',
    async (_engine, filters) => {
      const site = await newSite('UTC');
      const start = '2026-03-05T10:00:00.000Z';
      await insertEvents(site.id, [
        { ts: at(start, 0), vid: 'clicker', kind: 'ev', name: 'outbound', path: '/' },
        { ts: at(start, 1), vid: 'reader', path: '/posts/hello' },
      ]);
      await processPendingEvents();

      const range = { from: '2026-03-05', to: '2026-03-05' };
      const overview = await site.get('/stats/overview', { ...range, compare: 'none' }, filters);
      expect(overview.metrics).toMatchObject({ visits: 2, visitors: 2 });
      for (const dim of ['entry_page', 'exit_page']) {
        const { rows } = await site.get(`/stats/breakdown/${dim}`, range, filters);
        expect({ dim, rows: rows.map((r: { key: string; visits: number }) => [r.key, r.visits]) }).toEqual({
          dim,
          rows: [['/posts/hello', 1]],
        });
      }
    },
  );
});

describe('a filter selects visits; goals and funnels see the whole of each', () => {
  const start = '2026-03-06T09:00:00.000Z';
  let site: Awaited<ReturnType<typeof newSite>>;
  let pricing: string;
  let funnel: string;
  const range = { from: '2026-03-06', to: '2026-03-06' };

  beforeAll(async () => {
    site = await newSite('UTC');
    await insertEvents(site.id, [
      // Reads the blog, then goes through every step.
      { ts: at(start, 0), vid: 'a', path: '/blog/one' },
      { ts: at(start, 1), vid: 'a', path: '/pricing' },
      { ts: at(start, 2), vid: 'a', path: '/signup' },
      { ts: at(start, 3), vid: 'a', kind: 'ev', name: 'signup', path: '/signup' },
      // Reads the blog, then looks at the price only.
      { ts: at(start, 0), vid: 'b', path: '/blog/two' },
      { ts: at(start, 1), vid: 'b', path: '/pricing' },
      // Never reads the blog.
      { ts: at(start, 0), vid: 'c', path: '/pricing' },
      { ts: at(start, 1), vid: 'c', path: '/signup' },
      // Reads the blog and leaves.
      { ts: at(start, 0), vid: 'd', path: '/blog/one' },
    ]);
    await processPendingEvents();
    pricing = await site.post('/goals', { name: 'Saw pricing', kind: 'page', match: '/pricing' });
    const signupPage = await site.post('/goals', { name: 'Signup page', kind: 'page', match: '/signup' });
    const signedUp = await site.post('/goals', { name: 'Signed up', kind: 'event', match: 'signup' });
    funnel = await site.post('/funnels', { name: 'Signup', steps: [pricing, signupPage, signedUp] });
  });

  const stepsOf = async (filters: readonly string[]) =>
    (await site.get(`/funnels/${funnel}/report`, range, filters)).steps.map((s: { visits: number }) => s.visits);

  it.each(ENGINES)('when nothing is filtered out, then the funnel counts every visit (%s)', async (_e, filters) => {
    expect(await stepsOf(filters)).toEqual([3, 2, 1]);
    const overview = await site.get('/stats/overview', { ...range, compare: 'none' }, filters);
    expect(overview.metrics).toMatchObject({ visits: 4, conversions: 3 });
  });

  it('when a page filter selects the blog readers, then their steps after the blog still count', async () => {
    const blog = ['page:contains:/blog'];
    expect(await stepsOf(blog)).toEqual([2, 1, 1]);
    const overview = await site.get('/stats/overview', { ...range, compare: 'none' }, blog);
    expect(overview.metrics).toMatchObject({ visits: 3, pageviews: 3, conversions: 2, conversionRate: 66.7 });
    const { rows } = await site.get('/stats/breakdown/source', { ...range, goal: pricing }, blog);
    expect(rows).toMatchObject([{ key: '', visits: 3, conversions: 2, conversionRate: 66.7 }]);
  });
});

describe('a visit across midnight', () => {
  /** A breakdown's rows as key → the counters that add up to the overview. */
  async function rowsOf(
    site: Awaited<ReturnType<typeof newSite>>,
    dim: string,
    range: { from: string; to: string },
    filters: readonly string[],
  ) {
    const { rows } = await site.get(`/stats/breakdown/${dim}`, { ...range, limit: 100 }, filters);
    return Object.fromEntries(
      (rows as Array<{ key: string; visits: number; visitors: number; pageviews: number; events: number }>).map((r) => [
        r.key,
        { visits: r.visits, visitors: r.visitors, pageviews: r.pageviews, events: r.events },
      ]),
    );
  }

  it.each(ENGINES)(
    'when a visit goes on after midnight, then its later hits count on their own day, in totals and source rows alike (%s)',
    async (_engine, filters) => {
      const site = await newSite('UTC');
      await insertEvents(site.id, [
        // A newsletter reader from 23:50 to 00:20: a visit of the 9th with a pageview and an event on the 10th.
        { ts: '2026-03-09T23:50:00Z', vid: 'f:night', path: '/posts/late', source: 'Newsletter' },
        { ts: '2026-03-10T00:10:00Z', vid: 'f:night', path: '/posts/next' },
        { ts: '2026-03-10T00:20:00Z', vid: 'f:night', kind: 'ev', name: 'share', path: '/posts/next' },
        // A direct visit in the afternoon of the 10th.
        { ts: '2026-03-10T15:00:00Z', vid: 'f:day', path: '/', source: 'Direct' },
      ]);
      await processPendingEvents();

      const cases = [
        {
          range: { from: '2026-03-09', to: '2026-03-09' },
          overview: { visits: 1, visitors: 1, pageviews: 1, events: 0 },
          sources: { Newsletter: { visits: 1, visitors: 1, pageviews: 1, events: 0 } },
        },
        {
          // The visit belongs to the 9th; its visitor, pageview and event of the 10th to the 10th.
          range: { from: '2026-03-10', to: '2026-03-10' },
          overview: { visits: 1, visitors: 2, pageviews: 2, events: 1 },
          sources: {
            Newsletter: { visits: 0, visitors: 1, pageviews: 1, events: 1 },
            Direct: { visits: 1, visitors: 1, pageviews: 1, events: 0 },
          },
        },
        {
          // Rows count a visitor once per day: the reader is a visitor of both days.
          range: { from: '2026-03-09', to: '2026-03-10' },
          overview: { visits: 2, visitors: 2, pageviews: 3, events: 1 },
          sources: {
            Newsletter: { visits: 1, visitors: 2, pageviews: 2, events: 1 },
            Direct: { visits: 1, visitors: 1, pageviews: 1, events: 0 },
          },
        },
      ];
      for (const { range, overview, sources } of cases) {
        const got = await site.get('/stats/overview', { ...range, compare: 'none' }, filters);
        expect({ range, ...got.metrics }).toMatchObject({ range, ...overview });
        expect({ range, sources: await rowsOf(site, 'source', range, filters) }).toEqual({ range, sources });
      }

      const series = await site.get(
        '/stats/timeseries',
        { from: '2026-03-09', to: '2026-03-10', interval: 'day' },
        filters,
      );
      expect(
        (series.points as Array<Record<string, unknown>>).map(({ period, visits, visitors, pageviews, events }) => ({
          period,
          visits,
          visitors,
          pageviews,
          events,
        })),
      ).toEqual([
        { period: '2026-03-09', visits: 1, visitors: 1, pageviews: 1, events: 0 },
        { period: '2026-03-10', visits: 1, visitors: 2, pageviews: 2, events: 1 },
      ]);
    },
  );

  it('when a filter selects a visit from the day before, then its hits of the range count, as in its source row', async () => {
    const site = await newSite('UTC');
    await insertEvents(site.id, [
      { ts: '2026-03-11T23:50:00Z', vid: 'f:night', path: '/posts/late', source: 'Newsletter' },
      { ts: '2026-03-12T00:10:00Z', vid: 'f:night', path: '/posts/next' },
      { ts: '2026-03-12T15:00:00Z', vid: 'f:day', path: '/', source: 'Direct' },
    ]);
    await processPendingEvents();

    const range = { from: '2026-03-12', to: '2026-03-12' };
    const newsletter = await site.get('/stats/overview', { ...range, compare: 'none' }, ['source:is:Newsletter']);
    expect(newsletter.metrics).toMatchObject({ visits: 0, visitors: 1, pageviews: 1 });
    const pages = await rowsOf(site, 'page', range, ['source:is:Newsletter']);
    expect(pages).toEqual({ '/posts/next': { visits: 0, visitors: 1, pageviews: 1, events: 0 } });
  });

  it.each(ENGINES)(
    'when a first-party visit lasts more than a day, then its hits still count on their own day (%s)',
    async (_engine, filters) => {
      const site = await newSite('UTC');
      // A kiosk reloading every 20 minutes from 20:00 on the 13th to 01:00 on the 15th: one visit of the 13th.
      const reloads = Array.from({ length: 88 }, (_x, i) => ({
        ts: at('2026-03-13T20:00:00.000Z', 20 * i),
        vid: 'f:kiosk',
        path: '/board',
        source: 'Kiosk',
      }));
      await insertEvents(site.id, reloads);
      await processPendingEvents();

      const range = { from: '2026-03-15', to: '2026-03-15' };
      const overview = await site.get('/stats/overview', { ...range, compare: 'none' }, filters);
      expect(overview.metrics).toMatchObject({ visits: 0, visitors: 1, pageviews: 4 });
      expect(await rowsOf(site, 'source', range, filters)).toEqual({
        Kiosk: { visits: 0, visitors: 1, pageviews: 4, events: 0 },
      });
    },
  );
});
