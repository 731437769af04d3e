// Seeds one site with a year of traffic for the report benchmark, written
// straight into what the aggregator would have produced for that many events:
// the rollup store (one document per site × month in `rollup_totals_<yyyymm>`,
// `rollup_hours_…`, `rollup_sketches_…`, `rollup_goals_…` and each
// dimension's `rollup_<dim>_…`: daily and hourly
// totals, the days' HyperLogLog registers, the given goals' conversions, every
// key's daily counters; the last `openDays` days in the site's open document of
// each part, `rollup_<part>_open`, as the aggregator keeps them until it folds
// them into their month, decision 0007), plus the last day's visits, visitors and raw events so
// those collections are not empty.
//
// Raw events are not generated for the whole year: FerretDB stores ~3.6k event
// documents/s here, so 10M of them would take ~45 minutes (and ~7 GB), and
// reports never read them. Counts come from one deterministic distribution, so
// a run is reproducible.
import { createRequire } from 'node:module';
import { join } from 'node:path';

import { backendDir } from './support.mjs';

const require = createRequire(import.meta.url);
const { add: hllAdd, createRegisters, encode } = require(join(backendDir, 'dist/aggregate/hll.js'));
const { toRow, monthId, openId, setKeyedRows } = require(join(backendDir, 'dist/aggregate/rollups.js'));
const { ANY_GOAL, goalRowKey } = require(join(backendDir, 'dist/aggregate/goal-keys.js'));

/** Share of a day's visits that convert each seeded goal, in the order of `goals` (cycled). */
const GOAL_RATES = [0.12, 0.25, 0.2, 0.02, 0.03];
/** Share of a goal's conversions whose first matching hit comes a day after the visit's start day. */
const NEXT_DAY_SHARE = 0.01;

/** Deterministic PRNG (mulberry32). */
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Poisson draw (Knuth below 30, normal approximation above). */
function poisson(random, lambda) {
  if (lambda <= 0) return 0;
  if (lambda < 30) {
    const limit = Math.exp(-lambda);
    let k = 0;
    let p = random();
    while (p > limit) {
      k += 1;
      p *= random();
    }
    return k;
  }
  const u = Math.max(random(), 1e-12);
  const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
  return Math.max(0, Math.round(lambda + z * Math.sqrt(lambda)));
}

/** Power-law (Zipf) weights over `keys`, normalised. */
function zipf(keys, s) {
  const w = keys.map((_, i) => 1 / (i + 1) ** s);
  const sum = w.reduce((a, b) => a + b, 0);
  return keys.map((key, i) => [key, w[i] / sum]);
}

const range = (n, f) => Array.from({ length: n }, (_, i) => f(i));

// Pages: 1k paths, power law. Sources: a few hundred, power law; "" (direct) is the biggest.
const PAGES = [
  '/',
  ...range(999, (i) => `/${['blog', 'docs', 'pricing', 'product', 'help'][i % 5]}/${i.toString(36)}-page`),
];
const SOURCES = [
  '',
  'Google',
  'Bing',
  'DuckDuckGo',
  'Twitter',
  'Facebook',
  'LinkedIn',
  'Reddit',
  'Hacker News',
  'GitHub',
  ...range(290, (i) => `site${i}.example`),
];
const COUNTRIES = range(40, (i) => String.fromCharCode(65 + Math.floor(i / 26), 65 + (i % 26)));
const BROWSERS = ['Chrome', 'Safari', 'Firefox', 'Edge', 'Samsung Internet', 'Opera', 'Chrome WebView', 'Brave'];
const OSES = ['Windows', 'iOS', 'Android', 'Mac OS', 'Linux', 'Chromium OS'];
const CHANNELS = [
  'Direct',
  'Organic Search',
  'Referral',
  'Organic Social',
  'Email',
  'Paid Search',
  'Paid Social',
  'Other',
];

/** Dimension → weighted keys (visit-level dims take the share of visits). */
const VISIT_DIMS = {
  source: zipf(SOURCES, 1.1),
  channel: zipf(CHANNELS, 1.3),
  referrer: zipf(
    ['', ...SOURCES.slice(1).map((s) => (s.includes('.') ? s : `${s.toLowerCase().replace(/ /g, '')}.com`))],
    1.1,
  ),
  utm_source: zipf(['', 'newsletter', 'twitter', 'facebook', 'google', ...range(15, (i) => `partner${i}`)], 2.2),
  utm_medium: zipf(['', 'email', 'social', 'cpc', 'referral', 'display'], 2.5),
  utm_campaign: zipf(['', ...range(24, (i) => `campaign-${i}`)], 2.2),
  utm_term: zipf(['', ...range(12, (i) => `term-${i}`)], 2.8),
  utm_content: zipf(['', ...range(10, (i) => `content-${i}`)], 2.8),
  country: zipf(COUNTRIES, 1.2),
  region: zipf(
    range(160, (i) => `${COUNTRIES[i % 40]}-${i}`),
    1.1,
  ),
  city: zipf(
    range(600, (i) => `City ${i}`),
    1.05,
  ),
  browser: zipf(BROWSERS, 1.4),
  browser_version: zipf(
    BROWSERS.flatMap((b) => range(6, (v) => `${b} ${130 - v}`)),
    1.2,
  ),
  os: zipf(OSES, 1.2),
  os_version: zipf(
    OSES.flatMap((o) => range(5, (v) => `${o} ${15 - v}`)),
    1.2,
  ),
  device: zipf(['desktop', 'mobile', 'tablet'], 1.5),
  screen: zipf(
    [
      '1920x1080',
      '390x844',
      '1440x900',
      '1366x768',
      '412x915',
      '1536x864',
      '2560x1440',
      '375x667',
      '768x1024',
      '1280x720',
    ],
    1.1,
  ),
  language: zipf(
    range(30, (i) => ['en', 'de', 'fr', 'es', 'pt', 'it', 'nl', 'ja', 'zh', 'ru'][i % 10] + (i < 10 ? '' : `-${i}`)),
    1.3,
  ),
};
const PAGE_WEIGHTS = zipf(PAGES, 1.0);
const ENTRY_WEIGHTS = zipf(PAGES, 1.2);
const EXIT_WEIGHTS = zipf(PAGES, 1.1);
const EVENTS = zipf(['Signup', 'Download', 'Outbound Link: Click', 'File Download', 'Play Video'], 1.2);

// Shape of the traffic.
const PV_SHARE = 0.88; // the rest are custom events
const PV_PER_VISIT = 2.4;
const VISITS_PER_VISITOR = 1.12; // per day
const BOUNCE_RATE = 0.45;
const VISIT_MS = 95_000;
const RETURNING = 0.25; // share of a day's visitors already seen in the previous 30 days
const WEEKDAY = [0.65, 1.05, 1.1, 1.1, 1.05, 0.95, 0.7]; // Sun..Sat
const DIURNAL = range(24, (h) => 0.35 + Math.max(0, Math.sin(((h - 6) / 24) * 2 * Math.PI)) ** 1.5);
const DIURNAL_SUM = DIURNAL.reduce((a, b) => a + b, 0);

const addDays = (day, n) => new Date(Date.parse(`${day}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);

/**
 * Writes the rollups of `events` events over `days` days ending at `lastDay`
 * (site time zone UTC), with conversion rows for each id of `goals`, the last
 * `openDays` of them in open documents. Returns counts of what was written.
 */
export async function seedReports(
  db,
  { siteId, events, days = 365, lastDay, seed = 42, batch = 20_000, rawSample = 50_000, goals = [], openDays = 3 },
) {
  const random = rng(seed);
  const firstDay = addDays(lastDay, -(days - 1));

  // Daily volumes: weekly and yearly seasonality, a growth trend and noise.
  const weights = range(days, (i) => {
    const day = addDays(firstDay, i);
    const dow = new Date(`${day}T00:00:00Z`).getUTCDay();
    const doy = i / 365;
    return (
      WEEKDAY[dow] *
      (1 + 0.15 * Math.sin(2 * Math.PI * doy)) *
      (0.8 + (0.4 * i) / Math.max(1, days - 1)) *
      (0.95 + 0.1 * random())
    );
  });
  const weightSum = weights.reduce((a, b) => a + b, 0);

  // part → the current month's days: day → totals row or sketch, or day → key → row (keyed parts).
  let month = firstDay.slice(0, 7);
  let pending = new Map();
  let documents = 0;
  let rows = 0;
  const firstOpenDay = addDays(lastDay, -(openDays - 1));
  const openParts = new Map(); // part → day → what `pending` holds for it, until the end
  const dataOf = (part, days) => {
    if (part === 'totals' || part === 'sketches') return Object.fromEntries(days);
    const data = { k: [], d: {} };
    for (const [day, keyed] of days) setKeyedRows(data, day, keyed);
    return data;
  };
  const flush = async () => {
    for (const [part, days] of pending) {
      const folded = [...days].filter(([day]) => day < firstOpenDay);
      for (const [day, value] of days) {
        if (day < firstOpenDay) continue;
        if (!openParts.has(part)) openParts.set(part, new Map());
        openParts.get(part).set(day, value);
      }
      if (folded.length === 0) continue;
      await db.collection(`rollup_${part}_${month.replace('-', '')}`).insertOne({
        _id: monthId(siteId, month),
        siteId,
        month,
        lastBatch: 'seed',
        data: JSON.stringify(dataOf(part, folded)),
      });
      documents += 1;
    }
    pending = new Map();
  };
  const writeOpen = async () => {
    for (const [part, days] of openParts) {
      const held = [...days.keys()].sort();
      await db.collection(`rollup_${part}_open`).insertOne({
        _id: openId(siteId),
        siteId,
        month: held[0].slice(0, 7),
        days: held,
        dayBatches: Object.fromEntries(held.map((day) => [day, 'seed'])),
        lastBatch: 'seed',
        data: JSON.stringify(dataOf(part, days)),
      });
      documents += 1;
    }
  };
  const daysOf = (part) => {
    const days = pending.get(part) ?? new Map();
    pending.set(part, days);
    return days;
  };
  const keyedRows = (part, day) => {
    const days = daysOf(part);
    if (!days.has(day)) days.set(day, {});
    return days.get(day);
  };
  const put = (period, granularity, dim, key, counters, hll) => {
    const day = period.slice(0, 10);
    rows += 1;
    if (dim !== 'all') keyedRows(dim, day)[key] = toRow(counters);
    else if (granularity === 'hour') keyedRows('hours', day)[period] = toRow(counters);
    else daysOf('totals').set(day, toRow(counters));
    if (hll) daysOf('sketches').set(day, encode(hll));
  };

  let nextVisitor = 0;
  const recent = []; // [firstId, endId) of each of the last 30 days' new visitors
  let lastDayVisitors = [];
  let totalEvents = 0;

  // Days are given their share of `events` by cumulative rounding, so the year holds exactly
  // `events` and a small site has traffic on a few days only: the aggregator writes no row
  // for a day without hits, and a site of 1 event a year has one day in its documents.
  let weightSeen = 0;
  for (let i = 0; i < days; i++) {
    const day = addDays(firstDay, i);
    if (day.slice(0, 7) !== month) {
      await flush();
      month = day.slice(0, 7);
    }
    const before = Math.round((events * weightSeen) / weightSum);
    weightSeen += weights[i];
    const dayEvents = Math.round((events * weightSeen) / weightSum) - before;
    if (dayEvents === 0) continue;
    totalEvents += dayEvents;
    const pageviews = Math.round(dayEvents * PV_SHARE);
    const customEvents = dayEvents - pageviews;
    const visits = Math.max(1, Math.round(pageviews / PV_PER_VISIT));
    const visitorTarget = Math.max(1, Math.round(visits / VISITS_PER_VISITOR));

    // The day's visitors: some returning from the last 30 days, the rest new; HLL over their ids.
    const ids = new Set();
    const returning = recent.length ? Math.round(visitorTarget * RETURNING) : 0;
    for (let k = 0; k < returning; k++) {
      const [from, to] = recent[Math.floor(random() * recent.length)];
      ids.add(`v${from + Math.floor(random() * (to - from))}`);
    }
    const firstNew = nextVisitor;
    while (ids.size < visitorTarget) ids.add(`v${nextVisitor++}`);
    recent.push([firstNew, Math.max(firstNew + 1, nextVisitor)]);
    if (recent.length > 30) recent.shift();
    const hll = createRegisters();
    for (const id of ids) hllAdd(hll, id);
    if (i === days - 1) lastDayVisitors = [...ids];

    const bounces = Math.round(visits * BOUNCE_RATE);
    const all = {
      pageviews,
      visits,
      visitors: ids.size,
      bounces,
      duration: visits * VISIT_MS,
      events: customEvents,
      engaged: pageviews * 21_000,
      entries: visits,
      exits: visits,
      notFound: Math.round(pageviews * 0.004),
    };
    put(day, 'day', 'all', '', all, hll);

    // Goal conversions (goal-keys.ts): converted visits by goal and lag, and "any goal" at most every visit.
    let converted = 0;
    for (const [g, goal] of goals.entries()) {
      const v = poisson(random, visits * GOAL_RATES[g % GOAL_RATES.length]);
      const later = Math.round(v * NEXT_DAY_SHARE);
      for (const [lag, count] of [
        [0, v - later],
        [1, later],
      ]) {
        if (count > 0) put(day, 'day', 'goals', goalRowKey(goal, lag), { visits: count, visitors: count });
      }
      converted += v;
    }
    if (converted > 0) {
      const any = Math.min(visits, Math.round(converted * 0.7));
      put(day, 'day', 'goals', goalRowKey(ANY_GOAL, 0), { visits: any, visitors: any });
    }

    // Hourly `all` docs (UTC hours; the site is in UTC).
    for (let h = 0; h < 24; h++) {
      const share = DIURNAL[h] / DIURNAL_SUM;
      const hv = poisson(random, visits * share);
      if (!hv) continue;
      const hp = poisson(random, pageviews * share);
      put(`${day}T${String(h).padStart(2, '0')}`, 'hour', 'all', '', {
        pageviews: hp,
        visits: hv,
        visitors: Math.max(1, Math.round(hv / 1.02)),
        bounces: Math.round(hv * BOUNCE_RATE),
        duration: hv * VISIT_MS,
        events: poisson(random, customEvents * share),
        engaged: hp * 21_000,
      });
    }

    // Visit-level dimensions: each key gets its share of the day's visits.
    for (const [dim, keys] of Object.entries(VISIT_DIMS)) {
      for (const [key, p] of keys) {
        const v = poisson(random, visits * p);
        if (!v) continue;
        put(day, 'day', dim, key, {
          visits: v,
          visitors: Math.max(1, Math.round(v / VISITS_PER_VISITOR)),
          pageviews: Math.max(v, Math.round(v * PV_PER_VISIT * (0.9 + 0.2 * random()))),
          bounces: Math.round(v * BOUNCE_RATE),
          duration: v * VISIT_MS,
          events: poisson(random, customEvents * p),
        });
      }
    }

    // Pages, entry and exit pages.
    for (let k = 0; k < PAGES.length; k++) {
      const path = PAGES[k];
      const pv = poisson(random, pageviews * PAGE_WEIGHTS[k][1]);
      const entries = poisson(random, visits * ENTRY_WEIGHTS[k][1]);
      const exits = poisson(random, visits * EXIT_WEIGHTS[k][1]);
      if (pv || entries || exits) {
        const views = Math.max(pv, entries, exits);
        put(day, 'day', 'page', path, {
          pageviews: views,
          visitors: Math.max(1, Math.round(views / 1.3)),
          engaged: views * 21_000,
          entries,
          exits,
          notFound: k > 900 && random() < 0.02 ? 1 : 0,
        });
      }
      if (entries) {
        put(day, 'day', 'entry_page', path, {
          visits: entries,
          visitors: Math.max(1, Math.round(entries / VISITS_PER_VISITOR)),
          pageviews: Math.round(entries * PV_PER_VISIT),
          bounces: Math.round(entries * BOUNCE_RATE),
          duration: entries * VISIT_MS,
        });
      }
      if (exits) put(day, 'day', 'exit_page', path, { visits: exits, exits });
    }

    // Custom events and their properties.
    for (const [name, p] of EVENTS) {
      const n = poisson(random, customEvents * p);
      if (!n) continue;
      put(day, 'day', 'event', name, { events: n, visitors: Math.max(1, Math.round(n / 1.5)) });
      for (let v = 0; v < 4; v++) {
        const m = poisson(random, (n * 0.5) / (v + 1));
        if (m)
          put(day, 'day', 'event_prop', `${name}\u0000variant\u0000${v}`, {
            events: m,
            visitors: Math.max(1, Math.round(m / 1.5)),
          });
      }
    }
  }
  await flush();
  await writeOpen();

  // The last day's visits, visitors and raw events (capped).
  const sampleVisitors = lastDayVisitors.slice(
    0,
    Math.max(1, Math.round(rawSample / (PV_PER_VISIT * VISITS_PER_VISITOR))),
  );
  const start = Date.parse(`${lastDay}T00:00:00Z`);
  const visitDocs = [];
  const eventDocs = [];
  for (const vid of sampleVisitors) {
    const ts = new Date(start + Math.floor(random() * 86_000_000));
    const visitId = `${siteId}:${vid}:${vid}e0`;
    const n = 1 + poisson(random, PV_PER_VISIT - 1);
    const entry = PAGES[Math.floor(random() * 20)];
    const attrs = {
      source: 'Google',
      channel: 'Organic Search',
      referrer: 'https://www.google.com/',
      referrerHost: 'google.com',
      utmSource: '',
      utmMedium: '',
      utmCampaign: '',
      utmTerm: '',
      utmContent: '',
      country: 'DE',
      region: 'DE-BE',
      city: 'Berlin',
      browser: 'Chrome',
      browserVersion: '131',
      os: 'Windows',
      osVersion: '10',
      device: 'desktop',
      screen: '1920x1080',
      language: 'en',
    };
    const hour = ts.toISOString().slice(0, 13);
    for (let e = 0; e < n; e++) {
      eventDocs.push({
        _id: `${siteId}:${vid}e${e}`,
        siteId,
        ts: new Date(ts.getTime() + e * 30_000),
        day: lastDay,
        hour,
        kind: 'pv',
        vid,
        host: 'bench.example.com',
        path: e === 0 ? entry : PAGES[Math.floor(random() * 100)],
        title: 'Bench',
        name: '',
        engagedMs: 0,
        notFound: false,
        userId: '',
        ...attrs,
        visitId,
      });
    }
    const state = {
      lastSeen: new Date(ts.getTime() + (n - 1) * 30_000),
      entryPage: entry,
      exitPage: eventDocs.at(-1).path,
      pageviews: n,
      events: 0,
      engagedMs: 0,
      duration: (n - 1) * 30_000,
      bounce: n <= 1,
    };
    visitDocs.push({
      _id: visitId,
      siteId,
      vid,
      start: ts,
      day: lastDay,
      hour,
      ...attrs,
      ...state,
      userId: '',
      traits: null,
    });
  }
  const insertAll = async (name, docs) => {
    for (let k = 0; k < docs.length; k += batch)
      await db.collection(name).insertMany(docs.slice(k, k + batch), { ordered: false });
  };
  await insertAll('events', eventDocs.slice(0, rawSample));
  await insertAll('visits', visitDocs);

  return {
    rollupDocuments: documents,
    rollupRows: rows,
    events: totalEvents,
    rawEvents: Math.min(rawSample, eventDocs.length),
    visits: visitDocs.length,
  };
}
