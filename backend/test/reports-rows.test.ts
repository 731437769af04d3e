import { processPendingEvents } from '../src/aggregate/aggregator';
import { createKey, createSite, signUp, startTestApp, type TestApp, type TestUser } from './support/app';
import { at, insertEvents, type RawEventInput } from './support/events';
import { getJson, qs } from './support/reports';

/**
 * Bounce, share and exit-page rows as docs/metrics.md defines them, asked of both
 * engines: the rollups answer unfiltered reports, the raw engine filtered ones, so
 * each case runs without a filter and with one that selects every visit.
 */

const EVERY_VISIT = ['country:is_not:__none__'];
const ENGINES = [
  ['rollups', []],
  ['raw', EVERY_VISIT],
] as const;

let t: TestApp;
let user: TestUser;

beforeAll(async () => {
  t = await startTestApp({}, () => new Date('2026-04-01T00:00:00Z'));
  user = await signUp(t.app);
});
afterAll(() => t.close());

async function newSite(events: RawEventInput[][]) {
  const site = await createSite(user, { timezone: 'UTC' });
  const { secret } = await createKey(user, site.id, ['stats:read']);
  // Each list is one aggregation batch, so a visit can grow across batches as it does live.
  for (const batch of events) {
    await insertEvents(site.id, batch);
    await processPendingEvents();
  }
  return (path: string, params: Record<string, string | number>, filters: readonly string[]) =>
    getJson(t, secret, `/api/v1/sites/${site.id}${path}?${qs(params, [...filters])}`);
}

type Row = { key: string; share: number; visitors: number; visits: number };
const byKey = (rows: Row[]) => Object.fromEntries(rows.map((r) => [r.key, r]));

describe('bounce: a visit with at most one interaction', () => {
  it.each(ENGINES)(
    'when visits have one pageview, one custom event, or more, then only those with a single interaction bounce (%s)',
    async (_engine, filters) => {
      const base = '2026-03-10T10:00:00Z';
      const get = await newSite([
        [
          { ts: at(base, 0), vid: 'one-pageview' },
          { ts: at(base, 0), vid: 'pageview-and-ping' },
          { ts: at(base, 1), vid: 'pageview-and-ping', kind: 'en', engagedMs: 20_000 },
          { ts: at(base, 0), vid: 'one-event', kind: 'ev', name: 'Signup' },
          { ts: at(base, 0), vid: 'two-pageviews' },
          { ts: at(base, 1), vid: 'two-pageviews', path: '/pricing' },
          { ts: at(base, 0), vid: 'pageview-and-event' },
          { ts: at(base, 1), vid: 'pageview-and-event', kind: 'ev', name: 'Signup' },
          { ts: at(base, 0), vid: 'two-events', kind: 'ev', name: 'Signup' },
          { ts: at(base, 1), vid: 'two-events', kind: 'ev', name: 'Signup' },
        ],
      ]);
      const { metrics } = await get('/stats/overview', { from: '2026-03-10', to: '2026-03-10' }, filters);
      // Bounces: one-pageview, pageview-and-ping (a ping is no interaction) and one-event.
      expect(metrics).toMatchObject({ visits: 6, bounceRate: 50 });
    },
  );
});

describe('exit pages', () => {
  it.each(ENGINES)(
    'when a visit moves on to another page in a later batch, then its first page is no longer an exit row (%s)',
    async (_engine, filters) => {
      const base = '2026-03-11T10:00:00Z';
      const get = await newSite([
        [{ ts: at(base, 0), vid: 'a', path: '/first' }],
        [{ ts: at(base, 2), vid: 'a', path: '/last' }],
      ]);
      const range = { from: '2026-03-11', to: '2026-03-11' };
      const exits = await get('/stats/breakdown/exit_page', range, filters);
      expect(exits.rows).toEqual([expect.objectContaining({ key: '/last', visits: 1, visitors: 1 })]);
      expect(exits.total).toBe(1);
      const pages = await get('/stats/breakdown/page', range, filters);
      expect((pages.rows as Row[]).map((r) => r.key).sort()).toEqual(['/first', '/last']);
    },
  );
});

describe('share: percent of all visitors', () => {
  it.each(ENGINES)(
    'when 3 of 5 visitors saw a page, then its share is 60 %, whatever the other pages add up to (%s)',
    async (_engine, filters) => {
      const base = '2026-03-12T10:00:00Z';
      const visit = (vid: string, second: string) => [
        { ts: at(base, 0), vid, path: '/' },
        { ts: at(base, 1), vid, path: second },
      ];
      const get = await newSite([
        [
          ...visit('v1', '/pricing'),
          ...visit('v2', '/pricing'),
          ...visit('v3', '/pricing'),
          ...visit('v4', '/about'),
          ...visit('v5', '/about'),
        ],
      ]);
      const range = { from: '2026-03-12', to: '2026-03-12' };
      const pages = byKey((await get('/stats/breakdown/page', range, filters)).rows);
      expect(pages['/']).toMatchObject({ visitors: 5, share: 100 });
      expect(pages['/pricing']).toMatchObject({ visitors: 3, share: 60 });
      expect(pages['/about']).toMatchObject({ visitors: 2, share: 40 });
      // Every visit has the one (empty) source here: a visit-level dimension adds up to 100 %.
      const sources = await get('/stats/breakdown/source', range, filters);
      expect(sources.rows).toEqual([expect.objectContaining({ visitors: 5, share: 100 })]);
    },
  );

  it.each(ENGINES)(
    'when a range spans days, then rows and the total both count each visitor once per day (%s)',
    async (_engine, filters) => {
      const get = await newSite([
        [
          { ts: '2026-03-13T10:00:00Z', vid: 'returning', path: '/' },
          { ts: '2026-03-13T10:01:00Z', vid: 'returning', path: '/pricing' },
          { ts: '2026-03-13T10:00:00Z', vid: 'once', path: '/' },
          { ts: '2026-03-14T10:00:00Z', vid: 'returning', path: '/' },
        ],
      ]);
      const pages = byKey((await get('/stats/breakdown/page', { from: '2026-03-13', to: '2026-03-14' }, filters)).rows);
      // Visitor-days: returning on both days and once on the first, 3 in all.
      expect(pages['/']).toMatchObject({ visitors: 3, share: 100 });
      expect(pages['/pricing']).toMatchObject({ visitors: 1, share: 33.3 });
    },
  );
});
