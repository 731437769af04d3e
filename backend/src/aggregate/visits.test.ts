import { Types } from 'mongoose';

import { at, clearAggregateData, insertEvents, storedRollups } from '../../test/support/events';
import { createSite, signUp, startTestApp, type TestApp, type TestSite, type TestUser } from '../../test/support/app';
import { aggregatorLimits, processPendingEvents } from './aggregator';
import { ROLLUP_PARTS, collections, type Dimension } from './model';
import { MAX_KEYS_PER_DAY, MAX_KEY_LENGTH, OTHER_KEY } from './limits';
import { allVisits, getVisitor, getVisitorClickstream } from './service';
import { historyEvents } from '../../test/support/history';
import { partitionOf } from '../lib/partition';

let t: TestApp;
let user: TestUser;
beforeAll(async () => {
  t = await startTestApp();
  user = await signUp(t.app);
});
afterAll(() => t.close());
// FerretDB rewrites a document in time proportional to its collection, so every test starts empty.
beforeEach(() => clearAggregateData());

async function newSite(body: Record<string, unknown> = {}): Promise<TestSite> {
  return createSite(user, { timezone: 'UTC', ...body });
}

async function rollup(siteId: string, period: string, dim: Dimension, key = '') {
  return (await storedRollups(siteId)).find((r) => r.period === period && r.dim === dim && r.key === key);
}

/** Closed and open visits alike, in start order. */
const visitsOf = (siteId: string) => allVisits(siteId);

const T0 = '2026-03-10T10:00:00.000Z';

describe('visits', () => {
  it('when a visitor returns after 29 minutes, then it is the same visit; after 31 minutes a new one', async () => {
    const site = await newSite();
    await insertEvents(site.id, [
      { ts: at(T0, 0), vid: 'a', path: '/' },
      { ts: at(T0, 29), vid: 'a', path: '/pricing' },
      { ts: at(T0, 60), vid: 'a', path: '/blog' },
    ]);
    await processPendingEvents();

    const visits = await visitsOf(site.id);
    expect(visits).toHaveLength(2);
    expect(visits[0]).toMatchObject({
      entryPage: '/',
      exitPage: '/pricing',
      pageviews: 2,
      duration: 29 * 60_000,
      bounce: false,
    });
    expect(visits[1]).toMatchObject({ entryPage: '/blog', exitPage: '/blog', pageviews: 1, duration: 0, bounce: true });
    const all = await rollup(site.id, '2026-03-10', 'all');
    expect(all).toMatchObject({ pageviews: 3, visits: 2, visitors: 1, bounces: 1, duration: 29 * 60_000 });
  });

  it('when the site uses a 60-minute timeout, then a 31-minute gap continues the visit', async () => {
    const site = await newSite({ settings: { visitTimeoutMinutes: 60 } });
    await insertEvents(site.id, [
      { ts: at(T0, 0), vid: 'a' },
      { ts: at(T0, 31), vid: 'a', path: '/x' },
    ]);
    await processPendingEvents();
    expect(await visitsOf(site.id)).toHaveLength(1);
  });

  it('when a visit grows across batches, then bounce, exit page and duration are corrected, not double counted', async () => {
    const site = await newSite();
    await insertEvents(site.id, [{ ts: at(T0, 0), vid: 'a', path: '/' }]);
    await processPendingEvents();
    expect(await rollup(site.id, '2026-03-10', 'all')).toMatchObject({ visits: 1, bounces: 1, duration: 0 });
    expect(await rollup(site.id, '2026-03-10', 'exit_page', '/')).toMatchObject({ visits: 1 });

    await insertEvents(site.id, [{ ts: at(T0, 5), vid: 'a', path: '/about' }]);
    await processPendingEvents();
    expect(await rollup(site.id, '2026-03-10', 'all')).toMatchObject({
      pageviews: 2,
      visits: 1,
      bounces: 0,
      duration: 5 * 60_000,
    });
    expect(await rollup(site.id, '2026-03-10', 'exit_page', '/')).toMatchObject({ visits: 0 });
    expect(await rollup(site.id, '2026-03-10', 'exit_page', '/about')).toMatchObject({ visits: 1 });
    expect(await rollup(site.id, '2026-03-10', 'page', '/')).toMatchObject({ entries: 1, exits: 0 });
    expect(await rollup(site.id, '2026-03-10', 'page', '/about')).toMatchObject({ entries: 0, exits: 1 });
    expect(await rollup(site.id, '2026-03-10', 'entry_page', '/')).toMatchObject({ visits: 1, bounces: 0 });
  });

  it('when events are processed, then each gets its visit id and the clickstream is reconstructable in order', async () => {
    const site = await newSite();
    await insertEvents(site.id, [
      { ts: at(T0, 0), vid: 'a', path: '/', id: 'e1' },
      { ts: at(T0, 1), vid: 'a', kind: 'ev', name: 'signup', path: '/', id: 'e2' },
      { ts: at(T0, 2), vid: 'a', path: '/thanks', id: 'e3' },
      { ts: at(T0, 90), vid: 'a', path: '/', id: 'e4' },
      { ts: at(T0, 1), vid: 'b', path: '/', id: 'e5' },
    ]);
    await processPendingEvents();

    expect(await historyEvents(t.db, { siteId: site.id, visitId: '' })).toHaveLength(0);
    const stream = await getVisitorClickstream(site.id, 'a');
    expect(stream.map((v) => v.clickstream.map((e) => e._id.split(':')[1]))).toEqual([['e1', 'e2', 'e3'], ['e4']]);
    expect(stream[0]).toMatchObject({ _id: `${site.id}:a:e1`, pageviews: 2, events: 1, bounce: false });
    expect(stream[0]?.clickstream.every((e) => e.visitId === `${site.id}:a:e1`)).toBe(true);
  });
});

describe('rollups', () => {
  it('when the same visitor views a page twice, then it counts one visitor; two visitors twice count two', async () => {
    const site = await newSite();
    await insertEvents(site.id, [
      { ts: at(T0, 0), vid: 'a', path: '/p' },
      { ts: at(T0, 1), vid: 'a', path: '/p' },
      { ts: at(T0, 2), vid: 'b', path: '/p' },
      { ts: at(T0, 3), vid: 'b', path: '/p' },
      { ts: at(T0, 120), vid: 'a', path: '/p' },
      { ts: at(T0, 4), vid: 'c', path: '/q' },
    ]);
    await processPendingEvents({ batchSize: 2 });

    expect(await rollup(site.id, '2026-03-10', 'page', '/p')).toMatchObject({ pageviews: 5, visitors: 2 });
    expect(await rollup(site.id, '2026-03-10', 'page', '/q')).toMatchObject({ pageviews: 1, visitors: 1 });
    expect(await rollup(site.id, '2026-03-10', 'all')).toMatchObject({ pageviews: 6, visitors: 3, visits: 4 });
  });

  it('when visits carry attributes, then visit-level dimensions count visits, bounces, duration and visitors', async () => {
    const site = await newSite();
    const google = { source: 'Google', channel: 'Organic Search', referrerHost: 'www.google.com', country: 'NL' };
    const attrs = { browser: 'Firefox', browserVersion: '140', os: 'Linux', osVersion: '6', device: 'desktop' };
    await insertEvents(site.id, [
      { ts: at(T0, 0), vid: 'a', ...google, ...attrs, utmCampaign: 'spring', screen: '1920', language: 'nl-NL' },
      { ts: at(T0, 10), vid: 'a', path: '/2' },
      { ts: at(T0, 0), vid: 'b', ...google },
      { ts: at(T0, 0), vid: 'c', source: 'Direct', channel: 'Direct' },
    ]);
    await processPendingEvents();

    expect(await rollup(site.id, '2026-03-10', 'source', 'Google')).toMatchObject({
      visits: 2,
      visitors: 2,
      bounces: 1,
      pageviews: 3,
      duration: 10 * 60_000,
    });
    expect(await rollup(site.id, '2026-03-10', 'channel', 'Direct')).toMatchObject({ visits: 1, bounces: 1 });
    expect(await rollup(site.id, '2026-03-10', 'referrer', 'www.google.com')).toMatchObject({ visits: 2 });
    expect(await rollup(site.id, '2026-03-10', 'utm_campaign', 'spring')).toMatchObject({ visits: 1 });
    expect(await rollup(site.id, '2026-03-10', 'browser_version', 'Firefox 140')).toMatchObject({ visits: 1 });
    expect(await rollup(site.id, '2026-03-10', 'os_version', 'Linux 6')).toMatchObject({ visits: 1 });
    expect(await rollup(site.id, '2026-03-10', 'country', 'NL')).toMatchObject({ visits: 2, visitors: 2 });
    expect(await rollup(site.id, '2026-03-10', 'screen', '1920')).toMatchObject({ visits: 1 });
    expect(await rollup(site.id, '2026-03-10', 'language', 'nl-NL')).toMatchObject({ visits: 1 });
  });

  it('when custom events and engagement arrive, then event, event_prop and engaged counters add up', async () => {
    const site = await newSite();
    await insertEvents(site.id, [
      { ts: at(T0, 0), vid: 'a', path: '/' },
      { ts: at(T0, 1), vid: 'a', kind: 'ev', name: 'download', props: { file: 'a.pdf' } },
      { ts: at(T0, 2), vid: 'a', kind: 'ev', name: 'download', props: { file: 'b.pdf' } },
      { ts: at(T0, 3), vid: 'b', kind: 'ev', name: 'download', props: { file: 'a.pdf', size: 3 } },
      { ts: at(T0, 4), vid: 'a', kind: 'en', engagedMs: 4000, path: '/' },
      { ts: at(T0, 300), vid: 'a', kind: 'en', engagedMs: 1000, path: '/' },
    ]);
    await processPendingEvents();

    expect(await rollup(site.id, '2026-03-10', 'event', 'download')).toMatchObject({ events: 3, visitors: 2 });
    expect(await rollup(site.id, '2026-03-10', 'event_prop', 'download\u0000file\u0000a.pdf')).toMatchObject({
      events: 2,
      visitors: 2,
    });
    expect(await rollup(site.id, '2026-03-10', 'event_prop', 'download\u0000size\u00003')).toMatchObject({ events: 1 });
    expect(await rollup(site.id, '2026-03-10', 'page', '/')).toMatchObject({ engaged: 5000 });
    // b's lone custom event is a single interaction: a bounce.
    expect(await rollup(site.id, '2026-03-10', 'all')).toMatchObject({ events: 3, engaged: 5000, bounces: 1 });
    // Late engagement belongs to the page but does not stretch the visit.
    const [visit] = await visitsOf(site.id);
    expect(visit).toMatchObject({ engagedMs: 5000, duration: 4 * 60_000, events: 2 });
  });

  it('when hits span hours, then hourly totals count pageviews and unique visitors per UTC hour', async () => {
    const site = await newSite({ timezone: 'Europe/Amsterdam' });
    await insertEvents(
      site.id,
      [
        { ts: '2026-03-10T22:50:00Z', vid: 'a' },
        { ts: '2026-03-10T22:55:00Z', vid: 'a' },
        { ts: '2026-03-10T23:05:00Z', vid: 'a' },
        { ts: '2026-03-10T23:06:00Z', vid: 'b', notFound: true, path: '/missing' },
      ],
      'Europe/Amsterdam',
    );
    await processPendingEvents();

    expect(await rollup(site.id, '2026-03-10T22', 'all')).toMatchObject({
      granularity: 'hour',
      pageviews: 2,
      visitors: 1,
      visits: 1,
    });
    expect(await rollup(site.id, '2026-03-10T23', 'all')).toMatchObject({ pageviews: 2, visitors: 2, visits: 1 });
    // 23:05 UTC is already the 11th in Amsterdam.
    expect(await rollup(site.id, '2026-03-10', 'all')).toMatchObject({ pageviews: 2, visitors: 1 });
    expect(await rollup(site.id, '2026-03-11', 'all')).toMatchObject({ pageviews: 2, visitors: 2, notFound: 1 });
    expect(await rollup(site.id, '2026-03-11', 'page', '/missing')).toMatchObject({ notFound: 1 });
  });

  it('when 1,000 pageviews hit one page, then each rollup document is written once', async () => {
    const site = await newSite();
    await insertEvents(
      site.id,
      Array.from({ length: 1000 }, (_, i) => ({ ts: at(T0, i / 100), vid: `v${i % 10}`, path: '/hot' })),
    );
    const stats = await processPendingEvents();

    expect(stats.batches).toBe(1);
    const rows = await storedRollups(site.id);
    const keys = rows.map((r) => `${r.period}|${r.dim}|${r.key}`);
    expect(new Set(keys).size).toBe(rows.length);
    const siteId = new Types.ObjectId(site.id);
    let documents = 0;
    // The day is still open (decision 0007): one document per part in its open collection.
    for (const part of ROLLUP_PARTS) documents += await collections.openRollups(part).countDocuments({ siteId });
    expect(stats.rollupWrites).toBe(documents);
    expect(documents).toBeLessThanOrEqual(ROLLUP_PARTS.length);
    expect(stats.roundTrips).toBeLessThan(15);
    expect(await rollup(site.id, '2026-03-10', 'page', '/hot')).toMatchObject({ pageviews: 1000, visitors: 10 });
  }, 120_000);
});

describe('open days (decision 0007)', () => {
  const dayRows = async (siteId: string, day: string) =>
    (await storedRollups(siteId))
      .filter((r) => r.period.startsWith(day))
      .map((r) => JSON.stringify(r))
      .sort();
  /** The days the site's open totals document holds (one document per site and part). */
  const openDays = async (siteId: string) =>
    (await collections.openRollups('totals').findOne({ _id: siteId }))?.days ?? [];
  const monthDays = async (siteId: string, month: string) => {
    const doc = await collections.rollups('totals', month).findOne({ _id: `${siteId}:${month}` });
    return doc ? Object.keys(JSON.parse(doc.data) as object) : [];
  };

  it('when the clock passes a day, then its open documents move into its month unchanged, and a later event for it counts there', async () => {
    const site = await newSite();
    await insertEvents(site.id, [
      { ts: at(T0, 0), vid: 'a', path: '/' },
      { ts: at(T0, 1), vid: 'a', path: '/pricing' },
      { ts: at(T0, 5), vid: 'b', path: '/', source: 'Google' },
    ]);
    await processPendingEvents();
    const before = await dayRows(site.id, '2026-03-10');
    expect(await openDays(site.id)).toContain('2026-03-10');
    expect(await monthDays(site.id, '2026-03')).toEqual([]);

    // Three days later by the batch clock, the day is folded although no event of it arrives.
    await insertEvents(site.id, [{ ts: '2026-03-13T06:00:00.000Z', vid: 'c', path: '/' }]);
    await processPendingEvents();
    expect(await openDays(site.id)).not.toContain('2026-03-10');
    expect(await monthDays(site.id, '2026-03')).toEqual(['2026-03-10']);
    expect(await dayRows(site.id, '2026-03-10')).toEqual(before);
    expect(await openDays(site.id)).toContain('2026-03-13');

    await insertEvents(site.id, [{ ts: at(T0, 30), vid: 'd', path: '/late' }]);
    await processPendingEvents();
    expect(await rollup(site.id, '2026-03-10', 'page', '/late')).toMatchObject({ pageviews: 1, visitors: 1 });
    expect(await rollup(site.id, '2026-03-10', 'all')).toMatchObject({ pageviews: 4, visitors: 3 });
    expect(await openDays(site.id)).not.toContain('2026-03-10');
  });

  it("when its partition's clock passes every open day of a quiet site, then the fold moves them into the month and deletes the site's open document", async () => {
    const quiet = await newSite();
    let busy = await newSite();
    while (partitionOf(busy.id) !== partitionOf(quiet.id)) busy = await newSite();
    await insertEvents(quiet.id, [
      { ts: at(T0, 0), vid: 'a', path: '/' },
      { ts: at(T0, 2), vid: 'a', path: '/docs' },
    ]);
    await processPendingEvents();
    expect(await openDays(quiet.id)).toEqual(['2026-03-10']);
    const before = await dayRows(quiet.id, '2026-03-10');

    // Only the other site of the partition has traffic: its clock makes the quiet site's day due.
    await insertEvents(busy.id, [{ ts: '2026-03-14T06:00:00.000Z', vid: 'b', path: '/' }]);
    await processPendingEvents();

    for (const part of ROLLUP_PARTS) expect(await collections.openRollups(part).findOne({ _id: quiet.id })).toBeNull();
    expect(await monthDays(quiet.id, '2026-03')).toEqual(['2026-03-10']);
    expect(await dayRows(quiet.id, '2026-03-10')).toEqual(before);
  });

  it('when the month already holds an open day (as stores written before decision 0007 do), then the day keeps counting there', async () => {
    const site = await newSite();
    const siteId = new Types.ObjectId(site.id);
    await insertEvents(site.id, [
      { ts: at(T0, 0), vid: 'a', path: '/' },
      { ts: at(T0, 2), vid: 'b', path: '/docs' },
    ]);
    await processPendingEvents();
    // What the earlier code left: the day in its month documents, no open ones.
    for (const part of ROLLUP_PARTS) {
      for (const { days: _days, ...doc } of await collections.openRollups(part).find({ siteId }).toArray()) {
        await collections.rollups(part, '2026-03').insertOne({ ...doc, _id: `${site.id}:2026-03` });
        await collections.openRollups(part).deleteOne({ _id: doc._id });
      }
    }

    await insertEvents(site.id, [{ ts: at(T0, 30), vid: 'c', path: '/docs' }]);
    await processPendingEvents();
    expect(await rollup(site.id, '2026-03-10', 'all')).toMatchObject({ pageviews: 3, visitors: 3 });
    expect(await rollup(site.id, '2026-03-10', 'page', '/docs')).toMatchObject({ pageviews: 2, visitors: 2 });
    expect(await openDays(site.id)).not.toContain('2026-03-10');
  });

  it('when a fold dies after writing the month documents, then the next attempt takes the day out of the open documents and counts nothing twice', async () => {
    const site = await newSite();
    await insertEvents(site.id, [
      { ts: at(T0, 0), vid: 'a', path: '/' },
      { ts: at(T0, 2), vid: 'b', path: '/docs' },
    ]);
    await processPendingEvents();
    const before = await dayRows(site.id, '2026-03-10');

    const real = collections.openRollups;
    const spy = jest.spyOn(collections, 'openRollups').mockImplementation((part) => {
      const collection = real(part);
      return new Proxy(collection, {
        get: (target, prop, receiver) =>
          prop === 'bulkWrite'
            ? () => Promise.reject(new Error('connection lost'))
            : Reflect.get(target, prop, receiver),
      });
    });
    await insertEvents(site.id, [{ ts: '2026-03-14T06:00:00.000Z', vid: 'c', path: '/' }]);
    await expect(processPendingEvents()).rejects.toThrow('connection lost');
    spy.mockRestore();
    // The month holds the day and the open copy is still there: reads take the month's.
    expect(await openDays(site.id)).toContain('2026-03-10');
    expect(await dayRows(site.id, '2026-03-10')).toEqual(before);

    await processPendingEvents();
    expect(await openDays(site.id)).not.toContain('2026-03-10');
    expect(await dayRows(site.id, '2026-03-10')).toEqual(before);
    expect(await rollup(site.id, '2026-03-14', 'all')).toMatchObject({ pageviews: 1, visitors: 1 });
  });
});

describe('bounds', () => {
  it('when one site floods a dimension with distinct long keys, then a day keeps 1,000 keys, the rest count under (other), and the day document stays small', async () => {
    const site = await newSite();
    const long = (i: number) => `${String(i).padStart(6, '0')}${'x'.repeat(474)}`;
    await insertEvents(
      site.id,
      Array.from({ length: 1500 }, (_, i) => ({
        ts: at(T0, i / 100),
        vid: `v${i % 50}`,
        kind: 'ev' as const,
        name: 'flood',
        props: { value: long(i) },
      })),
    );
    await processPendingEvents();

    const rows = (await storedRollups(site.id)).filter((r) => r.dim === 'event_prop' && r.period === '2026-03-10');
    expect(rows).toHaveLength(MAX_KEYS_PER_DAY);
    expect(rows.every((r) => r.key.length <= MAX_KEY_LENGTH)).toBe(true);
    expect(rows.find((r) => r.key === OTHER_KEY)).toMatchObject({ events: 1500 - (MAX_KEYS_PER_DAY - 1) });
    expect(rows.reduce((sum, r) => sum + r.events, 0)).toBe(1500);
    const day = await collections.openRollups('event_prop').findOne({ _id: site.id });
    expect(day!.data.length).toBeLessThan(400_000);
  });

  it('when a batch would write a document over the size limit, then the offending events go to dead_letters and everything else is aggregated', async () => {
    const flood = await newSite();
    const quiet = await newSite();
    const original = aggregatorLimits.maxDocumentBytes;
    aggregatorLimits.maxDocumentBytes = 60_000;
    try {
      await insertEvents(
        flood.id,
        Array.from({ length: 300 }, (_, i) => ({
          ts: at(T0, i / 100),
          vid: `v${i % 30}`,
          kind: 'ev' as const,
          name: 'flood',
          props: { value: `${String(i).padStart(6, '0')}${'y'.repeat(474)}` },
        })),
      );
      await insertEvents(
        quiet.id,
        Array.from({ length: 20 }, (_, i) => ({ ts: at(T0, 1 + i / 100), vid: `q${i % 4}`, path: '/quiet' })),
      );
      const stats = await processPendingEvents();

      expect(await rollup(quiet.id, '2026-03-10', 'page', '/quiet')).toMatchObject({ pageviews: 20, visitors: 4 });
      const dead = await collections.deadLetters().find({}).toArray();
      expect(dead.length).toBeGreaterThan(0);
      expect(stats.deadLettered).toBe(dead.length);
      expect(
        dead.every((d) => String(d.siteId) === flood.id && /event_prop document .* would be \d+ bytes/.test(d.reason)),
      ).toBe(true);
      const counted = (await rollup(flood.id, '2026-03-10', 'event', 'flood'))?.events ?? 0;
      expect(counted + dead.length).toBe(300);
      expect(await historyEvents(t.db, { siteId: flood.id })).toHaveLength(counted);
      const day = await collections.openRollups('event_prop').findOne({ _id: flood.id });
      expect(day!.data.length).toBeLessThanOrEqual(60_000);
    } finally {
      aggregatorLimits.maxDocumentBytes = original;
    }
  });

  it('when an event is named __proto__, then it is counted like any other name', async () => {
    const site = await newSite();
    await insertEvents(site.id, [
      { ts: at(T0, 0), vid: 'a', kind: 'ev', name: '__proto__' },
      { ts: at(T0, 1), vid: 'b', kind: 'ev', name: '__proto__' },
    ]);
    await processPendingEvents();
    expect(await rollup(site.id, '2026-03-10', 'event', '__proto__')).toMatchObject({ events: 2, visitors: 2 });
  });
});

describe('visitors', () => {
  it('when a first-party site identifies a visitor, then the profile keeps totals, user id and traits', async () => {
    const site = await newSite({ settings: { identityMode: 'first-party' } });
    await insertEvents(site.id, [
      { ts: at(T0, 0), vid: 'f:abc', country: 'DE', device: 'mobile', source: 'Newsletter' },
      { ts: at(T0, 1), vid: 'f:abc', kind: 'id', userId: 'u-42', traits: { plan: 'pro' } },
      { ts: at(T0, 100), vid: 'f:abc', country: 'FR' },
    ]);
    await processPendingEvents();

    const visitor = await getVisitor(site.id, 'f:abc');
    expect(visitor).toMatchObject({
      visits: 2,
      pageviews: 2,
      userId: 'u-42',
      traits: { plan: 'pro' },
      country: 'FR',
      firstSeen: at(T0, 0),
      lastSeen: at(T0, 100),
    });
  });

  it('when a cookieless site receives an identify event, then no identity is stored', async () => {
    const site = await newSite();
    await insertEvents(site.id, [{ ts: at(T0, 0), vid: 'x', kind: 'id', userId: 'u-1' }]);
    await processPendingEvents();
    expect(await getVisitor(site.id, 'x')).toMatchObject({ userId: '', traits: null });
  });
});
