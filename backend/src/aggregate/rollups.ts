import mongoose, { type mongo } from 'mongoose';

import { partitionOf } from '../lib/partition';
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
 * events and visits, lib/local-hour.ts), of a `rollup_goals` one (keys:
 * goal-keys.ts) or of a dimension's: every key once in `k`, and per day its
 * rows as `[index in k, ...row]`, so a path appears once a month rather than
 * once a day.
 */
export interface KeyedData {
  k: string[];
  d: Record<string, number[][]>;
}
export type KeyedPart = 'hours' | 'goals' | KeyDimension;

/** Keyed parts whose keys are bounded by what writes them (local hours, the site's goals), not by MAX_KEYS_PER_DAY. */
const unbounded = (part: RollupPart) => part === 'hours' || part === 'goals';

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
 * A recent day is kept in its part's open collection (`rollup_<part>_open`)
 * until the batch clock is this long past the day's start (UTC, so every time
 * zone's day has ended, with room for late events): a batch then rewrites the
 * site's open document, which holds only those few days, each bounded by
 * MAX_KEYS_PER_DAY, not the month documents, which grow through the month
 * (decision 0007). Then the day is folded: its rows are written into its month
 * document, and only then taken out of the open document. A later event for
 * that day is written into the month document. One open document per site, not
 * per site × day: a report finds the site's open days with one `_id` lookup,
 * which FerretDB 1.24 answers by scanning up to the matching row, where an
 * `$in` of day ids converted every site's open documents.
 */
export const FOLD_AFTER_MS = 3 * 86_400_000;
const isOpenDay = (day: string, clock: number) => clock < Date.parse(`${day}T00:00:00Z`) + FOLD_AFTER_MS;
/** The `_id` of a site's open document in each part's open collection. */
export const openId = (siteId: mongo.ObjectId | string) => String(siteId);
/** Site-days whose open documents one batch folds at most besides those its own late events need: bounds a batch. */
const MAX_FOLDS_PER_BATCH = 20;

/** Where a document lives: a part's month collection, or its open one (`month` null). */
interface DocPlace {
  part: RollupPart;
  month: string | null;
}
const collectionOf = ({ part, month }: DocPlace) =>
  month === null ? collections.openRollups(part) : collections.rollups(part, month);

/**
 * Documents of one collection by `_id`, one lookup each: MongoDB serves it from
 * its `_id` index; FerretDB 1.24 still scans the collection for each (decision
 * 0005), but only up to the matching row, where an `$in` converts every document.
 */
async function byIds(place: DocPlace, ids: readonly string[]): Promise<Map<string, RollupMonthDoc>> {
  const collection = collectionOf(place);
  const docs = await Promise.all(ids.map((_id) => collection.findOne({ _id })));
  return new Map(docs.filter((doc) => doc !== null).map((doc) => [doc._id, doc]));
}

/** The writes of one part's month or open collection. */
export interface RollupWrite extends DocPlace {
  ops: mongo.AnyBulkWriteOperation<RollupMonthDoc>[];
}
export interface RollupWrites {
  /** Documents to write, in order: month documents before open ones (a fold takes a day out of its open document last). */
  writes: RollupWrite[];
}

/** A document the batch changes: where, its days' deltas, open days folded into it, and (open) days folded out. */
interface Target extends DocPlace {
  _id: string;
  siteId: mongo.ObjectId;
  days: RollupDelta[];
  folds: Array<{ open: unknown; day: string }>;
  drops: string[];
}

/** The empty `data` of a part's document. */
const emptyData = (part: RollupPart): unknown => (part === 'totals' || part === 'sketches' ? {} : { k: [], d: {} });

/**
 * Open days the batch must fold (`clock` past their fold time): those its own
 * deltas touch, and, with `scan` (a partition), up to MAX_FOLDS_PER_BATCH more
 * of that partition's sites found in the open collections: only the holder of
 * a site's partition writes its documents. The scan reads only small
 * collections, and only until one finds nothing due on the clock's UTC day (a
 * new day makes more due).
 */
async function dueOpenDays(deltas: readonly RollupDelta[], clock: number, scan: number | false) {
  const due = new Map<string, { siteId: mongo.ObjectId; days: Set<string> }>();
  const add = (siteId: mongo.ObjectId, day: string) => {
    const site = due.get(openId(siteId)) ?? { siteId, days: new Set<string>() };
    site.days.add(day);
    due.set(openId(siteId), site);
  };
  const isDue = (siteId: mongo.ObjectId, day: string) => due.get(openId(siteId))?.days.has(day) ?? false;
  for (const { siteId, day } of deltas) if (!isOpenDay(day, clock)) add(siteId, day);
  const clockDay = new Date(clock).toISOString().slice(0, 10);
  if (scan === false || nothingDueOn.get(scan) === clockDay) return due;
  let found = 0;
  let added = 0;
  for (const part of ROLLUP_PARTS) {
    const open = await collections
      .openRollups(part)
      .find({}, { projection: { siteId: 1, days: 1 } })
      .toArray();
    for (const { siteId, days } of open) {
      if (partitionOf(siteId) !== scan) continue;
      for (const day of days ?? []) {
        if (isOpenDay(day, clock)) continue;
        found += 1;
        if (isDue(siteId, day) || added >= MAX_FOLDS_PER_BATCH) continue;
        add(siteId, day);
        added += 1;
      }
    }
  }
  if (found === 0) nothingDueOn.set(scan, clockDay);
  return due;
}
/** By partition, the clock's UTC day on which a scan last found no open day of its sites due. */
const nothingDueOn = new Map<number, string>();

/**
 * The writes that apply a batch's deltas, with `clock` the batch clock: an open
 * day's deltas go to its open document, an older day's to its month document
 * (folding the day's open document into it first, if it still has one). Each
 * touched document is read, updated in memory and written whole (the aggregator
 * is the single writer under its lease, and FerretDB loses parallel `$inc`s on
 * one document). A document whose `lastBatch` is already this batch was written
 * by an earlier attempt of the same batch and is left alone, which makes a
 * replay exact. `foldScan` (a partition) also folds open days of the
 * partition's sites that no delta touches (the live aggregator; a rebuild
 * leaves that to it).
 */
export async function rollupWrites(
  batchId: string,
  deltas: readonly RollupDelta[],
  { clock, foldScan }: { clock: number; foldScan: number | false },
): Promise<RollupWrites> {
  const targets = new Map<string, Target>();
  const keyOf = (place: DocPlace, _id: string) => `${place.part}|${place.month ?? ''}|${_id}`;
  const target = (place: DocPlace, _id: string, siteId: mongo.ObjectId) => {
    const found = targets.get(keyOf(place, _id)) ?? { ...place, _id, siteId, days: [], folds: [], drops: [] };
    targets.set(keyOf(place, _id), found);
    return found;
  };
  for (const delta of deltas) {
    const open = isOpenDay(delta.day, clock);
    const month = open ? null : monthOf(delta.day);
    const id = open ? openId(delta.siteId) : monthId(delta.siteId, month!);
    const parts: RollupPart[] = [
      'totals',
      'hours',
      ...(delta.hll ? ['sketches' as const] : []),
      ...(delta.goals.size > 0 ? ['goals' as const] : []),
      ...delta.dims.keys(),
    ];
    for (const part of parts) target({ part, month }, id, delta.siteId).days.push(delta);
  }
  const due = await dueOpenDays(deltas, clock, foldScan);
  if (due.size > 0) {
    await Promise.all(
      ROLLUP_PARTS.map(async (part) => {
        for (const doc of (await byIds({ part, month: null }, [...due.keys()])).values()) {
          const open: unknown = JSON.parse(doc.data);
          const held = daysOf(part, open).filter((day) => due.get(doc._id)!.days.has(day));
          for (const day of held) {
            target({ part, month: monthOf(day) }, monthId(doc.siteId, monthOf(day)), doc.siteId).folds.push({
              open,
              day,
            });
          }
          if (held.length > 0) target({ part, month: null }, doc._id, doc.siteId).drops.push(...held);
        }
      }),
    );
  }

  const stored = await storedTargets([...targets.values()]);
  // A day its open document does not hold yet may already be in its month (written before decision 0007):
  // reads take the month's copy then, so the day's deltas go there.
  for (const t of [...targets.values()].filter((t) => t.month === null && t.days.length > 0)) {
    const openDoc = stored.get(t);
    const held = new Set(openDoc ? daysOf(t.part, JSON.parse(openDoc.data)) : []);
    const toMonth = new Set<RollupDelta>();
    for (const delta of t.days.filter((d) => !held.has(d.day))) {
      const monthTarget = target(
        { part: t.part, month: monthOf(delta.day) },
        monthId(t.siteId, monthOf(delta.day)),
        t.siteId,
      );
      if (!stored.has(monthTarget)) {
        const doc = await collectionOf(monthTarget).findOne({ _id: monthTarget._id });
        if (doc) stored.set(monthTarget, doc);
      }
      const monthDoc = stored.get(monthTarget);
      if (monthDoc && daysOf(t.part, JSON.parse(monthDoc.data)).includes(delta.day)) {
        monthTarget.days.push(delta);
        toMonth.add(delta);
      }
    }
    t.days = t.days.filter((d) => !toMonth.has(d));
  }

  const byCollection = new Map<string, RollupWrite>();
  for (const t of targets.values()) {
    const before = stored.get(t);
    const op = t.month === null ? openWrite(t, before, batchId) : monthWrite(t, before, batchId);
    if (!op) continue;
    const key = `${t.part}|${t.month ?? ''}`;
    const write = byCollection.get(key) ?? { part: t.part, month: t.month, ops: [] };
    byCollection.set(key, write);
    write.ops.push(op);
  }
  // Open documents last: a fold takes a day out of its open document only once its month holds it.
  const writes = [...byCollection.values()].filter((w) => w.ops.length > 0);
  return { writes: [...writes.filter((w) => w.month !== null), ...writes.filter((w) => w.month === null)] };
}

type RollupOp = mongo.AnyBulkWriteOperation<RollupMonthDoc>;

const upsert = (before: RollupMonthDoc | undefined, doc: RollupMonthDoc): RollupOp =>
  before
    ? { replaceOne: { filter: { _id: doc._id }, replacement: doc, upsert: true } }
    : { insertOne: { document: doc } };

/**
 * A month document's write: its folded open days, then its deltas. Skipped when this batch
 * already wrote it (`lastBatch`), which makes a replay exact.
 */
function monthWrite(t: Target, before: RollupMonthDoc | undefined, batchId: string): RollupOp | null {
  if (before?.lastBatch === batchId) return null;
  const data: unknown = before ? JSON.parse(before.data) : emptyData(t.part);
  let changed = false;
  for (const { open, day } of t.folds) changed = foldDay(t.part, data, open, day) || changed;
  for (const delta of t.days) changed = apply(t.part, data, delta, false) || changed;
  if (!changed) return null;
  return upsert(before, {
    _id: t._id,
    siteId: t.siteId,
    month: t.month!,
    lastBatch: batchId,
    data: JSON.stringify(data),
  });
}

/**
 * A site's open document's write: days folded into their months taken out, then the deltas
 * of days this batch has not written yet (`dayBatches`: per day, as the document gathers days
 * that different batches wrote), which makes a replay exact. Deleted once it holds no day.
 */
function openWrite(t: Target, before: RollupMonthDoc | undefined, batchId: string): RollupOp | null {
  let data: unknown = before ? JSON.parse(before.data) : emptyData(t.part);
  const marks = new Map(Object.entries(before?.dayBatches ?? {}));
  const held = new Set(daysOf(t.part, data));
  const drops = t.drops.filter((day) => held.has(day));
  if (drops.length > 0) data = withoutDays(t.part, data, drops);
  let changed = drops.length > 0;
  for (const delta of t.days) {
    if (marks.get(delta.day) === batchId || !apply(t.part, data, delta, true)) continue;
    marks.set(delta.day, batchId);
    changed = true;
  }
  if (!changed) return null;
  const days = daysOf(t.part, data).sort();
  if (days.length === 0) return before ? { deleteOne: { filter: { _id: t._id } } } : null;
  return upsert(before, {
    _id: t._id,
    siteId: t.siteId,
    month: monthOf(days[0]!),
    days,
    dayBatches: Object.fromEntries(days.flatMap((day) => (marks.has(day) ? [[day, marks.get(day)!]] : []))),
    lastBatch: batchId,
    data: JSON.stringify(data),
  });
}

/** The stored documents of the targets, one lookup each, all at once. */
async function storedTargets(targets: readonly Target[]): Promise<Map<Target, RollupMonthDoc>> {
  const found = await Promise.all(
    targets.map(async (t) => [t, await collectionOf(t).findOne({ _id: t._id })] as const),
  );
  return new Map(found.filter((entry): entry is readonly [Target, RollupMonthDoc] => entry[1] !== null));
}

/**
 * Writes an open day's rows into a part's month `data`, keys bounded by the
 * month's as if they had arrived as deltas. False when the open document held
 * nothing for the day, or when the month already holds the day: then the open
 * day is a copy that a fold which died before taking it out left behind (a day
 * is written to its month only once it is folded), and the month's rows, which
 * may since have taken late events, stand.
 */
function foldDay(part: RollupPart, data: unknown, rows: unknown, day: string): boolean {
  if (daysOf(part, data).includes(day)) return false;
  if (part === 'totals' || part === 'sketches') {
    const value = (rows as Record<string, Row | string>)[day];
    if (value === undefined) return false;
    (data as Record<string, Row | string>)[day] = value;
    return true;
  }
  const keyed = data as KeyedData;
  const deltas = new Map(keyedRows(rows as KeyedData, day).map(([key, row]) => [key, counters(row)]));
  const bounded = unbounded(part) ? deltas : boundKeys(deltas, new Map(), new Set(keyed.k));
  const folded = new Map<string, Row>();
  if (!applyRows(folded, bounded)) return false;
  setKeyedRows(keyed, day, folded);
  return true;
}

/**
 * Applies one day's delta to a part's month or open `data` in place; false when it changed
 * nothing. An open document bounds each day's keys alone, as the day's month will again when
 * it is folded into it.
 */
function apply(part: RollupPart, data: unknown, delta: RollupDelta, open: boolean): boolean {
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
  const deltas =
    (part === 'hours' ? delta.hours : part === 'goals' ? delta.goals : delta.dims.get(part)) ??
    new Map<string, CounterDelta>();
  const bounded = unbounded(part) ? deltas : boundKeys(deltas, rows, new Set(open ? rows.keys() : keyed.k));
  if (!applyRows(rows, bounded)) return false;
  // A goal row at zero is a conversion withdrawn, or a deleted or changed goal's (goal-backfill.ts): no row at all.
  if (part === 'goals') for (const [key, row] of rows) if (row.length === 0) rows.delete(key);
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

/** `data` of a part with only the given days (keyed parts keep their whole `k`). */
function onlyDays(part: RollupPart, data: unknown, days: ReadonlySet<string>): unknown {
  if (part === 'totals' || part === 'sketches') {
    return Object.fromEntries(Object.entries(data as object).filter(([day]) => days.has(day)));
  }
  const keyed = data as KeyedData;
  return { k: keyed.k, d: Object.fromEntries(Object.entries(keyed.d).filter(([day]) => days.has(day))) };
}

/** `data` of a part without the given days; a keyed part's `k` keeps only the keys still used. */
function withoutDays(part: RollupPart, data: unknown, days: readonly string[]): unknown {
  const kept = new Set(daysOf(part, data).filter((day) => !days.includes(day)));
  if (part === 'totals' || part === 'sketches') return onlyDays(part, data, kept);
  const rebuilt: KeyedData = { k: [], d: {} };
  for (const day of kept) setKeyedRows(rebuilt, day, new Map(keyedRows(data as KeyedData, day)));
  return rebuilt;
}

/** A day's rows of a keyed part as [key, row] pairs. */
function keyedRows(data: KeyedData, day: string): Array<[string, Row]> {
  return (data.d[day] ?? []).map(([i, ...row]) => [data.k[i!]!, row]);
}

/**
 * The `data` of a part's documents that cover `days`, parsed: their month
 * documents, and the site's open days that their month does not hold yet (a
 * month that holds the day folded it; an open copy left by a fold that died
 * before taking it out is stale).
 */
async function readMonths<T>(part: RollupPart, siteId: mongo.ObjectId, days: readonly string[]): Promise<T[]> {
  const months = [...new Set(days.map(monthOf))];
  const [monthDocs, openDoc] = await Promise.all([
    Promise.all(months.map((month) => collections.rollups(part, month).findOne({ _id: monthId(siteId, month) }))),
    collections.openRollups(part).findOne({ _id: openId(siteId) }),
  ]);
  const parsed = monthDocs.filter((doc) => doc !== null).map((doc) => JSON.parse(doc.data) as T);
  return openDoc ? [...parsed, unfoldedOpenDays(part, openDoc, parsed, days) as T] : parsed;
}

/** The days of a site's open document that none of its month `data` holds, among `days` when given. */
function unfoldedOpenDays(
  part: RollupPart,
  openDoc: RollupMonthDoc,
  months: readonly unknown[],
  days?: readonly string[],
): unknown {
  const open: unknown = JSON.parse(openDoc.data);
  const folded = new Set(months.flatMap((data) => daysOf(part, data)));
  const wanted = new Set((days ?? daysOf(part, open)).filter((day) => !folded.has(day)));
  return onlyDays(part, open, wanted);
}

/** The days a part's `data` holds. */
const daysOf = (part: RollupPart, data: unknown): string[] =>
  Object.keys(part === 'totals' || part === 'sketches' ? (data as object) : (data as KeyedData).d);

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

/** Like `readKeyed`, each stored day's pairs with the day. */
export async function readKeyedDays(
  part: KeyedPart,
  siteId: mongo.ObjectId,
  days: readonly string[],
): Promise<Array<[string, Array<[string, Row]>]>> {
  const months = await readMonths<KeyedData>(part, siteId, days);
  return days.flatMap((day) =>
    months.filter((data) => data.d[day]).map((data): [string, Array<[string, Row]>] => [day, keyedRows(data, day)]),
  );
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
  /** `goals`: a goal row (goal-keys.ts). */
  dim: 'all' | 'goals' | KeyDimension;
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

/** Every stored `data` of a part for a site: its month documents and its open days not folded yet. */
async function siteData(part: RollupPart, siteId: mongo.ObjectId): Promise<unknown[]> {
  const months = await storedMonths(part);
  const docs = await Promise.all(
    months.map((month) => collections.rollups(part, month).findOne({ _id: monthId(siteId, month) })),
  );
  const parsed = docs.filter((doc) => doc !== null).map((doc) => JSON.parse(doc.data) as unknown);
  const openDoc = await collections.openRollups(part).findOne({ _id: openId(siteId) });
  return openDoc ? [...parsed, unfoldedOpenDays(part, openDoc, parsed)] : parsed;
}

/** Every stored day of a keyed part for a site, with its rows by key (a goal backfill compares them with its own). */
export async function siteKeyedDays(part: KeyedPart, siteId: mongo.ObjectId): Promise<Map<string, Map<string, Row>>> {
  const days = new Map<string, Map<string, Row>>();
  for (const data of (await siteData(part, siteId)) as KeyedData[]) {
    for (const day of Object.keys(data.d)) days.set(day, new Map(keyedRows(data, day)));
  }
  return days;
}

/** Every rollup row of a site, part by part, sketches with their days (site export; tests). */
export async function* rollupRows(siteId: mongo.ObjectId): AsyncGenerator<RollupRow> {
  for (const part of ROLLUP_PARTS) {
    if (part === 'sketches') continue;
    if (part === 'totals') {
      const sketchOf = new Map(
        (await siteData('sketches', siteId)).flatMap((data) => Object.entries(data as SketchData)),
      );
      for (const data of await siteData('totals', siteId)) {
        for (const [day, row] of Object.entries(data as TotalsData)) {
          const sketch = sketchOf.get(day);
          yield {
            period: day,
            granularity: 'day',
            dim: 'all',
            key: '',
            ...counters(row),
            ...(sketch ? { hll: sketch } : {}),
          };
        }
      }
      continue;
    }
    for (const data of (await siteData(part, siteId)) as KeyedData[]) {
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
 * Deletes a site's rollups, all of them (open days included) or those of months
 * before `firstKeptMonth` and from `fromMonth` on (whole months: trimming days
 * out of a month would race with the aggregator's writes to it). Open days are
 * within FOLD_AFTER_MS of their partition's clock, and retention's months are
 * years older: its partial deletes leave the open document to the aggregator,
 * which folds its days into months the next run deletes.
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
    if (firstKeptMonth === undefined) {
      deleted += (await collections.openRollups(part).deleteMany({ _id: openId(siteId) })).deletedCount;
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
