import { Types } from 'mongoose';

import { createSite, signUp, startTestApp, type TestApp } from '../../test/support/app';
import { clearAggregateData, rawEvent, storedRollups } from '../../test/support/events';
import { processPendingEvents } from '../aggregate/aggregator';
import { InboxReader, type InboxChunk } from '../aggregate/inbox';
import { PARTITIONS, partitionOf } from '../lib/partition';
import { aggregatorPartitions, tagLegacyChunks } from './aggregator-partitions';
import { LEGACY_LOCK, emptyState, writeSnapshot } from './aggregator-state-format';

/**
 * Migration 10 on data as the aggregator before partitions left it: chunks
 * without a partition in the inbox, one lock for all sites, and a batch it
 * left pending.
 */

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t.close());
beforeEach(() => clearAggregateData());

const slotAt = (ms: number) => `inbox_${String(Math.floor(ms / 10_000)).padStart(11, '0')}`;
const OLD_SLOT = slotAt(Date.now() - 3_600_000);

/** Writes events as one chunk without a partition, as the collector before partitions did; returns its ref. */
async function legacyChunk(events: Array<Record<string, unknown>>): Promise<string> {
  const _id = new Types.ObjectId();
  await t.db.collection(OLD_SLOT).insertOne({ _id, count: events.length, events: JSON.stringify(events) });
  return `${OLD_SLOT}/${_id.toHexString()}`;
}

/** The lock of all sites, with an empty state, a journal holding `journaled`, and `pending`. */
async function legacyLock(pending: { batchId: string; chunkIds: string[] } | null, journaled: string[] = []) {
  const epoch = await writeSnapshot(t.db, LEGACY_LOCK, emptyState());
  const empty = JSON.stringify({ clock: 0, visits: [], closed: [], days: [] });
  for (const [i, batchId] of journaled.entries()) {
    const record = { _id: `j${String(i + 1).padStart(10, '0')}`, batchId, data: empty };
    await t.db.collection(`aggstate_${epoch}_days`).insertOne(record as never);
    await t.db.collection(`aggstate_${epoch}_visits`).insertOne(record as never);
  }
  await t.db.collection('locks').insertOne({
    _id: LEGACY_LOCK,
    holder: '',
    expiresAt: new Date(0),
    pending,
    epoch,
    seq: journaled.length,
  } as never);
}

async function drainAll(): Promise<InboxChunk[]> {
  const reader = new InboxReader(Array.from({ length: PARTITIONS }, (_, p) => p));
  const chunks: InboxChunk[] = [];
  for (let next = await reader.nextBatch(100); next; next = await reader.nextBatch(100)) {
    chunks.push(...next.chunks);
    await reader.consume(next.chunks);
  }
  return chunks;
}

const pageviews = async (siteId: string) =>
  (await storedRollups(siteId))
    .filter((r) => r.dim === 'all' && r.granularity === 'day')
    .reduce((sum, r) => sum + r.pageviews, 0);

describe('migration 10: aggregator partitions', () => {
  it('when chunks were written before partitions, then tagging splits each by partition in its slot, and every event is read once, also after an interrupted run', async () => {
    const sites = Array.from({ length: 6 }, () => new Types.ObjectId());
    const events = sites.map((siteId, i) => ({ _id: `${String(siteId)}:e`, siteId, ts: 0, path: `/${i}` }));
    const original = { _id: new Types.ObjectId(), count: 6, events: JSON.stringify(events) };
    await t.db.collection(OLD_SLOT).insertOne(original);

    expect(await tagLegacyChunks(t.db)).toBe(1);
    const stored = await t.db.collection(OLD_SLOT).find({}).toArray();
    expect(stored.every((doc) => typeof doc.p === 'number')).toBe(true);
    expect(new Set(stored.map((doc) => doc.p))).toEqual(new Set(sites.map((s) => partitionOf(s))));
    // A run cut short after the inserts leaves the original behind: the next run derives the same shares.
    await t.db.collection(OLD_SLOT).insertOne(original);
    expect(await tagLegacyChunks(t.db)).toBe(1);
    expect(await tagLegacyChunks(t.db)).toBe(0);

    const read = (await drainAll()).flatMap((c) => c.events.map((e) => e.path));
    expect(read.sort()).toEqual(events.map((e) => e.path).sort());
  });

  it('when the old aggregator left a batch pending, then every partition replays it under its id, and events it claimed before it stopped still count', async () => {
    const owner = await signUp(t.app);
    const a = await createSite(owner, { timezone: 'UTC' });
    const b = await createSite(owner, { timezone: 'UTC' });
    const ts = new Date(Date.now() - 30 * 60_000);
    const later = new Date(ts.getTime() + 60_000);
    const events = [
      rawEvent(a.id, { ts, vid: 'v1', path: '/', id: 'a1' }),
      rawEvent(a.id, { ts: later, vid: 'v1', path: '/b', id: 'a2' }),
      rawEvent(b.id, { ts, vid: 'v2', path: '/', id: 'b1' }),
    ];
    const ref = await legacyChunk(events);
    // The batch had claimed an event before it stopped: only a replay under its own id keeps it.
    const day = ts.toISOString().slice(0, 10).replaceAll('-', '');
    await t.db.collection(`event_claims_${day}`).insertOne({ _id: `${a.id}:a1`, batch: 'half-done' } as never);
    await legacyLock({ batchId: 'half-done', chunkIds: [ref] });

    await aggregatorPartitions.up(t.db);
    await aggregatorPartitions.up(t.db);

    const locks = await t.db.collection('locks').find({}).toArray();
    expect(locks.map((l) => l._id).sort()).toEqual(
      Array.from({ length: PARTITIONS }, (_, p) => `aggregator.${String(p).padStart(2, '0')}`),
    );
    for (const lock of locks) {
      const partition = Number(String(lock._id).slice(-2));
      const mine = [a.id, b.id].filter((id) => partitionOf(id) === partition).length;
      expect(lock.pending).toEqual({
        batchId: 'half-done',
        chunkIds: mine > 0 ? [expect.stringMatching(new RegExp(`^${OLD_SLOT}/`))] : [],
        clock: later.getTime(),
      });
    }
    expect(await t.db.collection(OLD_SLOT).countDocuments({ p: { $exists: false } })).toBe(0);

    await processPendingEvents();
    expect(await pageviews(a.id)).toBe(2);
    expect(await pageviews(b.id)).toBe(1);
  });

  it('when the pending batch was journaled already, then its chunks are consumed and nothing replays it', async () => {
    const owner = await signUp(t.app);
    const a = await createSite(owner, { timezone: 'UTC' });
    const ref = await legacyChunk([rawEvent(a.id, { ts: new Date(Date.now() - 60_000), vid: 'v1' })]);
    await legacyLock({ batchId: 'committed', chunkIds: [ref] }, ['committed']);

    await aggregatorPartitions.up(t.db);

    expect(await t.db.collection(OLD_SLOT).countDocuments({})).toBe(0);
    const pending = (await t.db.collection('locks').find({}).toArray()).map((l) => l.pending);
    expect(pending).toEqual(Array.from({ length: PARTITIONS }, () => null));
    await processPendingEvents();
    expect(await pageviews(a.id)).toBe(0);
  });

  it('when the pending batch was half isolated, then the migration stops with what to do, and keeps the old lock', async () => {
    await legacyLock({ batchId: 'poisoned', chunkIds: [] }, ['poisoned.0']);
    await expect(aggregatorPartitions.up(t.db)).rejects.toThrow(/half-isolated.*start that version once/);
    expect(await t.db.collection('locks').findOne({ _id: LEGACY_LOCK as never })).not.toBeNull();
  });
});
