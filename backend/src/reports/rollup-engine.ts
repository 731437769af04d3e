import type { mongo } from 'mongoose';

import { convertedBy, parseGoalRowKey } from '../aggregate/goal-keys';
import { counters, readDays, readKeyed, readKeyedDays, uniqueVisitors, type DayRollup } from '../aggregate/read';
import type { BreakdownDimension } from './dimensions';
import { emptyCounters, addCounters, type Counters } from './metrics';
import { bucketOf, daysOf, type DayRange, type Interval, hoursOf } from './range';

/**
 * Unfiltered reports, read from the rollup store: one document per day of the
 * range (and per day for the asked dimension), so their cost grows with the
 * number of days and keys, never with the number of events.
 */

/**
 * The totals of each range, from one read of the days they cover together: the overview's
 * range and the period before it usually share a month, and on FerretDB each month read
 * scans its collection up to the site's document, past other sites' (decision 0011).
 */
export async function rollupTotals(
  siteId: mongo.ObjectId,
  ranges: readonly DayRange[],
): Promise<Array<Counters & { visitorsExact: boolean }>> {
  const days = await readDays(
    siteId,
    daysOfAll(ranges),
    ranges.some((range) => range.from !== range.to),
  );
  return ranges.map((range) => {
    const inRange = days.filter((day) => day.day >= range.from && day.day <= range.to);
    const totals = inRange.reduce((acc, day) => addCounters(acc, day.totals), emptyCounters());
    const { visitors, exact } = uniqueVisitors(inRange);
    return { ...totals, visitors, visitorsExact: exact };
  });
}

/** Every day of the ranges once, in order. */
function daysOfAll(ranges: readonly DayRange[]): string[] {
  return [...new Set(ranges.flatMap((range) => daysOf(range)))].sort();
}

export async function rollupSeries(
  siteId: mongo.ObjectId,
  range: DayRange,
  interval: Interval,
  zone: string,
): Promise<Array<{ period: string } & Counters>> {
  if (interval === 'hour') {
    // Hours are local hours (lib/local-hour.ts), so each lies within its own day.
    const byHour = new Map<string, Counters>();
    for (const day of await readKeyed('hours', siteId, daysOf(range))) {
      for (const [hour, row] of day) {
        byHour.set(hour, addCounters(byHour.get(hour) ?? emptyCounters(), counters(row)));
      }
    }
    return hoursOf(range, zone).map(({ label, key }) => ({
      period: label,
      ...addCounters(emptyCounters(), byHour.get(key) ?? {}),
    }));
  }
  // Each daily point is exact; weeks and months need the days' sketches.
  const days = await readDays(siteId, daysOf(range), interval !== 'day');
  const byDay = new Map(days.map((d) => [d.day, d]));
  const buckets = new Map<string, DayRollup[]>();
  for (const day of daysOf(range)) {
    const bucket = bucketOf(day, interval);
    const list = buckets.get(bucket) ?? [];
    const doc = byDay.get(day);
    if (doc) list.push(doc);
    buckets.set(bucket, list);
  }
  return [...buckets].map(([period, list]) => {
    const sums = list.reduce((acc, d) => addCounters(acc, d.totals), emptyCounters());
    return { period, ...sums, visitors: uniqueVisitors(list).visitors };
  });
}

/**
 * Every key of a dimension over the range with its counters. Visitors of a row
 * are the sum of each day's exact unique visitors for that key.
 */
export async function rollupBreakdown(
  siteId: mongo.ObjectId,
  range: DayRange,
  dim: BreakdownDimension,
): Promise<Array<{ key: string } & Counters>> {
  const rows = new Map<string, Counters>();
  for (const day of await readKeyed(dim, siteId, daysOf(range))) {
    for (const [key, row] of day) {
      const sums = rows.get(key);
      if (sums) addCounters(sums, counters(row));
      else rows.set(key, addCounters(emptyCounters(), counters(row)));
    }
  }
  // A key all of whose counts were withdrawn (a page that stopped being a visit's exit) is no row.
  return [...rows]
    .filter(([, sums]) => Object.values(sums).some((n) => n !== 0))
    .map(([key, sums]) => ({ key, ...sums }));
}

/** All visitors of the range counted as breakdown rows count them: the sum of each day's exact uniques. */
export async function rollupVisitorDays(siteId: mongo.ObjectId, range: DayRange): Promise<number> {
  const days = await readDays(siteId, daysOf(range), false);
  return days.reduce((sum, day) => sum + day.totals.visitors, 0);
}

/** Visits of the range, without the visitor sketches a multi-day total needs (a conversion rate's denominator). */
export async function rollupVisits(siteId: mongo.ObjectId, range: DayRange): Promise<number> {
  const days = await readDays(siteId, daysOf(range), false);
  return days.reduce((sum, day) => sum + day.totals.visits, 0);
}

/**
 * Converted visits and their visitors per goal id (and ANY_GOAL) over each range, from one
 * read of the days they cover together: rows of the visits' start days whose first matching
 * hit falls inside the range too, as the raw engine counts only hits of the range
 * (aggregate/goal-keys.ts). Visitors count once per start day, as breakdown rows count them.
 */
export async function rollupConversions(
  siteId: mongo.ObjectId,
  ranges: readonly DayRange[],
): Promise<Array<Map<string, { visits: number; visitors: number }>>> {
  const days = await readKeyedDays('goals', siteId, daysOfAll(ranges));
  return ranges.map((range) => {
    const out = new Map<string, { visits: number; visitors: number }>();
    for (const [day, rows] of days) {
      if (day < range.from || day > range.to) continue;
      for (const [key, row] of rows) {
        const parsed = parseGoalRowKey(key);
        if (!parsed || !convertedBy(day, parsed.lag, range.to)) continue;
        const { visits, visitors } = counters(row);
        const sums = out.get(parsed.goal) ?? { visits: 0, visitors: 0 };
        sums.visits += visits;
        sums.visitors += visitors;
        out.set(parsed.goal, sums);
      }
    }
    return out;
  });
}
