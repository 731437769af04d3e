import type { mongo } from 'mongoose';

import {
  LEGACY_LOCK,
  VISIT_OPEN_MS,
  applyDelta,
  emptyState,
  firstKeptDay,
  loadState,
  writeSnapshot,
  type FrozenLock,
  type FrozenState,
  type FrozenVisit,
} from './aggregator-state-format';
import type { Migration } from './index';

/** A visit as the aggregator before decision 0005 wrote it: replaced on every batch, with the state before it. */
type LegacyVisit = FrozenVisit & { lastBatch?: string; undo?: Partial<FrozenVisit> | null };
interface LegacyVisitor {
  _id: string;
  siteId: mongo.ObjectId;
  vid: string;
  userId?: string;
  traits?: Record<string, unknown> | null;
}
interface LegacyVisitorDay {
  _id: string;
  day: string;
  keys: string[];
  lastBatch?: string;
  added?: string[];
  removed?: string[];
}

const LEGACY = ['visitors', 'visitor_days', 'event_claims'] as const;

/**
 * Moves the aggregator's mutable collections into its journaled state
 * (decision 0005): visits that can still grow and the recent visitor-day key
 * sets become the first snapshot, everything else in `visits` stays as closed
 * history, identity moves from visitor profiles onto their visits, and
 * `visitors`, `visitor_days` and `event_claims` are dropped. A batch the old
 * aggregator left half-applied is rolled back first, as it would have done, so
 * the new one replays it exactly. Safe to run again: once the lock points at
 * the snapshot, a rerun only finishes the clean-up.
 */
export const aggregatorState: Migration = {
  id: 4,
  name: 'aggregator-state',
  async up(db) {
    const locks = db.collection<FrozenLock>('locks');
    const lock = await locks.findOne({ _id: LEGACY_LOCK });
    let state: FrozenState;
    if (lock?.epoch) {
      state = (await loadState(db, lock.epoch)).state;
    } else {
      state = await legacyState(db, lock?.pending?.batchId ?? '');
      const epoch = await writeSnapshot(db, LEGACY_LOCK, state);
      await locks.updateOne(
        { _id: LEGACY_LOCK },
        { $set: { epoch, seq: 0 }, $setOnInsert: { holder: '', expiresAt: new Date(0), pending: null } },
        { upsert: true },
      );
    }
    // Open visits live in the state until they close; their old copies would shadow the final ones.
    const open = [...state.visits.keys()];
    if (open.length > 0) await db.collection<LegacyVisit>('visits').deleteMany({ _id: { $in: open } });
    await db.collection<LegacyVisit>('visits').updateMany({}, { $unset: { lastBatch: '', undo: '' } });
    const existing = new Set((await db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name));
    for (const name of LEGACY) if (existing.has(name)) await db.dropCollection(name);
  },
};

async function legacyState(db: mongo.Db, pendingBatch: string): Promise<FrozenState> {
  const visits = db.collection<LegacyVisit>('visits');
  const identified = await db
    .collection<LegacyVisitor>('visitors')
    .find({ userId: { $gt: '' } })
    .toArray();
  for (const visitor of identified) {
    await visits.updateMany(
      { siteId: visitor.siteId, vid: visitor.vid },
      { $set: { userId: visitor.userId ?? '', traits: visitor.traits ?? null } },
    );
  }

  const all = await visits.find({}).toArray();
  const clock = Math.max(0, ...all.map((v) => v.lastSeen.getTime()));
  const state = emptyState();
  const open: FrozenVisit[] = [];
  for (const legacy of all) {
    const { lastBatch, undo, ...visit } = legacy;
    if (lastBatch && lastBatch === pendingBatch) {
      // The half-applied batch created this visit: its replay creates it again.
      if (!undo) {
        await visits.deleteOne({ _id: visit._id });
        continue;
      }
      Object.assign(visit, undo);
    }
    visit.userId ??= '';
    visit.traits ??= null;
    if (clock - visit.lastSeen.getTime() <= VISIT_OPEN_MS) open.push(visit);
  }

  const kept = firstKeptDay(clock);
  const days: Array<[string, string[]]> = [];
  for (const doc of await db
    .collection<LegacyVisitorDay>('visitor_days')
    .find({ day: { $gte: kept } })
    .toArray()) {
    let keys = doc.keys;
    if (doc.lastBatch && doc.lastBatch === pendingBatch) {
      const added = new Set(doc.added ?? []);
      keys = [...keys.filter((k) => !added.has(k)), ...(doc.removed ?? [])];
    }
    days.push([doc._id, keys]);
  }
  applyDelta(state, { clock, visits: open, closed: [], days });
  return state;
}
