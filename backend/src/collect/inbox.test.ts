import { Types } from 'mongoose';

import { startTestApp, type TestApp } from '../../test/support/app';
import { clearAggregateData } from '../../test/support/events';
import { appendSerialised, chunkRef, chunksByRef, consumeChunks, inboxBacklog, oldestChunks } from './inbox';

/** The inbox's 10-second partitions (decision 0006): order, consumption, and when a partition may be dropped. */

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t.close());
beforeEach(() => clearAggregateData());

const SLOT_MS = 10_000;
const partitionAt = (ms: number) => `inbox_${String(Math.floor(ms / SLOT_MS)).padStart(11, '0')}`;
const names = async () =>
  (await t.db.listCollections({}, { nameOnly: true }).toArray())
    .map((c) => c.name)
    .filter((n) => n.startsWith('inbox'))
    .sort();

function chunk(path: string) {
  return { _id: new Types.ObjectId(), count: 1, events: eventsJson(path) };
}
const eventsJson = (path: string) => JSON.stringify([{ _id: `s:${path}`, siteId: new Types.ObjectId(), ts: 0, path }]);
const paths = (chunks: Array<{ events: Array<{ path: string }> }>) =>
  chunks.flatMap((c) => c.events.map((e) => e.path));

describe('inbox partitions', () => {
  it('when chunks wait in the legacy collection, an old partition and the current one, then they are read oldest first', async () => {
    const old = Date.now() - 3_600_000;
    await t.db.collection(partitionAt(old)).insertOne(chunk('/old'));
    await appendSerialised(eventsJson('/now'), 1);
    await t.db.collection('inbox').insertOne(chunk('/legacy'));

    const chunks = await oldestChunks(100);
    expect(paths(chunks)).toEqual(['/legacy', '/old', '/now']);
    expect(await inboxBacklog()).toBe(3);
    // A pending batch names its chunks by partition, and a bare id names one of the legacy collection.
    const refs = chunks.map(chunkRef);
    const legacyRef = refs[0]!.split('/')[1]!;
    expect(paths(await chunksByRef([legacyRef, ...refs.slice(1)]))).toEqual(['/legacy', '/old', '/now']);
  });

  it('when a partition old enough was read to its end, then consuming it drops it; the current one only loses what was read', async () => {
    const old = Date.now() - 3_600_000;
    await t.db.collection(partitionAt(old)).insertMany([chunk('/a'), chunk('/b')]);
    await appendSerialised(eventsJson('/c'), 1);

    const chunks = await oldestChunks(100);
    // A chunk arriving in the current partition after the read must survive the consumption of the others.
    await appendSerialised(eventsJson('/late'), 1);
    await consumeChunks(chunks);

    expect(await names()).not.toContain(partitionAt(old));
    expect(paths(await oldestChunks(100))).toEqual(['/late']);
  });

  it('when an old partition is empty, then reading the inbox drops it, while a recent empty one stays', async () => {
    const old = Date.now() - 3_600_000;
    const recent = Date.now() - 60_000;
    await t.db.createCollection(partitionAt(old));
    await t.db.createCollection(partitionAt(recent));

    expect(await oldestChunks(100)).toEqual([]);
    expect(await names()).toEqual([partitionAt(recent)]);
  });

  it('when a batch is capped mid-partition, then only its chunks are consumed and the partition stays', async () => {
    const old = Date.now() - 3_600_000;
    await t.db.collection(partitionAt(old)).insertMany([chunk('/1'), chunk('/2')]);

    const first = await oldestChunks(1);
    expect(paths(first)).toEqual(['/1']);
    await consumeChunks(first);
    expect(paths(await oldestChunks(100))).toEqual(['/2']);
  });

  it('when a partition read before it was sealed is consumed later, then it is not dropped while chunks that came after the read remain', async () => {
    const start = Date.now();
    const clock = jest.spyOn(Date, 'now').mockReturnValue(start);
    try {
      await appendSerialised(eventsJson('/a'), 1);
      await appendSerialised(eventsJson('/b'), 1);
      const first = await oldestChunks(1);
      await consumeChunks(first);
      // Arrives in the same slot after the read that remembered '/b'.
      await appendSerialised(eventsJson('/c'), 1);
      clock.mockReturnValue(start + 3_600_000);

      const second = await oldestChunks(1);
      expect(paths(second)).toEqual(['/b']);
      expect(second[0]!.lastOfPartition).toBe(false);
      await consumeChunks(second);
      expect(paths(await oldestChunks(100))).toEqual(['/c']);
    } finally {
      clock.mockRestore();
    }
  });

  it('when a backlog waits behind each batch, then consumed chunks stay stored, and are not read again, until their partition has been read to its end', async () => {
    // Sealed (no insert can still land) but not yet old enough to be dropped.
    const partition = partitionAt(Date.now() - 2 * 60_000);
    await t.db.collection(partition).insertMany([chunk('/1'), chunk('/2'), chunk('/3')]);
    const stored = () => t.db.collection(partition).countDocuments();

    const first = await oldestChunks(1);
    await consumeChunks(first);
    expect(await stored()).toBe(3);
    const second = await oldestChunks(1);
    expect(paths(second)).toEqual(['/2']);
    await consumeChunks(second);
    expect(await stored()).toBe(3);

    const last = await oldestChunks(1);
    expect(paths(last)).toEqual(['/3']);
    expect(last[0]!.lastOfPartition).toBe(true);
    await consumeChunks(last);
    expect(await stored()).toBe(0);
    expect(await oldestChunks(100)).toEqual([]);
  });

  it('when nothing waits behind a batch, then its chunks and every consumed one before are deleted at once', async () => {
    await appendSerialised(eventsJson('/a'), 1);
    await appendSerialised(eventsJson('/b'), 1);
    await consumeChunks(await oldestChunks(1));
    expect(await inboxBacklog()).toBe(2);

    await consumeChunks(await oldestChunks(100));
    expect(await inboxBacklog()).toBe(0);
  });

  it('when batches continue from what the last read remembered, then every chunk of every partition is consumed once, in order', async () => {
    const old = Date.now() - 3_600_000;
    await t.db.collection(partitionAt(old)).insertMany([chunk('/1'), chunk('/2')]);
    await t.db.collection(partitionAt(old + SLOT_MS)).insertMany([chunk('/3'), chunk('/4')]);
    await appendSerialised(eventsJson('/5'), 1);

    const consumed: string[] = [];
    for (let i = 0; i < 10; i += 1) {
      const batch = await oldestChunks(1);
      if (batch.length === 0) break;
      consumed.push(...paths(batch));
      await consumeChunks(batch);
    }
    expect(consumed).toEqual(['/1', '/2', '/3', '/4', '/5']);
    expect(await names()).not.toContain(partitionAt(old));
  });
});
