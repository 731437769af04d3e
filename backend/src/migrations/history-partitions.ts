import type { mongo } from 'mongoose';

import { duplicateKeyIndexes } from '../lib/db-errors';
import type { Migration } from './index';

/** A stored event as the aggregator wrote it before decision 0006: one document each in `events`. */
interface LegacyEvent {
  _id: string;
  siteId: mongo.ObjectId;
  ts: Date;
  day: string;
  vid: string;
  [field: string]: unknown;
}

const MIGRATED = 'migrated';
const EVENTS_PER_CHUNK = 2000;

const partition = (kind: 'events' | 'visits', day: string) => `${kind}_${day.replaceAll('-', '')}`;

async function insertIgnoringDuplicates(collection: mongo.Collection, docs: mongo.Document[]): Promise<void> {
  if (docs.length === 0) return;
  try {
    await collection.insertMany(docs, { ordered: false });
  } catch (error) {
    duplicateKeyIndexes(error);
  }
}

/**
 * Moves stored events and closed visits into the day-partitioned history
 * (decision 0006, format as of this migration): events become chunks of up to
 * 2,000 per site and day in `events_<yyyymmdd>` (with their newest event's time), visits go to `visits_<yyyymmdd>`
 * of their start day, and `events` and `visits` are dropped. Safe to run again:
 * a rerun first deletes the chunks an interrupted run migrated (their ids say
 * so), and visits keep their ids.
 */
export const historyPartitions: Migration = {
  id: 5,
  name: 'history-partitions',
  async up(db) {
    const names = new Set((await db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name));
    if (names.has('events')) {
      for (const name of names) {
        if (/^events_\d{8}$/.test(name))
          await db.collection<{ _id: string }>(name).deleteMany({ _id: { $regex: `:${MIGRATED}-` } });
      }
      const buffers = new Map<string, LegacyEvent[]>();
      let chunkNo = 0;
      const flush = async (events: LegacyEvent[]) => {
        const first = events[0]!;
        chunkNo += 1;
        await db.collection(partition('events', first.day)).insertOne({
          _id: `${String(first.siteId)}:${MIGRATED}-${chunkNo}:0`,
          siteId: first.siteId,
          count: events.length,
          last: new Date(Math.max(...events.map((e) => e.ts.getTime()))),
          vids: [...new Set(events.map((e) => e.vid))],
          data: JSON.stringify(events.map(({ siteId: _site, ...rest }) => ({ ...rest, ts: rest.ts.getTime() }))),
        } as mongo.Document);
      };
      for await (const event of db.collection<LegacyEvent>('events').find({})) {
        const key = `${String(event.siteId)}|${event.day}`;
        const buffer = buffers.get(key) ?? [];
        buffer.push(event);
        buffers.set(key, buffer);
        if (buffer.length >= EVENTS_PER_CHUNK) {
          await flush(buffer);
          buffers.delete(key);
        }
      }
      for (const buffer of buffers.values()) await flush(buffer);
      await db.dropCollection('events');
    }
    if (names.has('visits')) {
      const byDay = new Map<string, mongo.Document[]>();
      const write = async (day: string) => {
        await insertIgnoringDuplicates(db.collection(partition('visits', day)), byDay.get(day) ?? []);
        byDay.delete(day);
      };
      for await (const visit of db.collection<{ _id: string; day: string }>('visits').find({})) {
        const list = byDay.get(visit.day) ?? [];
        list.push(visit);
        byDay.set(visit.day, list);
        if (list.length >= EVENTS_PER_CHUNK) await write(visit.day);
      }
      for (const day of [...byDay.keys()]) await write(day);
      await db.dropCollection('visits');
    }
  },
};
