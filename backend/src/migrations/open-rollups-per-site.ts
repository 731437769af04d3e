import type { mongo } from 'mongoose';

import type { Migration } from './index';

/** An open rollup document as decision 0007 first wrote it (one per site × day) or as it is now (one per site). */
interface OpenDoc {
  _id: string;
  siteId: mongo.ObjectId;
  month: string;
  day?: string;
  days?: string[];
  dayBatches?: Record<string, string>;
  lastBatch: string;
  data: string;
}

/** A keyed part's `data`: every key once in `k`, per day its rows as `[index in k, ...row]` (aggregate/rollups.ts). */
interface KeyedData {
  k: string[];
  d: Record<string, number[][]>;
}

/** Totals and sketches hold day → value; every other part is keyed. */
const isDayMap = (collection: string) => collection === 'rollup_totals_open' || collection === 'rollup_sketches_open';

const daysOf = (dayMap: boolean, data: unknown) =>
  Object.keys(dayMap ? (data as object) : (data as KeyedData).d).sort();

/** Copies `day`'s rows from `from` into `into`, replacing what `into` held for that day. */
function copyDay(dayMap: boolean, into: unknown, from: unknown, day: string): void {
  if (dayMap) {
    (into as Record<string, unknown>)[day] = (from as Record<string, unknown>)[day];
    return;
  }
  const target = into as KeyedData;
  const source = from as KeyedData;
  const index = new Map(target.k.map((key, i) => [key, i]));
  target.d[day] = (source.d[day] ?? []).map(([i, ...row]) => {
    const key = source.k[i!]!;
    let at = index.get(key);
    if (at === undefined) {
      at = target.k.push(key) - 1;
      index.set(key, at);
    }
    return [at, ...row];
  });
}

/**
 * Gathers each site's open rollup days, one document per site × day, into one document per
 * site (`_id` the site's id) in every `rollup_<part>_open` collection, so that a report finds
 * them with one `_id` lookup (decision 0007). Each day keeps the batch that wrote it, so a
 * batch left pending by a crash replays exactly. Safe to run again: the site's document is
 * written before the day documents are deleted, and copying a day again replaces it.
 */
export const openRollupsPerSite: Migration = {
  id: 11,
  name: 'open-rollups-per-site',
  async up(db) {
    const names = (await db.listCollections({}, { nameOnly: true }).toArray())
      .map((c) => c.name)
      .filter((name) => /^rollup_\w+_open$/.test(name));
    for (const name of names) {
      const dayMap = isDayMap(name);
      const collection = db.collection<OpenDoc>(name);
      const bySite = new Map<string, OpenDoc[]>();
      for await (const doc of collection.find({ day: { $exists: true } })) {
        const list = bySite.get(String(doc.siteId)) ?? [];
        list.push(doc);
        bySite.set(String(doc.siteId), list);
      }
      for (const [site, dayDocs] of bySite) {
        const existing = await collection.findOne({ _id: site });
        const data: unknown = existing ? JSON.parse(existing.data) : dayMap ? {} : { k: [], d: {} };
        const marks: Record<string, string> = { ...existing?.dayBatches };
        for (const doc of dayDocs) {
          copyDay(dayMap, data, JSON.parse(doc.data), doc.day!);
          marks[doc.day!] = doc.lastBatch;
        }
        const days = daysOf(dayMap, data);
        await collection.replaceOne(
          { _id: site },
          {
            siteId: dayDocs[0]!.siteId,
            month: days[0]!.slice(0, 7),
            days,
            dayBatches: marks,
            lastBatch: existing?.lastBatch ?? dayDocs[0]!.lastBatch,
            data: JSON.stringify(data),
          },
          { upsert: true },
        );
        for (const doc of dayDocs) await collection.deleteOne({ _id: doc._id });
      }
    }
  },
};
