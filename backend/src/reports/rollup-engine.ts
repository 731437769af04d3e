import type { mongo } from 'mongoose';

import { estimate, merge, type Registers } from '../aggregate/hll';
import { collections } from '../aggregate/model';
import type { BreakdownDimension } from './dimensions';
import { emptyCounters, addCounters, type Counters } from './metrics';
import { bucketOf, daysOf, hoursOf, type DayRange, type Interval } from './range';

/**
 * Unfiltered reports, read from pre-aggregated rollups: their cost grows with the
 * number of days and keys in the range, never with the number of events.
 */

const COUNTER_PROJECTION = {
  period: 1,
  visitors: 1,
  visits: 1,
  pageviews: 1,
  bounces: 1,
  duration: 1,
  events: 1,
} as const;

interface DailyTotal extends Partial<Counters> {
  period: string;
  hll?: Registers;
}

function dailyTotals(siteId: mongo.ObjectId, range: DayRange, withSketch: boolean): Promise<DailyTotal[]> {
  return collections
    .rollups()
    .find(
      { siteId, dim: 'all', key: '', granularity: 'day', period: { $gte: range.from, $lte: range.to } },
      { projection: { ...COUNTER_PROJECTION, ...(withSketch ? { hll: 1 } : {}) } },
    )
    .toArray() as Promise<DailyTotal[]>;
}

/** Unique visitors of several days: exact for one day, else the union of the days' sketches. */
function visitorsOf(days: DailyTotal[]): { visitors: number; exact: boolean } {
  if (days.length <= 1) return { visitors: days[0]?.visitors ?? 0, exact: true };
  return { visitors: estimate(merge(...days.map((d) => d.hll))), exact: false };
}

export async function rollupTotals(
  siteId: mongo.ObjectId,
  range: DayRange,
): Promise<Counters & { visitorsExact: boolean }> {
  const days = await dailyTotals(siteId, range, range.from !== range.to);
  const totals = days.reduce((acc, day) => addCounters(acc, day), emptyCounters());
  const { visitors, exact } = visitorsOf(days);
  return { ...totals, visitors, visitorsExact: exact };
}

export async function rollupSeries(
  siteId: mongo.ObjectId,
  range: DayRange,
  interval: Interval,
  zone: string,
): Promise<Array<{ period: string } & Counters>> {
  if (interval === 'hour') {
    const hours = hoursOf(range, zone);
    const docs = (await collections
      .rollups()
      .find(
        {
          siteId,
          dim: 'all',
          key: '',
          granularity: 'hour',
          period: { $gte: hours[0]!.utcHour, $lte: hours[hours.length - 1]!.utcHour },
        },
        { projection: COUNTER_PROJECTION },
      )
      .toArray()) as DailyTotal[];
    const byHour = new Map(docs.map((d) => [d.period, d]));
    return hours.map(({ label, utcHour }) => ({
      period: label,
      ...addCounters(emptyCounters(), byHour.get(utcHour) ?? {}),
    }));
  }
  const days = await dailyTotals(siteId, range, interval !== 'day');
  const byDay = new Map(days.map((d) => [d.period, d]));
  const buckets = new Map<string, DailyTotal[]>();
  for (const day of daysOf(range)) {
    const bucket = bucketOf(day, interval);
    const list = buckets.get(bucket) ?? [];
    const doc = byDay.get(day);
    if (doc) list.push(doc);
    buckets.set(bucket, list);
  }
  return [...buckets].map(([period, list]) => {
    const counters = list.reduce((acc, d) => addCounters(acc, d), emptyCounters());
    return { period, ...counters, visitors: visitorsOf(list).visitors };
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
  // Summed here rather than with $group: FerretDB 1.24 computes only the first $sum
  // accumulator of a $group stage and returns 0 for the others.
  const cursor = collections
    .rollups()
    .find(
      { siteId, dim, granularity: 'day', period: { $gte: range.from, $lte: range.to } },
      { projection: { _id: 0, key: 1, visitors: 1, visits: 1, pageviews: 1, bounces: 1, duration: 1, events: 1 } },
    );
  const rows = new Map<string, Counters>();
  for await (const doc of cursor) {
    const key = doc.key;
    const row = rows.get(key);
    if (row) addCounters(row, doc);
    else rows.set(key, addCounters(emptyCounters(), doc));
  }
  return [...rows].map(([key, counters]) => ({ key, ...counters }));
}
