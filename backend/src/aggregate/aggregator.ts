import { createHash, randomUUID } from 'node:crypto';

import mongoose, { type mongo } from 'mongoose';

import { chunksById, deleteChunks, oldestChunks, type InboxChunk } from '../collect/inbox';
import type { Logger } from 'pino';

import { computeBatch, visitorDayKey, visitorKey, type BatchResult, type BatchState, type SiteConfig } from './compute';
import { LeaseLostError, acquireLease, releaseLease, setPendingBatch, waitForLease } from './lease';
import { collections, type LockDoc, type RawEvent, type VisitDoc, type VisitorDayDoc, type VisitorDoc } from './model';
import { rollupWrites } from './rollups';

export const DEFAULT_BATCH_SIZE = 2000;
const DEFAULT_TIMEOUT_MINUTES = 30;

export interface DrainOptions {
  /** Events per batch (default 2000). */
  batchSize?: number;
  /** How long to wait for another aggregator's lease (default 60 s; 0 = give up at once). */
  waitForLeaseMs?: number;
  /** Checked between batches; true stops the drain after the current batch. */
  shouldStop?: () => boolean;
}

export interface DrainStats {
  batches: number;
  events: number;
  /** Rollup documents written (one per site × month × part touched). */
  rollupWrites: number;
  /** Database round trips made by the batches (reads and bulk writes; parallel `_id` lookups count as one). */
  roundTrips: number;
  /** False when another aggregator held the lease. */
  leased: boolean;
  /** Milliseconds spent per phase, summed over batches. */
  phases: Record<string, number>;
}

/**
 * Aggregates every event waiting in the inbox now, batch by batch, under the aggregator
 * lease (waiting for it if another aggregator holds it). Tests, the rebuild and
 * the background loop call this.
 */
export async function processPendingEvents(options: DrainOptions = {}): Promise<DrainStats> {
  return withLease(options.waitForLeaseMs ?? 60_000, (holder, lock) => drain(holder, lock, options));
}

/** Runs `work` while holding the aggregator lease; releases it afterwards. */
export async function withLease<T extends { leased: boolean }>(
  waitMs: number,
  work: (holder: string, lock: LockDoc) => Promise<T>,
  notLeased: () => T = () => ({ ...emptyStats(), leased: false }) as unknown as T,
): Promise<T> {
  const holder = randomUUID();
  const lock = waitMs > 0 ? await waitForLease(holder, waitMs) : await acquireLease(holder);
  if (!lock) {
    if (waitMs > 0) throw new Error('timed out waiting for the aggregator lease');
    return notLeased();
  }
  try {
    return await work(holder, lock);
  } finally {
    await releaseLease(holder);
  }
}

function emptyStats(): DrainStats {
  return { batches: 0, events: 0, rollupWrites: 0, roundTrips: 0, leased: true, phases: {} };
}

async function drain(holder: string, initial: LockDoc, options: DrainOptions): Promise<DrainStats> {
  const stats = emptyStats();
  let lock: LockDoc | null = initial;
  for (;;) {
    if (!lock) throw new LeaseLostError();
    const processed = await processBatch(holder, lock.pending, options.batchSize ?? DEFAULT_BATCH_SIZE, stats);
    if (processed === 0 || options.shouldStop?.()) return stats;
    lock = await acquireLease(holder);
  }
}

/** Deterministic: a batch replayed after a crash keeps its id, which the rollup guards recognise. */
function batchIdOf(ids: readonly string[]): string {
  return createHash('sha1').update(ids.join('\n')).digest('base64url').slice(0, 20);
}

const byTimeThenId = (a: RawEvent, b: RawEvent) =>
  a.ts.getTime() - b.ts.getTime() || (a._id < b._id ? -1 : a._id > b._id ? 1 : 0);

function time(stats: DrainStats, phase: string, started: number): number {
  const now = Date.now();
  stats.phases[phase] = (stats.phases[phase] ?? 0) + now - started;
  return now;
}

/**
 * One batch: the oldest inbox chunks (or the batch a previous holder left
 * half-done), minus events already aggregated, turned into visits, visitors and
 * rollups; then the events are stored with their visit ids and the chunks
 * deleted. Returns the number of events consumed (0 when the inbox is empty).
 */
async function processBatch(
  holder: string,
  pending: LockDoc['pending'],
  batchSize: number,
  stats: DrainStats,
): Promise<number> {
  const readStarted = Date.now();
  let chunks: InboxChunk[];
  let batchId: string;
  if (pending) {
    chunks = await chunksById(pending.chunkIds.map((id) => new mongoose.Types.ObjectId(id)));
    batchId = pending.batchId;
  } else {
    chunks = await oldestChunks(batchSize);
    if (chunks.length === 0) return 0;
    const chunkIds = chunks.map((c) => c.id.toHexString());
    batchId = batchIdOf(chunkIds);
    await setPendingBatch(holder, { batchId, chunkIds });
  }
  stats.roundTrips += 2;
  const unique = new Map<string, RawEvent>();
  for (const chunk of chunks) {
    for (const event of chunk.events) if (!unique.has(event._id)) unique.set(event._id, event as RawEvent);
  }
  const events = await claimNewEvents(batchId, [...unique.values()]);
  stats.roundTrips += 1;
  events.sort(byTimeThenId);
  time(stats, 'readEvents', readStarted);

  if (events.length > 0) {
    const loadStarted = Date.now();
    const sites = await loadSites(events);
    const state = await loadBatchState(batchId, events, stats);
    stats.roundTrips += 1;
    time(stats, 'loadState', loadStarted);
    const computeStarted = Date.now();
    const result = computeBatch(batchId, events, sites, state);
    time(stats, 'compute', computeStarted);
    await writeBatch(batchId, result, state, stats);
    await storeEvents(events, result, stats);
  }
  await deleteChunks(chunks.map((c) => c.id));
  await setPendingBatch(holder, null);
  stats.roundTrips += 2;
  stats.batches += 1;
  stats.events += events.length;
  return Math.max(1, unique.size);
}

/**
 * Claims the batch's event ids in `event_claims` (an insert, cheap on every
 * server): an id another batch already claimed is a resent event and is dropped,
 * while one this very batch claimed before a crash is kept for the replay.
 */
async function claimNewEvents(batchId: string, events: RawEvent[]): Promise<RawEvent[]> {
  if (events.length === 0) return events;
  const at = new Date();
  let duplicates: string[] = [];
  try {
    await collections.eventClaims().insertMany(
      events.map((e) => ({ _id: e._id, batch: batchId, at })),
      { ordered: false },
    );
  } catch (error) {
    duplicates = duplicateIndexes(error).map((i) => events[i]!._id);
  }
  if (duplicates.length === 0) return events;
  const ours = new Set(
    (
      await collections
        .eventClaims()
        .find({ _id: { $in: duplicates }, batch: batchId }, { projection: { _id: 1 } })
        .toArray()
    ).map((c) => c._id),
  );
  const resent = new Set(duplicates.filter((id) => !ours.has(id)));
  return events.filter((e) => !resent.has(e._id));
}

/** Indexes of duplicate-key failures in a bulk insert; rethrows anything else. */
function duplicateIndexes(error: unknown): number[] {
  const writeErrors = (error as { writeErrors?: unknown }).writeErrors;
  const list = (Array.isArray(writeErrors) ? writeErrors : writeErrors ? [writeErrors] : []) as Array<{
    code?: number;
    index?: number;
    err?: { code?: number; index?: number };
  }>;
  // A lost connection also surfaces as a bulk error, with no write errors listed.
  if (list.length === 0) throw error;
  return list.map((e) => {
    if ((e.code ?? e.err?.code) !== 11000) throw error;
    return e.index ?? e.err?.index ?? -1;
  });
}

/** Inserts the batch's events with their visit ids; rows a crashed attempt already stored are kept. */
async function storeEvents(events: RawEvent[], result: BatchResult, stats: DrainStats): Promise<void> {
  const started = Date.now();
  const visitOf = new Map<string, string>();
  for (const [visitId, ids] of result.eventsByVisit) for (const id of ids) visitOf.set(id, visitId);
  try {
    await collections.events().insertMany(
      events.map((e) => ({ ...e, visitId: visitOf.get(e._id) ?? '' })),
      { ordered: false },
    );
  } catch (error) {
    duplicateIndexes(error);
  }
  stats.roundTrips += 1;
  time(stats, 'storeEvents', started);
}

/** Site settings for the batch in one query; read every batch so setting changes apply from the next one. */
export async function loadSites(events: readonly RawEvent[]): Promise<Map<string, SiteConfig>> {
  const ids = [...new Set(events.map((e) => String(e.siteId)))].map((id) => new mongoose.Types.ObjectId(id));
  const db = mongoose.connection.db;
  if (!db) throw new Error('database not connected');
  const sites = await db
    .collection<{ _id: mongo.ObjectId; settings?: { visitTimeoutMinutes?: number; identityMode?: string } }>('sites')
    .find({ _id: { $in: ids } }, { projection: { settings: 1 } })
    .toArray();
  return new Map(
    sites.map((site) => [
      String(site._id),
      {
        timeoutMs: (site.settings?.visitTimeoutMinutes ?? DEFAULT_TIMEOUT_MINUTES) * 60_000,
        firstParty: site.settings?.identityMode === 'first-party',
      },
    ]),
  );
}

/**
 * Loads the visitors, their current visits and their visitor-days with one `$in`
 * query each, rolled back to before `batchId` where a previous run of this very
 * batch already wrote them.
 */
export async function loadBatchState(batchId: string, events: readonly RawEvent[], stats: DrainStats) {
  const visitorIds = [...new Set(events.map((e) => visitorKey(e.siteId, e.vid)))];
  const visitors = new Map<string, VisitorDoc>();
  for (const doc of await collections
    .visitors()
    .find({ _id: { $in: visitorIds } })
    .toArray()) {
    if (doc.lastBatch === batchId) {
      if (!doc.undo) continue;
      Object.assign(doc, doc.undo);
    }
    visitors.set(doc._id, doc);
  }
  stats.roundTrips += 1;

  const visitIds = [...visitors.values()].map((v) => v.lastVisitId).filter(Boolean);
  const visits = new Map<string, VisitDoc>();
  for (const doc of await collections
    .visits()
    .find({ _id: { $in: visitIds } })
    .toArray()) {
    if (doc.lastBatch === batchId) {
      if (!doc.undo) continue;
      Object.assign(doc, doc.undo);
    }
    visits.set(doc._id, doc);
  }
  stats.roundTrips += 1;

  const dayIds = new Set(events.map((e) => visitorDayKey(e.siteId, e.day, e.vid)));
  for (const visit of visits.values()) dayIds.add(visitorDayKey(visit.siteId, visit.day, visit.vid));
  const visitorDays = new Map<string, VisitorDayDoc>();
  for (const doc of await collections
    .visitorDays()
    .find({ _id: { $in: [...dayIds] } })
    .toArray()) {
    if (doc.lastBatch === batchId) {
      const added = new Set(doc.added);
      doc.keys = [...doc.keys.filter((k) => !added.has(k)), ...(doc.removed ?? [])];
      doc.added = [];
      doc.removed = [];
      doc.lastBatch = '';
    }
    visitorDays.set(doc._id, doc);
  }
  return { visitors, visits, visitorDays };
}

/**
 * Writes a batch in an order that makes a replay safe: rollup documents (each
 * skipped when this batch already wrote it), then visits, visitors and visitor-days (whole documents that
 * carry their own undo); the caller then stores the events and deletes the chunks.
 */
export async function writeBatch(
  batchId: string,
  result: BatchResult,
  state: BatchState,
  stats: DrainStats,
): Promise<void> {
  let started = Date.now();
  const rollups = await rollupWrites(batchId, result.rollups);
  await Promise.all([...rollups].map(([part, ops]) => bulkWriteIgnoringDuplicates(collections.rollups(part), ops)));
  for (const ops of rollups.values()) stats.rollupWrites += ops.length;
  started = time(stats, 'writeRollups', started);

  await bulkWriteIgnoringDuplicates(collections.visits(), upserts(result.visits, state.visits));
  started = time(stats, 'writeVisits', started);
  await bulkWriteIgnoringDuplicates(collections.visitors(), upserts(result.visitors, state.visitors));
  started = time(stats, 'writeVisitors', started);
  await bulkWriteIgnoringDuplicates(collections.visitorDays(), upserts(result.visitorDays, state.visitorDays));
  time(stats, 'writeVisitorDays', started);
  stats.roundTrips += 5;
}

/**
 * Inserts for documents the batch created, replacements for those it loaded:
 * an insert is cheap everywhere, while FerretDB scans the collection for every
 * update, and most visits, visitors and visitor-days of a batch are new.
 */
function upserts<T extends { _id: string }>(
  docs: T[],
  loaded: ReadonlyMap<string, unknown>,
): mongo.AnyBulkWriteOperation<T>[] {
  return docs.map((doc): mongo.AnyBulkWriteOperation<T> =>
    loaded.has(doc._id)
      ? { replaceOne: { filter: { _id: doc._id } as mongo.Filter<T>, replacement: doc, upsert: true } }
      : { insertOne: { document: doc as unknown as mongo.OptionalId<T> } },
  );
}

/**
 * One unordered bulkWrite. A guarded upsert that collides with a document this
 * batch already updated raises E11000: that write was applied before, so it is
 * not an error.
 */
async function bulkWriteIgnoringDuplicates<T extends mongo.Document>(
  collection: mongo.Collection<T>,
  ops: mongo.AnyBulkWriteOperation<T>[],
): Promise<void> {
  if (ops.length === 0) return;
  try {
    await collection.bulkWrite(ops, { ordered: false });
  } catch (error) {
    const writeErrors = (error as { writeErrors?: unknown }).writeErrors;
    const list = (Array.isArray(writeErrors) ? writeErrors : writeErrors ? [writeErrors] : []) as Array<{
      code?: number;
    }>;
    if (list.length === 0 || list.some((e) => e.code !== 11000)) throw error;
  }
}

let loop: { stop: () => Promise<void> } | undefined;

export interface AggregatorOptions {
  intervalMs?: number;
  batchSize?: number;
  logger?: Logger;
}

/**
 * Starts the background loop in this process: drain, sleep `intervalMs`, repeat.
 * Replicas may all start it; the lease lets one of them work at a time.
 */
export function startAggregator(options: AggregatorOptions = {}): void {
  if (loop) return;
  const intervalMs = options.intervalMs ?? 1000;
  let running = true;
  let wake: (() => void) | undefined;
  const run = async () => {
    while (running) {
      try {
        const stats = await withLease(0, (holder, lock) =>
          drain(holder, lock, { ...optional(options.batchSize), shouldStop: () => !running }),
        );
        if (stats.events > 0) options.logger?.debug({ ...stats }, 'aggregated events');
      } catch (error) {
        options.logger?.warn({ err: error }, 'aggregator batch failed');
      }
      if (!running) break;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, intervalMs);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  };
  const done = run();
  loop = {
    stop: async () => {
      running = false;
      wake?.();
      await done;
    },
  };
}

/** Stops the loop after the batch in progress has been written. */
export async function stopAggregator(): Promise<void> {
  const current = loop;
  loop = undefined;
  await current?.stop();
}

function optional(batchSize: number | undefined): { batchSize?: number } {
  return batchSize === undefined ? {} : { batchSize };
}
