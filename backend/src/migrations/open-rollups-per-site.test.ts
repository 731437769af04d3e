import { processPendingEvents } from '../aggregate/aggregator';
import { ROLLUP_PARTS, collections } from '../aggregate/model';
import { at, insertEvents, storedRollups } from '../../test/support/events';
import { createSite, signUp, startTestApp, type TestApp } from '../../test/support/app';
import { openRollupsPerSite } from './open-rollups-per-site';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t.close());

const T0 = '2026-03-10T10:00:00.000Z';
const T1 = '2026-03-11T09:00:00.000Z';

/** Splits each part's open document of the site into one document per day, as decision 0007 first stored them. */
async function toDayDocuments(siteId: string): Promise<number> {
  let written = 0;
  for (const part of ROLLUP_PARTS) {
    const open = await collections.openRollups(part).findOne({ _id: siteId });
    if (!open) continue;
    const data = JSON.parse(open.data) as Record<string, unknown> & { k?: string[]; d?: Record<string, unknown> };
    for (const day of open.days!) {
      const only = data.k ? { k: data.k, d: { [day]: data.d![day] } } : { [day]: data[day] };
      await t.db.collection(`rollup_${part}_open`).insertOne({
        _id: `${siteId}:${day}` as never,
        siteId: open.siteId,
        month: day.slice(0, 7),
        day,
        lastBatch: `legacy-${day}`,
        data: JSON.stringify(only),
      });
      written += 1;
    }
    await collections.openRollups(part).deleteOne({ _id: siteId });
  }
  return written;
}

describe('migration 11: open rollup days gathered into one document per site', () => {
  it('when open days are stored one document per day, then each site gets one document per part holding the same rows, and a second run changes nothing', async () => {
    const user = await signUp(t.app);
    const site = await createSite(user);
    const other = await createSite(user);
    await insertEvents(site.id, [
      { ts: at(T0, 0), vid: 'a', path: '/' },
      { ts: at(T0, 1), vid: 'a', path: '/pricing', source: 'Google' },
      { ts: T1, vid: 'b', path: '/docs' },
    ]);
    await insertEvents(other.id, [{ ts: at(T0, 3), vid: 'c', path: '/other' }]);
    await processPendingEvents();
    const before = await storedRollups(site.id);
    const otherBefore = await storedRollups(other.id);
    expect(before.filter((r) => r.dim === 'all' && r.granularity === 'day').map((r) => r.period)).toEqual([
      '2026-03-10',
      '2026-03-11',
    ]);
    expect(await toDayDocuments(site.id)).toBeGreaterThan(ROLLUP_PARTS.length);
    await toDayDocuments(other.id);

    await openRollupsPerSite.up(t.db);
    await openRollupsPerSite.up(t.db);

    expect(await storedRollups(site.id)).toEqual(before);
    expect(await storedRollups(other.id)).toEqual(otherBefore);
    for (const part of ROLLUP_PARTS) {
      expect(await collections.openRollups(part).countDocuments({ day: { $exists: true } })).toBe(0);
    }
    expect(await collections.openRollups('totals').findOne({ _id: site.id })).toMatchObject({
      days: ['2026-03-10', '2026-03-11'],
      dayBatches: { '2026-03-10': 'legacy-2026-03-10', '2026-03-11': 'legacy-2026-03-11' },
    });

    // The aggregator goes on from the gathered documents: a later event counts once, and folds move days on.
    await insertEvents(site.id, [{ ts: at(T0, 20), vid: 'd', path: '/docs' }]);
    await insertEvents(site.id, [{ ts: '2026-03-14T08:00:00.000Z', vid: 'e', path: '/' }]);
    await processPendingEvents();
    const after = await storedRollups(site.id);
    const day = (period: string) =>
      after.find((r) => r.dim === 'all' && r.granularity === 'day' && r.period === period);
    expect(day('2026-03-10')).toMatchObject({ pageviews: 3, visitors: 2 });
    expect(day('2026-03-11')).toMatchObject({ pageviews: 1, visitors: 1 });
    expect((await collections.openRollups('totals').findOne({ _id: site.id }))?.days).toEqual(['2026-03-14']);
  });
});
