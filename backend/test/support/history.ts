import type mongoose from 'mongoose';

/**
 * What the aggregator stored in its day-partitioned history (aggregate/history.ts),
 * read across every partition for assertions.
 */

type Row = { _id: string } & Record<string, unknown>;

/** Equality (ObjectIds by hex string), or the `$regex`, `$gt` and `$exists` operators the tests use. */
const matches = (row: Row, filter: Record<string, unknown>) =>
  Object.entries(filter).every(([field, expected]) => {
    const value = row[field];
    if (expected && typeof expected === 'object' && !('toHexString' in expected)) {
      const op = expected as { $regex?: string; $gt?: number; $exists?: boolean };
      if (op.$regex !== undefined) return new RegExp(op.$regex).test(String(value));
      if (op.$gt !== undefined) return typeof value === 'number' && value > op.$gt;
      if (op.$exists !== undefined) return (value !== undefined) === op.$exists;
    }
    return String(value) === String(expected);
  });

async function partitions(db: mongoose.mongo.Db, prefix: 'events_' | 'visits_'): Promise<string[]> {
  const names = (await db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name);
  return names.filter((name) => new RegExp(`^${prefix}\\d{8}$`).test(name)).sort();
}

/** Stored events, oldest first. */
export async function historyEvents(db: mongoose.mongo.Db, filter: Record<string, unknown> = {}): Promise<Row[]> {
  const rows: Row[] = [];
  for (const name of await partitions(db, 'events_')) {
    for (const chunk of await db.collection<{ _id: string; siteId: unknown; data: string }>(name).find({}).toArray()) {
      for (const event of JSON.parse(chunk.data) as Row[]) {
        const row = { ...event, siteId: chunk.siteId, ts: new Date(event.ts as number) };
        if (matches(row, filter)) rows.push(row);
      }
    }
  }
  return rows.sort((a, b) => (a.ts as Date).getTime() - (b.ts as Date).getTime() || (a._id < b._id ? -1 : 1));
}

/** Stored closed visits, in start order. */
export async function historyVisits(db: mongoose.mongo.Db, filter: Record<string, unknown> = {}): Promise<Row[]> {
  const rows: Row[] = [];
  for (const name of await partitions(db, 'visits_')) {
    for (const visit of await db.collection<Row>(name).find({}).toArray()) if (matches(visit, filter)) rows.push(visit);
  }
  return rows.sort((a, b) => (a.start as Date).getTime() - (b.start as Date).getTime());
}

/** Names of every history partition (tests that look at every collection). */
export async function historyPartitions(db: mongoose.mongo.Db): Promise<string[]> {
  return [...(await partitions(db, 'events_')), ...(await partitions(db, 'visits_'))];
}

/** Every chunk waiting in the inbox, across its partitions (aggregate/inbox.ts). */
export async function inboxDocuments(db: mongoose.mongo.Db): Promise<Array<{ count: number; events: string }>> {
  const names = (await db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name);
  const docs: Array<{ count: number; events: string }> = [];
  for (const name of names.filter((n) => /^inbox(_\d+)?$/.test(n)).sort()) {
    docs.push(...(await db.collection<{ count: number; events: string }>(name).find({}).sort({ _id: 1 }).toArray()));
  }
  return docs;
}
