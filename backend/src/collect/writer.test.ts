import { randomBytes } from 'node:crypto';

import { Types } from 'mongoose';

import { startTestApp, type TestApp } from '../../test/support/app';
import type { StoredEvent } from './model';
import { EventWriter, WriterOverloaded } from './writer';
import { inboxDocuments } from '../../test/support/history';
import { clearAggregateData } from '../../test/support/events';

/**
 * The group-commit writer against the real database: a commit is bounded in
 * bytes as well as events, so concurrent large requests never make an inbox
 * document the database refuses (16 MiB), and a queue past its byte budget
 * refuses new work at once instead of growing memory.
 */

let t: TestApp;

beforeAll(async () => {
  t = await startTestApp();
});

afterAll(async () => {
  await t?.close();
});

beforeEach(() => clearAggregateData());

/** One request's worth of events: `events` events with 30 properties of 480 random characters (~59 KB for 4). */
function largeRequest(siteId: Types.ObjectId, events = 4): StoredEvent[] {
  return Array.from({ length: events }, () => {
    const props = Object.fromEntries(
      Array.from({ length: 30 }, (_, i) => [`p${i}`, randomBytes(360).toString('base64')]),
    );
    return {
      _id: `${siteId.toHexString()}:e${randomBytes(9).toString('base64url')}`,
      siteId,
      ts: new Date(),
      day: '2026-01-01',
      hour: '2026-01-01T00',
      kind: 'ev',
      vid: 'c:visitor',
      host: 'blog.example.com',
      path: '/',
      name: 'big',
      props,
      visitId: '',
    } as unknown as StoredEvent;
  });
}

async function inboxSizes(): Promise<{ count: number; bytes: number }[]> {
  const docs = await inboxDocuments(t.db);
  return docs.map((d) => ({ count: d.count, bytes: Buffer.byteLength(d.events) }));
}

describe('group commit bounds', () => {
  it('when 1,000 requests of ~59 KB arrive together, then every one is written and no commit exceeds its byte budget', async () => {
    const writer = new EventWriter();
    const siteId = new Types.ObjectId();
    const requests = Array.from({ length: 1000 }, () => largeRequest(siteId));
    const results = await Promise.allSettled(requests.map((docs) => writer.write(docs)));
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    const sizes = await inboxSizes();
    expect(sizes.reduce((sum, s) => sum + s.count, 0)).toBe(4000);
    const largest = Math.max(...sizes.map((s) => s.bytes));
    expect(largest).toBeLessThanOrEqual(writer.limits.maxBatchBytes);
    expect(largest).toBeLessThan(16 * 1024 * 1024);
  }, 120_000);

  it('when one request alone is larger than the byte budget, then it is still written, as one commit of its own', async () => {
    const writer = new EventWriter({ maxBatch: 2000, maxBatchBytes: 10_000, maxQueuedBytes: 10_000_000 });
    const siteId = new Types.ObjectId();
    await Promise.all([writer.write(largeRequest(siteId, 2)), writer.write(largeRequest(siteId, 1))]);
    expect((await inboxSizes()).map((s) => s.count).sort()).toEqual([1, 2]);
  });

  it('when the queue holds more bytes than its budget, then new writes are refused at once with WriterOverloaded and queued ones still land', async () => {
    const writer = new EventWriter({ maxBatch: 2000, maxBatchBytes: 100_000, maxQueuedBytes: 200_000 });
    const siteId = new Types.ObjectId();
    const results = await Promise.allSettled(Array.from({ length: 20 }, () => writer.write(largeRequest(siteId, 1))));
    const refused = results.filter((r) => r.status === 'rejected');
    expect(refused.length).toBeGreaterThan(0);
    for (const r of refused) expect((r as PromiseRejectedResult).reason).toBeInstanceOf(WriterOverloaded);
    const written = (await inboxSizes()).reduce((sum, s) => sum + s.count, 0);
    expect(written).toBe(results.length - refused.length);
    // Once the queue drained, writes are accepted again.
    await expect(writer.write(largeRequest(siteId, 1))).resolves.toBeUndefined();
  });
});
