import { Types } from 'mongoose';

import { startTestApp, type TestApp } from '../../test/support/app';
import { clearAggregateData } from '../../test/support/events';
import type { StoredEvent } from '../collect/event';
import { PARTITIONS, partitionOf } from '../lib/partition';
import {
  InboxReader,
  appendSerialised,
  appendToInbox,
  chunkRef,
  chunksByRef,
  inboxBacklog,
  type InboxChunk,
} from './inbox';

/** The inbox's 10-second slots (decision 0006) and partitions of the sites (decision 0012): order, consumption, and when a slot may be dropped. */

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t.close());
let reader: InboxReader;
beforeEach(async () => {
  await clearAggregateData();
  reader = new InboxReader(Array.from({ length: PARTITIONS }, (_, p) => p));
});
const oldestChunks = async (maxEvents: number) => (await reader.nextBatch(maxEvents))?.chunks ?? [];
const consumeChunks = (chunks: readonly InboxChunk[]) => reader.consume(chunks);

const SLOT_MS = 10_000;
const slotAt = (ms: number) => `inbox_${String(Math.floor(ms / SLOT_MS)).padStart(11, '0')}`;
const names = async () =>
  (await t.db.listCollections({}, { nameOnly: true }).toArray())
    .map((c) => c.name)
    .filter((n) => n.startsWith('inbox'))
    .sort();

function chunk(path: string, p = 0) {
  return { _id: new Types.ObjectId(), p, count: 1, events: eventsJson(path) };
}
const eventsJson = (path: string) => JSON.stringify([{ _id: `s:${path}`, siteId: new Types.ObjectId(), ts: 0, path }]);
const append = (path: string, partition = 0) => appendSerialised([{ partition, json: eventsJson(path), count: 1 }]);
const paths = (chunks: Array<{ events: Array<{ path: string }> }>) =>
  chunks.flatMap((c) => c.events.map((e) => e.path));

/** Every batch the reader serves until the inbox is empty, each consumed once read. */
async function drainAll(maxEvents = 100): Promise<InboxChunk[][]> {
  const batches: InboxChunk[][] = [];
  for (let next = await reader.nextBatch(maxEvents); next; next = await reader.nextBatch(maxEvents)) {
    batches.push(next.chunks);
    await reader.consume(next.chunks);
  }
  return batches;
}

describe('inbox slots', () => {
  it('when chunks wait in the legacy collection, an old slot and the current one, then they are read oldest first', async () => {
    const old = Date.now() - 3_600_000;
    await t.db.collection(slotAt(old)).insertOne(chunk('/old'));
    await append('/now');
    await t.db.collection('inbox').insertOne(chunk('/legacy'));
    expect(await inboxBacklog()).toBe(3);

    const batches = await drainAll();
    expect(batches.map(paths)).toEqual([['/legacy', '/old', '/now']]);
    // A pending batch names its chunks by slot, and a bare id names one of the legacy collection.
    const refs = batches.flat().map(chunkRef);
    await t.db.collection('inbox').insertOne(chunk('/legacy'));
    const legacy = (await reader.nextBatch(100))!.chunks;
    const legacyRef = chunkRef(legacy[0]!).split('/')[1]!;
    expect(paths(await chunksByRef([legacyRef, ...refs.slice(1)]))).toEqual(['/legacy']);
  });

  it('when a slot old enough was read to its end, then consuming it drops it; the current one only loses what was read', async () => {
    const old = Date.now() - 3_600_000;
    await t.db.collection(slotAt(old)).insertMany([chunk('/a'), chunk('/b')]);
    await append('/c');

    const first = await oldestChunks(100);
    expect(paths(first)).toEqual(['/a', '/b', '/c']);
    // A chunk arriving in the current slot after the read must survive the consumption of the others.
    await append('/late');
    await consumeChunks(first);
    expect(await names()).not.toContain(slotAt(old));
    expect(paths(await oldestChunks(100))).toEqual(['/late']);
  });

  it('when a backlog of several partitions spans slots, then each batch fills from the following slots and keeps each partition in order', async () => {
    const old = Date.now() - 3_600_000;
    for (let i = 0; i < 3; i += 1) {
      await t.db.collection(slotAt(old + i * SLOT_MS)).insertMany([chunk(`/p0-${i}`, 0), chunk(`/p1-${i}`, 1)]);
    }
    const batches = await drainAll(3);
    expect(batches.map(paths)).toEqual([
      ['/p0-0', '/p0-1', '/p0-2'],
      ['/p1-0', '/p1-1', '/p1-2'],
    ]);
    expect(await names()).toEqual([]);
  });

  it('when an old slot is empty, then reading the inbox drops it, while a recent empty one stays', async () => {
    const old = Date.now() - 3_600_000;
    const recent = Date.now() - 60_000;
    await t.db.createCollection(slotAt(old));
    await t.db.createCollection(slotAt(recent));

    expect(await oldestChunks(100)).toEqual([]);
    expect(await names()).toEqual([slotAt(recent)]);
  });

  it('when a batch is capped mid-slot, then only its chunks are consumed and the slot stays', async () => {
    const old = Date.now() - 3_600_000;
    await t.db.collection(slotAt(old)).insertMany([chunk('/1'), chunk('/2')]);

    const first = await oldestChunks(1);
    expect(paths(first)).toEqual(['/1']);
    await consumeChunks(first);
    expect(paths(await oldestChunks(100))).toEqual(['/2']);
  });

  it('when a slot read before it was sealed is consumed later, then it is not dropped while chunks that came after the read remain', async () => {
    const start = Date.now();
    const clock = jest.spyOn(Date, 'now').mockReturnValue(start);
    try {
      await append('/a');
      await append('/b');
      const first = await oldestChunks(1);
      await consumeChunks(first);
      // Arrives in the same slot after the read that remembered '/b'.
      await append('/c');
      clock.mockReturnValue(start + 3_600_000);

      const second = await oldestChunks(1);
      expect(paths(second)).toEqual(['/b']);
      expect(second[0]!.lastOfSlot).toBe(false);
      await consumeChunks(second);
      expect(paths(await oldestChunks(100))).toEqual(['/c']);
    } finally {
      clock.mockRestore();
    }
  });

  it('when a backlog waits behind each batch, then consumed chunks stay stored, and are not read again, until their slot has been read to its end', async () => {
    // Sealed (no insert can still land) but not yet old enough to be dropped.
    const slot = slotAt(Date.now() - 2 * 60_000);
    await t.db.collection(slot).insertMany([chunk('/1'), chunk('/2'), chunk('/3')]);
    const stored = () => t.db.collection(slot).countDocuments();

    const first = await oldestChunks(1);
    await consumeChunks(first);
    expect(await stored()).toBe(3);
    const second = await oldestChunks(1);
    expect(paths(second)).toEqual(['/2']);
    await consumeChunks(second);
    expect(await stored()).toBe(3);

    const last = await oldestChunks(1);
    expect(paths(last)).toEqual(['/3']);
    expect(last[0]!.lastOfSlot).toBe(true);
    await consumeChunks(last);
    expect(await stored()).toBe(0);
    expect(await oldestChunks(100)).toEqual([]);
  });

  it('when nothing waits behind a batch, then its chunks and every consumed one before are deleted at once', async () => {
    await append('/a');
    await append('/b');
    await consumeChunks(await oldestChunks(1));
    expect(await inboxBacklog()).toBe(2);

    await consumeChunks(await oldestChunks(100));
    expect(await inboxBacklog()).toBe(0);
  });

  it('when batches continue from what the last read remembered, then every chunk of every slot is consumed once, in order', async () => {
    const old = Date.now() - 3_600_000;
    await t.db.collection(slotAt(old)).insertMany([chunk('/1'), chunk('/2')]);
    await t.db.collection(slotAt(old + SLOT_MS)).insertMany([chunk('/3'), chunk('/4')]);
    await append('/5');

    const consumed = (await drainAll(1)).flatMap(paths);
    expect(consumed).toEqual(['/1', '/2', '/3', '/4', '/5']);
    expect(await names()).not.toContain(slotAt(old));
  });
});

describe('inbox partitions', () => {
  it('when sites of several partitions send events, then a commit stores one chunk per partition and each batch holds one partition, in order', async () => {
    const sites = Array.from({ length: 40 }, () => new Types.ObjectId());
    const partitions = new Set(sites.map((s) => partitionOf(s)));
    expect(partitions.size).toBeGreaterThan(8);
    const event = (siteId: Types.ObjectId, n: number) =>
      ({ _id: `${String(siteId)}:e${n}`, siteId, ts: new Date(), path: `/${n}` }) as unknown as StoredEvent;
    await appendToInbox(sites.map((s) => event(s, 1)));
    await appendToInbox(sites.map((s) => event(s, 2)));
    const [slot] = await names();
    expect(await t.db.collection(slot!).countDocuments()).toBe(2 * partitions.size);

    const batches = await drainAll();
    for (const batch of batches) {
      const of = new Set(batch.flatMap((c) => c.events.map((e) => partitionOf(e.siteId))));
      expect(of).toEqual(new Set([batch[0]!.partition]));
    }
    // Per site, the first event comes before the second.
    const seen = batches.flat().flatMap((c) => c.events.map((e) => e._id));
    for (const site of sites)
      expect(seen.indexOf(`${String(site)}:e1`)).toBeLessThan(seen.indexOf(`${String(site)}:e2`));
    expect(seen).toHaveLength(80);
  });

  it('when two readers hold different partitions, then each reads only its own, and a sealed slot goes only once both consumed theirs', async () => {
    const old = slotAt(Date.now() - 3_600_000);
    await t.db.collection(old).insertMany([chunk('/p0', 0), chunk('/p1', 1), chunk('/p0b', 0)]);
    const mine = new InboxReader([0]);
    const theirs = new InboxReader([1]);

    const ours = (await mine.nextBatch(100))!;
    expect(paths(ours.chunks)).toEqual(['/p0', '/p0b']);
    await mine.consume(ours.chunks);
    expect(await names()).toContain(old);
    expect(await mine.nextBatch(100)).toBeNull();

    const other = (await theirs.nextBatch(100))!;
    expect(paths(other.chunks)).toEqual(['/p1']);
    await theirs.consume(other.chunks);
    expect(await names()).not.toContain(old);
  });
});
