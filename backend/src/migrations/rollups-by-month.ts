import { deflateRawSync } from 'node:zlib';

import { DateTime } from 'luxon';
import type { mongo } from 'mongoose';

import type { Migration } from './index';

// The rollup store's format as decision 0004 set it when this migration shipped (aggregate/rollups.ts
// then), kept here: a migration writes the format of its time, and later ones move it on.

const COUNTERS = [
  'pageviews',
  'visits',
  'visitors',
  'bounces',
  'duration',
  'events',
  'engaged',
  'entries',
  'exits',
  'notFound',
] as const;
type Counter = (typeof COUNTERS)[number];
const KEY_DIMENSIONS = [
  'page',
  'entry_page',
  'exit_page',
  'source',
  'channel',
  'referrer',
  'utm_source',
  'utm_medium',
  'utm_campaign',
  'utm_term',
  'utm_content',
  'country',
  'region',
  'city',
  'browser',
  'browser_version',
  'os',
  'os_version',
  'device',
  'screen',
  'language',
  'event',
  'event_prop',
] as const;
type Dimension = 'all' | (typeof KEY_DIMENSIONS)[number];
type KeyedPart = 'hours' | 'goals' | Exclude<Dimension, 'all'>;
type RollupPart = 'totals' | 'sketches' | KeyedPart;
const ROLLUP_PARTS: readonly RollupPart[] = ['totals', 'hours', 'sketches', 'goals', ...KEY_DIMENSIONS];

/** Counters in the order of COUNTERS, trailing zeros left out. */
type Row = number[];
type TotalsData = Record<string, Row>;
/** Day → HyperLogLog registers (p = 12), deflated, base64url. */
type SketchData = Record<string, string>;
/** Every key once in `k`, and per day its rows as `[index in k, ...row]`. */
interface KeyedData {
  k: string[];
  d: Record<string, number[][]>;
}
interface RollupMonthDoc {
  _id: string;
  siteId: mongo.ObjectId;
  month: string;
  lastBatch: string;
  data: string;
}

const HLL_REGISTERS = 1 << 12;
const monthOf = (day: string) => day.slice(0, 7);
const monthId = (siteId: mongo.ObjectId, month: string) => `${String(siteId)}:${month}`;

function toRow(values: Partial<Record<Counter, number>>): Row {
  const row = COUNTERS.map((counter) => values[counter] ?? 0);
  while (row.length > 0 && row[row.length - 1] === 0) row.pop();
  return row;
}

function setKeyedRows(data: KeyedData, day: string, rows: Record<string, Row>): void {
  const index = new Map(data.k.map((key, i) => [key, i]));
  data.d[day] = Object.entries(rows).map(([key, row]) => {
    let i = index.get(key);
    if (i === undefined) {
      i = data.k.push(key) - 1;
      index.set(key, i);
    }
    return [i, ...row];
  });
}

/** A document of the rollup store before decision 0004: one per site × period × dimension × key. */
type LegacyRollup = {
  siteId: mongo.ObjectId;
  period: string;
  granularity: 'day' | 'hour';
  dim: Dimension;
  key: string;
  hll?: Record<string, number>;
} & Partial<Record<Counter, number>>;

const LEGACY = 'rollups';

/**
 * Moves `rollups` (one document per site × period × dimension × key) into the
 * month documents of decision 0004, site by site, then drops it. A site's new
 * documents are deleted before they are written, so an interrupted run can
 * simply run again. Hourly totals go to the site-local day their UTC hour
 * starts in, which holds all of it in zones with whole-hour offsets.
 */
export const rollupsByMonth: Migration = {
  id: 3,
  name: 'rollups-by-month',
  async up(db) {
    if (!(await db.listCollections({ name: LEGACY }, { nameOnly: true }).hasNext())) return;
    const legacy = db.collection<LegacyRollup>(LEGACY);
    const zones = new Map(
      (await db.collection<{ _id: mongo.ObjectId; timezone?: string }>('sites').find({}).toArray()).map((s) => [
        String(s._id),
        s.timezone ?? 'UTC',
      ]),
    );
    for (const siteId of (await legacy.distinct('siteId')) as mongo.ObjectId[]) {
      const zone = zones.get(String(siteId)) ?? 'UTC';
      // part → month → day → key → row (keyed parts), or the month's data (totals, sketches).
      const keyed = new Map<KeyedPart, Map<string, Map<string, Record<string, Row>>>>();
      const flat = new Map<'totals' | 'sketches', Map<string, TotalsData | SketchData>>();
      const rowsOf = (part: KeyedPart, day: string) => {
        const months = keyed.get(part) ?? new Map<string, Map<string, Record<string, Row>>>();
        keyed.set(part, months);
        const days = months.get(monthOf(day)) ?? new Map<string, Record<string, Row>>();
        months.set(monthOf(day), days);
        // Keys are visitor data (paths, event names): no prototype to collide with.
        const rows = days.get(day) ?? (Object.create(null) as Record<string, Row>);
        days.set(day, rows);
        return rows;
      };
      const dataOf = (part: 'totals' | 'sketches', day: string) => {
        const months = flat.get(part) ?? new Map<string, TotalsData | SketchData>();
        flat.set(part, months);
        const data = months.get(monthOf(day)) ?? {};
        months.set(monthOf(day), data);
        return data;
      };
      for await (const doc of legacy.find({ siteId })) {
        if (doc.dim !== 'all') {
          rowsOf(doc.dim, doc.period)[doc.key] = toRow(doc);
        } else if (doc.granularity === 'hour') {
          const day = DateTime.fromISO(`${doc.period}:00`, { zone: 'utc' }).setZone(zone).toISODate()!;
          rowsOf('hours', day)[doc.period] = toRow(doc);
        } else {
          (dataOf('totals', doc.period) as TotalsData)[doc.period] = toRow(doc);
          if (doc.hll) {
            const registers = new Uint8Array(HLL_REGISTERS);
            for (const [index, rank] of Object.entries(doc.hll)) registers[Number(index)] = rank;
            (dataOf('sketches', doc.period) as SketchData)[doc.period] =
              deflateRawSync(registers).toString('base64url');
          }
        }
      }
      const months = new Map<RollupPart, Map<string, unknown>>(flat);
      for (const [part, byMonth] of keyed) {
        const out = new Map<string, KeyedData>();
        for (const [month, days] of byMonth) {
          const data: KeyedData = { k: [], d: {} };
          for (const [day, rows] of days) setKeyedRows(data, day, rows);
          out.set(month, data);
        }
        months.set(part, out);
      }
      for (const part of ROLLUP_PARTS) {
        const collection = db.collection<RollupMonthDoc>(`rollup_${part}`);
        await collection.deleteMany({ siteId });
        const docs = [...(months.get(part) ?? [])].map(([month, data]) => ({
          _id: monthId(siteId, month),
          siteId,
          month,
          lastBatch: 'migration-3',
          data: JSON.stringify(data),
        }));
        if (docs.length > 0) await collection.insertMany(docs);
      }
    }
    await legacy.drop();
  },
};
