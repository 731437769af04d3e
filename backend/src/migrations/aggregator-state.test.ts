import { Types } from 'mongoose';

import { createSite, signUp, startTestApp, type TestApp } from '../../test/support/app';
import { clearAggregateData, insertEvents, storedRollups } from '../../test/support/events';
import { processPendingEvents } from '../aggregate/aggregator';
import { collections } from '../aggregate/model';
import { allVisits, getVisitor } from '../aggregate/service';
import { aggregatorPartitions } from './aggregator-partitions';
import { aggregatorState } from './aggregator-state';
import { loadState } from './aggregator-state-format';
import { historyPartitions } from './history-partitions';
import { visitorIndex } from './visitor-index';
import { historyVisits } from '../../test/support/history';

/**
 * Migration 4 on data as the aggregator before decision 0005 wrote it: visits
 * replaced in place with `lastBatch` and `undo`, visitor profiles holding the
 * identity, visitor-day key sets, one claims collection, and a batch left
 * half-applied in the lock.
 */

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t.close());
beforeEach(() => clearAggregateData());

const T0 = new Date('2026-03-10T10:00:00Z');
const minutes = (n: number) => new Date(T0.getTime() + n * 60_000);

function legacyVisit(
  siteId: Types.ObjectId,
  id: string,
  start: Date,
  lastSeen: Date,
  extra: Record<string, unknown> = {},
) {
  return {
    _id: `${String(siteId)}:vA:${id}`,
    siteId,
    vid: 'vA',
    start,
    day: start.toISOString().slice(0, 10),
    hour: start.toISOString().slice(0, 13),
    source: 'Google',
    channel: 'Organic Search',
    referrer: '',
    referrerHost: 'www.google.com',
    utmSource: '',
    utmMedium: '',
    utmCampaign: '',
    utmTerm: '',
    utmContent: '',
    country: 'NL',
    region: '',
    city: '',
    browser: 'Firefox',
    browserVersion: '140',
    os: 'Linux',
    osVersion: '',
    device: 'desktop',
    screen: '',
    language: 'nl',
    lastSeen,
    entryPage: '/',
    exitPage: '/',
    pageviews: 1,
    events: 0,
    engagedMs: 0,
    duration: lastSeen.getTime() - start.getTime(),
    bounce: true,
    lastBatch: 'old-batch',
    undo: null,
    ...extra,
  };
}

describe('migration 4: aggregator state', () => {
  it('when legacy collections exist, then open visits and visitor-days become the state, identity moves onto visits, and aggregation continues them', async () => {
    const owner = await signUp(t.app);
    const site = await createSite(owner, { timezone: 'UTC', settings: { identityMode: 'first-party' } });
    const siteId = new Types.ObjectId(site.id);
    const db = t.db;
    const closed = legacyVisit(siteId, 'closed', minutes(-24 * 60), minutes(-24 * 60 + 5));
    const open = legacyVisit(siteId, 'open', minutes(-10), minutes(0), {
      pageviews: 2,
      bounce: false,
      exitPage: '/pricing',
      lastBatch: 'half-done',
      undo: {
        lastSeen: minutes(-10),
        entryPage: '/',
        exitPage: '/',
        pageviews: 1,
        events: 0,
        engagedMs: 0,
        duration: 0,
        bounce: true,
      },
    });
    const createdByHalfDone = {
      ...legacyVisit(siteId, 'phantom', minutes(0), minutes(0)),
      vid: 'vB',
      lastBatch: 'half-done',
    };
    await db.collection('visits').insertMany([closed, open, createdByHalfDone] as never[]);
    await db.collection('visitors').insertOne({
      _id: `${site.id}:vA`,
      siteId,
      vid: 'vA',
      userId: 'u-1',
      traits: { plan: 'pro' },
      lastVisitId: open._id,
    } as never);
    await db.collection('visitor_days').insertOne({
      _id: `${site.id}:2026-03-10:vA`,
      siteId,
      day: '2026-03-10',
      vid: 'vA',
      keys: ['all|', 'h|2026-03-10T09', 'page|/', 'page|/pricing', `exit_page|/pricing|${open._id}`],
      lastBatch: 'half-done',
      added: ['page|/pricing', `exit_page|/pricing|${open._id}`],
      removed: [`exit_page|/|${open._id}`],
    } as never);
    await db.collection('event_claims').insertOne({ _id: `${site.id}:e1`, batch: 'old-batch', at: T0 } as never);
    await db
      .collection('locks')
      .replaceOne(
        { _id: 'aggregator' as never },
        { holder: '', expiresAt: new Date(0), pending: { batchId: 'half-done', chunkIds: [] } },
        { upsert: true },
      );

    await aggregatorState.up(db);
    await aggregatorState.up(db);
    await historyPartitions.up(db);
    await visitorIndex.up(db);

    const lock = await collections.locks().findOne({ _id: 'aggregator' });
    expect(lock?.epoch).toEqual(expect.any(String));
    // Read as migration 10 reads it (the aggregator's own loader takes over from the partitions' snapshots).
    const { state } = await loadState(db, lock!.epoch!);
    // The half-done batch is rolled back, as the old aggregator's replay would have done.
    expect([...state.visits.values()]).toEqual([
      expect.objectContaining({ _id: open._id, pageviews: 1, exitPage: '/', userId: 'u-1', traits: { plan: 'pro' } }),
    ]);
    expect(state.days.get(`${site.id}:2026-03-10:vA`)?.sort()).toEqual(
      ['all|', 'h|2026-03-10T09', 'page|/', `exit_page|/|${open._id}`].sort(),
    );
    const stored = await historyVisits(db);
    expect(stored.map((v) => v._id)).toEqual([closed._id]);
    expect(stored[0]).toMatchObject({ userId: 'u-1' });
    expect(stored[0]).not.toHaveProperty('undo');
    const names = (await db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name);
    expect(names.filter((n) => ['visitors', 'visitor_days', 'event_claims'].includes(n))).toEqual([]);

    // Migration 10 hands the state over to the site's partition.
    await aggregatorPartitions.up(db);
    // The replayed batch and a later pageview continue the migrated visit; the visitor was already counted that day.
    await insertEvents(site.id, [{ ts: minutes(5), vid: 'vA', path: '/signup' }]);
    await processPendingEvents();
    const visits = await allVisits(site.id);
    expect(visits.map((v) => [v._id, v.pageviews, v.exitPage])).toEqual([
      [closed._id, 1, '/'],
      [open._id, 2, '/signup'],
    ]);
    expect(await getVisitor(site.id, 'vA')).toMatchObject({ userId: 'u-1', visits: 2 });
    const all = (await storedRollups(site.id)).find((r) => r.dim === 'all' && r.period === '2026-03-10');
    expect(all).toMatchObject({ pageviews: 1, visitors: 0 });
  });
});
