import mongoose from 'mongoose';
import request from 'supertest';

import { createKey, createSite, signUp, startTestApp, type TestApp } from '../../test/support/app';
import { monitorCommands, recordCommands, type Command } from '../../test/support/commands';
import { at, insertEvents, type RawEventInput } from '../../test/support/events';
import { historyEvents } from '../../test/support/history';
import { visitorIndex } from '../migrations/visitor-index';
import { processPendingEvents } from './aggregator';
import { daysOfVisitors, indexEventVisitors, visitorsOfUser } from './visitor-index';
import type { RawEvent } from './model';

/**
 * Lookups by visitor or user read only the days that hold their data (decision
 * 0008): the visitor index names them, so erasing, exporting or profiling one
 * visitor reads their days' partitions, never the rest of the site's history.
 */

let t: TestApp;
let siteId: string;
let otherSiteId: string;
let manageKey: string;

const ALICE = 'f:alice0000001';
const BOB = 'f:bob00000001';
const ALICE_DAYS = ['2026-03-02', '2026-03-09'];
const ALL_DAYS = Array.from({ length: 11 }, (_, i) => `2026-03-${String(i + 1).padStart(2, '0')}`);

const pageviews = (vid: string, day: string, prefix: string, extra: Partial<RawEventInput> = {}): RawEventInput[] =>
  [0, 1, 2].map((i) => ({ id: `${prefix}${i}`, ts: at(`${day}T10:00:00Z`, i), vid, path: `/p${i}`, ...extra }));

beforeAll(async () => {
  t = await startTestApp();
  t.db = await monitorCommands(t.db.databaseName);
  const owner = await signUp(t.app);
  const identified = { timezone: 'UTC', settings: { identityMode: 'first-party' as const } };
  siteId = (await createSite(owner, { name: 'Index', ...identified })).id;
  otherSiteId = (await createSite(owner, { name: 'Other', ...identified })).id;
  manageKey = (await createKey(owner, siteId, ['stats:read', 'sites:manage'])).secret;
  // Bob every day; Alice on two, identifying herself on the second; the other site has an "Alice" every day.
  for (const day of ALL_DAYS) {
    await insertEvents(siteId, pageviews(BOB, day, `b${day}-`));
    await insertEvents(otherSiteId, [
      ...pageviews(ALICE, day, `o${day}-`),
      ...(day === ALL_DAYS[0]
        ? [{ id: 'o-id', ts: at(`${day}T10:00:00Z`, 3), vid: ALICE, kind: 'id' as const, userId: 'wp-other' }]
        : []),
    ]);
    if (day === ALICE_DAYS[0]) await insertEvents(siteId, pageviews(ALICE, day, `a${day}-`));
    if (day === ALICE_DAYS[1]) {
      await insertEvents(siteId, [
        ...pageviews(ALICE, day, `a${day}-`),
        { id: `a${day}-id`, ts: at(`${day}T10:00:00Z`, 3), vid: ALICE, kind: 'id', userId: 'wp-alice' },
      ]);
    }
    await processPendingEvents();
  }
}, 120_000);
afterAll(async () => {
  await t.db.dropDatabase();
  await mongoose.disconnect();
});

const site = () => new mongoose.Types.ObjectId(siteId);
const other = () => new mongoose.Types.ObjectId(otherSiteId);

/** The day partitions of history (events_/visits_) that commands touched. */
const historyTouched = (commands: readonly Command[]) =>
  [...new Set(commands.filter((c) => /^(events|visits)_\d{8}$/.test(c.target)).map((c) => c.target))].sort();
const partitionsOf = (days: readonly string[]) =>
  days.flatMap((d) => [`events_${d.replaceAll('-', '')}`, `visits_${d.replaceAll('-', '')}`]).sort();

describe('the visitor index', () => {
  it('when a visitor had events on two of eleven days, then the index names exactly those two, per site', async () => {
    expect(await daysOfVisitors(site(), [ALICE])).toEqual(ALICE_DAYS);
    expect(await daysOfVisitors(site(), [BOB])).toEqual(ALL_DAYS);
    expect(await daysOfVisitors(other(), [ALICE])).toEqual(ALL_DAYS);
    expect(await visitorsOfUser(site(), 'wp-alice')).toEqual([ALICE]);
    expect(await visitorsOfUser(other(), 'wp-alice')).toEqual([]);
  });

  it('when a batch is stored again (a replay), then the index gains no document', async () => {
    const count = async () => t.db.collection('visitor_index_202603').countDocuments();
    const before = await count();
    const events = [{ siteId: site(), day: '2026-03-05', vid: 'f:replayed0001' }] as RawEvent[];
    await indexEventVisitors('replayed-batch', events);
    await indexEventVisitors('replayed-batch', events);
    expect(await count()).toBe(before + 1);
  });

  it('when one batch holds more than 5,000 visitors of a site and day, then their ids are split over documents and all found', async () => {
    const day = '2026-03-20';
    const events = Array.from({ length: 5_001 }, (_, i) => ({ siteId: site(), day, vid: `f:many${i}` })) as RawEvent[];
    await indexEventVisitors('many-visitors', events);
    const docs = await t.db
      .collection<{ vids: string }>('visitor_index_202603')
      .find({ _id: { $regex: `^${siteId}:${day}:seen:` } as never })
      .toArray();
    expect(docs.map((doc) => doc.vids.split('\u0001').filter(Boolean).length).sort()).toEqual([1, 5_000]);
    expect(await daysOfVisitors(site(), ['f:many0', 'f:many5000'])).toEqual([day]);
    // Searched 100 ids at a time: an id after the first hundred is found too.
    const unknown = Array.from({ length: 150 }, (_, i) => `f:nobody${i}`);
    expect(await daysOfVisitors(site(), [...unknown, 'f:many4999'])).toEqual([day]);
  });

  it("when a person's data is exported, then only their days' partitions are read", async () => {
    let res: request.Response | undefined;
    const commands = await recordCommands(async () => {
      res = await request(t.app)
        .get(`/api/v1/sites/${siteId}/people/wp-alice`)
        .set('Authorization', `Bearer ${manageKey}`);
    });
    expect(res!.status).toBe(200);
    expect(res!.body.visitors).toHaveLength(1);
    expect(res!.body.visitors[0].visits).toHaveLength(2);
    // The clickstream reads the day after each visit's start day too, where none of her events are: none of it.
    expect(historyTouched(commands)).toEqual(partitionsOf(ALICE_DAYS));
  });

  it('when a person is erased, then only their days are read and rewritten, and the index forgets them', async () => {
    let res: request.Response | undefined;
    const commands = await recordCommands(async () => {
      res = await request(t.app)
        .delete(`/api/v1/sites/${siteId}/people/wp-alice`)
        .set('Authorization', `Bearer ${manageKey}`);
    });
    expect(res!.status).toBe(200);
    expect(res!.body).toEqual({ visitors: 1, visits: 2, events: 7, complete: true });
    expect(historyTouched(commands)).toEqual(partitionsOf(ALICE_DAYS));
    expect(await historyEvents(t.db, { siteId: site(), vid: ALICE })).toEqual([]);
    expect(await daysOfVisitors(site(), [ALICE])).toEqual([]);
    expect(await visitorsOfUser(site(), 'wp-alice')).toEqual([]);
    const stored = JSON.stringify(await t.db.collection('visitor_index_202603').find({ siteId: site() }).toArray());
    expect(stored).toContain(BOB);
    expect(stored).not.toContain(ALICE);
    expect(stored).not.toContain('wp-alice');
    // Everyone else is untouched.
    expect(await daysOfVisitors(site(), [BOB])).toEqual(ALL_DAYS);
    expect(await daysOfVisitors(other(), [ALICE])).toEqual(ALL_DAYS);
    expect(await historyEvents(t.db, { siteId: other(), vid: ALICE })).toHaveLength(34);
    expect(await visitorsOfUser(other(), 'wp-other')).toEqual([ALICE]);
  });
});

describe('migration 8 (visitor-index)', () => {
  it('when history was stored before the index existed, then the migration builds the same index, and again changes nothing', async () => {
    const lookups = async () => ({
      bob: await daysOfVisitors(site(), [BOB]),
      other: await daysOfVisitors(other(), [ALICE]),
      user: await visitorsOfUser(other(), 'wp-other'),
    });
    const before = await lookups();
    expect(before.user).toEqual([ALICE]);
    await t.db.collection('visitor_index_202603').drop();
    expect(await daysOfVisitors(site(), [BOB])).toEqual([]);
    await visitorIndex.up(t.db);
    const migrated = await t.db.collection('visitor_index_202603').countDocuments();
    await visitorIndex.up(t.db);
    expect(await t.db.collection('visitor_index_202603').countDocuments()).toBe(migrated);
    expect(await lookups()).toEqual(before);
  });
});
