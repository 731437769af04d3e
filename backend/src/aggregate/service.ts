import mongoose, { type mongo } from 'mongoose';

import { collections, type RawEvent, type VisitDoc } from './model';
import { readOpenVisits } from './state-store';

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

/**
 * A site's visits matching `filter` (closed ones from `visits`, open ones from
 * the aggregator's state, which `keep` filters the same way), in start order.
 */
export async function findVisits(
  siteId: string | mongo.ObjectId,
  filter: mongo.Filter<VisitDoc>,
  keep: (visit: VisitDoc) => boolean,
): Promise<VisitDoc[]> {
  const site = oid(siteId);
  const [closed, open] = await Promise.all([
    collections
      .visits()
      .find({ ...filter, siteId: site }, { projection: { lastBatch: 0, undo: 0 } })
      .toArray(),
    readOpenVisits(site),
  ]);
  const ids = new Set(closed.map((v) => v._id));
  return [...closed, ...open.filter((v) => keep(v) && !ids.has(v._id))].sort(byStart);
}

/** Every visit of a site, closed or open (export, tests). */
export const allVisits = (siteId: string | mongo.ObjectId) => findVisits(siteId, {}, () => true);

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
 * A visitor's lifetime clickpath: their visits in order, each with its events in
 * order. Reads raw events, so it reaches back as far as raw-event retention.
 */
export async function getVisitorClickstream(
  siteId: string | mongo.ObjectId,
  vid: string,
): Promise<Array<VisitDoc & { clickstream: RawEvent[] }>> {
  const site = oid(siteId);
  const [visits, events] = await Promise.all([
    findVisits(site, { vid }, (v) => v.vid === vid),
    collections.events().find({ siteId: site, vid }).sort({ ts: 1, _id: 1 }).toArray(),
  ]);
  const byVisit = new Map<string, RawEvent[]>(visits.map((v) => [v._id, []]));
  for (const event of events) byVisit.get(event.visitId)?.push(event);
  return visits.map((visit) => ({ ...visit, clickstream: byVisit.get(visit._id) ?? [] }));
}

/** One visitor's profile from all their visits, or null. */
export async function getVisitor(siteId: string | mongo.ObjectId, vid: string): Promise<VisitorSummary | null> {
  return summariseVisitors(await findVisits(siteId, { vid }, (v) => v.vid === vid))[0] ?? null;
}

/** Every visitor id the site linked to this user id (one per browser or device they identified on). */
export async function visitorIdsOfUser(siteId: string | mongo.ObjectId, userId: string): Promise<string[]> {
  const visits = await findVisits(siteId, { userId }, (v) => v.userId === userId);
  return [...new Set(visits.map((v) => v.vid))];
}
