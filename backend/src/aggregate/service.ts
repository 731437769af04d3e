import { setTimeout as sleep } from 'node:timers/promises';

import mongoose, { type mongo } from 'mongoose';

import { checkDeadline } from '../lib/deadline';
import { partitionOf } from '../lib/partition';
import { storedVisit } from './compute';
import { nextDay, readEventsOfDays, readVisits, type DaySpan } from './history';
import { hasChunksAcceptedBefore } from './inbox';
import type { RawEvent, VisitDoc } from './model';
import { readOpenVisits } from './state-store';
import { daysOfVisitors, visitorsOfUser } from './visitor-index';

/**
 * The collector's one way into the aggregator: it appends each group commit to
 * the inbox. Reading, consuming and dropping the inbox's slots is the
 * aggregator's alone (inbox.ts).
 */
export { appendSerialised, type SerialisedChunk } from './inbox';

/**
 * Waits until the events the collector accepted for a site before now have left the
 * inbox (the aggregator takes them every second); false when `timeoutMs` passed first.
 */
export async function settleAcceptedEvents(siteId: mongo.ObjectId, timeoutMs: number): Promise<boolean> {
  const now = new Date();
  const deadline = Date.now() + timeoutMs;
  while (await hasChunksAcceptedBefore(now, partitionOf(siteId))) {
    if (Date.now() > deadline) return false;
    await sleep(200);
  }
  return true;
}

const oid = (id: string | mongo.ObjectId) => (typeof id === 'string' ? new mongoose.Types.ObjectId(id) : id);

/** What a visitor's visits add up to: their profile. */
export interface VisitorSummary {
  vid: string;
  firstSeen: Date;
  lastSeen: Date;
  visits: number;
  pageviews: number;
  events: number;
  engagedMs: number;
  userId: string;
  traits: Record<string, unknown> | null;
  /** From their latest visit. */
  country: string;
  device: string;
  browser: string;
  source: string;
}

const byStart = (a: VisitDoc, b: VisitDoc) =>
  a.start.getTime() - b.start.getTime() || (a._id < b._id ? -1 : a._id > b._id ? 1 : 0);

/** Which visits to read: start days (every stored day when absent), and visitors. */
export interface VisitQuery {
  days?: DaySpan;
  vids?: readonly string[];
  /** The days the visitor index names for `vids`, when the caller has already read them. */
  indexedDays?: readonly string[];
}

const within = (days: readonly string[], span?: DaySpan) =>
  span ? days.filter((day) => day >= span.from && day <= span.to) : [...days];

/**
 * A site's visits matching `query`: closed ones from the history partitions of
 * their start days, open ones from the aggregator's state, in start order.
 * Visits of given visitors are read only from the days the visitor index names.
 */
export async function findVisits(siteId: string | mongo.ObjectId, query: VisitQuery = {}): Promise<VisitDoc[]> {
  const site = oid(siteId);
  const filter: mongo.Filter<VisitDoc> = query.vids ? { vid: { $in: [...query.vids] } } : {};
  const keep = (v: VisitDoc) =>
    (!query.days || (v.day >= query.days.from && v.day <= query.days.to)) &&
    (!query.vids || query.vids.includes(v.vid));
  const readClosed = async (): Promise<VisitDoc[]> => {
    if (!query.vids) return readVisits(site, query.days ?? null, filter);
    const days = within(query.indexedDays ?? (await daysOfVisitors(site, query.vids)), query.days);
    return (await Promise.all(days.map((day) => readVisits(site, { from: day, to: day }, filter)))).flat();
  };
  const [closed, open] = await Promise.all([readClosed(), readOpenVisits(site)]);
  const ids = new Set(closed.map((v) => v._id));
  return [...closed, ...open.filter((v) => keep(v) && !ids.has(v._id)).map(storedVisit)].sort(byStart);
}

/**
 * The visits with these ids that started before `day`, at most `maxDays` days
 * before it: open ones from the aggregator's state, closed ones from the
 * partitions of their start days, read one day at a time going back and only
 * while some are still missing. For the hits of a range whose visits started
 * before it (a filtered report): usually the day before, once per report.
 */
export async function findEarlierVisits(
  siteId: string | mongo.ObjectId,
  ids: ReadonlySet<string>,
  day: string,
  maxDays: number,
): Promise<VisitDoc[]> {
  const site = oid(siteId);
  const wanted = new Set(ids);
  const found: VisitDoc[] = [];
  const take = (visits: readonly VisitDoc[]) => {
    for (const visit of visits) if (visit.day < day && wanted.delete(visit._id)) found.push(visit);
  };
  if (wanted.size > 0) take((await readOpenVisits(site)).map(storedVisit));
  for (let back = 1; back <= maxDays && wanted.size > 0; back += 1) {
    checkDeadline();
    const earlier = previousDay(day, back);
    take(await readVisits(site, { from: earlier, to: earlier }, { _id: { $in: [...wanted] } }));
  }
  return found.sort(byStart);
}

const previousDay = (day: string, days: number) =>
  new Date(Date.parse(`${day}T00:00:00Z`) - days * 86_400_000).toISOString().slice(0, 10);

/** Every visit of a site, closed or open (export, tests). */
export const allVisits = (siteId: string | mongo.ObjectId) => findVisits(siteId);

/** Visitors' profiles from their visits, latest visit last. */
export function summariseVisitors(visits: readonly VisitDoc[]): VisitorSummary[] {
  const byVisitor = new Map<string, VisitorSummary>();
  for (const visit of [...visits].sort(byStart)) {
    const summary = byVisitor.get(visit.vid) ?? {
      vid: visit.vid,
      firstSeen: visit.start,
      lastSeen: visit.lastSeen,
      visits: 0,
      pageviews: 0,
      events: 0,
      engagedMs: 0,
      userId: '',
      traits: null,
      country: '',
      device: '',
      browser: '',
      source: '',
    };
    summary.visits += 1;
    summary.pageviews += visit.pageviews;
    summary.events += visit.events;
    summary.engagedMs += visit.engagedMs;
    if (visit.lastSeen > summary.lastSeen) summary.lastSeen = visit.lastSeen;
    if (visit.userId) summary.userId = visit.userId;
    if (visit.traits) summary.traits = { ...summary.traits, ...visit.traits };
    Object.assign(summary, {
      country: visit.country,
      device: visit.device,
      browser: visit.browser,
      source: visit.source,
    });
    byVisitor.set(visit.vid, summary);
  }
  return [...byVisitor.values()];
}

/**
 * A visitor's clickpath over the start days in `days` (every day when absent):
 * their visits in order, each with its events in order. Events are read only
 * from the days the visitor index names for them, from the first visit's start
 * day to the day after the last one's (a visit's events may run into it).
 */
export async function getVisitorClickstream(
  siteId: string | mongo.ObjectId,
  vid: string,
  days?: DaySpan,
): Promise<Array<VisitDoc & { clickstream: RawEvent[] }>> {
  const site = oid(siteId);
  const indexedDays = await daysOfVisitors(site, [vid]);
  const visits = await findVisits(site, { vids: [vid], indexedDays, ...(days ? { days } : {}) });
  if (visits.length === 0) return [];
  // A visit's events may run into the next site-local day.
  const span = { from: visits[0]!.day, to: nextDay(visits.reduce((last, v) => (v.day > last ? v.day : last), '')) };
  const events = await readEventsOfDays(site, within(indexedDays, span), (e) => e.vid === vid, vid);
  const byVisit = new Map<string, RawEvent[]>(visits.map((v) => [v._id, []]));
  for (const event of events) byVisit.get(event.visitId)?.push(event);
  return visits.map((visit) => ({ ...visit, clickstream: byVisit.get(visit._id) ?? [] }));
}

/** One visitor's profile from their visits over `days` (every day when absent), or null. */
export async function getVisitor(
  siteId: string | mongo.ObjectId,
  vid: string,
  days?: DaySpan,
): Promise<VisitorSummary | null> {
  return summariseVisitors(await findVisits(siteId, { vids: [vid], ...(days ? { days } : {}) }))[0] ?? null;
}

/** Every visitor id the site linked to this user id (one per browser or device they identified on). */
export async function visitorIdsOfUser(siteId: string | mongo.ObjectId, userId: string): Promise<string[]> {
  const site = oid(siteId);
  const [closed, open] = await Promise.all([visitorsOfUser(site, userId), readOpenVisits(site)]);
  return [...new Set([...closed, ...open.filter((v) => v.userId === userId).map((v) => v.vid)])];
}
