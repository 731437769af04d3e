import type { mongo } from 'mongoose';

import { isDuplicateKey } from '../lib/db-errors';
import type { Migration } from './index';

/** As of this migration (aggregate/visitor-index.ts writes the same from then on). */
interface IndexDoc {
  _id: string;
  siteId: mongo.ObjectId;
  day: string;
  kind: 'seen' | 'users';
  /** Lists: each id between two separators (aggregate/visitor-index.ts `idList`). */
  vids: string;
  users: string;
  links: string;
}

const SEPARATOR = '\u0001';
const idList = (ids: readonly string[]) => (ids.length === 0 ? '' : `${SEPARATOR}${ids.join(SEPARATOR)}${SEPARATOR}`);

const MAX_ENTRIES = 5_000;
const MIGRATED = 'migrated';

const dayOf = (name: string, prefix: string) => {
  const d = name.slice(prefix.length);
  return `${d.slice(0, 4)}-${d.slice(4, 6)}-${d.slice(6, 8)}`;
};

function parts<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += MAX_ENTRIES) out.push(items.slice(i, i + MAX_ENTRIES));
  return out;
}

async function insertIgnoringDuplicates(db: mongo.Db, docs: IndexDoc[]): Promise<void> {
  const byMonth = new Map<string, IndexDoc[]>();
  for (const doc of docs) {
    const month = doc.day.slice(0, 7).replace('-', '');
    const list = byMonth.get(month);
    if (list) list.push(doc);
    else byMonth.set(month, [doc]);
  }
  for (const [month, list] of byMonth) {
    const collection = db.collection<IndexDoc>(`visitor_index_${month}`);
    try {
      await collection.insertMany(list, { ordered: false });
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
    }
  }
}

/**
 * Builds the visitor index (decision 0008) from the history stored before it:
 * per site and day, the visitor ids of that day's event chunks, and the user ids
 * of the closed visits with the visitor each identified. One pass over history,
 * a day at a time; safe to run again (its ids are fixed, duplicates are kept).
 * Index creation is left to the aggregator, which ensures it on first write.
 */
export const visitorIndex: Migration = {
  id: 8,
  name: 'visitor-index',
  async up(db) {
    const names = (await db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name).sort();
    for (const name of names.filter((n) => /^events_\d{8}$/.test(n))) {
      const day = dayOf(name, 'events_');
      const bySite = new Map<string, { siteId: mongo.ObjectId; vids: Set<string> }>();
      const chunks = db.collection<{ siteId: mongo.ObjectId; vids: string[] }>(name).find(
        {},
        {
          projection: { siteId: 1, vids: 1 },
        },
      );
      for await (const chunk of chunks) {
        const entry = bySite.get(String(chunk.siteId)) ?? { siteId: chunk.siteId, vids: new Set<string>() };
        for (const vid of chunk.vids) entry.vids.add(vid);
        bySite.set(String(chunk.siteId), entry);
      }
      await insertIgnoringDuplicates(
        db,
        [...bySite.values()].flatMap(({ siteId, vids }) =>
          parts([...vids]).map((part, n) => ({
            _id: `${String(siteId)}:${day}:seen:${n}:${MIGRATED}`,
            siteId,
            day,
            kind: 'seen' as const,
            vids: idList(part),
            users: '',
            links: '',
          })),
        ),
      );
    }
    for (const name of names.filter((n) => /^visits_\d{8}$/.test(n))) {
      const day = dayOf(name, 'visits_');
      const bySite = new Map<string, { siteId: mongo.ObjectId; links: Map<string, { user: string; vid: string }> }>();
      const visits = db
        .collection<{ siteId: mongo.ObjectId; vid: string; userId: string }>(name)
        .find({}, { projection: { siteId: 1, vid: 1, userId: 1 } });
      for await (const visit of visits) {
        if (!visit.userId) continue;
        const entry = bySite.get(String(visit.siteId)) ?? { siteId: visit.siteId, links: new Map() };
        entry.links.set(`${visit.userId}\n${visit.vid}`, { user: visit.userId, vid: visit.vid });
        bySite.set(String(visit.siteId), entry);
      }
      await insertIgnoringDuplicates(
        db,
        [...bySite.values()].flatMap(({ siteId, links }) =>
          parts([...links.values()]).map((part, n) => ({
            _id: `${String(siteId)}:${day}:users:${n}:${MIGRATED}`,
            siteId,
            day,
            kind: 'users' as const,
            vids: idList([...new Set(part.map((link) => link.vid))]),
            users: idList([...new Set(part.map((link) => link.user))]),
            links: idList(part.flatMap((link) => [link.user, link.vid])),
          })),
        ),
      );
    }
  },
};
