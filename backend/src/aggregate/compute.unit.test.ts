import { DateTime } from 'luxon';
import { Types } from 'mongoose';

import { localHourKey } from '../lib/local-hour';
import { computeBatch, type BatchResult, type CounterDelta, type SiteConfig, type SiteGoal } from './compute';
import { VISIT_ATTRIBUTES, type RawEvent, type VisitAttributes, type VisitDoc } from './model';
import { applyDelta, emptyState, VISIT_OPEN_MS, type AggregatorState } from './state';

const SITE = new Types.ObjectId('5f0000000000000000000001');
const MIN = 60_000;

interface Hit {
  /** ISO instant, with its offset. */
  at: string;
  vid?: string;
  kind?: RawEvent['kind'];
  path?: string;
  name?: string;
  id?: string;
  source?: string;
  engagedMs?: number;
  userId?: string;
  traits?: Record<string, unknown>;
}

const NO_ATTRIBUTES = Object.fromEntries(VISIT_ATTRIBUTES.map((a) => [a, ''])) as VisitAttributes;

/**
 * A raw event as the collector stores it: day and hour in the site's zone, `${siteId}:${clientId}` id.
 * Of the visit attributes only the source is set; the others are '' (no channel, country, browser…).
 */
function rawEvent(hit: Hit, zone: string): RawEvent {
  const ts = new Date(hit.at);
  const kind = hit.kind ?? 'pv';
  return {
    ...NO_ATTRIBUTES,
    source: hit.source ?? 'Direct',
    _id: `${String(SITE)}:${hit.id ?? `${kind}@${ts.toISOString()}`}`,
    siteId: SITE,
    ts,
    day: DateTime.fromJSDate(ts, { zone }).toISODate()!,
    hour: localHourKey(ts, zone),
    kind,
    vid: hit.vid ?? 'f:alice',
    path: hit.path ?? '/',
    name: hit.name ?? '',
    engagedMs: hit.engagedMs ?? 0,
    notFound: false,
    userId: hit.userId ?? '',
    ...(hit.traits ? { traits: hit.traits } : {}),
    visitId: '',
  };
}

interface Run {
  zone?: string;
  timeoutMinutes?: number;
  firstParty?: boolean;
  goals?: SiteGoal[];
  /** Batch clock; by default a minute after the last hit, so no visit of the batch has closed. */
  clock?: number;
}

/** Freezes the visits and visitor-day keys of a state, so a batch that changed them in place would throw. */
function freeze(state: AggregatorState): AggregatorState {
  for (const visit of state.visits.values()) {
    for (const conversion of visit.conversions ?? []) Object.freeze(conversion);
    Object.freeze(visit.conversions);
    Object.freeze(visit.traits);
    Object.freeze(visit);
  }
  for (const keys of state.days.values()) Object.freeze(keys);
  return state;
}

/** Computes one batch the way the aggregator does: events sorted by time, then id. */
function batch(hits: readonly Hit[], state: AggregatorState, run: Run = {}, sorted = true): BatchResult {
  const zone = run.zone ?? 'UTC';
  const events = hits.map((hit) => rawEvent(hit, zone));
  if (sorted) events.sort((a, b) => a.ts.getTime() - b.ts.getTime() || (a._id < b._id ? -1 : 1));
  // Frozen, as the state is in batches(): a batch that changed its input would throw.
  for (const event of events) Object.freeze(Object.freeze(event).traits);
  Object.freeze(events);
  const site: SiteConfig = {
    timeoutMs: (run.timeoutMinutes ?? 30) * MIN,
    firstParty: run.firstParty ?? true,
    ...(run.goals ? { goals: run.goals } : {}),
  };
  const clock = run.clock ?? Math.max(...events.map((e) => e.ts.getTime())) + MIN;
  return computeBatch(events, new Map([[String(SITE), site]]), state, clock);
}

/** Runs batches in order, each on the state the previous ones left (frozen), as the aggregator does. */
function batches(hitsPerBatch: ReadonlyArray<readonly Hit[]>, run: Run = {}) {
  const state = emptyState();
  const results = hitsPerBatch.map((hits) => {
    const result = batch(hits, state, run);
    applyDelta(state, result.delta);
    freeze(state);
    return result;
  });
  return { state, results };
}

/** Every visit a batch left open or closed, by start. */
const visitsOf = (result: BatchResult): VisitDoc[] =>
  [...result.delta.visits, ...result.closedVisits].sort((a, b) => a.start.getTime() - b.start.getTime());

/**
 * The rollup deltas of one or more batches added up, as `<day> all`, `<day> h <hour>`,
 * `<day> <dim>=<key>` and `<day> goal <key>` rows, counters that add up to 0 left out.
 */
function rows(...results: BatchResult[]): Record<string, CounterDelta> {
  const sums = new Map<string, Map<string, number>>();
  const add = (row: string, delta: CounterDelta) => {
    const sum = sums.get(row) ?? new Map<string, number>();
    for (const [counter, n] of Object.entries(delta)) sum.set(counter, (sum.get(counter) ?? 0) + n);
    sums.set(row, sum);
  };
  for (const result of results) {
    for (const d of result.rollups) {
      add(`${d.day} all`, d.totals);
      for (const [hour, delta] of d.hours) add(`${d.day} h ${hour}`, delta);
      for (const [dim, keyed] of d.dims) for (const [key, delta] of keyed) add(`${d.day} ${dim}=${key}`, delta);
      for (const [key, delta] of d.goals) add(`${d.day} goal ${key}`, delta);
    }
  }
  const out: Record<string, CounterDelta> = {};
  for (const [row, sum] of sums) {
    const nonZero = [...sum].filter(([, n]) => n !== 0);
    if (nonZero.length > 0) out[row] = Object.fromEntries(nonZero);
  }
  return out;
}

/** `base` plus `ms`, as an ISO instant. */
const after = (base: string, ms: number) => new Date(Date.parse(base) + ms).toISOString();

const T0 = '2026-03-10T10:00:00.000Z';

describe('sessionisation: the visit timeout', () => {
  describe.each([
    ['in one batch', (hits: Hit[], run: Run) => batches([hits], run).results],
    ['in two batches', (hits: Hit[], run: Run) => batches([hits.slice(0, 1), hits.slice(1)], run).results],
  ])('%s', (_label, compute) => {
    it.each([
      ['29 min 59.999 s', 30, 1, 30 * MIN - 1],
      ['exactly 30 min', 30, 1, 30 * MIN],
      ['30 min and 1 ms', 30, 2, 30 * MIN + 1],
      ['31 min', 60, 1, 31 * MIN],
      ['60 min and 1 ms', 60, 2, 60 * MIN + 1],
      ['4 h', 240, 1, 240 * MIN],
      ['5 min and 1 ms', 5, 2, 5 * MIN + 1],
    ])(
      'when a visitor comes back after %s under a %i-minute timeout, then they made %i visit(s)',
      (_gap, timeout, visits, gap) => {
        const results = compute(
          [
            { at: T0, path: '/' },
            { at: after(T0, gap), path: '/next' },
          ],
          { timeoutMinutes: timeout },
        );
        expect(rows(...results)['2026-03-10 all']).toMatchObject({ pageviews: 2, visits, visitors: 1 });
      },
    );
  });
});

describe('sessionisation: what each kind of hit does', () => {
  it.each<[string, { visits?: number; bounces?: number; pageviews?: number; events?: number }, RawEvent['kind'][]]>([
    ['a pageview', { visits: 1, bounces: 1, pageviews: 1 }, ['pv']],
    ['two pageviews', { visits: 1, pageviews: 2 }, ['pv', 'pv']],
    ['a custom event', { visits: 1, bounces: 1, events: 1 }, ['ev']],
    ['a custom event, then a pageview', { visits: 1, pageviews: 1, events: 1 }, ['ev', 'pv']],
    ['a pageview, then engagement pings', { visits: 1, bounces: 1, pageviews: 1 }, ['pv', 'en', 'en']],
    ['a pageview, then an identify call', { visits: 1, bounces: 1, pageviews: 1 }, ['pv', 'id']],
    ['an identify call alone', { visits: 1, bounces: 1 }, ['id']],
    ['an engagement ping alone', {}, ['en']],
  ])('when a visitor sends %s, then the day counts %j', (_label, expected, kinds) => {
    const hits = kinds.map((kind, i): Hit => ({ at: after(T0, i * MIN), kind, engagedMs: 1000, name: 'signup' }));
    const day = rows(batch(hits, emptyState()))['2026-03-10 all'] ?? {};
    const { visits, bounces, pageviews, events } = day;
    expect({ visits, bounces, pageviews, events }).toEqual(expected);
  });

  it('when an engagement ping comes without an open visit, then it is engaged time of its page and day only', () => {
    const result = batch([{ at: T0, kind: 'en', path: '/read', engagedMs: 4000 }], emptyState());
    expect(visitsOf(result)).toEqual([]);
    expect(rows(result)).toEqual({
      '2026-03-10 all': { engaged: 4000 },
      '2026-03-10 h 2026-03-10T10': { engaged: 4000 },
      '2026-03-10 page=/read': { engaged: 4000 },
    });
    expect(result.eventsByVisit.get('')).toEqual([`${String(SITE)}:en@${new Date(T0).toISOString()}`]);
  });

  it('when an engagement ping comes after the timeout but while the visit is open, then it joins the visit without lengthening it', () => {
    const result = batch(
      [
        { at: T0, path: '/read' },
        { at: after(T0, 45 * MIN), kind: 'en', path: '/read', engagedMs: 40 * MIN },
      ],
      emptyState(),
    );
    expect(visitsOf(result)).toMatchObject([
      { pageviews: 1, engagedMs: 40 * MIN, duration: 0, lastSeen: new Date(T0) },
    ]);
  });
});

describe('sessionisation: events out of order', () => {
  const hits: Hit[] = [
    { at: after(T0, 5 * MIN), path: '/b' },
    { at: T0, path: '/a' },
  ];

  it('when a batch is in the aggregator’s order (time, then id), then the visit runs from its earliest hit to its latest', () => {
    expect(visitsOf(batch(hits, emptyState()))).toMatchObject([
      { entryPage: '/a', exitPage: '/b', pageviews: 2, start: new Date(T0), duration: 5 * MIN, bounce: false },
    ]);
  });

  it('when an earlier hit comes after a later one, then the exit page and last activity stay at the later one', () => {
    const [visit, ...others] = visitsOf(batch(hits, emptyState(), {}, false));
    expect(others).toEqual([]);
    expect(visit).toMatchObject({
      exitPage: '/b',
      lastSeen: new Date(after(T0, 5 * MIN)),
      pageviews: 2,
      bounce: false,
    });
  });

  it('when a hit arrives a batch late, then it joins its visit without moving its exit page or last activity back', () => {
    const { results } = batches([
      [
        { at: T0, path: '/a' },
        { at: after(T0, 10 * MIN), path: '/c' },
      ],
      [{ at: after(T0, 5 * MIN), path: '/b' }],
    ]);
    expect(visitsOf(results[1]!)).toMatchObject([
      { entryPage: '/a', exitPage: '/c', pageviews: 3, duration: 10 * MIN, lastSeen: new Date(after(T0, 10 * MIN)) },
    ]);
    expect(rows(...results)).toMatchObject({
      '2026-03-10 all': { pageviews: 3, visits: 1, visitors: 1, duration: 10 * MIN },
      '2026-03-10 exit_page=/c': { visits: 1, exits: 1, visitors: 1 },
    });
    expect(rows(...results)['2026-03-10 exit_page=/b']).toBeUndefined();
  });
});

describe('sessionisation: a hit older than its visitor’s open visit (a batch late)', () => {
  // The visit was aggregated from a pageview at T0; a hit from before it arrives in the next batch.
  const opening: Hit[] = [{ at: T0, path: '/now' }];

  it.each<[string, number, boolean, number, RawEvent['kind']]>([
    ['a pageview 4 hours older', 2, false, 4 * 60 * MIN, 'pv'],
    ['a pageview 31 minutes older', 2, false, 31 * MIN, 'pv'],
    ['a pageview 30 minutes and 1 ms older', 2, false, 30 * MIN + 1, 'pv'],
    ['a pageview exactly the timeout older', 1, true, 30 * MIN, 'pv'],
    ['a pageview 10 minutes older', 1, true, 10 * MIN, 'pv'],
    ['a custom event 4 hours older', 2, false, 4 * 60 * MIN, 'ev'],
    ['an identify call 4 hours older', 2, false, 4 * 60 * MIN, 'id'],
    ['an engagement ping 4 hours older', 1, false, 4 * 60 * MIN, 'en'],
    ['an engagement ping 31 minutes older', 1, false, 31 * MIN, 'en'],
    ['an engagement ping 10 minutes older', 1, true, 10 * MIN, 'en'],
  ])(
    'when %s comes, then the visitor has %i open visit(s), and it joined the visit of T0: %s',
    (_label, visits, joins, age, kind) => {
      const { results, state } = batches([opening, [{ at: after(T0, -age), kind, path: '/before' }]]);
      const open = [...state.visits.values()];
      expect(open).toHaveLength(visits);
      const ofT0 = open.find((v) => v.start.getTime() === Date.parse(T0))!;
      // A hit from before the visit's last activity moves neither its exit page nor its end.
      expect(ofT0).toMatchObject({ entryPage: '/now', exitPage: '/now', lastSeen: new Date(T0), duration: 0 });
      expect(results[1]!.eventsByVisit.has(ofT0._id)).toBe(joins);
      expect(ofT0.pageviews).toBe(joins && kind === 'pv' ? 2 : 1);
      // The visitor's current visit stays the latest one.
      expect(state.current.get(`${String(SITE)}:f:alice`)).toBe(ofT0._id);
    },
  );

  it('when a hit 4 hours older opens a visit of its own, then the deltas add up to one batch in time order', () => {
    const late: Hit[] = [{ at: after(T0, -4 * 60 * MIN), path: '/before' }];
    expect(rows(...batches([opening, late]).results)).toEqual(rows(batch([...late, ...opening], emptyState())));
  });

  it('when two late hits come in later batches, then the second joins the first one’s visit, and a new hit the current one', () => {
    const { state } = batches([
      opening,
      [{ at: after(T0, -4 * 60 * MIN), path: '/early' }],
      [{ at: after(T0, -4 * 60 * MIN + 5 * MIN), path: '/early-2' }],
      [{ at: after(T0, 5 * MIN), path: '/next' }],
    ]);
    expect([...state.visits.values()].sort((a, b) => a.start.getTime() - b.start.getTime())).toMatchObject([
      { entryPage: '/early', exitPage: '/early-2', pageviews: 2, duration: 5 * MIN },
      { entryPage: '/now', exitPage: '/next', pageviews: 2, duration: 5 * MIN },
    ]);
  });

  it('when an identified visitor’s hit from hours before comes late, then its visit does not take the later identity', () => {
    const { state } = batches([
      [{ at: T0, kind: 'id', userId: 'u-42' }],
      [{ at: after(T0, -4 * 60 * MIN), path: '/before' }],
    ]);
    expect([...state.visits.values()].map((v) => [v.start.toISOString(), v.userId])).toEqual([
      [new Date(T0).toISOString(), 'u-42'],
      [after(T0, -4 * 60 * MIN), ''],
    ]);
  });
});

describe('sessionisation: a visit across midnight', () => {
  it.each([
    ['UTC', '2026-03-10T23:50:00Z', '2026-03-11T00:20:00Z', '2026-03-10', '2026-03-11'],
    ['Europe/Berlin', '2026-03-10T23:50:00+01:00', '2026-03-11T00:20:00+01:00', '2026-03-10', '2026-03-11'],
    // Summer time began at 02:00 that night: 23:50 to 00:20 is still 30 minutes.
    ['Europe/Berlin', '2026-03-28T23:50:00+01:00', '2026-03-29T00:20:00+01:00', '2026-03-28', '2026-03-29'],
    ['America/New_York', '2026-11-01T23:50:00-05:00', '2026-11-02T00:20:00-05:00', '2026-11-01', '2026-11-02'],
    ['Asia/Kolkata', '2026-03-10T23:50:00+05:30', '2026-03-11T00:20:00+05:30', '2026-03-10', '2026-03-11'],
  ])(
    'when a visit in %s runs from %s to %s, then it is a visit of its first day and each pageview counts on its own day',
    (zone, first, second, day1, day2) => {
      const result = batch(
        [
          { at: first, path: '/issue', source: 'Newsletter' },
          { at: second, path: '/archive', source: 'Newsletter' },
        ],
        emptyState(),
        { zone },
      );
      expect(visitsOf(result)).toMatchObject([{ day: day1, pageviews: 2, duration: 30 * MIN, bounce: false }]);
      const got = rows(result);
      expect(got[`${day1} all`]).toEqual({ pageviews: 1, visits: 1, visitors: 1, duration: 30 * MIN });
      expect(got[`${day2} all`]).toEqual({ pageviews: 1, visitors: 1 });
      expect(got[`${day1} source=Newsletter`]).toEqual({ pageviews: 1, visits: 1, visitors: 1, duration: 30 * MIN });
      expect(got[`${day2} source=Newsletter`]).toEqual({ pageviews: 1, visitors: 1 });
      expect(got[`${day1} exit_page=/archive`]).toMatchObject({ visits: 1, exits: 1 });
      expect(got[`${day2} exit_page=/archive`]).toBeUndefined();
    },
  );
});

describe('sessionisation: first-party and cookieless ids', () => {
  // The collector names visitors `f:<id the tracker keeps>` or `c:<hash of the day's salt, site, IP and user agent>`;
  // the salt changes at UTC midnight, so a cookieless visitor gets a new id there.
  it.each([
    ['first-party', 1, 1, 'f:7d1c', 'f:7d1c'],
    ['cookieless', 2, 2, 'c:day-one-hash', 'c:day-two-hash'],
  ])(
    'when a %s visitor browses across UTC midnight in Berlin, then the site-local day has %i visit(s) and %i visitor(s)',
    (_scheme, visits, visitors, vidBefore, vidAfter) => {
      const result = batch(
        [
          { at: '2026-03-10T23:50:00Z', vid: vidBefore },
          { at: '2026-03-11T00:05:00Z', vid: vidAfter, path: '/pricing' },
        ],
        emptyState(),
        { zone: 'Europe/Berlin' },
      );
      expect(rows(result)['2026-03-11 all']).toMatchObject({ pageviews: 2, visits, visitors });
    },
  );

  it.each([
    ['first-party ids', 'u-42', { plan: 'pro', seats: 3 }, true],
    ['cookieless ids', '', null, false],
  ])(
    'when a site with %s receives identify calls, then the visit keeps user id %j and traits %j',
    (_label, userId, traits, firstParty) => {
      const result = batch(
        [
          { at: T0 },
          { at: after(T0, MIN), kind: 'id', userId: 'u-42', traits: { plan: 'pro' } },
          { at: after(T0, 2 * MIN), kind: 'id', traits: { seats: 3 } },
        ],
        emptyState(),
        { firstParty },
      );
      expect(visitsOf(result)).toMatchObject([{ userId, traits }]);
    },
  );

  it('when an identified visitor starts a new visit while the previous one is open, then the new visit carries the identity', () => {
    const result = batch(
      [
        { at: T0, kind: 'id', userId: 'u-42', traits: { plan: 'pro' } },
        { at: after(T0, 31 * MIN), path: '/again' },
      ],
      emptyState(),
    );
    expect(visitsOf(result)).toMatchObject([
      { userId: 'u-42', traits: { plan: 'pro' } },
      { entryPage: '/again', userId: 'u-42', traits: { plan: 'pro' } },
    ]);
  });
});

describe('rollup deltas: a batch adds contribution(after) − contribution(before) of each visit it changes', () => {
  const opening: Hit[] = [{ at: T0, path: '/' }];

  it.each<[string, Hit[], Hit[], Record<string, CounterDelta>]>([
    [
      'a second pageview of the open visit',
      opening,
      [{ at: after(T0, 5 * MIN), path: '/about' }],
      {
        '2026-03-10 all': { pageviews: 1, bounces: -1, duration: 5 * MIN },
        '2026-03-10 h 2026-03-10T10': { pageviews: 1, bounces: -1, duration: 5 * MIN },
        '2026-03-10 exit_page=/': { visits: -1, bounces: -1, exits: -1, visitors: -1 },
        '2026-03-10 exit_page=/about': { visits: 1, duration: 5 * MIN, exits: 1, visitors: 1 },
        '2026-03-10 page=/': { exits: -1 },
        '2026-03-10 page=/about': { pageviews: 1, visitors: 1, exits: 1 },
        '2026-03-10 entry_page=/': { bounces: -1, duration: 5 * MIN },
        '2026-03-10 source=Direct': { pageviews: 1, bounces: -1, duration: 5 * MIN },
      },
    ],
    [
      'a pageview after the timeout: a new visit of a visitor the day already counts',
      opening,
      [{ at: after(T0, 45 * MIN), path: '/' }],
      {
        '2026-03-10 all': { pageviews: 1, visits: 1, bounces: 1 },
        '2026-03-10 h 2026-03-10T10': { pageviews: 1, visits: 1, bounces: 1 },
        '2026-03-10 exit_page=/': { visits: 1, bounces: 1, exits: 1 },
        '2026-03-10 page=/': { pageviews: 1, entries: 1, exits: 1 },
        '2026-03-10 entry_page=/': { visits: 1, bounces: 1 },
        '2026-03-10 source=Direct': { pageviews: 1, visits: 1, bounces: 1 },
      },
    ],
    [
      'an engagement ping within the timeout (it lengthens the visit)',
      opening,
      [{ at: after(T0, MIN), kind: 'en', path: '/', engagedMs: 7000 }],
      {
        '2026-03-10 all': { engaged: 7000, duration: MIN },
        '2026-03-10 h 2026-03-10T10': { engaged: 7000, duration: MIN },
        '2026-03-10 page=/': { engaged: 7000 },
        '2026-03-10 exit_page=/': { duration: MIN },
        '2026-03-10 entry_page=/': { duration: MIN },
        '2026-03-10 source=Direct': { duration: MIN },
      },
    ],
    [
      'a custom event',
      opening,
      [{ at: after(T0, 2 * MIN), kind: 'ev', name: 'signup' }],
      {
        '2026-03-10 all': { events: 1, bounces: -1, duration: 2 * MIN },
        '2026-03-10 h 2026-03-10T10': { events: 1, bounces: -1, duration: 2 * MIN },
        '2026-03-10 event=signup': { events: 1, visitors: 1 },
        '2026-03-10 exit_page=/': { bounces: -1, duration: 2 * MIN },
        '2026-03-10 entry_page=/': { bounces: -1, duration: 2 * MIN },
        '2026-03-10 source=Direct': { events: 1, bounces: -1, duration: 2 * MIN },
      },
    ],
    [
      'a pageview of the same visit after midnight',
      [{ at: '2026-03-10T23:55:00Z', path: '/' }],
      [{ at: '2026-03-11T00:10:00Z', path: '/late' }],
      {
        '2026-03-10 all': { bounces: -1, duration: 15 * MIN },
        '2026-03-10 h 2026-03-10T23': { bounces: -1, duration: 15 * MIN },
        '2026-03-11 all': { pageviews: 1, visitors: 1 },
        '2026-03-11 h 2026-03-11T00': { pageviews: 1, visitors: 1 },
        '2026-03-10 exit_page=/': { visits: -1, bounces: -1, exits: -1, visitors: -1 },
        '2026-03-10 exit_page=/late': { visits: 1, duration: 15 * MIN, exits: 1, visitors: 1 },
        '2026-03-10 page=/': { exits: -1 },
        '2026-03-10 page=/late': { exits: 1 },
        '2026-03-11 page=/late': { pageviews: 1, visitors: 1 },
        '2026-03-10 entry_page=/': { bounces: -1, duration: 15 * MIN },
        '2026-03-10 source=Direct': { bounces: -1, duration: 15 * MIN },
        '2026-03-11 source=Direct': { pageviews: 1, visitors: 1 },
      },
    ],
  ])('when the next batch brings %s, then its deltas are exactly these', (_label, first, next, expected) => {
    const { results } = batches([first, next]);
    // Every other dimension's key is '' here (no country, browser, UTM…) and changes like source=Direct.
    const got = Object.fromEntries(Object.entries(rows(results[1]!)).filter(([row]) => !row.endsWith('=')));
    expect(got).toEqual(expected);
  });

  it.each<[string, Hit[][]]>([
    [
      'a visit growing over three batches',
      [[{ at: T0 }], [{ at: after(T0, 5 * MIN), path: '/b' }], [{ at: after(T0, 9 * MIN), kind: 'ev', name: 'x' }]],
    ],
    [
      'two visits and a late ping',
      [
        [{ at: T0 }, { at: after(T0, 40 * MIN), path: '/b' }],
        [{ at: after(T0, 41 * MIN), kind: 'en', path: '/b', engagedMs: 3000 }],
        [{ at: after(T0, 50 * MIN), path: '/c', vid: 'f:bob' }],
      ],
    ],
    [
      'a visit across midnight',
      [
        [{ at: '2026-03-10T23:55:00Z' }],
        [{ at: '2026-03-11T00:05:00Z', path: '/b' }],
        [{ at: '2026-03-11T00:06:00Z' }],
      ],
    ],
  ])('when %s is split into batches, then the deltas add up to those of one batch', (_label, split) => {
    const apart = batches(split).results;
    const together = batch(split.flat(), emptyState());
    expect(rows(...apart)).toEqual(rows(together));
  });

  it.each<[string, Hit[], Record<string, CounterDelta>]>([
    [
      'a goal reached on the first day',
      [{ at: T0 }, { at: after(T0, MIN), path: '/thanks' }],
      { 'goal g|0': { visits: 1, visitors: 1 }, 'goal *|0': { visits: 1, visitors: 1 } },
    ],
    [
      'a goal reached after midnight',
      [{ at: '2026-03-10T23:55:00Z' }, { at: '2026-03-11T00:05:00Z', path: '/thanks' }],
      { 'goal g|1': { visits: 1, visitors: 1 }, 'goal *|1': { visits: 1, visitors: 1 } },
    ],
    ['no goal reached', [{ at: T0 }], {}],
  ])(
    'when a visit has %s, then its start day counts the conversion under the lag in days',
    (_label, hits, expected) => {
      const goal: SiteGoal = { id: 'g', matches: (e) => e.kind === 'pv' && e.path === '/thanks' };
      const got = rows(batch(hits, emptyState(), { goals: [goal] }));
      const day = hits[0]!.at.slice(0, 10);
      const goalRows = Object.fromEntries(
        Object.entries(got)
          .filter(([row]) => row.includes(' goal '))
          .map(([row, delta]) => [row.replace(`${day} `, ''), delta]),
      );
      expect(goalRows).toEqual(expected);
    },
  );
});

describe('closing visits', () => {
  it.each([
    ['exactly the open window (6 h)', false, VISIT_OPEN_MS],
    ['1 ms past the open window', true, VISIT_OPEN_MS + 1],
  ])('when the clock is %s after the last activity, then the visit is closed: %s', (_label, closed, elapsed) => {
    const { state } = batches([[{ at: T0 }]]);
    const result = batch([{ at: T0, vid: 'f:other' }], state, { clock: Date.parse(T0) + elapsed });
    const alice = (visits: VisitDoc[]) => visits.some((v) => v.vid === 'f:alice');
    expect(alice(result.closedVisits)).toBe(closed);
    expect(result.delta.closed.some((id) => id.includes(':f:alice:'))).toBe(closed);
  });

  it('when a visit with conversions closes, then it is stored without them', () => {
    const goal: SiteGoal = { id: 'g', matches: () => true };
    const result = batch([{ at: T0 }], emptyState(), { goals: [goal], clock: Date.parse(T0) + VISIT_OPEN_MS + 1 });
    expect(result.closedVisits).toHaveLength(1);
    expect(result.closedVisits[0]).not.toHaveProperty('conversions');
  });
});

describe('computeBatch is pure', () => {
  /** The state as plain JSON: Maps as entries, dates as ISO strings. */
  const snapshot = (state: AggregatorState) =>
    JSON.stringify({ ...state, visits: [...state.visits], current: [...state.current], days: [...state.days] });

  const goals: SiteGoal[] = [
    { id: 'thanks', matches: (e) => e.path === '/thanks' },
    { id: 'x', matches: (e) => e.name === 'x' },
  ];
  // The state holds an identified visit with a conversion, its exit-page marker and goal keys.
  const first: Hit[] = [
    { at: T0, kind: 'id', userId: 'u', traits: { a: 1 } },
    { at: after(T0, MIN), path: '/thanks' },
  ];
  const next: Hit[] = [
    { at: after(T0, 2 * MIN), path: '/a' },
    { at: after(T0, 3 * MIN), kind: 'id', traits: { b: 2 } },
    { at: after(T0, 4 * MIN), kind: 'ev', name: 'x', path: '/a' },
    { at: after(T0, 5 * MIN), kind: 'en', path: '/a', engagedMs: 1000 },
    { at: after(T0, 40 * MIN), path: '/thanks' },
  ];

  it('when a batch runs on a state, then the state is unchanged, and the same batch on it gives the same result', () => {
    const { state } = batches([first], { goals });
    expect([...state.visits.values()]).toMatchObject([{ conversions: [['thanks', 0]], userId: 'u' }]);
    const before = snapshot(state);
    const one = batch(next, state, { goals });
    const two = batch(next, state, { goals });
    expect(snapshot(state)).toBe(before);
    expect(two).toEqual(one);
  });
});
