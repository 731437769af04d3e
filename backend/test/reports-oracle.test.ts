import { DateTime } from 'luxon';

import { processPendingEvents } from '../src/aggregate/aggregator';
import { createKey, createSite, signUp, startTestApp, type TestApp, type TestUser } from './support/app';
import {
  daysBetween,
  generateTraffic,
  getJson,
  insertRaw,
  isBounce,
  metricsOf,
  qs,
  sessionise,
  zero,
  type Counts,
  type OracleVisit,
  type StoredRaw,
} from './support/reports';

/**
 * Reports against an independent oracle: seeded, realistic raw events are stored
 * exactly as the collector stores them, aggregated, and every report answer is
 * compared with counts made here from the raw events (our own 30-minute
 * sessionisation and counting; no report code is called).
 *
 * Semantics, from metrics.ts, compute.ts and raw-engine.ts:
 * - a visit belongs to the local day (and local hour) of its first event; pageviews
 *   and custom events to their own day and hour, in totals, series, page and event
 *   rows and in rows of their visit's attributes (source, country…) alike;
 * - bounce = a visit with at most one pageview or custom event in all; duration = last activity − start;
 * - breakdown visitors = the sum over days of each day's unique visitors for the key;
 * - filtered reports count the visits that started in the range and pass every
 *   filter, and the pageviews and events inside the range of every visit that
 *   passes them, also of one that started before the range;
 * - unique visitors of one day are exact, of several days a HyperLogLog estimate.
 */

let t: TestApp;
let user: TestUser;

interface SiteFixture {
  id: string;
  zone: string;
  secret: string;
  events: StoredRaw[];
  visits: OracleVisit[];
  visitOf: Map<string, OracleVisit>;
  goals: Array<{ id: string; test: (e: StoredRaw) => boolean }>;
}
const sites: Record<'ams' | 'nyc', SiteFixture> = {} as never;

// Both DST changes (Amsterdam 2026-10-25, New York 2026-11-01) and the October/November boundary fall inside.
const WINDOW = { from: '2026-10-24T00:00:00Z', to: '2026-11-03T00:00:00Z' };

async function setUpSite(name: 'ams' | 'nyc', zone: string, seed: number): Promise<void> {
  const site = await createSite(user, { name, domain: `${name}.example`, timezone: zone });
  const { secret } = await createKey(user, site.id, ['stats:read', 'sites:manage']);
  const events = generateTraffic({ siteId: site.id, zone, seed, visitors: 4, prefix: name, ...WINDOW });
  await insertRaw(events);
  const visits = sessionise(events);
  const visitOf = new Map<string, OracleVisit>();
  for (const v of visits) for (const e of v.events) visitOf.set(e._id, v);
  const goals: SiteFixture['goals'] = [];
  sites[name] = { id: site.id, zone, secret, events, visits, visitOf, goals };
}

async function createGoal(site: SiteFixture, body: Record<string, string>, test: (e: StoredRaw) => boolean) {
  const request = (await import('supertest')).default;
  const res = await request(t.app)
    .post(`/api/v1/sites/${site.id}/goals`)
    .set('Authorization', `Bearer ${site.secret}`)
    .send(body);
  expect(res.status).toBe(201);
  site.goals.push({ id: res.body.id as string, test });
  return res.body.id as string;
}

beforeAll(async () => {
  t = await startTestApp();
  user = await signUp(t.app);
  await setUpSite('ams', 'Europe/Amsterdam', 7);
  await setUpSite('nyc', 'America/New_York', 11);
  await processPendingEvents();
  for (const site of Object.values(sites)) {
    await createGoal(site, { name: 'Read the blog', kind: 'page', match: '/blog/*' }, (e) =>
      e.kind === 'pv' ? /^\/blog\/.*$/.test(e.path) : false,
    );
    await createGoal(
      site,
      { name: 'Pro signup', kind: 'event', match: 'signup', propKey: 'plan', propValue: 'pro' },
      (e) => e.kind === 'ev' && e.name === 'signup' && e.props?.plan === 'pro',
    );
  }
}, 600_000);
afterAll(() => t.close());

// ---- the oracle ---------------------------------------------------------------------

type Filter = { dim: string; op: 'is' | 'is_not' | 'contains'; value: string };

const VISIT_KEY: Record<string, (e: StoredRaw) => string> = {
  source: (e) => e.source,
  channel: (e) => e.channel,
  utm_source: (e) => e.utmSource,
  utm_medium: (e) => e.utmMedium,
  utm_campaign: (e) => e.utmCampaign,
  utm_term: (e) => e.utmTerm,
  utm_content: (e) => e.utmContent,
  country: (e) => e.country,
  browser: (e) => e.browser,
  device: (e) => e.device,
};
const DIMENSIONS = ['page', 'entry_page', 'exit_page', ...Object.keys(VISIT_KEY), 'event', 'event_prop'];

const test = (f: Pick<Filter, 'op' | 'value'>, candidate: string) =>
  f.op === 'is'
    ? candidate === f.value
    : f.op === 'is_not'
      ? candidate !== f.value
      : candidate.toLowerCase().includes(f.value.toLowerCase());

function eventKeys(dim: string, e: StoredRaw): string[] {
  if (dim === 'page') return e.kind === 'pv' ? [e.path] : [];
  if (dim === 'event') return e.kind === 'ev' ? [e.name] : [];
  if (dim === 'event_prop' && e.kind === 'ev')
    return Object.entries(e.props ?? {}).map(([k, v]) => `${e.name}\u0000${k}\u0000${v}`);
  return [];
}

interface Selection {
  visits: OracleVisit[];
  events: StoredRaw[];
}

const counted = (e: StoredRaw) => e.kind === 'pv' || e.kind === 'ev';

/** The unfiltered view: every visit that started in the range and every pageview/event of the range. */
function everything(site: SiteFixture, days: Set<string>): Selection {
  return {
    visits: site.visits.filter((v) => days.has(v.day)),
    events: site.events.filter((e) => counted(e) && days.has(e.day)),
  };
}

/**
 * What a filter selects: visits passing every filter, judged on their in-range events;
 * those that started in the range count as visits, and the in-range events of all of
 * them count (a visit from the evening before is selected for its hits after midnight).
 */
function select(site: SiteFixture, days: Set<string>, filters: Filter[]): Selection {
  const all = everything(site, days);
  const own = new Map<OracleVisit, StoredRaw[]>();
  for (const e of all.events) {
    const v = site.visitOf.get(e._id)!;
    own.set(v, [...(own.get(v) ?? []), e]);
  }
  const candidates = [...new Set([...all.visits, ...own.keys()])];
  const selected = candidates.filter((v) =>
    filters.every((f) => {
      const mine = own.get(v) ?? [];
      if (f.dim === 'goal') {
        const goal = site.goals.find((g) => g.id === f.value);
        return mine.some((e) => goal?.test(e)) === (f.op === 'is');
      }
      const keyOf = VISIT_KEY[f.dim];
      if (keyOf) return test(f, keyOf(v.first));
      const positive = { op: f.op === 'is_not' ? ('is' as const) : f.op, value: f.value };
      return mine.some((e) => eventKeys(f.dim, e).some((k) => test(positive, k))) !== (f.op === 'is_not');
    }),
  );
  const kept = new Set(selected);
  const pageFilters = filters.filter((f) => f.dim === 'page' && f.op !== 'is_not');
  const events = all.events.filter(
    (e) => kept.has(site.visitOf.get(e._id)!) && (e.kind !== 'pv' || pageFilters.every((f) => test(f, e.path))),
  );
  return { visits: selected.filter((v) => days.has(v.day)), events };
}

function countOf(sel: Selection): Counts {
  const c = zero();
  c.visits = sel.visits.length;
  for (const v of sel.visits) {
    c.bounces += isBounce(v) ? 1 : 0;
    c.duration += v.lastSeen - v.start;
  }
  for (const e of sel.events) {
    if (e.kind === 'pv') c.pageviews += 1;
    else c.events += 1;
  }
  c.visitors = new Set([...sel.visits.map((v) => v.vid), ...sel.events.map((e) => e.vid)]).size;
  return c;
}

/** Visits of the range that converted (a visit from before the range converts on its own day). */
function conversions(site: SiteFixture, sel: Selection, goals = site.goals): Set<OracleVisit> {
  const started = new Set(sel.visits);
  const out = new Set<OracleVisit>();
  for (const e of sel.events) {
    const v = site.visitOf.get(e._id)!;
    if (started.has(v) && goals.some((g) => g.test(e))) out.add(v);
  }
  return out;
}

const pct = (part: number, whole: number) => (whole ? Math.round((1000 * part) / whole) / 10 : 0);

/** Rows of a breakdown: visits by their key, events by their own key or their visit's, on their own day. */
function breakdownOf(site: SiteFixture, sel: Selection, dim: string): Map<string, Counts> {
  const rows = new Map<string, Counts & { seen: Set<string> }>();
  const row = (key: string) => {
    let r = rows.get(key);
    if (!r) rows.set(key, (r = { ...zero(), seen: new Set() }));
    return r;
  };
  const keyOf =
    dim === 'entry_page'
      ? (v: OracleVisit) => v.entryPage
      : dim === 'exit_page'
        ? (v: OracleVisit) => v.exitPage
        : VISIT_KEY[dim]
          ? (v: OracleVisit) => VISIT_KEY[dim]!(v.first)
          : undefined;
  if (keyOf) {
    for (const v of sel.visits) {
      if ((dim === 'entry_page' || dim === 'exit_page') && !v.entryPage) continue;
      const r = row(keyOf(v));
      r.visits += 1;
      r.bounces += isBounce(v) ? 1 : 0;
      r.duration += v.lastSeen - v.start;
      r.seen.add(`${v.day}|${v.vid}`);
    }
    if (dim !== 'entry_page' && dim !== 'exit_page') {
      // Both engines: a hit counts on its own day in its visit's row, whenever the visit started.
      for (const e of sel.events) {
        const r = row(keyOf(site.visitOf.get(e._id)!));
        r[e.kind === 'pv' ? 'pageviews' : 'events'] += 1;
        r.seen.add(`${e.day}|${e.vid}`);
      }
    }
  } else {
    for (const e of sel.events) {
      for (const key of eventKeys(dim, e)) {
        const r = row(key);
        r[e.kind === 'pv' ? 'pageviews' : 'events'] += 1;
        r.seen.add(`${e.day}|${e.vid}`);
      }
    }
  }
  return new Map([...rows].map(([k, { seen, ...c }]) => [k, { ...c, visitors: seen.size }]));
}

function weekOf(day: string): string {
  return DateTime.fromISO(day).startOf('week').toISODate()!;
}

/** Local hours of the days, keyed by the UTC time each starts at (23 or 25 on DST days). */
function localHours(days: string[], zone: string): Array<{ label: string; utc: string }> {
  const out: Array<{ label: string; utc: string }> = [];
  const end = DateTime.fromISO(days[days.length - 1]!, { zone })
    .plus({ days: 1 })
    .startOf('day');
  for (let h = DateTime.fromISO(days[0]!, { zone }).startOf('day'); h < end; h = h.plus({ hours: 1 })) {
    const utc = h.toUTC();
    out.push({
      label: h.toISO({ suppressMilliseconds: true })!,
      utc: utc.toFormat(utc.minute === 0 ? "yyyy-MM-dd'T'HH" : "yyyy-MM-dd'T'HH:mm"),
    });
  }
  return out;
}

function seriesOf(sel: Selection, days: string[], interval: string, zone: string) {
  const buckets =
    interval === 'hour'
      ? localHours(days, zone).map((h) => ({ period: h.label, key: h.utc }))
      : [...new Set(days.map((d) => (interval === 'day' ? d : interval === 'week' ? weekOf(d) : d.slice(0, 7))))].map(
          (p) => ({ period: p, key: p }),
        );
  const keyOf = (x: { day: string; hour: string }) =>
    interval === 'hour' ? x.hour : interval === 'day' ? x.day : interval === 'week' ? weekOf(x.day) : x.day.slice(0, 7);
  return buckets.map(({ period, key }) => ({
    period,
    counts: countOf({
      visits: sel.visits.filter((v) => keyOf(v) === key),
      events: sel.events.filter((e) => keyOf(e) === key),
    }),
    days: interval === 'hour' ? 1 : days.filter((d) => keyOf({ day: d, hour: '' }) === key).length,
  }));
}

// ---- comparison ---------------------------------------------------------------------

/** Compares metrics; visitors of several days are an estimate and may differ by `tolerance`. */
function diff(where: string, actual: Record<string, unknown>, expected: Record<string, number>, tolerance = 0) {
  const problems: string[] = [];
  for (const [k, want] of Object.entries(expected)) {
    const got = actual[k] as number;
    const ok = k === 'visitors' && tolerance > 0 ? Math.abs(got - want) <= Math.ceil(want * tolerance) : got === want;
    if (!ok) problems.push(`${where} ${k}: got ${got}, expected ${want}`);
  }
  return problems;
}

const RANGES = {
  ams: [
    ['one DST day', '2026-10-25', '2026-10-25'],
    ['7 days', '2026-10-24', '2026-10-30'],
    ['across the month boundary', '2026-10-28', '2026-11-02'],
  ],
  nyc: [
    ['one DST day', '2026-11-01', '2026-11-01'],
    ['7 days', '2026-10-26', '2026-11-01'],
    ['across the month boundary', '2026-10-29', '2026-11-02'],
  ],
} as const;

const CASES = (['ams', 'nyc'] as const).flatMap((name) =>
  RANGES[name].map(([label, from, to]) => ({ name, label, from, to })),
);

const FILTER_SETS: Array<[string, (s: SiteFixture) => Filter[]]> = [
  ['country:is:NL', () => [{ dim: 'country', op: 'is', value: 'NL' }]],
  [
    'source:is:Google AND device:is:mobile',
    () => [
      { dim: 'source', op: 'is', value: 'Google' },
      { dim: 'device', op: 'is', value: 'mobile' },
    ],
  ],
  ['page:contains:/blog', () => [{ dim: 'page', op: 'contains', value: '/BLOG' }]],
  ['country:is_not:US', () => [{ dim: 'country', op: 'is_not', value: 'US' }]],
  ['goal:is:<pro signup>', (s) => [{ dim: 'goal', op: 'is', value: s.goals[1]!.id }]],
];
const asParam = (fs: Filter[]) => fs.map((f) => `${f.dim}:${f.op}:${f.value}`);

describe('reports against an independent oracle', () => {
  it('when traffic is generated, then it is realistic enough to mean something', () => {
    for (const site of Object.values(sites)) {
      const perVisitor = new Map<string, number>();
      for (const v of site.visits) perVisitor.set(v.vid, (perVisitor.get(v.vid) ?? 0) + 1);
      expect([...perVisitor.values()].filter((n) => n > 1).length).toBeGreaterThan(1);
      expect(site.visits.filter(isBounce).length).toBeGreaterThan(1);
      expect(site.visits.filter((v) => !isBounce(v)).length).toBeGreaterThan(1);
      expect(new Set(site.visits.map((v) => v.day)).size).toBeGreaterThanOrEqual(4);
      expect(site.events.filter((e) => e.kind === 'ev').length).toBeGreaterThan(2);
    }
  });

  describe.each(CASES)('$name, $label ($from..$to)', ({ name, from, to }) => {
    const days = daysBetween(from, to);
    const daySet = new Set(days);
    const tolerance = days.length > 1 ? 0.05 : 0;
    const base = (s: SiteFixture) => `/api/v1/sites/${s.id}`;

    it('when no filter is set, then overview, every series interval and every breakdown match the oracle', async () => {
      const site = sites[name];
      const problems: string[] = [];
      const sel = everything(site, daySet);
      const expected = countOf(sel);

      const overview = await getJson(t, site.secret, `${base(site)}/stats/overview?${qs({ from, to })}`);
      expect(overview.source).toBe('rollups');
      expect(overview.visitorsExact).toBe(days.length === 1);
      problems.push(...diff('overview', overview.metrics, metricsOf(expected), tolerance));
      const converted = conversions(site, sel).size;
      problems.push(
        ...diff('overview', overview.metrics, {
          conversions: converted,
          conversionRate: pct(converted, expected.visits),
        }),
      );
      const prev = daysBetween(
        DateTime.fromISO(from).minus({ days: days.length }).toISODate()!,
        DateTime.fromISO(from).minus({ days: 1 }).toISODate()!,
      );
      problems.push(
        ...diff('previous', overview.previous, metricsOf(countOf(everything(site, new Set(prev)))), tolerance),
      );

      for (const interval of ['day', 'week', 'month', 'hour']) {
        const series = await getJson(t, site.secret, `${base(site)}/stats/timeseries?${qs({ from, to, interval })}`);
        const want = seriesOf(sel, days, interval, site.zone);
        expect(series.points.map((p: { period: string }) => p.period)).toEqual(want.map((w) => w.period));
        want.forEach((w, i) =>
          problems.push(
            ...diff(`${interval} ${w.period}`, series.points[i], metricsOf(w.counts), w.days > 1 ? 0.05 : 0),
          ),
        );
      }

      for (const dim of DIMENSIONS) {
        const res = await getJson(
          t,
          site.secret,
          `${base(site)}/stats/breakdown/${dim}?${qs({ from, to, limit: 1000 })}`,
        );
        problems.push(...compareRows(dim, res.rows, breakdownOf(site, sel, dim)));
      }
      expect(problems).toEqual([]);
    });

    it.each(FILTER_SETS)(
      'when filtered by %s, then overview, series and breakdowns match the oracle',
      async (_l, make) => {
        const site = sites[name];
        const filters = make(site);
        const problems: string[] = [];
        const sel = select(site, daySet, filters);
        const expected = countOf(sel);
        const overview = await getJson(
          t,
          site.secret,
          `${base(site)}/stats/overview?${qs({ from, to, compare: 'none' }, asParam(filters))}`,
        );
        expect(overview.source).toBe('raw');
        problems.push(...diff('overview', overview.metrics, metricsOf(expected)));
        const converted = conversions(site, sel).size;
        problems.push(...diff('overview', overview.metrics, { conversions: converted }));

        for (const interval of ['day', 'week', 'hour']) {
          const series = await getJson(
            t,
            site.secret,
            `${base(site)}/stats/timeseries?${qs({ from, to, interval }, asParam(filters))}`,
          );
          const want = seriesOf(sel, days, interval, site.zone);
          expect(series.points).toHaveLength(want.length);
          want.forEach((w, i) =>
            problems.push(...diff(`${interval} ${w.period}`, series.points[i], metricsOf(w.counts))),
          );
        }
        for (const dim of DIMENSIONS) {
          const res = await getJson(
            t,
            site.secret,
            `${base(site)}/stats/breakdown/${dim}?${qs({ from, to, limit: 1000 }, asParam(filters))}`,
          );
          problems.push(...compareRows(dim, res.rows, breakdownOf(site, sel, dim)));
        }
        expect(problems).toEqual([]);
      },
    );

    it('when a breakdown asks for conversions of a goal, then each row counts its converting visits', async () => {
      const site = sites[name];
      const goal = site.goals[0]!;
      const sel = everything(site, daySet);
      const converted = conversions(site, sel, [goal]);
      for (const dim of ['source', 'page', 'country']) {
        const res = await getJson(
          t,
          site.secret,
          `${base(site)}/stats/breakdown/${dim}?${qs({ from, to, limit: 1000, goal: goal.id })}`,
        );
        const per = breakdownOf(
          site,
          {
            visits: sel.visits.filter((v) => converted.has(v)),
            events: sel.events.filter((e) => converted.has(site.visitOf.get(e._id)!)),
          },
          dim,
        );
        for (const row of res.rows) {
          const c = per.get(row.key);
          const n = c ? c.visits || c.visitors : 0;
          expect({ dim, key: row.key, conversions: row.conversions }).toEqual({ dim, key: row.key, conversions: n });
          expect(row.conversionRate).toBe(pct(n, row.visits || row.visitors));
        }
      }
    });

    it('when a filter matches everything, then the filtered engine agrees with the rollups', async () => {
      const site = sites[name];
      const all = ['country:is_not:__none__'];
      const problems: string[] = [];
      const a = await getJson(t, site.secret, `${base(site)}/stats/overview?${qs({ from, to, compare: 'none' })}`);
      const b = await getJson(t, site.secret, `${base(site)}/stats/overview?${qs({ from, to, compare: 'none' }, all)}`);
      expect(b.source).toBe('raw');
      problems.push(...diff('overview', b.metrics, a.metrics as Record<string, number>, tolerance));
      for (const interval of ['day', 'hour']) {
        const x = await getJson(t, site.secret, `${base(site)}/stats/timeseries?${qs({ from, to, interval })}`);
        const y = await getJson(t, site.secret, `${base(site)}/stats/timeseries?${qs({ from, to, interval }, all)}`);
        x.points.forEach((p: Record<string, number>, i: number) =>
          problems.push(...diff(`${interval} ${p.period}`, y.points[i], p)),
        );
      }
      for (const dim of ['page', 'entry_page', 'country', 'source', 'device', 'event', 'event_prop']) {
        const x = await getJson(
          t,
          site.secret,
          `${base(site)}/stats/breakdown/${dim}?${qs({ from, to, limit: 1000 })}`,
        );
        const y = await getJson(
          t,
          site.secret,
          `${base(site)}/stats/breakdown/${dim}?${qs({ from, to, limit: 1000 }, all)}`,
        );
        // Every field of every row, for visit attributes too (docs/metrics.md: a hit belongs to its own day).
        const want = new Map<string, Counts>(x.rows.map((r: Counts & { key: string }) => [r.key, r]));
        problems.push(...compareRows(dim, y.rows, want, true));
      }
      expect(problems).toEqual([]);
    });
  });
});

function compareRows(
  dim: string,
  rows: Array<Record<string, number> & { key: string }>,
  want: Map<string, Counts>,
  asMetrics = false,
): string[] {
  const problems: string[] = [];
  const got = new Map(rows.map((r) => [r.key, r]));
  const missing = [...want.keys()].filter((k) => !got.has(k));
  const extra = [...got.keys()].filter((k) => !want.has(k));
  if (missing.length) problems.push(`${dim}: missing keys ${JSON.stringify(missing)}`);
  if (extra.length) problems.push(`${dim}: unexpected keys ${JSON.stringify(extra)}`);
  for (const [key, c] of want) {
    const row = got.get(key);
    if (row) problems.push(...diff(`${dim}[${JSON.stringify(key)}]`, row, asMetrics ? (c as never) : metricsOf(c)));
  }
  return problems;
}
