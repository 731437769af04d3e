import mongoose, { type mongo } from 'mongoose';

import { collections, type RawEvent, type VisitDoc, type VisitorDoc } from './model';

const oid = (id: string | mongo.ObjectId) => (typeof id === 'string' ? new mongoose.Types.ObjectId(id) : id);

export type ClickstreamVisit = Omit<VisitDoc, 'lastBatch' | 'undo'> & { events: RawEvent[] };
type StoredVisit = Omit<VisitDoc, 'events'> & { events: number };

/** One visit with its events in order (the clickpath), or null. */
export async function getVisitClickstream(
  siteId: string | mongo.ObjectId,
  visitId: string,
): Promise<(Omit<StoredVisit, 'lastBatch' | 'undo'> & { clickstream: RawEvent[] }) | null> {
  const site = oid(siteId);
  const visit = await collections.visits().findOne({ _id: visitId, siteId: site });
  if (!visit) return null;
  const events = await collections.events().find({ siteId: site, visitId }).sort({ ts: 1, _id: 1 }).toArray();
  return { ...withoutBookkeeping(visit), clickstream: events };
}

/**
 * A visitor's lifetime clickpath: their visits in order, each with its events in
 * order. Reads raw events, so it reaches back as far as raw-event retention.
 */
export async function getVisitorClickstream(
  siteId: string | mongo.ObjectId,
  vid: string,
): Promise<Array<Omit<StoredVisit, 'lastBatch' | 'undo'> & { clickstream: RawEvent[] }>> {
  const site = oid(siteId);
  const [visits, events] = await Promise.all([
    collections.visits().find({ siteId: site, vid }).sort({ start: 1, _id: 1 }).toArray(),
    collections.events().find({ siteId: site, vid }).sort({ ts: 1, _id: 1 }).toArray(),
  ]);
  const byVisit = new Map<string, RawEvent[]>(visits.map((v) => [v._id, []]));
  for (const event of events) byVisit.get(event.visitId)?.push(event);
  return visits.map((visit) => ({ ...withoutBookkeeping(visit), clickstream: byVisit.get(visit._id) ?? [] }));
}

/** The stored profile of one visitor, or null. */
export async function getVisitor(
  siteId: string | mongo.ObjectId,
  vid: string,
): Promise<Omit<VisitorDoc, 'lastBatch' | 'undo'> | null> {
  const visitor = await collections.visitors().findOne({ _id: `${String(siteId)}:${vid}` });
  if (!visitor) return null;
  const { lastBatch: _b, undo: _u, ...rest } = visitor;
  return rest;
}

function withoutBookkeeping(visit: VisitDoc): Omit<StoredVisit, 'lastBatch' | 'undo'> {
  const { lastBatch: _b, undo: _u, ...rest } = visit;
  return rest;
}
