import mongoose, { Types } from 'mongoose';

import { createSite, signUp, startTestApp, type TestApp, type TestUser } from '../../test/support/app';
import { clearAggregateData } from '../../test/support/events';
import { historyEvents, historyPartitions } from '../../test/support/history';
import { MAX_CHUNK_BYTES, appendEvents, readEvents, readLatestEvents, readRecentEvents } from './history';
import type { RawEvent } from './model';
import { applyRetention } from './retention';
import { daysOfVisitors, indexEventVisitors } from './visitor-index';

/** The day-partitioned history (decision 0006): chunk bounds, replays, bounded reads and retention by day. */

let t: TestApp;
let user: TestUser;
beforeAll(async () => {
  t = await startTestApp();
  // Reconnect to the same database with command monitoring on (it is fixed per connection).
  await mongoose.disconnect();
  await mongoose.connect(`${process.env.CLICKPATH_TEST_DB_BASE}/${t.db.databaseName}?monitorCommands=true`);
  t.db = mongoose.connection.db!;
  user = await signUp(t.app);
});
afterAll(async () => {
  await t.db.dropDatabase();
  await mongoose.disconnect();
});
beforeEach(() => clearAggregateData());

function event(siteId: Types.ObjectId, n: number, ts: string, extra: Partial<RawEvent> = {}): RawEvent {
  return {
    _id: `${String(siteId)}:e${String(n).padStart(4, '0')}`,
    siteId,
    ts: new Date(ts),
    day: ts.slice(0, 10),
    hour: ts.slice(0, 13),
    kind: 'pv',
    vid: `v${n % 3}`,
    path: `/p${n}`,
    name: '',
    engagedMs: 0,
    notFound: false,
    userId: '',
    visitId: `${String(siteId)}:v${n % 3}:x`,
    source: '',
    channel: '',
    referrer: '',
    referrerHost: '',
    utmSource: '',
    utmMedium: '',
    utmCampaign: '',
    utmTerm: '',
    utmContent: '',
    country: '',
    region: '',
    city: '',
    browser: '',
    browserVersion: '',
    os: '',
    osVersion: '',
    device: '',
    screen: '',
    language: '',
    ...extra,
  };
}

/** Collection names of the commands the driver sends while `work` runs. */
async function collectionsTouched(work: () => Promise<unknown>): Promise<Array<[string, string]>> {
  const client = mongoose.connection.getClient();
  const touched: Array<[string, string]> = [];
  const listener = (e: { commandName: string; command: Record<string, unknown> }) => {
    touched.push([e.commandName, String(e.command[e.commandName] ?? '')]);
  };
  client.on('commandStarted', listener);
  try {
    await work();
  } finally {
    client.off('commandStarted', listener);
  }
  return touched;
}

describe('history partitions', () => {
  it('when one batch holds more JSON than a chunk may, then it is split into chunks under the limit and read back whole, in order', async () => {
    const site = await createSite(user, { timezone: 'UTC' });
    const siteId = new Types.ObjectId(site.id);
    const big = 'x'.repeat(100_000);
    const events = Array.from({ length: 100 }, (_, n) =>
      event(siteId, n, `2026-03-10T10:${String(Math.floor(n / 2)).padStart(2, '0')}:00.000Z`, { props: { big } }),
    );

    await appendEvents('batch-a', events);
    await appendEvents('batch-a', events);

    const chunks = await t.db.collection<{ data: string; count: number }>('events_20260310').find({}).toArray();
    expect(chunks.length).toBeGreaterThanOrEqual(3);
    expect(chunks.every((c) => Buffer.byteLength(c.data) <= MAX_CHUNK_BYTES)).toBe(true);
    // The replay stored nothing twice.
    expect(chunks.reduce((sum, c) => sum + c.count, 0)).toBe(100);
    const read = await readEvents(siteId, { from: '2026-03-10', to: '2026-03-10' });
    expect(read.map((e) => e._id)).toEqual(events.map((e) => e._id));
    expect(read[0]).toMatchObject({ siteId, ts: events[0]!.ts, props: { big } });
  });

  it('when a range is read, then only the partitions of its days are queried, without listing collections', async () => {
    const site = await createSite(user, { timezone: 'UTC' });
    const siteId = new Types.ObjectId(site.id);
    const days = ['2026-03-01', '2026-03-05', '2026-03-10', '2026-03-20'];
    await appendEvents(
      'batch-b',
      days.map((day, n) => event(siteId, n, `${day}T12:00:00.000Z`)),
    );

    let read: RawEvent[] = [];
    const touched = await collectionsTouched(async () => {
      read = await readEvents(siteId, { from: '2026-03-04', to: '2026-03-10' });
    });
    expect(read.map((e) => e.day)).toEqual(['2026-03-05', '2026-03-10']);
    // A short range names its days' partitions (a missing one answers nothing); none outside it is read.
    const queried = touched.filter(([name]) => name === 'find').map(([, collection]) => collection);
    expect(queried).toEqual(expect.arrayContaining(['events_20260305', 'events_20260310']));
    expect(queried.every((name) => name >= 'events_20260304' && name <= 'events_20260310')).toBe(true);
    expect(touched.some(([name]) => name === 'listCollections')).toBe(false);
  });

  it('when retention runs twice, then the second run deletes nothing and partitions (and index months) older than every site are dropped', async () => {
    const site = await createSite(user, { timezone: 'UTC' });
    await t.db.collection('sites').updateOne({ _id: new Types.ObjectId(site.id) }, {
      $set: { 'settings.rawEventRetentionDays': 30 },
    } as never);
    const siteId = new Types.ObjectId(site.id);
    // Sites of earlier tests would keep the default 760 days, and with them every partition here.
    await t.db.collection('sites').deleteMany({ _id: { $ne: siteId } });
    const stored = [
      event(siteId, 1, '2026-04-01T10:00:00.000Z'),
      event(siteId, 2, '2026-05-01T10:00:00.000Z'),
      event(siteId, 3, '2026-05-30T10:00:00.000Z'),
    ];
    await appendEvents('batch-c', stored);
    await indexEventVisitors('batch-c', stored);
    const now = new Date('2026-06-01T00:00:00Z');

    expect(await applyRetention(now)).toMatchObject({ events: 2 });
    expect((await historyEvents(t.db, { siteId })).map((e) => e.day)).toEqual(['2026-05-30']);
    // The index forgets the expired days with them: May 1st's document goes, April's month is dropped.
    expect(await daysOfVisitors(siteId, ['v0', 'v1', 'v2'])).toEqual(['2026-05-30']);
    const indexMonths = (await t.db.listCollections({ name: { $regex: '^visitor_index_' } }).toArray()).map(
      (c) => c.name,
    );
    expect(indexMonths).toEqual(['visitor_index_202605']);

    const second = await collectionsTouched(() => applyRetention(now));
    expect(second.filter(([name, collection]) => name === 'delete' && /^events_|^visits_/.test(collection))).toEqual(
      [],
    );
    // The emptied day is older than every site's retention: its partition is dropped whole.
    expect(await historyPartitions(t.db)).toEqual(['events_20260530']);
  });

  it('when realtime reads, then only chunks of the last minutes are decoded, and the newest events come newest first', async () => {
    const site = await createSite(user, { timezone: 'UTC' });
    const siteId = new Types.ObjectId(site.id);
    await appendEvents('old', [
      event(siteId, 1, '2026-03-10T08:00:00.000Z'),
      event(siteId, 2, '2026-03-10T08:01:00.000Z'),
    ]);
    await appendEvents('new', [
      event(siteId, 3, '2026-03-10T11:58:00.000Z'),
      event(siteId, 4, '2026-03-10T11:59:00.000Z'),
    ]);
    const day = { from: '2026-03-10', to: '2026-03-10' };

    const recent = await readRecentEvents(siteId, day, new Date('2026-03-10T11:55:00.000Z'));
    expect(recent.map((e) => e.path)).toEqual(['/p3', '/p4']);
    const latest = await readLatestEvents(siteId, day, 3, () => true);
    expect(latest.map((e) => e.path)).toEqual(['/p4', '/p3', '/p2']);
    const after = await readLatestEvents(
      siteId,
      day,
      50,
      (e) => e.path !== '/p3',
      new Date('2026-03-10T11:58:00.000Z'),
    );
    expect(after.map((e) => e.path)).toEqual(['/p4']);
  });
});
