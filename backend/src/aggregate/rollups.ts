import mongoose, { type mongo } from 'mongoose';

import type { CounterDelta, RollupDelta } from './compute';
import { createRegisters, encode, estimate, mergeEncoded } from './hll';
import { MAX_KEYS_PER_DAY, MAX_KEYS_PER_MONTH, OTHER_KEY, cutKey } from './limits';
import {
  COUNTERS,
  collections,
  type Counter,
  type Granularity,
  type KeyDimension,
  type RollupMonthDoc,
  type RollupPart,
  ROLLUP_PARTS,
} from './model';

/**
 * The rollup store's format, reads and writes. Each part (the days' totals,
 * their local hours, their visitor sketches, or one dimension) has its own
 * collection with one document per site × site-local month whose `data` is one
 * JSON string keyed by day: FerretDB 1.24 converts every field of a document it
 * returns, and scans a collection for every `_id` lookup, so few, compact
 * documents in small collections are what keeps a report's cost bounded by
 * days and keys (decision 0004).
 */

/** Counters in the order of COUNTERS, trailing zeros left out. */
export type Row = number[];

/** `data` of a `rollup_totals` document: day → the day's totals. */
export type TotalsData = Record<string, Row>;
/**
 * `data` of a `rollup_sketches` document: day → HyperLogLog registers of the
 * day's visitors, `hll.encode`d. Kept apart from the totals because only
 * multi-day visitor counts need them.
 */
export type SketchData = Record<string, string>;
/**
 * `data` of a `rollup_hours` document (keys: the local hours of each local day's
 * events and visits, lib/local-hour.ts) or of a dimension's: every key once in
 * `k`, and per day its rows as `[index in k, ...row]`, so a path appears once
 * a month rather than once a day.
 */
export interface KeyedData {
  k: string[];
  d: Record<string, number[][]>;
}
export type KeyedPart = 'hours' | KeyDimension;

export const monthOf = (day: string) => day.slice(0, 7);
export const monthId = (siteId: mongo.ObjectId | string, month: string) => `${String(siteId)}:${month}`;

/** A row as named counters (missing ones 0). */
export function counters(row: Row | undefined): Record<Counter, number> {
  return Object.fromEntries(COUNTERS.map((counter, i) => [counter, row?.[i] ?? 0])) as Record<Counter, number>;
}

/** Named counters as a row. */
export function toRow(values: Partial<Record<Counter, number>>): Row {
  const row = COUNTERS.map((counter) => values[counter] ?? 0);
  while (row.length > 0 && row[row.length - 1] === 0) row.pop();
  return row;
}

/** Applies the non-zero deltas to `rows`; false when there were none. */
function applyRows(rows: Map<string, Row>, deltas: ReadonlyMap<string, CounterDelta>): boolean {
  let changed = false;
  for (const [key, delta] of deltas) {
    if (Object.values(delta).every((n) => n === 0)) continue;
    const sums = counters(rows.get(key));
    for (const counter of COUNTERS) sums[counter] += delta[counter] ?? 0;
    rows.set(key, toRow(sums));
    changed = true;
  }
  return changed;
}

/**
 * The deltas with their keys bounded (limits.ts): cut to MAX_KEY_LENGTH, and a
 * key the day or month has no room for folded into OTHER_KEY.
 */
function boundKeys(
  deltas: ReadonlyMap<string, CounterDelta>,
  rows: ReadonlyMap<string, Row>,
  monthKeys: Set<string>,
): Map<string, CounterDelta> {
  const bounded = new Map<string, CounterDelta>();
  let dayKeys = rows.size;
  for (const [raw, delta] of deltas) {
    let key = cutKey(raw);
    if (!rows.has(key) && !bounded.has(key)) {
      // One slot of each bound stays free for OTHER_KEY itself.
      const full =
        key !== OTHER_KEY &&
        (dayKeys >= MAX_KEYS_PER_DAY - 1 || (!monthKeys.has(key) && monthKeys.size >= MAX_KEYS_PER_MONTH - 1));
      if (full) key = OTHER_KEY;
      if (!rows.has(key) && !bounded.has(key)) {
        dayKeys += 1;
        monthKeys.add(key);
      }
    }
    const sum = bounded.get(key) ?? {};
    for (const counter of COUNTERS) {
      const amount = delta[counter];
      // eslint-disable-next-line clickpath/no-object-map -- keyed by the fixed COUNTERS, never by visitor data
      if (amount) sum[counter] = (sum[counter] ?? 0) + amount;
    }
    bounded.set(key, sum);
  }
  return bounded;
}

/**
 * Documents by `_id`, one lookup each: MongoDB serves it from its `_id` index;
 * FerretDB 1.24 still scans the part's collection for each (decision 0005), but
 * only up to the matching row, where an `$in` converts every document.
 */
async function byIds(part: RollupPart, ids: readonly string[]): Promise<Map<string, RollupMonthDoc>> {
  const docs = await Promise.all(ids.map((_id) => collections.rollups(part, monthOfId(_id)).findOne({ _id })));
  return new Map(docs.filter((doc) => doc !== null).map((doc) => [doc._id, doc]));
}

const monthOfId = (id: string) => id.slice(id.lastIndexOf(':') + 1);

/** The writes of one part's month collection. */
export interface RollupWrite {
  part: RollupPart;
  month: string;
  ops: mongo.AnyBulkWriteOperation<RollupMonthDoc>[];
}
export type RollupWrites = RollupWrite[];

/**
 * The writes that apply a batch's deltas: each touched month document is read,
 * its days updated in memory and written whole (the aggregator is the single
 * writer under its lease, and FerretDB loses parallel `$inc`s on one document).
 * A document whose `lastBatch` is already this batch was written by an earlier
 * attempt of the same batch and is left alone, which makes a replay exact.
 */
export async function rollupWrites(batchId: string, deltas: readonly RollupDelta[]): Promise<RollupWrites> {
  // part → document id → the days' deltas that go into it.
  const touched = new Map<RollupPart, Map<string, { siteId: mongo.ObjectId; month: string; days: RollupDelta[] }>>();
  for (const delta of deltas) {
    const id = monthId(delta.siteId, monthOf(delta.day));
    const parts: RollupPart[] = ['totals', 'hours', ...(delta.hll ? ['sketches' as const] : []), ...delta.dims.keys()];
    for (const part of parts) {
      const docs = touched.get(part) ?? new Map();
      touched.set(part, docs);
      const entry = docs.get(id) ?? { siteId: delta.siteId, month: monthOf(delta.day), days: [] };
      entry.days.push(delta);
      docs.set(id, entry);
    }
  }
  const writes: RollupWrites = [];
  await Promise.all(
    [...touched].map(async ([part, docs]) => {
      const stored = await byIds(part, [...docs.keys()]);
      const byMonth = new Map<string, mongo.AnyBulkWriteOperation<RollupMonthDoc>[]>();
      for (const [_id, { siteId, month, days }] of docs) {
        const before = stored.get(_id);
        if (before?.lastBatch === batchId) continue;
        const data: unknown = before
          ? JSON.parse(before.data)
          : part === 'totals' || part === 'sketches'
            ? {}
            : { k: [], d: {} };
        const changed = days.map((delta) => apply(part, data, delta)).some(Boolean);
        if (!changed) continue;
        const doc: RollupMonthDoc = { _id, siteId, month, lastBatch: batchId, data: JSON.stringify(data) };
        const ops = byMonth.get(month) ?? [];
        byMonth.set(month, ops);
        ops.push(
          before
            ? { replaceOne: { filter: { _id }, replacement: doc, upsert: true } }
            : { insertOne: { document: doc } },
        );
      }
      for (const [month, ops] of byMonth) writes.push({ part, month, ops });
    }),
  );
  return writes;
}

/** Applies one day's delta to a part's month `data` in place; false when it changed nothing. */
function apply(part: RollupPart, data: unknown, delta: RollupDelta): boolean {
  if (part === 'sketches') {
    if (!delta.hll) return false;
    const sketches = data as SketchData;
    const stored = sketches[delta.day];
    sketches[delta.day] = encode(stored ? mergeEncoded(delta.hll.slice(), stored) : delta.hll);
    return true;
  }
  if (part === 'totals') {
    const totals = data as TotalsData;
    const rows = new Map(totals[delta.day] ? [[delta.day, totals[delta.day]!]] : []);
    if (!applyRows(rows, new Map([[delta.day, delta.totals]]))) return false;
    totals[delta.day] = rows.get(delta.day)!;
    return true;
  }
  const keyed = data as KeyedData;
  const rows = new Map(keyedRows(keyed, delta.day));
  const deltas = (part === 'hours' ? delta.hours : delta.dims.get(part)) ?? new Map<string, CounterDelta>();
  const bounded = part === 'hours' ? deltas : boundKeys(deltas, rows, new Set(keyed.k));
  if (!applyRows(rows, bounded)) return false;
  setKeyedRows(keyed, delta.day, rows);
  return true;
}

/** Replaces a day's rows in a keyed part's month `data`, adding new keys to `k`. */
export function setKeyedRows(data: KeyedData, day: string, rows: ReadonlyMap<string, Row> | Record<string, Row>): void {
  const index = new Map(data.k.map((key, i) => [key, i]));
  const entries = rows instanceof Map ? [...rows] : Object.entries(rows);
  data.d[day] = entries.map(([key, row]) => {
    let i = index.get(key);
    if (i === undefined) {
      i = data.k.push(key) - 1;
      index.set(key, i);
    }
    return [i, ...row];
  });
}

/** A day's rows of a keyed part as [key, row] pairs. */
function keyedRows(data: KeyedData, day: string): Array<[string, Row]> {
  return (data.d[day] ?? []).map(([i, ...row]) => [data.k[i!]!, row]);
}

/** The month documents of a part that cover `days`, parsed. */
async function readMonths<T>(part: RollupPart, siteId: mongo.ObjectId, days: readonly string[]): Promise<T[]> {
  const months = [...new Set(days.map(monthOf))];
  const docs = await byIds(
    part,
    months.map((month) => monthId(siteId, month)),
  );
  return [...docs.values()].map((doc) => JSON.parse(doc.data) as T);
}

/** A stored day: its totals and, when asked for, its visitor sketch. */
export interface DayRollup {
  day: string;
  totals: Record<Counter, number>;
  sketch: string | undefined;
}

/**
 * The stored days among `days` (site-local, YYYY-MM-DD), in the order given;
 * with their visitor sketches when `withSketches`.
 */
export async function readDays(
  siteId: mongo.ObjectId,
  days: readonly string[],
  withSketches: boolean,
): Promise<DayRollup[]> {
  const [totals, sketches] = await Promise.all([
    readMonths<TotalsData>('totals', siteId, days),
    withSketches ? readMonths<SketchData>('sketches', siteId, days) : [],
  ]);
  const stored = new Map(totals.flatMap((data) => Object.entries(data)));
  const sketchOf = new Map(sketches.flatMap((data) => Object.entries(data)));
  return days.flatMap((day) => {
    const row = stored.get(day);
    return row ? [{ day, totals: counters(row), sketch: sketchOf.get(day) }] : [];
  });
}

/** The [key, row] pairs of a keyed part (local hours, or a dimension's keys) on each stored day among `days`. */
export async function readKeyed(
  part: KeyedPart,
  siteId: mongo.ObjectId,
  days: readonly string[],
): Promise<Array<Array<[string, Row]>>> {
  const months = await readMonths<KeyedData>(part, siteId, days);
  return days.flatMap((day) => months.filter((data) => data.d[day]).map((data) => keyedRows(data, day)));
}

/**
 * Unique visitors of stored days: exact for one day (its `visitors` counter),
 * otherwise the union of the days' HyperLogLog sketches, so a visitor seen on
 * several days counts once.
 */
export function uniqueVisitors(days: readonly DayRollup[]): { visitors: number; exact: boolean } {
  if (days.length <= 1) return { visitors: days[0]?.totals.visitors ?? 0, exact: true };
  const union = createRegisters();
  for (const day of days) if (day.sketch) mergeEncoded(union, day.sketch);
  return { visitors: estimate(union), exact: false };
}

/** One rollup row in flat form: a day's or local hour's totals, or a key's counters on a day. */
export type RollupRow = {
  period: string;
  granularity: Granularity;
  dim: 'all' | KeyDimension;
  key: string;
  /** The day's visitor sketch (`hll.encode`d), on daily totals. */
  hll?: string;
} & Record<Counter, number>;

/** Months (YYYY-MM) that have a collection of `part`, in order. */
async function storedMonths(part: RollupPart): Promise<string[]> {
  const prefix = `rollup_${part}_`;
  const db = mongoose.connection.db;
  if (!db) throw new Error('database not connected');
  const names = await db.listCollections({ name: { $regex: `^${prefix}\\d{6}$` } }, { nameOnly: true }).toArray();
  return names
    .map((c) => c.name.slice(prefix.length))
    .map((m) => `${m.slice(0, 4)}-${m.slice(4)}`)
    .sort();
}

/** Every rollup row of a site, part by part and month by month, sketches with their days (site export; tests). */
export async function* rollupRows(siteId: mongo.ObjectId): AsyncGenerator<RollupRow> {
  for (const part of ROLLUP_PARTS) {
    if (part === 'sketches') continue;
    for (const month of await storedMonths(part)) {
      const doc = await collections.rollups(part, month).findOne({ siteId });
      if (!doc) continue;
      if (part === 'totals') {
        const sketches = await collections.rollups('sketches', month).findOne({ _id: doc._id });
        const sketchOf = sketches ? (JSON.parse(sketches.data) as SketchData) : {};
        for (const [day, row] of Object.entries(JSON.parse(doc.data) as TotalsData)) {
          const sketch = sketchOf[day] ? { hll: sketchOf[day] } : {};
          yield { period: day, granularity: 'day', dim: 'all', key: '', ...counters(row), ...sketch };
        }
        continue;
      }
      const data = JSON.parse(doc.data) as KeyedData;
      for (const day of Object.keys(data.d)) {
        for (const [key, row] of keyedRows(data, day)) {
          yield part === 'hours'
            ? { period: key, granularity: 'hour', dim: 'all', key: '', ...counters(row) }
            : { period: day, granularity: 'day', dim: part, key, ...counters(row) };
        }
      }
    }
  }
}

/**
 * Deletes a site's rollups, all of them or those of months before
 * `firstKeptMonth` and from `fromMonth` on (whole months: trimming days out of
 * a month would race with the aggregator's writes to it).
 */
export async function deleteRollups(
  siteId: mongo.ObjectId,
  firstKeptMonth?: string,
  fromMonth = '0000-00',
): Promise<number> {
  let deleted = 0;
  for (const part of ROLLUP_PARTS) {
    for (const month of await storedMonths(part)) {
      if (month < fromMonth || (firstKeptMonth !== undefined && month >= firstKeptMonth)) continue;
      deleted += (await collections.rollups(part, month).deleteMany({ siteId })).deletedCount;
    }
  }
  return deleted;
}

/** Drops every part's collections of months before `month`: no site keeps rollups that old. */
export async function dropRollupsBefore(month: string): Promise<void> {
  for (const part of ROLLUP_PARTS) {
    for (const old of (await storedMonths(part)).filter((m) => m < month)) {
      await collections
        .rollups(part, old)
        .drop()
        .catch(() => undefined);
    }
  }
}
