import mongoose from 'mongoose';

import { duplicateKeyIndexes } from '../lib/db-errors';
import { collections, type RawEvent } from './model';

/**
 * Event-id claims: which batch first aggregated an event id, so an event the
 * tracker sent twice is counted once. One collection per UTC day of the events'
 * `ts` (the collector's clock), written by insert only and dropped whole once
 * no retry can reach it: a claim costs an insert whatever the history, and
 * nothing ever scans them (decision 0005).
 */

const PREFIX = 'event_claims_';
/** A retry that crosses midnight UTC is still recognised within this long after it. */
const CROSS_DAY_MS = 30 * 60_000;
/** Days of claims kept besides today's. */
export const CLAIM_RETENTION_DAYS = 2;

const utcDay = (date: Date) => date.toISOString().slice(0, 10);

/**
 * Which batch claimed each of `ids`, in one query: on FerretDB 1.24 every read
 * scans the collection (its `_id` index is never used for lookups), so one `$in`
 * scan of one day's claims beats a lookup per id. Only resends, replays and the
 * first minutes of a UTC day come here.
 */
async function claimants(day: string, ids: readonly string[]): Promise<Map<string, string>> {
  if (ids.length === 0) return new Map();
  const found = await collections
    .eventClaims(day)
    .find({ _id: { $in: [...ids] } })
    .toArray();
  return new Map(found.map((c) => [c._id, c.batch]));
}

/**
 * Claims the batch's event ids: an id another batch already claimed is a resent
 * event and is dropped, while one this very batch claimed before a crash is kept
 * for the replay.
 */
export async function claimNewEvents(batchId: string, events: RawEvent[]): Promise<RawEvent[]> {
  const resent = new Set<string>();
  const byDay = new Map<string, RawEvent[]>();
  for (const event of events) {
    const day = utcDay(event.ts);
    byDay.set(day, [...(byDay.get(day) ?? []), event]);
  }
  for (const [day, list] of byDay) {
    let duplicates: string[] = [];
    try {
      await collections.eventClaims(day).insertMany(
        list.map((e) => ({ _id: e._id, batch: batchId })),
        { ordered: false },
      );
    } catch (error) {
      duplicates = duplicateKeyIndexes(error).map((i) => list[i]!._id);
    }
    for (const [id, batch] of await claimants(day, duplicates)) if (batch !== batchId) resent.add(id);

    const midnight = Date.parse(`${day}T00:00:00Z`);
    const early = list.filter((e) => e.ts.getTime() - midnight < CROSS_DAY_MS).map((e) => e._id);
    const dayBefore = utcDay(new Date(midnight - 1));
    for (const id of (await claimants(dayBefore, early)).keys()) resent.add(id);
  }
  return resent.size === 0 ? events : events.filter((e) => !resent.has(e._id));
}

/** Drops the claim collections of days before `now`'s UTC day minus the retention. */
export async function pruneEventClaims(now = new Date()): Promise<number> {
  const db = mongoose.connection.db;
  if (!db) throw new Error('database not connected');
  const oldest = utcDay(new Date(now.getTime() - CLAIM_RETENTION_DAYS * 86_400_000)).replaceAll('-', '');
  let dropped = 0;
  for (const { name } of await db.listCollections({}, { nameOnly: true }).toArray()) {
    if (name.startsWith(PREFIX) && name.slice(PREFIX.length) < oldest) {
      await db.dropCollection(name).catch(() => {});
      dropped += 1;
    }
  }
  return dropped;
}

/** Deletes a deleted site's claims (ids start with its id) from every day kept. */
export async function forgetSiteClaims(siteId: mongoose.Types.ObjectId): Promise<void> {
  const db = mongoose.connection.db;
  if (!db) throw new Error('database not connected');
  for (const { name } of await db.listCollections({}, { nameOnly: true }).toArray()) {
    if (!name.startsWith(PREFIX)) continue;
    await db
      .collection(name)
      .deleteMany({ _id: { $regex: `^${String(siteId)}:` } } as mongoose.mongo.Filter<mongoose.mongo.Document>);
  }
}
