import { DateTime } from 'luxon';

import type { Acquired, Person, SiteSpec, Traffic, TrackerHit } from './differential-traffic';

/**
 * The differential test's own oracle: what every report should answer for the
 * traffic of differential-traffic.ts, computed from the definitions in
 * docs/metrics.md without any code of the backend. Visitors are modelled, not
 * read: a cookieless visitor is one address and browser for one UTC day (the
 * daily salt), a first-party one is the tracker's id.
 */

/** The minimum engaged time the collector keeps (a shorter one is a residue). */
const MIN_ENGAGED_MS = 1000;

export interface VisitAttrs extends Acquired {
  country: string;
  region: string;
  city: string;
  browser: string;
  browserVersion: string;
  os: string;
  osVersion: string;
  device: string;
  screen: string;
  language: string;
}

export interface OEvent {
  id: string;
  site: number;
  person: number;
  ts: number;
  day: string;
  /** Start of the site-local hour holding the event (ms). */
  hour: number;
  kind: 'pv' | 'ev' | 'en' | 'id';
  vid: string;
  path: string;
  name: string;
  props: Record<string, string | number>;
  attrs: VisitAttrs;
  visit?: OVisit;
}

export interface OVisit {
  site: number;
  vid: string;
  start: number;
  day: string;
  hour: number;
  attrs: VisitAttrs;
  /** Pageviews and custom events, in order (identify calls and engagement are not hits). */
  hits: OEvent[];
  lastSeen: number;
  pageviews: number;
  customEvents: number;
  entryPage: string;
  exitPage: string;
}

export interface GoalSpec {
  id: string;
  kind: 'page' | 'event';
  match: string;
  propKey?: string;
  propValue?: string;
}

export interface World {
  traffic: Traffic;
  events: OEvent[];
  visits: OVisit[];
  /** Goals and funnels by site index (ids as the API gave them). */
  goals: GoalSpec[][];
  funnels: Array<Array<{ id: string; steps: string[] }>>;
}

const utcDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

function attrsOf(hit: TrackerHit, person: Person): VisitAttrs {
  return {
    ...hit.acquired,
    country: person.place.country,
    region: person.place.region,
    city: person.place.city,
    browser: person.device.browser,
    browserVersion: person.device.browserVersion,
    os: person.device.os,
    osVersion: person.device.osVersion,
    device: person.device.device,
    // The tracker sends the screen width and language with pageviews only.
    screen: hit.kind === 'pv' ? person.screen : '',
    language: hit.kind === 'pv' ? person.language : '',
  };
}

/** The hits the collector keeps, as stored events: no bots or prefetches, no residues, each event id once. */
export function acceptedEvents(traffic: Traffic): OEvent[] {
  const seen = new Set<string>();
  const out: OEvent[] = [];
  for (const hit of traffic.hits) {
    const person = traffic.persons[hit.person]!;
    const site = traffic.sites[hit.site]!;
    if (person.bot || hit.prefetch) continue;
    if (hit.kind === 'en' && (hit.engagedMs ?? 0) < MIN_ENGAGED_MS) continue;
    if (hit.kind === 'id' && site.identityMode !== 'first-party') continue;
    const key = `${hit.site}:${hit.eventId}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const local = DateTime.fromMillis(hit.at, { zone: site.zone });
    out.push({
      id: key,
      site: hit.site,
      person: hit.person,
      ts: hit.at,
      day: local.toISODate()!,
      hour: local.startOf('hour').toMillis(),
      kind: hit.kind,
      vid:
        site.identityMode === 'first-party'
          ? `f:${person.fpId}`
          : `c:${person.ip}|${person.device.ua}|${utcDay(hit.at)}`,
      path: hit.path,
      name: hit.name ?? '',
      props: hit.props ?? {},
      attrs: attrsOf(hit, person),
    });
  }
  return out;
}

/** A visit stays open this long after its last activity; later engagement is no longer its own. */
const VISIT_OPEN_MS = 6 * 3_600_000;

/**
 * Visits: per site and visitor, a pageview, custom event or identify call more than
 * the site's timeout after the last activity starts a new visit. An engagement ping
 * joins the open visit (extending it only within the timeout) and never starts one.
 */
export function sessionise(traffic: Traffic, events: OEvent[]): OVisit[] {
  const sorted = [...events].sort((a, b) => a.ts - b.ts || (a.id < b.id ? -1 : 1));
  const current = new Map<string, OVisit>();
  const visits: OVisit[] = [];
  for (const e of sorted) {
    const timeout = traffic.sites[e.site]!.timeoutMinutes * 60_000;
    const key = `${e.site}|${e.vid}`;
    let visit = current.get(key);
    if (visit && e.ts - visit.lastSeen > VISIT_OPEN_MS) visit = undefined;
    const gap = visit ? e.ts - visit.lastSeen : Infinity;
    if (!visit || (e.kind !== 'en' && gap > timeout)) {
      if (e.kind === 'en') continue;
      visit = {
        site: e.site,
        vid: e.vid,
        start: e.ts,
        day: e.day,
        hour: e.hour,
        attrs: e.attrs,
        hits: [],
        lastSeen: e.ts,
        pageviews: 0,
        customEvents: 0,
        entryPage: '',
        exitPage: '',
      };
      visits.push(visit);
      current.set(key, visit);
    }
    e.visit = visit;
    if ((e.kind !== 'en' || gap <= timeout) && e.ts >= visit.lastSeen) visit.lastSeen = e.ts;
    if (e.kind === 'en' || e.kind === 'id') continue;
    visit.hits.push(e);
    if (e.kind === 'pv') {
      visit.pageviews += 1;
      if (!visit.entryPage) visit.entryPage = e.path;
      visit.exitPage = e.path;
    } else {
      visit.customEvents += 1;
    }
  }
  return visits;
}

// ---- reports ----------------------------------------------------------------------------

export interface Filter {
  dim: string;
  op: 'is' | 'is_not' | 'contains';
  value: string;
}

export const VISIT_KEY: Record<string, (a: VisitAttrs) => string> = {
  source: (a) => a.source,
  channel: (a) => a.channel,
  referrer: (a) => a.referrerHost,
  utm_source: (a) => a.utmSource,
  utm_medium: (a) => a.utmMedium,
  utm_campaign: (a) => a.utmCampaign,
  utm_term: (a) => a.utmTerm,
  utm_content: (a) => a.utmContent,
  country: (a) => a.country,
  region: (a) => a.region,
  city: (a) => a.city,
  browser: (a) => a.browser,
  browser_version: (a) => `${a.browser} ${a.browserVersion}`.trim(),
  os: (a) => a.os,
  os_version: (a) => `${a.os} ${a.osVersion}`.trim(),
  device: (a) => a.device,
  screen: (a) => a.screen,
  language: (a) => a.language,
};
export const HIT_DIMENSIONS = ['page', 'event', 'event_prop'] as const;
export const ALL_DIMENSIONS = [...Object.keys(VISIT_KEY), 'entry_page', 'exit_page', ...HIT_DIMENSIONS];

const PROP_SEPARATOR = '\u0000';

function hitKeys(dim: string, e: OEvent): string[] {
  if (dim === 'page') return e.kind === 'pv' ? [e.path] : [];
  if (dim === 'event') return e.kind === 'ev' ? [e.name] : [];
  if (dim === 'event_prop' && e.kind === 'ev')
    return Object.entries(e.props).map(([k, v]) => [e.name, k, String(v)].join(PROP_SEPARATOR));
  return [];
}

function visitKeyOf(dim: string, v: OVisit): string | undefined {
  if (dim === 'entry_page') return v.entryPage;
  if (dim === 'exit_page') return v.exitPage;
  return VISIT_KEY[dim]?.(v.attrs);
}

const matches = (f: Pick<Filter, 'op' | 'value'>, candidate: string) =>
  f.op === 'is'
    ? candidate === f.value
    : f.op === 'is_not'
      ? candidate !== f.value
      : candidate.toLowerCase().includes(f.value.toLowerCase());

function goalMatches(goal: GoalSpec, e: OEvent): boolean {
  if (goal.kind === 'page') {
    if (e.kind !== 'pv') return false;
    // Goal patterns: `*` is any run of characters, everything else literal.
    const parts = goal.match.split('*').map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
    return new RegExp(`^${parts.join('.*')}$`, 's').test(e.path);
  }
  return (
    e.kind === 'ev' &&
    e.name === goal.match &&
    (!goal.propKey || String(e.props[goal.propKey] ?? '') === goal.propValue)
  );
}

/** Which engine answers: the rollups without a filter, the raw engine with one. Both follow one definition. */
export type Engine = 'rollups' | 'raw';

export interface Selection {
  /** Selected visits that started in the range: visits, bounces, duration, entry and exit pages, conversions. */
  visits: OVisit[];
  /**
   * Pageviews and custom events of the range of every selected visit, also of one that
   * started before the range; a page filter narrows the pageviews to its pages.
   */
  events: OEvent[];
}

const inRangeHits = (v: OVisit, days: Set<string>) => v.hits.filter((e) => days.has(e.day));

/**
 * What a report counts (docs/metrics.md), in both engines: a pageview or custom event
 * belongs to its own local day, a visit to the day it started. A filter selects visits
 * (judged on their hits in the range): those that started in the range count as
 * visits, and their hits in the range count, as do the hits in the range of selected
 * visits that started before it. Without a filter every visit is selected.
 */
export function select(world: World, site: number, days: Set<string>, filters: Filter[]): Selection {
  const candidates = world.visits.filter(
    (v) => v.site === site && (days.has(v.day) || v.hits.some((e) => days.has(e.day))),
  );
  const goals = world.goals[site]!;
  const selected = candidates.filter((v) => {
    const own = inRangeHits(v, days);
    return filters.every((f) => {
      if (f.dim === 'goal') {
        const goal = goals.find((g) => g.id === f.value);
        return (goal !== undefined && own.some((e) => goalMatches(goal, e))) === (f.op === 'is');
      }
      const key = visitKeyOf(f.dim, v);
      if (key !== undefined) return matches(f, key);
      const positive = { op: f.op === 'is_not' ? ('is' as const) : f.op, value: f.value };
      return own.some((e) => hitKeys(f.dim, e).some((k) => matches(positive, k))) !== (f.op === 'is_not');
    });
  });
  const pageFilters = filters.filter((f) => f.dim === 'page' && f.op !== 'is_not');
  const events = selected.flatMap((v) =>
    inRangeHits(v, days).filter((e) => e.kind !== 'pv' || pageFilters.every((f) => matches(f, e.path))),
  );
  return { visits: selected.filter((v) => days.has(v.day)), events };
}

export interface Counts {
  visitors: number;
  visits: number;
  pageviews: number;
  bounces: number;
  duration: number;
  events: number;
}

const isBounce = (v: OVisit) => v.pageviews + v.customEvents <= 1;
const r1 = (x: number) => Math.round(x * 10) / 10;
const r2 = (x: number) => Math.round(x * 100) / 100;
export const pct = (part: number, whole: number) => (whole ? Math.round((1000 * part) / whole) / 10 : 0);

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
export type Metrics = ReturnType<typeof metricsOf>;

function countOf(visits: OVisit[], events: OEvent[]): Counts {
  const c: Counts = { visitors: 0, visits: visits.length, pageviews: 0, bounces: 0, duration: 0, events: 0 };
  for (const v of visits) {
    c.bounces += isBounce(v) ? 1 : 0;
    c.duration += v.lastSeen - v.start;
  }
  for (const e of events) c[e.kind === 'pv' ? 'pageviews' : 'events'] += 1;
  c.visitors = new Set([...visits.map((v) => v.vid), ...events.map((e) => e.vid)]).size;
  return c;
}

/** Visits of the selection that reached a goal, judged on all their hits in the range, whatever a page filter narrows. */
function converted(sel: Selection, days: Set<string>, goals: GoalSpec[]): Set<OVisit> {
  return new Set(sel.visits.filter((v) => inRangeHits(v, days).some((e) => goals.some((g) => goalMatches(g, e)))));
}

export function overview(world: World, site: number, days: Set<string>, filters: Filter[]) {
  const sel = select(world, site, days, filters);
  const metrics = metricsOf(countOf(sel.visits, sel.events));
  const goals = world.goals[site]!;
  const conversions = goals.length ? converted(sel, days, goals).size : 0;
  return { ...metrics, conversions, conversionRate: pct(conversions, metrics.visits) };
}

/** Points of a series keyed by their start instant (ms), so labels in any offset notation compare. */
export function series(
  world: World,
  site: number,
  days: string[],
  filters: Filter[],
  interval: 'hour' | 'day' | 'week' | 'month',
): Map<number, Metrics & { days: number }> {
  const zone = world.traffic.sites[site]!.zone;
  const sel = select(world, site, new Set(days), filters);
  const bucketOfDay = (day: string) => {
    const d = DateTime.fromISO(day, { zone });
    return (interval === 'day' ? d : interval === 'week' ? d.startOf('week') : d.startOf('month')).toMillis();
  };
  const keyOf = (x: { day: string; hour: number }) => (interval === 'hour' ? x.hour : bucketOfDay(x.day));
  const out = new Map<number, Metrics & { days: number }>();
  const buckets: Array<[number, number]> = [];
  if (interval === 'hour') {
    const end = DateTime.fromISO(days[days.length - 1]!, { zone })
      .plus({ days: 1 })
      .startOf('day')
      .toMillis();
    for (let t = DateTime.fromISO(days[0]!, { zone }).startOf('day').toMillis(); t < end;) {
      const next = DateTime.fromMillis(t + 3_600_000, { zone })
        .startOf('hour')
        .toMillis();
      buckets.push([t, 1]);
      t = next > t ? next : t + 3_600_000;
    }
  } else {
    for (const day of days) {
      const key = bucketOfDay(day);
      const last = buckets[buckets.length - 1];
      if (last && last[0] === key) last[1] += 1;
      else buckets.push([key, 1]);
    }
  }
  for (const [key, count] of buckets) {
    const c = countOf(
      sel.visits.filter((v) => keyOf(v) === key),
      sel.events.filter((e) => keyOf(e) === key),
    );
    out.set(key, { ...metricsOf(c), days: count });
  }
  return out;
}

export interface Row extends Metrics {
  key: string;
  /** The row's visitors as a percent of all visitors of the report, both counted once per day. */
  share: number;
  conversions?: number;
}

/**
 * Breakdown rows. Visit dimensions count visits by the visit's key, and the counted
 * hits (pageviews, events) by their visit's key on their own day. Entry and exit pages
 * count the visits that have one (no "" row). Pages and events count hits by their own
 * key. Visitors of a row: each visitor once per day and key (a visit's start day and
 * the days of its counted hits), summed over the days.
 */
export function breakdown(
  world: World,
  site: number,
  days: Set<string>,
  filters: Filter[],
  dim: string,
  goalId?: string,
): Map<string, Row> {
  const sel = select(world, site, days, filters);
  const rowsOf = (s: Selection) => {
    const rows = new Map<string, Counts & { seen: Set<string> }>();
    const row = (key: string) => {
      let r = rows.get(key);
      if (!r) {
        r = { visitors: 0, visits: 0, pageviews: 0, bounces: 0, duration: 0, events: 0, seen: new Set() };
        rows.set(key, r);
      }
      return r;
    };
    const isVisitDim = dim === 'entry_page' || dim === 'exit_page' || VISIT_KEY[dim] !== undefined;
    if (isVisitDim) {
      for (const v of s.visits) {
        const key = visitKeyOf(dim, v)!;
        if ((dim === 'entry_page' || dim === 'exit_page') && key === '') continue;
        const r = row(key);
        r.visits += 1;
        r.bounces += isBounce(v) ? 1 : 0;
        r.duration += v.lastSeen - v.start;
        r.seen.add(`${v.day}|${v.vid}`);
      }
      if (dim !== 'entry_page' && dim !== 'exit_page') {
        for (const e of s.events) {
          const r = row(visitKeyOf(dim, e.visit!)!);
          r[e.kind === 'pv' ? 'pageviews' : 'events'] += 1;
          r.seen.add(`${e.day}|${e.vid}`);
        }
      }
    } else {
      for (const e of s.events) {
        for (const key of hitKeys(dim, e)) {
          const r = row(key);
          r[e.kind === 'pv' ? 'pageviews' : 'events'] += 1;
          r.seen.add(`${e.day}|${e.vid}`);
        }
      }
    }
    return new Map([...rows].map(([k, { seen, ...c }]) => [k, { ...c, visitors: seen.size }]));
  };
  const counts = rowsOf(sel);
  const visitorDays = new Set([...sel.visits, ...sel.events].map((x) => `${x.day}|${x.vid}`)).size;
  const out = new Map<string, Row>();
  for (const [key, c] of counts) out.set(key, { key, ...metricsOf(c), share: pct(c.visitors, visitorDays) });
  if (goalId !== undefined) {
    const goal = world.goals[site]!.find((g) => g.id === goalId)!;
    // Conversions of a row are counted as the raw engine counts the converted visits' rows.
    const conv = converted(sel, days, [goal]);
    const convEvents = sel.visits.filter((v) => conv.has(v)).flatMap((v) => inRangeHits(v, days));
    const pageFilters = filters.filter((f) => f.dim === 'page' && f.op !== 'is_not');
    const counted = convEvents.filter((e) => e.kind !== 'pv' || pageFilters.every((f) => matches(f, e.path)));
    const per = rowsOf({ visits: [...conv], events: counted });
    for (const row of out.values()) {
      const c = per.get(row.key);
      row.conversions = c ? c.visits || c.visitors : 0;
    }
  }
  return out;
}

/** Funnel steps: a selected visit reaches step n when its hits, in order, complete steps 1..n. */
export function funnel(world: World, site: number, days: Set<string>, filters: Filter[], steps: string[]) {
  const sel = select(world, site, days, filters);
  const goals = steps.map((id) => world.goals[site]!.find((g) => g.id === id)!);
  const reached = steps.map(() => 0);
  for (const v of sel.visits) {
    let step = 0;
    for (const e of inRangeHits(v, days)) if (step < goals.length && goalMatches(goals[step]!, e)) step += 1;
    for (let i = 0; i < step; i++) reached[i]! += 1;
  }
  return reached.map((visits, i) => ({
    visits,
    conversionRate: pct(visits, reached[0]!),
    dropOff: i === 0 ? 0 : reached[i - 1]! - visits,
    dropOffRate: i === 0 ? 0 : pct(reached[i - 1]! - visits, reached[i - 1]!),
  }));
}

/** The oracle's world for some traffic and the goals and funnels configured. */
export function buildWorld(traffic: Traffic, goals: GoalSpec[][], funnels: World['funnels']): World {
  const events = acceptedEvents(traffic);
  const visits = sessionise(traffic, events);
  return { traffic, events, visits, goals, funnels };
}

/** Keys that occur for a dimension in some visits (to pick filter values that select something). */
export function keysOf(visits: OVisit[], dim: string): string[] {
  const keys = new Set<string>();
  for (const v of visits) {
    const key = visitKeyOf(dim, v);
    if (key !== undefined) keys.add(key);
    else for (const e of v.hits) for (const k of hitKeys(dim, e)) keys.add(k);
  }
  return [...keys];
}

export type { SiteSpec };
