import mongoose, { type mongo } from 'mongoose';

import { deadlineOptions } from '../lib/deadline';
import { duplicateKeyIndexes } from '../lib/db-errors';
import type { RawEvent, VisitDoc } from './model';

/**
 * The aggregator's history: stored events and closed visits, append-only and
 * partitioned by site-local day (decision 0006).
 *
 * - `events_<yyyymmdd>`: one document per site × batch × day holding that
 *   batch's events of the day as one JSON string (like the inbox), plus the
 *   visitor ids in it. Inserting 2,000 events is then a handful of inserts
 *   instead of 2,000 BSON documents that FerretDB converts field by field.
 * - `visits_<yyyymmdd>`: one document per closed visit, by its start day.
 *
 * Every read names the days it needs, so on FerretDB (where every read scans its
 * collection) a read covers those days and never the rest of history; on MongoDB
 * each partition's indexes start with the site.
 */

const EVENTS = 'events_';
const VISITS = 'visits_';
/** Largest JSON string in one event chunk: MongoDB refuses documents over 16 MiB. */
export const MAX_CHUNK_BYTES = 4 << 20;

/** One batch's events of one site and day (or a part of them, when they exceed MAX_CHUNK_BYTES). */
export interface EventChunkDoc {
  /** `${siteId}:${batchId}:${part}`: a replayed batch recreates the same ids. */
  _id: string;
  siteId: mongo.ObjectId;
  count: number;
  /** The newest event's time: realtime reads only chunks of the last minutes. */
  last: Date;
  /** Visitor ids of the events, for erasure and a visitor's clickstream. */
  vids: string[];
  /** The events as a JSON array, without `siteId`, `ts` in epoch milliseconds. */
  data: string;
}

export interface DaySpan {
  from: string;
  to: string;
}

type StoredEventJson = Omit<RawEvent, 'siteId' | 'ts'> & { ts: number };

export function historyDb(): mongo.Db {
  const database = mongoose.connection.db;
  if (!database) throw new Error('database not connected');
  return database;
}

const compact = (day: string) => day.replaceAll('-', '');
const eventsOf = (day: string) => historyDb().collection<EventChunkDoc>(`${EVENTS}${compact(day)}`);
const visitsOf = (day: string) => historyDb().collection<VisitDoc>(`${VISITS}${compact(day)}`);

/** Partitions whose indexes this process has already ensured. */
const indexed = new Set<string>();

export async function ensureIndexes<T extends mongo.Document>(
  collection: mongo.Collection<T>,
  keys: mongo.IndexSpecification[],
): Promise<void> {
  if (indexed.has(collection.collectionName)) return;
  await Promise.all(keys.map((key) => collection.createIndex(key)));
  indexed.add(collection.collectionName);
}

/** Inserts documents; ones a crashed attempt of the same batch already inserted are kept. */
export async function insertIgnoringDuplicates<T extends mongo.Document>(
  collection: mongo.Collection<T>,
  docs: mongo.OptionalUnlessRequiredId<T>[],
): Promise<void> {
  if (docs.length === 0) return;
  try {
    await collection.insertMany(docs, { ordered: false });
  } catch (error) {
    duplicateKeyIndexes(error);
  }
}

/** Days (YYYY-MM-DD) that have a partition of `kind`, in order. */
export async function historyDays(kind: 'events' | 'visits'): Promise<string[]> {
  const prefix = kind === 'events' ? EVENTS : VISITS;
  const names = await historyDb()
    .listCollections({ name: { $regex: `^${prefix}\\d{8}$` } }, { nameOnly: true })
    .toArray();
  return names
    .map((c) => c.name.slice(prefix.length))
    .map((d) => `${d.slice(0, 4)}-${d.slice(4, 6)}-${d.slice(6, 8)}`)
    .sort();
}

/** Spans up to this many days name their partitions directly instead of listing collections. */
const NAMED_SPAN_DAYS = 62;

/**
 * The days of `span` that may have a partition of `kind`: a short span names its
 * days (reading a missing partition finds nothing), so its cost follows the span;
 * a long one or all history lists the collections once (a listing costs more the
 * more collections the database holds).
 */
async function daysIn(kind: 'events' | 'visits', span: DaySpan | null): Promise<string[]> {
  if (span) {
    const named: string[] = [];
    for (let day = span.from; day <= span.to && named.length <= NAMED_SPAN_DAYS; day = nextDay(day)) named.push(day);
    if (named.length <= NAMED_SPAN_DAYS) return named;
  }
  const days = await historyDays(kind);
  return span ? days.filter((d) => d >= span.from && d <= span.to) : days;
}

/** The calendar day after `day` (YYYY-MM-DD). */
export const nextDay = (day: string) =>
  new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);

/** One event as stored in a chunk: without `siteId` (the chunk has it), `ts` in epoch milliseconds. */
function encodeEvent({ siteId: _site, ...rest }: RawEvent): string {
  return JSON.stringify({ ...rest, ts: rest.ts.getTime() });
}

const encodeEvents = (events: readonly RawEvent[]) => `[${events.map(encodeEvent).join(',')}]`;

function decodeChunk(chunk: EventChunkDoc): RawEvent[] {
  return (JSON.parse(chunk.data) as StoredEventJson[]).map((e) => ({ ...e, siteId: chunk.siteId, ts: new Date(e.ts) }));
}

/** Splits one site-day's events into chunk documents of at most MAX_CHUNK_BYTES each, encoding each event once. */
function chunksOf(siteId: mongo.ObjectId, batchId: string, events: readonly RawEvent[]): EventChunkDoc[] {
  const docs: EventChunkDoc[] = [];
  let pending: Array<{ vid: string; ts: Date; json: string }> = [];
  let bytes = 2;
  const flush = () => {
    if (pending.length === 0) return;
    docs.push({
      _id: `${String(siteId)}:${batchId}:${docs.length}`,
      siteId,
      count: pending.length,
      last: new Date(Math.max(...pending.map((e) => e.ts.getTime()))),
      vids: [...new Set(pending.map((e) => e.vid))],
      data: `[${pending.map((e) => e.json).join(',')}]`,
    });
    pending = [];
    bytes = 2;
  };
  for (const event of events) {
    const json = encodeEvent(event);
    const size = Buffer.byteLength(json) + 1;
    if (bytes + size > MAX_CHUNK_BYTES) flush();
    pending.push({ vid: event.vid, ts: event.ts, json });
    bytes += size;
  }
  flush();
  return docs;
}

/** Groups `items` by a key, keeping their order. */
export function groupBy<T>(items: readonly T[], keyOf: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const list = groups.get(key);
    if (list) list.push(item);
    else groups.set(key, [item]);
  }
  return groups;
}

/**
 * Stores a batch's events (each with its visit id), one chunk per site and day;
 * a replay of the same batch with the same events inserts nothing new.
 */
export async function appendEvents(batchId: string, events: readonly RawEvent[]): Promise<void> {
  const byDay = groupBy(events, (e) => e.day);
  await Promise.all(
    [...byDay].map(async ([day, list]) => {
      const collection = eventsOf(day);
      await ensureIndexes(collection, [
        { siteId: 1, vids: 1 },
        { siteId: 1, last: 1 },
      ]);
      const docs = [...groupBy(list, (e) => String(e.siteId)).values()].flatMap((siteEvents) =>
        chunksOf(siteEvents[0]!.siteId, batchId, siteEvents),
      );
      await insertIgnoringDuplicates(collection, docs);
    }),
  );
}

/** Stores closed visits in the partitions of their start days; ones already stored are kept. */
export async function appendVisits(visits: readonly VisitDoc[]): Promise<void> {
  await Promise.all(
    [...groupBy(visits, (v) => v.day)].map(async ([day, list]) => {
      const collection = visitsOf(day);
      await ensureIndexes(collection, [
        { siteId: 1, vid: 1 },
        { siteId: 1, userId: 1 },
      ]);
      await insertIgnoringDuplicates(collection, list);
    }),
  );
}

/** A site's chunks of one day, as stored. */
async function siteChunks(
  siteId: mongo.ObjectId,
  day: string,
  filter: mongo.Filter<EventChunkDoc> = {},
): Promise<EventChunkDoc[]> {
  return eventsOf(day)
    .find({ ...filter, siteId }, deadlineOptions())
    .toArray();
}

/**
 * A site's events of the days in `span` (every day when null) that `keep`
 * accepts, in time order. With `vid`, only chunks holding that visitor are read.
 */
export async function readEvents(
  siteId: mongo.ObjectId,
  span: DaySpan | null,
  keep: (event: RawEvent) => boolean = () => true,
  vid?: string,
): Promise<RawEvent[]> {
  return readEventsOfDays(siteId, await daysIn('events', span), keep, vid);
}

/** Like `readEvents`, for a list of days (a visitor's, from the visitor index). */
export async function readEventsOfDays(
  siteId: mongo.ObjectId,
  days: readonly string[],
  keep: (event: RawEvent) => boolean = () => true,
  vid?: string,
): Promise<RawEvent[]> {
  const perDay = await Promise.all(
    days.map(async (day) =>
      (await siteChunks(siteId, day, vid === undefined ? {} : { vids: vid })).flatMap(decodeChunk).filter(keep),
    ),
  );
  return perDay.flat().sort(byTimeThenId);
}

/**
 * A site's events of the days in `span` stored in chunks whose newest event is
 * at or after `since` (older events of those chunks included), in time order:
 * the realtime view reads the last minutes without decoding the whole day.
 */
export async function readRecentEvents(siteId: mongo.ObjectId, span: DaySpan, since: Date): Promise<RawEvent[]> {
  const days = await daysIn('events', span);
  const perDay = await Promise.all(
    days.map(async (day) => (await siteChunks(siteId, day, { last: { $gte: since } })).flatMap(decodeChunk)),
  );
  return perDay.flat().sort(byTimeThenId);
}

/**
 * A site's newest `limit` events of the days in `span` that `keep` accepts,
 * newest first, from chunks whose newest event is at or after `notBefore` when
 * given: chunks are read newest first and only until no older chunk can hold
 * one of them.
 */
export async function readLatestEvents(
  siteId: mongo.ObjectId,
  span: DaySpan,
  limit: number,
  keep: (event: RawEvent) => boolean,
  notBefore?: Date,
): Promise<RawEvent[]> {
  let found: RawEvent[] = [];
  const cutoff = () => (found.length < limit ? -Infinity : found[limit - 1]!.ts.getTime());
  for (const day of (await daysIn('events', span)).reverse()) {
    const chunks = await eventsOf(day)
      .find(notBefore ? { siteId, last: { $gte: notBefore } } : { siteId }, {
        ...deadlineOptions(),
        sort: { last: -1 },
      })
      .toArray();
    for (const chunk of chunks) {
      if (chunk.last.getTime() < cutoff()) break;
      found = [...found, ...decodeChunk(chunk).filter(keep)].sort((a, b) => byTimeThenId(b, a)).slice(0, limit);
    }
  }
  return found;
}

const byTimeThenId = (a: RawEvent, b: RawEvent) =>
  a.ts.getTime() - b.ts.getTime() || (a._id < b._id ? -1 : a._id > b._id ? 1 : 0);

/**
 * A site's events of `span` (every day when null) day by day, oldest day first,
 * each day in time order: exports and the rebuild hold one day at a time.
 */
export async function* siteEventsByDay(
  siteId: mongo.ObjectId,
  span: DaySpan | null,
): AsyncGenerator<{ day: string; events: RawEvent[] }> {
  for (const day of await daysIn('events', span)) {
    const events = (await siteChunks(siteId, day)).flatMap(decodeChunk).sort(byTimeThenId);
    if (events.length > 0) yield { day, events };
  }
}

/** A site's closed visits of the start days in `span` (every day when null) matching `filter`. */
export async function readVisits(
  siteId: mongo.ObjectId,
  span: DaySpan | null,
  filter: mongo.Filter<VisitDoc> = {},
): Promise<VisitDoc[]> {
  const days = await daysIn('visits', span);
  const perDay = await Promise.all(
    days.map((day) =>
      visitsOf(day)
        .find({ ...filter, siteId }, deadlineOptions())
        .toArray(),
    ),
  );
  return perDay.flat();
}

/**
 * Gives events new visit ids (a rebuild under a changed visit timeout): each
 * chunk holding a moved event is replaced whole, so no event is ever absent.
 */
export async function moveEvents(siteId: mongo.ObjectId, day: string, visitOf: ReadonlyMap<string, string>) {
  for (const chunk of await siteChunks(siteId, day)) {
    const events = decodeChunk(chunk);
    if (!events.some((e) => visitOf.has(e._id) && visitOf.get(e._id) !== e.visitId)) continue;
    const moved = events.map((e) => ({ ...e, visitId: visitOf.get(e._id) ?? e.visitId }));
    await eventsOf(day).replaceOne({ _id: chunk._id }, { ...chunk, data: encodeEvents(moved) });
  }
}

/** Counts of what a deletion removed. */
export interface Removed {
  events: number;
  visits: number;
}

/**
 * Removes visitors' events and visits from `days` (the days the visitor index
 * names for them). Chunks holding them are rewritten without their events (or
 * deleted when nothing else is left).
 */
export async function eraseVisitorsFromHistory(
  siteId: mongo.ObjectId,
  vids: readonly string[],
  days: readonly string[],
): Promise<Removed> {
  const removed: Removed = { events: 0, visits: 0 };
  if (vids.length === 0) return removed;
  const erased = new Set(vids);
  for (const day of days) {
    for (const chunk of await siteChunks(siteId, day, { vids: { $in: [...vids] } })) {
      const kept = decodeChunk(chunk).filter((e) => !erased.has(e.vid));
      removed.events += chunk.count - kept.length;
      if (kept.length === 0) await eventsOf(day).deleteOne({ _id: chunk._id });
      else {
        await eventsOf(day).replaceOne(
          { _id: chunk._id },
          {
            ...chunk,
            count: kept.length,
            last: new Date(Math.max(...kept.map((e) => e.ts.getTime()))),
            vids: chunk.vids.filter((v) => !erased.has(v)),
            data: encodeEvents(kept),
          },
        );
      }
    }
    removed.visits += (await visitsOf(day).deleteMany({ siteId, vid: { $in: [...vids] } })).deletedCount;
  }
  return removed;
}

/**
 * Deletes a site's history of the days in `span` (every day when null). Partitions
 * stay: other sites may be writing to them (retention drops whole old ones).
 */
export async function deleteSiteHistory(siteId: mongo.ObjectId, span: DaySpan | null): Promise<Removed> {
  const removed: Removed = { events: 0, visits: 0 };
  for (const day of await daysIn('events', span)) {
    const chunks = await siteChunks(siteId, day);
    removed.events += chunks.reduce((sum, c) => sum + c.count, 0);
    if (chunks.length > 0) await eventsOf(day).deleteMany({ siteId });
  }
  for (const day of await daysIn('visits', span)) {
    removed.visits += (await visitsOf(day).deleteMany({ siteId })).deletedCount;
  }
  return removed;
}

/** Deletes a site's closed visits of every day (rebuild, site deletion). */
export async function deleteSiteVisits(siteId: mongo.ObjectId): Promise<number> {
  let deleted = 0;
  for (const day of await historyDays('visits')) deleted += (await visitsOf(day).deleteMany({ siteId })).deletedCount;
  return deleted;
}

/** Drops both partitions of days before `day`: every site's history there is past its retention. */
export async function dropHistoryBefore(day: string): Promise<number> {
  let dropped = 0;
  for (const kind of ['events', 'visits'] as const) {
    for (const old of (await historyDays(kind)).filter((d) => d < day)) {
      await dropPartition(kind === 'events' ? eventsOf(old) : visitsOf(old));
      dropped += 1;
    }
  }
  return dropped;
}

/** Drops a partition whole (retention); its indexes are created again if it is ever written to. */
export async function dropPartition(collection: Pick<mongo.Collection, 'collectionName' | 'drop'>): Promise<void> {
  await collection.drop().catch(() => undefined);
  indexed.delete(collection.collectionName);
}
