import { DateTime } from 'luxon';
import type { mongo } from 'mongoose';

import { createRegisters, encode } from '../aggregate/hll';
import { ROLLUP_PARTS, type Counter, type Dimension, type RollupMonthDoc, type RollupPart } from '../aggregate/model';
import {
  monthId,
  monthOf,
  setKeyedRows,
  toRow,
  type KeyedData,
  type KeyedPart,
  type Row,
  type SketchData,
  type TotalsData,
} from '../aggregate/rollups';
import type { Migration } from './index';

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
            const registers = createRegisters();
            for (const [index, rank] of Object.entries(doc.hll)) registers[Number(index)] = rank;
            (dataOf('sketches', doc.period) as SketchData)[doc.period] = encode(registers);
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
