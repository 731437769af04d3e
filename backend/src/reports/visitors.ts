import type { Types } from 'mongoose';

import { DateTime } from 'luxon';

import {
  findVisits,
  getVisitorClickstream,
  readLatestEvents,
  readRecentEvents,
  summariseVisitors,
  type RawEvent,
  type VisitDoc,
  type VisitorSummary,
} from '../aggregate/read';
import { AppError } from '../lib/errors';
import { matches, parseFilters } from './filters';
import { resolveRange, type DayRange } from './range';
import { PROFILE_DEFAULT_DAYS } from './schemas';

/** Visitor-profile fields a visitor list can be filtered on. */
const VISITOR_FILTERS: Record<string, keyof VisitorSummary> = {
  country: 'country',
  device: 'device',
  browser: 'browser',
  source: 'source',
};

const REALTIME_WINDOW_MS = 5 * 60_000;

function eventView(e: RawEvent) {
  return {
    id: e._id.slice(e._id.indexOf(':') + 1),
    ts: e.ts.toISOString(),
    kind: e.kind,
    path: e.path,
    title: e.title ?? '',
    name: e.name,
    props: e.props ?? {},
    visitorId: e.vid,
    country: e.country,
    device: e.device,
    source: e.source,
  };
}

/**
 * Visitors active in the last five minutes, their current pages, and the newest
 * events (up to 50, of the site's today and yesterday). Reads stored events, so
 * hits show up once the aggregator stored them, within seconds; only the chunks
 * of the last minutes, or the newest ones, are decoded.
 * `after` is the cursor of a previous answer: only newer events are returned.
 */
export async function realtime(siteId: Types.ObjectId, zone: string, after: string | undefined, now = new Date()) {
  const since = new Date(now.getTime() - REALTIME_WINDOW_MS);
  const today = DateTime.fromJSDate(now, { zone });
  // Events are stored by site-local day: the window may start yesterday, and a quiet site's newest events too.
  const days = { from: today.minus({ days: 1 }).toISODate()!, to: today.toISODate()! };
  const recent = (await readRecentEvents(siteId, days, since)).filter((e) => e.ts >= since);
  const currentPage = new Map<string, string>();
  for (const e of recent) if (e.kind === 'pv') currentPage.set(e.vid, e.path);
  for (const e of recent) if (!currentPage.has(e.vid)) currentPage.set(e.vid, e.path);
  const pages = new Map<string, number>();
  for (const path of currentPage.values()) pages.set(path, (pages.get(path) ?? 0) + 1);

  let newer = (_e: RawEvent) => true;
  let notBefore: Date | undefined;
  if (after) {
    const [ms, ...rest] = after.split(':');
    const afterTs = Number(ms);
    const afterId = rest.join(':');
    newer = (e) => e.ts.getTime() > afterTs || (e.ts.getTime() === afterTs && e._id > afterId);
    notBefore = new Date(afterTs);
  }
  const latest = await readLatestEvents(siteId, days, 50, newer, notBefore);
  const newest = latest[0];
  const sourceOf = await visitSources(siteId, days, latest, recent);
  return {
    visitorsNow: currentPage.size,
    pages: [...pages].map(([path, visitors]) => ({ path, visitors })).sort((a, b) => b.visitors - a.visitors),
    events: latest.map((e) => ({ ...eventView(e), source: sourceOf.get(e.visitId) ?? e.source })),
    cursor: newest ? `${newest.ts.getTime()}:${newest._id}` : (after ?? null),
  };
}

/**
 * The source of each visit of `events` (a hit's own source is its own referrer, "Direct" for a
 * click within the site): the first hit of the visit among the events already read, else the
 * stored or open visit, looked up only for the visits whose first hit was not among them.
 */
async function visitSources(
  siteId: Types.ObjectId,
  days: DayRange,
  events: readonly RawEvent[],
  read: readonly RawEvent[],
): Promise<Map<string, string>> {
  const wanted = new Set(events.map((e) => e.visitId).filter(Boolean));
  const first = new Map<string, RawEvent>();
  for (const e of [...read, ...events]) {
    if (!wanted.has(e.visitId)) continue;
    const known = first.get(e.visitId);
    if (!known || e.ts < known.ts) first.set(e.visitId, e);
  }
  const sources = new Map<string, string>();
  const unknown = new Set<string>();
  for (const id of wanted) {
    const hit = first.get(id);
    // A visit's id is `${siteId}:${vid}:${client id of its first event}`, and that hit decided its source.
    if (hit && id === `${String(hit.siteId)}:${hit.vid}:${hit._id.slice(hit._id.indexOf(':') + 1)}`)
      sources.set(id, hit.source);
    else unknown.add(id);
  }
  if (unknown.size > 0) {
    const vids = [...new Set(events.filter((e) => unknown.has(e.visitId)).map((e) => e.vid))];
    for (const visit of await findVisits(siteId, { days, vids })) {
      if (unknown.has(visit._id)) sources.set(visit._id, visit.source);
    }
  }
  return sources;
}

export async function listVisitors(
  siteId: Types.ObjectId,
  zone: string,
  query: { from: string; to: string; filter?: string | string[] | undefined; limit: number; page: number },
) {
  const range = resolveRange(query.from, query.to, zone);
  const filters = parseFilters(query.filter);
  for (const f of filters) {
    if (!VISITOR_FILTERS[f.dim]) {
      throw new AppError('validation_failed', `Visitors can be filtered by ${Object.keys(VISITOR_FILTERS).join(', ')}`);
    }
  }
  // Last seen within the range, in the site's time zone.
  const start = new Date(`${range.from}T00:00:00Z`);
  start.setUTCDate(start.getUTCDate() - 1);
  const end = new Date(`${range.to}T00:00:00Z`);
  end.setUTCDate(end.getUTCDate() + 2);
  const localDay = (d: Date) => d.toLocaleDateString('en-CA', { timeZone: zone });
  const inRange = (d: Date) => {
    const day = localDay(d);
    return day >= range.from && day <= range.to;
  };
  // Visits are stored by start day: one that ended in the range started on its first day or the day before.
  const days = { from: DateTime.fromISO(range.from).minus({ days: 1 }).toISODate()!, to: range.to };
  const visits = (await findVisits(siteId, { days })).filter((v) => v.lastSeen >= start && v.lastSeen < end);
  // A visitor's row sums their visits that ended within the range.
  const selected = summariseVisitors(visits.filter((v) => inRange(v.lastSeen)))
    .filter((v) => filters.every((f) => matches(f, String(v[VISITOR_FILTERS[f.dim]!] ?? ''))))
    .sort((a, b) => b.lastSeen.getTime() - a.lastSeen.getTime());
  const startIndex = (query.page - 1) * query.limit;
  return {
    visitors: selected.slice(startIndex, startIndex + query.limit).map((v) => ({
      id: v.vid,
      firstSeen: v.firstSeen.toISOString(),
      lastSeen: v.lastSeen.toISOString(),
      visits: v.visits,
      pageviews: v.pageviews,
      events: v.events,
      country: v.country,
      device: v.device,
      browser: v.browser,
      source: v.source,
      userId: v.userId || null,
      identified: v.vid.startsWith('f:'),
    })),
    total: selected.length,
    page: query.page,
    limit: query.limit,
  };
}

/** What a profile shows of a visit beyond its counts: where it came from and on what. */
const visitDetails = (visit: VisitDoc) => ({
  osVersion: visit.osVersion,
  browserVersion: visit.browserVersion,
  screen: visit.screen,
  language: visit.language,
  region: visit.region,
  referrerUrl: visit.referrer,
  utm: {
    source: visit.utmSource,
    medium: visit.utmMedium,
    campaign: visit.utmCampaign,
    term: visit.utmTerm,
    content: visit.utmContent,
  },
});

/**
 * The days a profile request covers: `from`…`to`, by default the 90 days up to
 * `to` (today in the site's zone). A visitor id names no day, so without a bound
 * a lookup would read every stored day.
 */
export function profileDays(zone: string, query: { from?: string | undefined; to?: string | undefined }): DayRange {
  const to = query.to ?? DateTime.now().setZone(zone).toISODate()!;
  const from =
    query.from ??
    DateTime.fromISO(to)
      .minus({ days: PROFILE_DEFAULT_DAYS - 1 })
      .toISODate()!;
  return resolveRange(from, to, zone);
}

/**
 * A visitor's profile and clickpath over the visits that started on `days`
 * (every stored day when absent): every visit in order, each with its ordered
 * events and the time between them.
 */
export async function visitorProfile(siteId: Types.ObjectId, visitorId: string, days?: DayRange) {
  const visits = await getVisitorClickstream(siteId, visitorId, days);
  const [visitor] = summariseVisitors(visits);
  if (!visitor) throw new AppError('not_found', 'Visitor not found');
  return {
    visitor: {
      id: visitor.vid,
      firstSeen: visitor.firstSeen.toISOString(),
      lastSeen: visitor.lastSeen.toISOString(),
      visits: visitor.visits,
      pageviews: visitor.pageviews,
      events: visitor.events,
      engagedSeconds: Math.round(visitor.engagedMs / 1000),
      userId: visitor.userId || null,
      traits: visitor.traits ?? {},
      country: visitor.country,
      device: visitor.device,
      browser: visitor.browser,
      source: visitor.source,
      lifetime: visitor.vid.startsWith('f:'),
    },
    visits: visits.map((visit) => ({
      id: visit._id,
      ...visitDetails(visit),
      start: visit.start.toISOString(),
      end: visit.lastSeen.toISOString(),
      durationSeconds: Math.round(visit.duration / 1000),
      pageviews: visit.pageviews,
      events: visit.events,
      bounce: visit.bounce,
      entryPage: visit.entryPage,
      exitPage: visit.exitPage,
      source: visit.source,
      channel: visit.channel,
      referrer: visit.referrerHost,
      country: visit.country,
      city: visit.city,
      device: visit.device,
      browser: visit.browser,
      os: visit.os,
      clickstream: visit.clickstream.map((e, i, all) => ({
        ...eventView(e),
        sincePreviousSeconds: i === 0 ? 0 : Math.round((e.ts.getTime() - all[i - 1]!.ts.getTime()) / 1000),
        engagedSeconds: e.kind === 'en' ? Math.round(e.engagedMs / 1000) : undefined,
      })),
    })),
  };
}
