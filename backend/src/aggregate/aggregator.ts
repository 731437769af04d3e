import { createHash, randomUUID } from 'node:crypto';

import mongoose, { type mongo } from 'mongoose';

import { PARTITIONS, partitionOf } from '../lib/partition';
import { goalsOfSites } from '../reports/goals';
import { siteConfigurations } from '../sites/settings';
import type { Logger } from 'pino';

import { duplicateKeyIndexes } from '../lib/db-errors';
import { announceGoalConversions, goalConversionsIdle, setConversionLogger } from '../webhooks/conversions';
import { claimNewEvents } from './claims';
import { computeBatch, type BatchResult, type SiteConfig } from './compute';
import { batchConversions } from './conversions';
import {
  ALL_LOCKS,
  acquireLeases,
  commitBatch,
  holds,
  isHeld,
  joinMembers,
  leaseTable,
  leaveMembers,
  lockIdOf,
  releaseLeases,
  renewLeases,
  setEpoch,
  setPendingBatch,
  waitForLeases,
} from './lease';
import { appendEvents, appendVisits, insertIgnoringDuplicates } from './history';
import { InboxReader, chunkRef, chunksByRef, consumeChunks, type InboxChunk } from './inbox';
import { indexEventVisitors, indexUserLinks } from './visitor-index';
import { collections, type LockDoc, type PendingBatch, type RawEvent } from './model';
import { rollupWrites, type RollupWrites } from './rollups';
import { applyDelta, visitHasClosed, type StateDelta } from './state';
import {
  appendJournal,
  dropOtherEpochs,
  encodeJournal,
  loadState,
  shouldStartEpoch,
  writeSnapshot,
  type LoadedState,
} from './state-store';

export const DEFAULT_BATCH_SIZE = 2000;

export interface DrainOptions {
  /** Events per batch (default 2000). */
  batchSize?: number;
  /** How long to wait for the leases other aggregators hold (default 60 s; 0 = give up at once). */
  waitForLeaseMs?: number;
  /** Checked between batches; true stops the drain after the current batch. */
  shouldStop?: () => boolean;
}

export interface DrainStats {
  batches: number;
  events: number;
  /** Rollup documents written (one per site × open day or month × part touched). */
  rollupWrites: number;
  /** Database round trips made by the batches (reads and bulk writes; parallel `_id` lookups count as one). */
  roundTrips: number;
  /** False when other aggregators held the leases. */
  leased: boolean;
  /** Milliseconds spent per phase, summed over batches. */
  phases: Record<string, number>;
  /** Events that could not be applied and went to `dead_letters`. */
  deadLettered: number;
}

/** The partition a lock stands for (lease.ts `lockIdOf`). */
const partitionOfLock = (lockId: string): number => Number(lockId.slice(lockId.lastIndexOf('.') + 1));

/**
 * Aggregates every event waiting in the inbox now, batch by batch, under the
 * leases of every partition (waiting for the ones other aggregators hold).
 * Tests, the rebuild and benchmarks call this.
 */
export async function processPendingEvents(options: DrainOptions = {}): Promise<DrainStats> {
  const holder = randomUUID();
  const waitMs = options.waitForLeaseMs ?? 60_000;
  const locks = await waitForLeases(holder, ALL_LOCKS, waitMs);
  if (!locks) {
    if (waitMs > 0) throw new Error('timed out waiting for the aggregator leases');
    return { ...emptyStats(), leased: false };
  }
  try {
    const reader = new InboxReader(Array.from({ length: PARTITIONS }, (_, p) => p));
    return await drain(holder, locks, reader, options, async () => {
      await renewLeases(holder, ALL_LOCKS);
      return true;
    });
  } finally {
    await releaseLeases(holder);
  }
}

/** Runs `work` while holding one lock's lease (waiting up to `waitMs` for it); releases it afterwards. */
async function withLease<T>(lockId: string, waitMs: number, work: (holder: string, lock: LockDoc) => Promise<T>) {
  const holder = randomUUID();
  const [lock] = (await waitForLeases(holder, [lockId], waitMs)) ?? [];
  if (!lock) throw new Error('timed out waiting for the aggregator lease');
  try {
    return await work(holder, lock);
  } finally {
    await releaseLeases(holder);
  }
}

/** Stats of a drain that has done nothing yet (rebuilds and backfills count their own batches into it). */
export function emptyStats(): DrainStats {
  return { batches: 0, events: 0, rollupWrites: 0, roundTrips: 0, leased: true, phases: {}, deadLettered: 0 };
}

/**
 * Each lock's state as of its last committed batch, kept between drains while
 * this process holds the lock and nobody else advanced its journal.
 */
const memory = new Map<string, LoadedState>();

/** The state for `lock`: the one in memory when it is current, else loaded from the store. */
async function stateFor(holder: string, lock: LockDoc): Promise<LoadedState> {
  const kept = memory.get(lock._id);
  if (kept && !lock.pending && kept.epoch === lock.epoch && kept.seq === (lock.seq ?? 0)) return kept;
  memory.delete(lock._id);
  const loaded = await loadState(lock._id, lock.epoch);
  if (!lock.epoch) await setEpoch(holder, lock._id, loaded.epoch, 0);
  memory.set(lock._id, loaded);
  return loaded;
}

interface DrainRunOptions extends DrainOptions {
  /** Close visits by the wall clock once the inbox is empty (the background loop; never in tests that replay history). */
  closeIdleVisits?: boolean;
}

/**
 * Finishes the batches previous holders left pending on `locks`, then applies
 * the reader's batches until the inbox holds nothing more of their partitions.
 * `renew` runs between batches: it renews the leases, and returns false when
 * the holder should end its round (another process waits for one of them).
 */
async function drain(
  holder: string,
  locks: readonly LockDoc[],
  reader: InboxReader,
  options: DrainRunOptions,
  renew: () => Promise<boolean>,
): Promise<DrainStats> {
  const stats = emptyStats();
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  for (const lock of locks) {
    const loaded = await stateFor(holder, lock);
    if (lock.pending) await replayPending(holder, lock._id, lock.pending, loaded, stats);
  }
  for (;;) {
    const next = await reader.nextBatch(batchSize);
    if (!next) break;
    const lockId = lockIdOf(next.partition);
    await applyChunks(holder, lockId, next.chunks, memory.get(lockId)!, reader, stats);
    if (options.shouldStop?.() || !(await renew())) return stats;
  }
  if (options.closeIdleVisits) {
    for (const lock of locks) await closeIdleVisits(holder, lock._id, memory.get(lock._id)!, stats);
  }
  return stats;
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

/** Events of the chunks, each id once. */
function uniqueEvents(chunks: readonly InboxChunk[]): RawEvent[] {
  const unique = new Map<string, RawEvent>();
  for (const chunk of chunks) {
    for (const event of chunk.events) if (!unique.has(event._id)) unique.set(event._id, event as RawEvent);
  }
  return [...unique.values()];
}

/** The batch clock: the newest event's time, never going back. */
const clockOf = (loaded: LoadedState, chunks: readonly InboxChunk[]) =>
  Math.max(loaded.state.clock, ...chunks.flatMap((c) => c.events.map((e) => e.ts.getTime())));

/** Records the reader's chunks as the lock's pending batch, then applies them (`apply`). */
async function applyChunks(
  holder: string,
  lockId: string,
  chunks: InboxChunk[],
  loaded: LoadedState,
  reader: InboxReader,
  stats: DrainStats,
): Promise<void> {
  const started = Date.now();
  const chunkIds = chunks.map(chunkRef);
  const batch: PendingBatch = { batchId: batchIdOf(chunkIds), chunkIds, clock: clockOf(loaded, chunks) };
  await setPendingBatch(holder, lockId, batch);
  stats.roundTrips += 2;
  time(stats, 'readEvents', started);
  await apply(holder, lockId, batch, chunks, loaded, (consumed) => reader.consume(consumed), stats);
}

/** Applies the batch a previous holder of the lock left half-done, exactly as it would have. */
async function replayPending(
  holder: string,
  lockId: string,
  pending: PendingBatch,
  loaded: LoadedState,
  stats: DrainStats,
): Promise<void> {
  const chunks = await chunksByRef(pending.chunkIds);
  // A batch left pending by a version that did not record its clock gets it the same way.
  const batch = { ...pending, clock: pending.clock ?? clockOf(loaded, chunks) };
  stats.roundTrips += 1;
  await apply(holder, lockId, batch, chunks, loaded, consumeChunks, stats);
}

/**
 * One batch of one lock: its chunks' events, minus those already aggregated,
 * applied to the state; then the rollups, the visits that closed and the
 * events are written, the state delta journaled (the commit), and the chunks
 * consumed (inbox.ts).
 */
async function apply(
  holder: string,
  lockId: string,
  batch: PendingBatch,
  chunks: readonly InboxChunk[],
  loaded: LoadedState,
  consume: (chunks: readonly InboxChunk[]) => Promise<void>,
  stats: DrainStats,
): Promise<void> {
  if (!loaded.journaled.has(batch.batchId)) {
    stats.events += await aggregateEvents(batch, uniqueEvents(chunks), loaded, partitionOfLock(lockId), stats);
  }
  let started = Date.now();
  await consume(chunks);
  started = time(stats, 'consumeChunks', started);
  await commitBatch(holder, lockId, loaded.seq);
  stats.roundTrips += 2;
  stats.batches += 1;
  await maybeStartEpoch(holder, lockId, loaded);
  time(stats, 'commit', started);
}

/**
 * Drops events of deleted sites, claims the rest (dropping resent ones) and
 * applies them. Returns the number of events aggregated.
 */
async function aggregateEvents(
  batch: PendingBatch,
  received: RawEvent[],
  loaded: LoadedState,
  partition: number,
  stats: DrainStats,
): Promise<number> {
  const started = Date.now();
  const sites = await loadSites(received);
  const events = await claimNewEvents(
    batch.batchId,
    received.filter((e) => sites.has(String(e.siteId))),
  );
  events.sort(byTimeThenId);
  stats.roundTrips += 2;
  time(stats, 'claim', started);
  return applyIsolating(batch.batchId, batch.clock, events, sites, loaded, partition, stats);
}

/** Limits a batch must stay within; tests lower them to reach the isolation path with small inputs. */
export const aggregatorLimits = {
  /** Largest document the aggregator writes (MongoDB refuses more than 16 MiB). */
  maxDocumentBytes: 8 << 20,
};

/** A batch that cannot be applied for a reason retrying would not fix. */
class PoisonError extends Error {}

/**
 * Computes events as one batch from the state, checks everything it would write
 * against the limits, and only then writes it; the journal record commits it
 * and the state in memory moves on. When the events cannot be applied for a
 * reason retrying would not fix (the computation fails on them, or a document
 * would exceed the size limit), nothing has been written: they are split in
 * halves, recursively, so that the offending events end in `dead_letters` and
 * the rest is aggregated. Parts get derived ids, so a replay after a crash
 * splits the same way and skips the parts already journaled. Returns the
 * number of events aggregated.
 */
async function applyIsolating(
  batchId: string,
  clock: number,
  events: RawEvent[],
  sites: ReadonlyMap<string, SiteConfig>,
  loaded: LoadedState,
  partition: number,
  stats: DrainStats,
): Promise<number> {
  if (loaded.journaled.has(batchId)) return events.length;
  const started = Date.now();
  try {
    // A replay of a batch that was split before goes straight to its parts: the state already holds some.
    if ([...loaded.journaled].some((id) => id.startsWith(`${batchId}.`))) throw new PoisonError('split before');
    let result: BatchResult;
    try {
      result = computeBatch(events, sites, loaded.state, clock);
    } catch (error) {
      throw new PoisonError(`the computation failed: ${(error as Error).message}`, { cause: error });
    }
    time(stats, 'compute', started);
    const rollups = await rollupWrites(batchId, result.rollups, { clock, foldScan: partition });
    const records = encodeJournal(result.delta);
    checkSizes(rollups, records);
    await writeBatch(batchId, rollups, result, stats);
    await storeEvents(batchId, events, result, stats);
    // Read from the state before the journal moves it on: a visit's goals reached in earlier batches.
    const conversions = batchConversions(events, sites, result.eventsByVisit, loaded.state);
    await journal(batchId, records, result.delta, loaded, stats);
    announceGoalConversions(conversions);
    return events.length;
  } catch (error) {
    if (!(error instanceof PoisonError)) throw error;
    if (events.length <= 1) {
      await deadLetter(batchId, events, error.message);
      stats.deadLettered += events.length;
      return 0;
    }
    const middle = Math.ceil(events.length / 2);
    const half = (suffix: string, list: RawEvent[]) =>
      applyIsolating(`${batchId}.${suffix}`, clock, list, sites, loaded, partition, stats);
    return (await half('0', events.slice(0, middle))) + (await half('1', events.slice(middle)));
  }
}

function checkSizes(rollups: RollupWrites, records: { days: string; visits: string }): void {
  const limit = aggregatorLimits.maxDocumentBytes;
  for (const { part, ops } of rollups.writes) {
    for (const op of ops) {
      const doc =
        'insertOne' in op ? op.insertOne.document : 'replaceOne' in op ? op.replaceOne.replacement : undefined;
      if (doc && doc.data.length > limit) {
        throw new PoisonError(`a rollup_${part} document of ${doc.month} would be ${doc.data.length} bytes`);
      }
    }
  }
  for (const [part, data] of Object.entries(records)) {
    if (data.length > limit) throw new PoisonError(`the ${part} journal record would be ${data.length} bytes`);
  }
}

/** Keeps events the aggregator cannot apply, with their site and the reason, for operators (docs/limits.md). */
async function deadLetter(batchId: string, events: readonly RawEvent[], reason: string): Promise<void> {
  const at = new Date();
  await insertIgnoringDuplicates(
    collections.deadLetters(),
    events.map((event) => ({
      _id: event._id,
      siteId: event.siteId,
      batchId,
      reason,
      at,
      event: JSON.stringify(event).slice(0, 100_000),
    })),
  );
}

/** Journals a delta as the next record and applies it to the state in memory. */
async function journal(
  batchId: string,
  records: { days: string; visits: string },
  delta: StateDelta,
  loaded: LoadedState,
  stats: DrainStats,
): Promise<void> {
  const started = Date.now();
  loaded.journalBytes += await appendJournal(loaded.epoch, loaded.seq + 1, batchId, records);
  applyDelta(loaded.state, delta);
  loaded.seq += 1;
  loaded.journaled.add(batchId);
  stats.roundTrips += 2;
  time(stats, 'journal', started);
}

/** Starts a new state epoch when the journal has outgrown the snapshot (state-store.ts). */
async function maybeStartEpoch(holder: string, lockId: string, loaded: LoadedState): Promise<void> {
  if (shouldStartEpoch(loaded)) await startEpoch(holder, lockId, loaded);
}

async function startEpoch(holder: string, lockId: string, loaded: LoadedState): Promise<void> {
  const { epoch, bytes } = await writeSnapshot(lockId, loaded.state);
  await setEpoch(holder, lockId, epoch, 0);
  Object.assign(loaded, { epoch, seq: 0, snapshotBytes: bytes, journalBytes: 0, journaled: new Set() });
  await dropOtherEpochs(lockId, epoch);
}

/**
 * With the inbox empty, closes the visits that the wall clock says can no longer
 * grow, so they reach `visits` and leave memory even when no new event moves the
 * batch clock. The clock stays a few seconds behind: events still in flight to
 * the inbox are older than it.
 */
async function closeIdleVisits(holder: string, lockId: string, loaded: LoadedState, stats: DrainStats): Promise<void> {
  const clock = Date.now() - 10_000;
  if (![...loaded.state.visits.values()].some((visit) => visitHasClosed(visit, clock))) return;
  const batch: PendingBatch = { batchId: `close-${clock}`, chunkIds: [], clock };
  await setPendingBatch(holder, lockId, batch);
  await applyIsolating(batch.batchId, clock, [], new Map(), loaded, partitionOfLock(lockId), stats);
  await commitBatch(holder, lockId, loaded.seq);
  stats.batches += 1;
}

/** Stores the batch's events with their visit ids; chunks a crashed attempt already stored are kept. */
async function storeEvents(batchId: string, events: RawEvent[], result: BatchResult, stats: DrainStats): Promise<void> {
  const started = Date.now();
  const visitOf = new Map<string, string>();
  for (const [visitId, ids] of result.eventsByVisit) for (const id of ids) visitOf.set(id, visitId);
  await appendEvents(
    batchId,
    events.map((e) => ({ ...e, visitId: visitOf.get(e._id) ?? '' })),
  );
  await indexEventVisitors(batchId, events);
  stats.roundTrips += 2;
  time(stats, 'storeEvents', started);
}

/** Site settings and goals for the batch; read every batch so changes apply from the next one. */
export async function loadSites(events: readonly RawEvent[]): Promise<Map<string, SiteConfig>> {
  const ids = [...new Set(events.map((e) => String(e.siteId)))].map((id) => new mongoose.Types.ObjectId(id));
  if (ids.length === 0) return new Map();
  const sites = await siteConfigurations(ids);
  const goals = await goalsOfSites(ids);
  return new Map(
    sites.map(({ siteId, settings }) => [
      String(siteId),
      {
        timeoutMs: settings.visitTimeoutMinutes * 60_000,
        firstParty: settings.identityMode === 'first-party',
        goals: goals.get(String(siteId)) ?? [],
      },
    ]),
  );
}

/**
 * Writes a batch's rollups (each document skipped when this batch already
 * wrote it) and inserts the visits that closed; a replay rewrites neither.
 * One write at a time: FerretDB on SQLite serialises writers, and writes sent
 * together wait on each other's locks — 25 parallel single-document writes took
 * 1.6× as long as the same 25 in sequence on an empty database, 6× next to
 * 1M events of history (docs/performance.md).
 */
export async function writeBatch(
  batchId: string,
  rollups: RollupWrites,
  result: BatchResult,
  stats: DrainStats,
): Promise<void> {
  let started = Date.now();
  for (const { part, month, ops } of rollups.writes) {
    await bulkWriteIgnoringDuplicates(
      month === null ? collections.openRollups(part) : collections.rollups(part, month),
      ops,
    );
  }
  for (const { ops } of rollups.writes) stats.rollupWrites += ops.length;
  started = time(stats, 'writeRollups', started);
  await appendVisits(result.closedVisits);
  await indexUserLinks(batchId, result.closedVisits);
  time(stats, 'writeVisits', started);
  stats.roundTrips += 3;
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
    duplicateKeyIndexes(error);
  }
}

/**
 * Changes a site's state outside a batch (erasure, site deletion, rebuild)
 * under the lease of the site's partition: journaled like a batch, so every
 * holder after this one sees it. With `forget`, a new epoch starts right
 * after, so no record that held the dropped data (nor the drop itself) stays
 * behind.
 */
export async function changeState(
  siteId: mongo.ObjectId,
  change: (loaded: LoadedState) => StateDelta | Promise<StateDelta>,
  options: { forget?: boolean; waitMs?: number } = {},
): Promise<void> {
  const lockId = lockIdOf(partitionOf(siteId));
  await withLease(lockId, options.waitMs ?? 60_000, async (holder, lock) => {
    const loaded = await stateFor(holder, lock);
    if (lock.pending) await replayPending(holder, lockId, lock.pending, loaded, emptyStats());
    const delta = await change(loaded);
    await journal(`change-${randomUUID()}`, encodeJournal(delta), delta, loaded, emptyStats());
    await commitBatch(holder, lockId, loaded.seq);
    if (options.forget) await startEpoch(holder, lockId, loaded);
  });
}

let loop: { stop: () => Promise<void> } | undefined;

export interface AggregatorOptions {
  intervalMs?: number;
  batchSize?: number;
  logger?: Logger;
}

/**
 * Starts the background loop in this process: a round, a sleep of
 * `intervalMs`, repeat. Replicas may all start it: each round takes this
 * process's share of the partitions (an equal share of the live aggregator
 * processes), drains them, and keeps their leases for the next round unless
 * another process waits for one.
 */
export function startAggregator(options: AggregatorOptions = {}): void {
  if (loop) return;
  if (options.logger) setConversionLogger(options.logger);
  const intervalMs = options.intervalMs ?? 1000;
  const holder = randomUUID();
  let reader: InboxReader | undefined;
  let running = true;
  let wake: (() => void) | undefined;
  const run = async () => {
    while (running) {
      try {
        const locks = await takeShare(holder);
        const partitions = locks.map((lock) => partitionOfLock(lock._id));
        if (reader?.partitions.join() !== [...partitions].sort((a, b) => a - b).join()) {
          reader = new InboxReader(partitions);
        }
        const stats = await drain(
          holder,
          locks,
          reader,
          { ...optional(options.batchSize), shouldStop: () => !running, closeIdleVisits: true },
          () => keepShare(holder, locks),
        );
        if (stats.events > 0) options.logger?.debug({ ...stats, partitions }, 'aggregated events');
        if (stats.deadLettered > 0) {
          options.logger?.warn(
            { deadLettered: stats.deadLettered },
            'events the aggregator cannot apply went to dead_letters',
          );
        }
      } catch (error) {
        // What the reader served may not have been applied: the next round reads it again.
        reader = undefined;
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
    await releaseLeases(holder).catch(() => undefined);
    await leaveMembers(holder).catch(() => undefined);
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

/**
 * The partitions this process aggregates this round: the ones it held, minus
 * those another caller waits for and those beyond its share, plus free ones
 * up to its share. Returns their lock documents.
 */
async function takeShare(holder: string): Promise<LockDoc[]> {
  const now = new Date();
  await joinMembers(holder, now);
  const table = await leaseTable(now);
  const share = Math.ceil(PARTITIONS / Math.max(1, table.members.size));
  const held = ALL_LOCKS.filter((id) => holds(table, id, holder, now));
  const keep = held.filter((id) => !table.awaited.has(id)).slice(0, share);
  await releaseLeases(
    holder,
    held.filter((id) => !keep.includes(id)),
  );
  // From a random place in the list, so that processes starting together rarely race for the same ones.
  const offset = Math.floor(Math.random() * PARTITIONS);
  const free = [...ALL_LOCKS.slice(offset), ...ALL_LOCKS.slice(0, offset)].filter(
    (id) => !isHeld(table, id, now) && !table.awaited.has(id),
  );
  const locks = await acquireLeases(holder, [...keep, ...free.slice(0, Math.max(0, share - keep.length))], now, table);
  // The state of partitions another process now holds would be stale when they come back: memory holds the share only.
  const mine = new Set(locks.map((lock) => lock._id));
  for (const lockId of memory.keys()) if (!mine.has(lockId)) memory.delete(lockId);
  return locks;
}

/** Between batches: renews the round's leases; false ends the round when one is awaited or more processes joined. */
async function keepShare(holder: string, locks: readonly LockDoc[]): Promise<boolean> {
  const now = new Date();
  const table = await leaseTable(now);
  const ids = locks.map((lock) => lock._id);
  await renewLeases(holder, ids, now, table);
  const share = Math.ceil(PARTITIONS / Math.max(1, table.members.size));
  return ids.length <= share && !ids.some((id) => table.awaited.has(id));
}

/** Stops the loop after the batch in progress has been written, hands its leases back, and waits until its goal conversions are queued. */
export async function stopAggregator(): Promise<void> {
  const current = loop;
  loop = undefined;
  await current?.stop();
  await goalConversionsIdle();
}

function optional(batchSize: number | undefined): { batchSize?: number } {
  return batchSize === undefined ? {} : { batchSize };
}
