import { Types } from 'mongoose';

import { createSite, signUp, startTestApp, type TestApp } from '../../test/support/app';
import { clearAggregateData, insertEvents } from '../../test/support/events';
import { historyEvents, historyVisits } from '../../test/support/history';
import { processPendingEvents } from '../aggregate/aggregator';
import { allVisits, getVisitorClickstream } from '../aggregate/service';
import { historyPartitions } from './history-partitions';
import { visitorIndex } from './visitor-index';

/** Migration 5 on data as the aggregator before decision 0006 wrote it: one document per event in `events`, closed visits in `visits`. */

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t.close());
beforeEach(async () => {
  await clearAggregateData();
  for (const name of ['events', 'visits'])
    await t.db
      .collection(name)
      .drop()
      .catch(() => undefined);
});

const T0 = Date.parse('2026-03-10T23:50:00Z');

function legacyEvent(siteId: Types.ObjectId, n: number, minutes: number) {
  const ts = new Date(T0 + minutes * 60_000);
  return {
    _id: `${String(siteId)}:e${n}`,
    siteId,
    ts,
    day: ts.toISOString().slice(0, 10),
    hour: ts.toISOString().slice(0, 13),
    kind: 'pv',
    vid: 'vA',
    path: `/p${n}`,
    name: '',
    engagedMs: 0,
    notFound: false,
    userId: '',
    visitId: `${String(siteId)}:vA:e0`,
  };
}

describe('migration 5: history partitions', () => {
  it('when events and visits are stored one per document, then they move to day partitions once, even if run twice', async () => {
    const owner = await signUp(t.app);
    const site = await createSite(owner, { timezone: 'UTC' });
    const siteId = new Types.ObjectId(site.id);
    // Five pageviews of one visit crossing midnight: two days.
    const events = [0, 2, 4, 12, 14].map((minutes, n) => legacyEvent(siteId, n, minutes));
    await t.db.collection('events').insertMany(events as never[]);
    const visit = {
      _id: `${site.id}:vA:e0`,
      siteId,
      vid: 'vA',
      start: events[0]!.ts,
      lastSeen: events[4]!.ts,
      day: '2026-03-10',
      hour: '2026-03-10T23',
      pageviews: 5,
      events: 0,
      engagedMs: 0,
      duration: 14 * 60_000,
      bounce: false,
      entryPage: '/p0',
      exitPage: '/p4',
      userId: '',
      traits: null,
    };
    await t.db.collection('visits').insertOne(visit as never);

    await historyPartitions.up(t.db);
    await historyPartitions.up(t.db);
    // Lookups by visitor go through the index that a later migration builds from the partitions.
    await visitorIndex.up(t.db);

    const names = (await t.db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name).sort();
    expect(names.filter((n) => /^(events|visits)(_\d{8})?$/.test(n))).toEqual([
      'events_20260310',
      'events_20260311',
      'visits_20260310',
    ]);
    expect((await historyEvents(t.db, { siteId: site.id })).map((e) => e._id)).toEqual(events.map((e) => e._id));
    expect(await historyVisits(t.db)).toEqual([expect.objectContaining({ _id: visit._id, pageviews: 5 })]);
    const [stream] = await getVisitorClickstream(site.id, 'vA');
    expect(stream?.clickstream.map((e) => e.path)).toEqual(['/p0', '/p1', '/p2', '/p3', '/p4']);

    // The aggregator keeps writing next to the migrated history.
    await insertEvents(site.id, [{ ts: new Date(T0 + 400 * 60_000), vid: 'vB', path: '/later' }]);
    await processPendingEvents();
    expect(await historyEvents(t.db, { siteId: site.id })).toHaveLength(6);
    expect((await allVisits(site.id)).map((v) => v.vid)).toEqual(['vA', 'vB']);
  });

  it('when a run was interrupted after some chunks, then the rerun migrates each event exactly once', async () => {
    const owner = await signUp(t.app);
    const site = await createSite(owner, { timezone: 'UTC' });
    const siteId = new Types.ObjectId(site.id);
    const events = Array.from({ length: 30 }, (_, n) => legacyEvent(siteId, n, n));
    await t.db.collection('events').insertMany(events as never[]);
    // What an interrupted run left: one migrated chunk, `events` still there.
    await t.db.collection('events_20260310').insertOne({
      _id: `${site.id}:migrated-1:0`,
      siteId,
      count: 1,
      vids: ['vA'],
      data: JSON.stringify([{ ...events[0], siteId: undefined, ts: events[0]!.ts.getTime() }]),
    } as never);

    await historyPartitions.up(t.db);

    const ids = (await historyEvents(t.db, { siteId: site.id })).map((e) => e._id);
    expect(ids).toHaveLength(30);
    expect(new Set(ids).size).toBe(30);
  });
});
