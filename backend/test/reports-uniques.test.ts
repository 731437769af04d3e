import { DateTime } from 'luxon';
import { Types } from 'mongoose';

import { processPendingEvents } from '../src/aggregate/aggregator';
import { add, createRegisters, encode, HLL_STANDARD_ERROR } from '../src/aggregate/hll';
import { collections } from '../src/aggregate/model';
import { monthId, type SketchData, type TotalsData } from '../src/aggregate/rollups';
import { createKey, createSite, signUp, startTestApp, type TestApp, type TestUser } from './support/app';
import { getJson, insertRaw, prng, qs, stored } from './support/reports';

/**
 * Unique visitors: exact for one day, a HyperLogLog estimate for several days
 * (a visitor seen on several days counts once). The documented bound: within
 * 5% (about 3 standard errors of the p = 12 sketch) of the true count.
 */

let t: TestApp;
let user: TestUser;

beforeAll(async () => {
  t = await startTestApp();
  user = await signUp(t.app);
});
afterAll(() => t.close());

describe('unique visitors', () => {
  it('when visitors repeat within and across days, then each single day is exact and the range within 5%', async () => {
    const site = await createSite(user, { timezone: 'Europe/Amsterdam', domain: 'u1.example' });
    const { secret } = await createKey(user, site.id);
    const r = prng(42);
    const days = ['2026-03-02', '2026-03-03', '2026-03-04'];
    const events = [];
    const perDay = new Map<string, Set<string>>(days.map((d) => [d, new Set()]));
    for (let v = 0; v < 40; v++) {
      const vid = `c:uniq${String(v).padStart(8, '0')}`;
      for (const day of days) {
        if (!r.chance(0.6)) continue;
        // Two pageviews the same day, hours apart: two visits, one visitor.
        for (const hour of [r.int(7, 11), r.int(13, 20)]) {
          const ts = DateTime.fromISO(`${day}T${String(hour).padStart(2, '0')}:00`, { zone: 'Europe/Amsterdam' });
          events.push(stored(site.id, 'Europe/Amsterdam', { ts: ts.toJSDate(), vid, path: '/' }));
        }
        perDay.get(day)!.add(vid);
      }
    }
    await insertRaw(events);
    await processPendingEvents();
    const base = `/api/v1/sites/${site.id}/stats`;
    for (const day of days) {
      const o = await getJson(t, secret, `${base}/overview?${qs({ from: day, to: day, compare: 'none' })}`);
      expect({ day, visitors: o.metrics.visitors, exact: o.visitorsExact }).toEqual({
        day,
        visitors: perDay.get(day)!.size,
        exact: true,
      });
    }
    const distinct = new Set([...perDay.values()].flatMap((s) => [...s])).size;
    const sumOfDays = [...perDay.values()].reduce((n, s) => n + s.size, 0);
    expect(sumOfDays).toBeGreaterThan(distinct * 1.5);
    const range = await getJson(t, secret, `${base}/overview?${qs({ from: days[0], to: days[2], compare: 'none' })}`);
    expect(range.visitorsExact).toBe(false);
    expect(Math.abs(range.metrics.visitors - distinct)).toBeLessThanOrEqual(distinct * 0.05);
  }, 120_000);

  it('when 5,000 distinct visitors (many on several days) span 7 days, then the range estimate is within 5%', async () => {
    // Seven daily sketches are written as the aggregator writes them (its own `add`), because pushing
    // ~15k events through the aggregator takes minutes on FerretDB; what is under test is the
    // report's union of the days' sketches and its estimate.
    const site = await createSite(user, { timezone: 'UTC', domain: 'u2.example' });
    const { secret } = await createKey(user, site.id);
    const r = prng(5);
    const days = Array.from({ length: 7 }, (_x, i) => `2026-04-0${i + 1}`);
    const sketches = days.map(() => ({ registers: createRegisters(), visitors: new Set<string>() }));
    for (let v = 0; v < 5000; v++) {
      const vid = `c:visitor-${v}`;
      let seen = false;
      for (let d = 0; d < 7; d++) {
        if (r.chance(0.35) || (d === 6 && !seen)) {
          add(sketches[d]!.registers, vid);
          sketches[d]!.visitors.add(vid);
          seen = true;
        }
      }
    }
    const siteId = new Types.ObjectId(site.id);
    const totals: TotalsData = {};
    const sketchData: SketchData = {};
    days.forEach((day, i) => {
      const n = sketches[i]!.visitors.size;
      // Rows hold the counters in COUNTERS order: pageviews, visits, visitors.
      totals[day] = [n, n, n];
      sketchData[day] = encode(sketches[i]!.registers);
    });
    for (const [part, data] of [
      ['totals', totals],
      ['sketches', sketchData],
    ] as const) {
      await collections.rollups(part, '2026-04').insertOne({
        _id: monthId(siteId, '2026-04'),
        siteId,
        month: '2026-04',
        lastBatch: 'test',
        data: JSON.stringify(data),
      });
    }
    const sumOfDays = sketches.reduce((n, s) => n + s.visitors.size, 0);
    expect(sumOfDays).toBeGreaterThan(10_000);

    const base = `/api/v1/sites/${site.id}/stats`;
    const week = await getJson(t, secret, `${base}/overview?${qs({ from: days[0], to: days[6], compare: 'none' })}`);
    expect(week.visitorsExact).toBe(false);
    expect(Math.abs(week.metrics.visitors - 5000)).toBeLessThanOrEqual(250);
    expect(0.05).toBeGreaterThanOrEqual(3 * HLL_STANDARD_ERROR);
    const one = await getJson(t, secret, `${base}/overview?${qs({ from: days[3], to: days[3], compare: 'none' })}`);
    expect(one.metrics.visitors).toBe(sketches[3]!.visitors.size);
    const weekly = await getJson(
      t,
      secret,
      `${base}/timeseries?${qs({ from: days[0], to: days[6], interval: 'month' })}`,
    );
    expect(Math.abs(weekly.points[0].visitors - 5000)).toBeLessThanOrEqual(250);
  });
});
