import { randomBytes } from 'node:crypto';

import mongoose from 'mongoose';

import { isDuplicateKey } from '../lib/db-errors';
import { lockIdOf } from './lease';
import { collections, type LockDoc, type StateRecord, type VisitDoc } from './model';
import { partitionOf } from '../lib/partition';
import {
  applyDelta,
  decodeDelta,
  emptyState,
  encodeDelta,
  snapshotChunks,
  splitDelta,
  type AggregatorState,
  type StateDelta,
} from './state';

/**
 * Makes the aggregator's state durable with inserts only: FerretDB 1.24 scans a
 * whole collection for every read, update or delete, even by `_id`, while
 * inserts stay flat (decision 0005). An epoch is a pair of collections,
 * `aggstate_<epoch>_visits` and `aggstate_<epoch>_days`, holding a snapshot of
 * the state (`s…` records) followed by one journal record per batch (`j…`).
 * When the journal outgrows the snapshot (or 4 MiB, whichever is larger), a new
 * epoch starts with a fresh snapshot after that batch and the old collections
 * are dropped whole, so loading the state, or reading the open visits, reads
 * the snapshot and a journal no larger than that, plus one batch's records.
 */

export const SNAPSHOT_CHUNK_BYTES = 1 << 20;
/** The journal may grow to this many bytes (or the snapshot's size, if larger) before a new epoch starts. */
const MIN_JOURNAL_BYTES = 4 << 20;

const PREFIX = 'aggstate_';
const pad = (n: number) => String(n).padStart(10, '0');
const journalId = (seq: number) => `j${pad(seq)}`;

export interface LoadedState {
  epoch: string;
  /** Journal records applied. */
  seq: number;
  /** The batches journaled in this epoch: a pending batch (or part of a split one) among them is already applied. */
  journaled: Set<string>;
  state: AggregatorState;
  snapshotBytes: number;
  journalBytes: number;
}

/**
 * An epoch's id starts with its lock's: each partition's aggregator drops its
 * own old epochs, never another partition's (whose new snapshot its lock may
 * not name yet).
 */
const epochPrefix = (lockId: string) => `p${lockId.slice(-2)}`;

export function newEpochId(lockId: string): string {
  return `${epochPrefix(lockId)}x${Date.now().toString(36)}${randomBytes(4).toString('hex')}`;
}

/** Inserts records; ones a crashed attempt already wrote (same `_id`, same content) are kept. */
async function insertRecords(epoch: string, part: 'visits' | 'days', records: StateRecord[]): Promise<void> {
  if (records.length === 0) return;
  try {
    await collections.aggregatorState(epoch, part).insertMany(records, { ordered: false });
  } catch (error) {
    if (!isDuplicateKey(error)) throw error;
  }
}

/** An epoch's records in the order they apply: the snapshot's chunks, then the journal by sequence number. */
async function readRecords(epoch: string, part: 'visits' | 'days'): Promise<StateRecord[]> {
  const records = await collections.aggregatorState(epoch, part).find({}).toArray();
  const order = (r: StateRecord) => `${r._id.startsWith('s') ? 0 : 1}${r._id}`;
  return records.sort((a, b) => (order(a) < order(b) ? -1 : order(a) > order(b) ? 1 : 0));
}

/**
 * Loads an epoch's state: its snapshot, then its journal in order. A visitor-days
 * record whose visits record is missing belongs to a batch that died before it
 * committed (the visits record is the commit) and is left out.
 */
export async function loadState(lockId: string, epoch: string | undefined): Promise<LoadedState> {
  if (!epoch) {
    return {
      epoch: newEpochId(lockId),
      seq: 0,
      journaled: new Set(),
      state: emptyState(),
      snapshotBytes: 0,
      journalBytes: 0,
    };
  }
  const [visits, days] = await Promise.all([readRecords(epoch, 'visits'), readRecords(epoch, 'days')]);
  const committed = new Set(visits.map((r) => r._id));
  const state = emptyState();
  let snapshotBytes = 0;
  let journalBytes = 0;
  for (const record of [...visits, ...days.filter((r) => committed.has(r._id))]) {
    applyDelta(state, decodeDelta(record.data));
    if (record._id.startsWith('s')) snapshotBytes += record.data.length;
    else journalBytes += record.data.length;
  }
  const journal = visits.filter((r) => r._id.startsWith('j'));
  return {
    epoch,
    seq: journal.length,
    journaled: new Set(journal.map((r) => r.batchId)),
    state,
    snapshotBytes,
    journalBytes,
  };
}

/** A delta as its two journal records' data: the visitor-days part and the visits part. */
export function encodeJournal(delta: StateDelta): { days: string; visits: string } {
  const parts = splitDelta(delta);
  return { days: encodeDelta(parts.days), visits: encodeDelta(parts.visits) };
}

/**
 * Journals a batch's delta as record `seq`: the visitor-days part first, then the
 * visits part, whose insert commits the batch. Returns the bytes written.
 */
export async function appendJournal(
  epoch: string,
  seq: number,
  batchId: string,
  records: { days: string; visits: string },
): Promise<number> {
  await insertRecords(epoch, 'days', [{ _id: journalId(seq), batchId, data: records.days }]);
  await insertRecords(epoch, 'visits', [{ _id: journalId(seq), batchId, data: records.visits }]);
  return records.days.length + records.visits.length;
}

/** Whether the journal has grown enough that a new epoch is cheaper to load. */
export const shouldStartEpoch = (loaded: Pick<LoadedState, 'snapshotBytes' | 'journalBytes'>) =>
  loaded.journalBytes > Math.max(loaded.snapshotBytes, MIN_JOURNAL_BYTES);

/** Writes a snapshot of `state` as a new epoch's first records; returns the epoch and the snapshot's bytes. */
export async function writeSnapshot(lockId: string, state: AggregatorState): Promise<{ epoch: string; bytes: number }> {
  const epoch = newEpochId(lockId);
  const chunks = snapshotChunks(state, SNAPSHOT_CHUNK_BYTES);
  const records = (list: string[]) => list.map((data, i) => ({ _id: `s${pad(i)}`, batchId: '', data }));
  await insertRecords(epoch, 'days', records(chunks.days));
  await insertRecords(epoch, 'visits', records(chunks.visits));
  const bytes = [...chunks.days, ...chunks.visits].reduce((sum, data) => sum + data.length, 0);
  return { epoch, bytes };
}

/**
 * Drops the lock's state collections but those of `keep` (old epochs, and
 * snapshots a crash left unreferenced); `keep` null drops them all.
 */
export async function dropOtherEpochs(lockId: string, keep: string | null): Promise<void> {
  const db = mongoose.connection.db;
  if (!db) throw new Error('database not connected');
  const names = await db.listCollections({}, { nameOnly: true }).toArray();
  const mine = `${PREFIX}${epochPrefix(lockId)}x`;
  for (const { name } of names) {
    if (name.startsWith(mine) && (keep === null || !name.startsWith(`${PREFIX}${keep}_`))) {
      await db.dropCollection(name).catch(() => {});
    }
  }
}

/**
 * The open visits of a site, as of the last committed batch: for readers
 * (profiles, visitor lists, exports, erasure) in any process. Reads the current
 * epoch's visits records of the site's partition only; retries when a new
 * epoch replaced it meanwhile.
 */
export async function readOpenVisits(siteId: mongoose.Types.ObjectId): Promise<VisitDoc[]> {
  const lockId = lockIdOf(partitionOf(siteId));
  for (let attempt = 0; attempt < 3; attempt += 1) {
    const lock = (await collections.locks().findOne({ _id: lockId })) as LockDoc | null;
    if (!lock?.epoch) return [];
    const records = await readRecords(lock.epoch, 'visits');
    const after = (await collections.locks().findOne({ _id: lockId })) as LockDoc | null;
    if (records.length === 0 && after?.epoch !== lock.epoch) continue;
    const state = emptyState();
    for (const record of records) applyDelta(state, decodeDelta(record.data));
    const site = String(siteId);
    return [...state.visits.values()].filter((v) => String(v.siteId) === site);
  }
  return [];
}
