import { Types } from 'mongoose';

import { createSite, signUp, startTestApp, type TestApp } from '../../test/support/app';
import { storedRollups } from '../../test/support/events';
import { add, createRegisters, encode } from '../aggregate/hll';
import { collections } from '../aggregate/model';
import { monthId } from '../aggregate/rollups';
import { rollupMonthCollections } from './rollup-month-collections';
import { rollupsByMonth } from './rollups-by-month';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t.close());

const zeros = {
  pageviews: 0,
  visits: 0,
  visitors: 0,
  bounces: 0,
  duration: 0,
  events: 0,
  engaged: 0,
  entries: 0,
  exits: 0,
  notFound: 0,
};

describe('migration 3: rollups by month', () => {
  it('when legacy per-key rollups exist, then the month documents hold the same rows and `rollups` is gone', async () => {
    const user = await signUp(t.app);
    const site = await createSite(user, { timezone: 'Europe/Amsterdam' });
    const siteId = new Types.ObjectId(site.id);
    const sketch = createRegisters();
    for (const vid of ['a', 'b', 'c']) add(sketch, vid);
    const sparse = Object.fromEntries([...sketch].flatMap((rank, i) => (rank > 0 ? [[String(i), rank]] : [])));
    await t.db.collection('rollups').insertMany([
      {
        siteId,
        period: '2026-02-28',
        granularity: 'day',
        dim: 'all',
        key: '',
        ...zeros,
        pageviews: 5,
        visitors: 3,
        hll: sparse,
      },
      // 23:00 UTC on 28 February is already 1 March in Amsterdam.
      { siteId, period: '2026-02-28T23', granularity: 'hour', dim: 'all', key: '', ...zeros, pageviews: 2 },
      { siteId, period: '2026-03-01', granularity: 'day', dim: 'page', key: '/a', ...zeros, pageviews: 4, exits: 1 },
    ]);

    await rollupsByMonth.up(t.db);
    await rollupsByMonth.up(t.db);
    // Migration 6 then moves each month into its own collection.
    await rollupMonthCollections.up(t.db);
    await rollupMonthCollections.up(t.db);

    expect(await t.db.listCollections({ name: 'rollups' }).toArray()).toEqual([]);
    const rows = await storedRollups(site.id);
    expect(rows).toEqual(
      expect.arrayContaining([
        {
          period: '2026-02-28',
          granularity: 'day',
          dim: 'all',
          key: '',
          ...zeros,
          pageviews: 5,
          visitors: 3,
          hll: encode(sketch),
        },
        { period: '2026-02-28T23', granularity: 'hour', dim: 'all', key: '', ...zeros, pageviews: 2 },
        { period: '2026-03-01', granularity: 'day', dim: 'page', key: '/a', ...zeros, pageviews: 4, exits: 1 },
      ]),
    );
    expect(rows).toHaveLength(3);
    // The hour is kept with its local day, 1 March.
    expect(await collections.rollups('hours', '2026-03').findOne({ _id: monthId(siteId, '2026-03') })).not.toBeNull();
    expect(await t.db.listCollections({ name: 'rollup_hours' }).toArray()).toEqual([]);
  });
});
