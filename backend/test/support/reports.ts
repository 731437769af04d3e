import { DateTime } from 'luxon';
import { Types } from 'mongoose';
import request from 'supertest';

import { appendToInbox } from '../../src/aggregate/inbox';
import { localHourKey } from '../../src/lib/local-hour';
import type { StoredEvent } from '../../src/collect/event';
import type { TestApp } from './app';

/**
 * Helpers for the report suites: a seeded generator of realistic raw events, a
 * writer that stores them exactly as the collector does, and an independent
 * oracle that counts reports from those raw events without any report code.
 */

/** mulberry32: a small, fast, seedable PRNG so every run generates the same traffic. */
export function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
  const int = (min: number, max: number) => min + Math.floor(next() * (max - min + 1));
  const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)]!;
  /** Zipf-like: item i is chosen with weight 1 / (i + 1). */
  const zipf = <T>(list: readonly T[]): T => {
    const total = list.reduce((s, _x, i) => s + 1 / (i + 1), 0);
    let r = next() * total;
    for (let i = 0; i < list.length; i++) {
      r -= 1 / (i + 1);
      if (r <= 0) return list[i]!;
    }
    return list[list.length - 1]!;
  };
  return { next, int, pick, zipf, chance: (p: number) => next() < p };
}

/** A raw event as the collector stores it (`StoredEvent`), with props as the generator makes them: strings. */
export type StoredRaw = Omit<StoredEvent, 'props'> & { props?: Record<string, string> };

export type RawInput = Partial<Omit<StoredRaw, 'siteId' | 'ts' | 'day' | 'hour' | '_id'>> & {
  ts: Date | string;
  vid: string;
  id?: string;
};

let counter = 0;

/** Builds a stored event as the collector does: `day` and `hour` in the site's zone. */
export function stored(siteId: string, zone: string, input: RawInput): StoredRaw {
  const { ts, id, ...rest } = input;
  const date = new Date(ts);
  counter += 1;
  return {
    _id: `${siteId}:${id ?? `e${String(counter).padStart(7, '0')}`}`,
    siteId: new Types.ObjectId(siteId),
    ts: date,
    day: DateTime.fromJSDate(date, { zone }).toISODate()!,
    hour: localHourKey(date, zone),
    kind: 'pv',
    host: 'example.com',
    path: '/',
    title: '',
    referrer: '',
    referrerHost: '',
    source: '',
    channel: 'Direct',
    utmSource: '',
    utmMedium: '',
    utmCampaign: '',
    utmTerm: '',
    utmContent: '',
    clickId: '',
    browser: 'Chrome',
    browserVersion: '130',
    os: 'Windows',
    osVersion: '11',
    device: 'desktop',
    screen: 'desktop',
    language: 'en',
    country: 'NL',
    region: '',
    city: '',
    name: '',
    engagedMs: 0,
    notFound: false,
    userId: '',
    visitId: '',
    ...rest,
  };
}

/** Queues events the way the collector does (inbox chunks); the aggregator stores and counts them. */
export async function insertRaw(events: StoredRaw[]): Promise<void> {
  for (let i = 0; i < events.length; i += 1000) {
    await appendToInbox(events.slice(i, i + 1000));
  }
}

// ---- generator -----------------------------------------------------------------

const PAGES = [
  '/',
  '/blog',
  '/pricing',
  '/blog/hello-world',
  '/docs',
  '/signup',
  '/blog/privacy-first',
  '/about',
  '/docs/install',
  '/blog/clickpaths',
  '/contact',
  '/docs/api',
  '/thanks',
  '/blog/dst',
  '/jobs',
];
const ACQUISITION = [
  { source: '', channel: 'Direct', referrerHost: '' },
  { source: 'Google', channel: 'Organic Search', referrerHost: 'www.google.com' },
  { source: 'Bing', channel: 'Organic Search', referrerHost: 'www.bing.com' },
  { source: 'Twitter', channel: 'Social', referrerHost: 't.co' },
  { source: 'Newsletter', channel: 'Email', referrerHost: '' },
] as const;
const COUNTRIES = ['NL', 'US', 'DE', 'GB', 'FR'];
const DEVICES = [
  { device: 'desktop', os: 'Windows', screen: 'desktop' },
  { device: 'mobile', os: 'iOS', screen: 'mobile' },
  { device: 'mobile', os: 'Android', screen: 'mobile' },
  { device: 'tablet', os: 'iPadOS', screen: 'tablet' },
] as const;
const BROWSERS = ['Chrome', 'Firefox', 'Safari', 'Edge'];
const CUSTOM = [
  { name: 'signup', props: () => ({ plan: 'pro' }), alt: () => ({ plan: 'free' }) },
  { name: 'download', props: () => ({ file: 'guide.pdf' }), alt: () => ({ file: 'price-list.pdf' }) },
  { name: 'outbound', props: () => ({ url: 'https://github.com' }), alt: () => ({}) },
];

export interface GenerateOptions {
  siteId: string;
  zone: string;
  seed: number;
  visitors: number;
  /** UTC instants between which visits start. */
  from: string;
  to: string;
  /** Prefix of visitor ids, so two sites never share one. */
  prefix: string;
}

/**
 * Realistic traffic: visitors with 1–6 visits each, attributes fixed per visit
 * (later pageviews of a visit carry an internal, empty source as real browsers
 * send), Zipf-distributed pages, custom events with props, engagement pings,
 * and gaps of exactly 30:00 and 30:01 minutes to probe the visit boundary.
 */
export function generateTraffic(o: GenerateOptions): StoredRaw[] {
  const r = prng(o.seed);
  const start = Date.parse(o.from);
  const span = Date.parse(o.to) - start;
  const out: StoredRaw[] = [];
  for (let v = 0; v < o.visitors; v++) {
    const vid = `c:${o.prefix}${String(v).padStart(6, '0')}xx`;
    const visits = r.int(1, 6);
    let t = start + Math.floor(r.next() * span * 0.9);
    for (let n = 0; n < visits; n++) {
      const acq = r.zipf(ACQUISITION);
      const utm = r.chance(0.3)
        ? { utmSource: r.pick(['newsletter', 'twitter', 'google']), utmMedium: r.pick(['email', 'social', 'cpc']) }
        : { utmSource: '', utmMedium: '' };
      const campaign = utm.utmSource && r.chance(0.6) ? r.pick(['autumn', 'launch']) : '';
      const dev = r.pick(DEVICES);
      const attrs = {
        ...acq,
        referrer: acq.referrerHost ? `https://${acq.referrerHost}/` : '',
        ...utm,
        utmCampaign: campaign,
        utmTerm: campaign && r.chance(0.5) ? 'analytics' : '',
        utmContent: campaign && r.chance(0.5) ? 'banner' : '',
        country: r.zipf(COUNTRIES),
        browser: r.pick(BROWSERS),
        browserVersion: String(r.int(110, 131)),
        ...dev,
        osVersion: String(r.int(10, 17)),
        language: r.pick(['en', 'nl', 'de']),
      };
      const hits = Math.max(1, Math.round(1 / Math.max(0.08, r.next())) - 1);
      for (let h = 0; h < hits; h++) {
        const first = h === 0;
        const base = first ? attrs : { ...attrs, source: '', channel: 'Internal', referrer: '', referrerHost: '' };
        const path = r.zipf(PAGES);
        out.push(stored(o.siteId, o.zone, { ...base, ts: new Date(t), vid, kind: 'pv', path }));
        if (r.chance(0.25)) {
          const c = r.pick(CUSTOM);
          out.push(
            stored(o.siteId, o.zone, {
              ...base,
              ts: new Date(t + r.int(1, 20) * 1000),
              vid,
              kind: 'ev',
              path,
              name: c.name,
              props: r.chance(0.7) ? c.props() : c.alt(),
            }),
          );
        }
        if (r.chance(0.3)) {
          out.push(
            stored(o.siteId, o.zone, {
              ...base,
              ts: new Date(t + r.int(21, 50) * 1000),
              vid,
              kind: 'en',
              path,
              engagedMs: r.int(1, 30) * 1000,
            }),
          );
        }
        // Within a visit: mostly short gaps, sometimes exactly at the 30-minute boundary or just past it.
        const gap = r.chance(0.04) ? 30 * 60_000 : r.chance(0.03) ? 30 * 60_000 + 1000 : r.int(60, 600) * 1000;
        t += gap;
      }
      t += r.int(35, 60 * 30) * 60_000;
      if (t > start + span) break;
    }
  }
  return out;
}

// ---- oracle --------------------------------------------------------------------

export interface OracleVisit {
  vid: string;
  start: number;
  lastSeen: number;
  day: string;
  hour: string;
  first: StoredRaw;
  events: StoredRaw[];
  pageviews: number;
  customEvents: number;
  entryPage: string;
  exitPage: string;
}

const TIMEOUT = 30 * 60_000;

/** Our own sessionisation: per visitor, a pageview or event more than 30 minutes after the last activity starts a visit. */
export function sessionise(events: StoredRaw[]): OracleVisit[] {
  const sorted = [...events].sort((a, b) => a.ts.getTime() - b.ts.getTime() || (a._id < b._id ? -1 : 1));
  const current = new Map<string, OracleVisit>();
  const visits: OracleVisit[] = [];
  for (const e of sorted) {
    const t = e.ts.getTime();
    let visit = current.get(e.vid);
    const gap = visit ? t - visit.lastSeen : Infinity;
    // An engagement ping opens no visit (docs/metrics.md).
    if (!visit && e.kind === 'en') continue;
    if (!visit || (e.kind !== 'en' && gap > TIMEOUT)) {
      visit = {
        vid: e.vid,
        start: t,
        lastSeen: t,
        day: e.day,
        hour: e.hour,
        first: e,
        events: [],
        pageviews: 0,
        customEvents: 0,
        entryPage: '',
        exitPage: '',
      };
      visits.push(visit);
      current.set(e.vid, visit);
    }
    visit.events.push(e);
    if ((e.kind !== 'en' || gap <= TIMEOUT) && t >= visit.lastSeen) visit.lastSeen = t;
    if (e.kind === 'pv') {
      visit.pageviews += 1;
      if (!visit.entryPage) visit.entryPage = e.path;
      visit.exitPage = e.path;
    }
    if (e.kind === 'ev') visit.customEvents += 1;
  }
  return visits;
}

export interface Counts {
  visitors: number;
  visits: number;
  pageviews: number;
  bounces: number;
  duration: number;
  events: number;
}

export const zero = (): Counts => ({ visitors: 0, visits: 0, pageviews: 0, bounces: 0, duration: 0, events: 0 });

export const isBounce = (v: OracleVisit) => v.pageviews + v.customEvents <= 1;

const r1 = (x: number) => Math.round(x * 10) / 10;
const r2 = (x: number) => Math.round(x * 100) / 100;

/** The metrics a report shows for counters, written from the definitions rather than imported. */
export function metricsOf(c: Counts) {
  return {
    visitors: c.visitors,
    visits: c.visits,
    pageviews: c.pageviews,
    viewsPerVisit: c.visits ? r2(c.pageviews / c.visits) : 0,
    bounceRate: c.visits ? r1((100 * c.bounces) / c.visits) : 0,
    avgVisitDuration: c.visits ? Math.round(c.duration / c.visits / 1000) : 0,
    events: c.events,
  };
}

/** Site-local days from..to inclusive. */
export function daysBetween(from: string, to: string): string[] {
  const out: string[] = [];
  for (let d = DateTime.fromISO(from); d.toISODate()! <= to; d = d.plus({ days: 1 })) out.push(d.toISODate()!);
  return out;
}

// ---- HTTP ------------------------------------------------------------------------

/** A GET with a bearer key; throws with the body when the status is not the one expected. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the suites assert on the shape they read
export async function getJson(t: TestApp, secret: string, url: string, status = 200): Promise<any> {
  const res = await request(t.app).get(url).set('Authorization', `Bearer ${secret}`);
  if (res.status !== status) throw new Error(`GET ${url} → ${res.status} ${res.text.slice(0, 500)}`);
  return res.body;
}

/** Query string with repeatable `filter`. */
export function qs(params: Record<string, string | number | undefined>, filters: string[] = []): string {
  const parts = Object.entries(params)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${encodeURIComponent(String(v))}`);
  for (const f of filters) parts.push(`filter=${encodeURIComponent(f)}`);
  return parts.join('&');
}
