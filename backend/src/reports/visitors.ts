import type { Types } from 'mongoose';

import { collections, type RawEvent } from '../aggregate/model';
import {
  findVisits,
  getVisitor,
  getVisitorClickstream,
  summariseVisitors,
  type VisitorSummary,
} from '../aggregate/service';
import { AppError } from '../lib/errors';
import { matches, parseFilters } from './filters';
import { resolveRange } from './range';

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
 * events (up to 50). Reads raw events, so hits show up before the aggregator ran.
 * `after` is the cursor of a previous answer: only newer events are returned.
 */
export async function realtime(siteId: Types.ObjectId, after: string | undefined, now = new Date()) {
  const since = new Date(now.getTime() - REALTIME_WINDOW_MS);
  const recent = (await collections
    .events()
    .find({ siteId, ts: { $gte: since } }, { projection: { vid: 1, kind: 1, path: 1, ts: 1 } })
    .sort({ ts: 1 })
    .toArray()) as RawEvent[];
  const currentPage = new Map<string, string>();
  for (const e of recent) if (e.kind === 'pv') currentPage.set(e.vid, e.path);
  for (const e of recent) if (!currentPage.has(e.vid)) currentPage.set(e.vid, e.path);
  const pages = new Map<string, number>();
  for (const path of currentPage.values()) pages.set(path, (pages.get(path) ?? 0) + 1);

  let streamFilter: Record<string, unknown> = { siteId };
  if (after) {
    const [ms, ...rest] = after.split(':');
    const afterTs = new Date(Number(ms));
    const afterId = rest.join(':');
    streamFilter = { siteId, $or: [{ ts: { $gt: afterTs } }, { ts: afterTs, _id: { $gt: afterId } }] };
  }
  const latest = (await collections
    .events()
    .find(streamFilter)
    .sort({ ts: -1, _id: -1 })
    .limit(50)
    .toArray()) as RawEvent[];
  const newest = latest[0];
  return {
    visitorsNow: currentPage.size,
    pages: [...pages].map(([path, visitors]) => ({ path, visitors })).sort((a, b) => b.visitors - a.visitors),
    events: latest.map(eventView),
    cursor: newest ? `${newest.ts.getTime()}:${newest._id}` : (after ?? null),
  };
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
  const visits = await findVisits(
    siteId,
    { lastSeen: { $gte: start, $lt: end } },
    (v) => v.lastSeen >= start && v.lastSeen < end,
  );
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

/** A visitor's profile and clickpath: every visit in order, each with its ordered events and the time between them. */
export async function visitorProfile(siteId: Types.ObjectId, visitorId: string) {
  const visitor = await getVisitor(siteId, visitorId);
  if (!visitor) throw new AppError('not_found', 'Visitor not found');
  const visits = await getVisitorClickstream(siteId, visitorId);
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
