import { randomBytes } from 'node:crypto';

import { DateTime } from 'luxon';
import mongoose, { Types } from 'mongoose';

import { rollupRows, type RollupRow } from '../../src/aggregate/rollups';
import { appendToInbox } from '../../src/aggregate/inbox';
import { localHourKey } from '../../src/lib/local-hour';
import type { StoredEvent } from '../../src/collect/model';

export interface RawEventInput {
  ts: string | Date;
  vid: string;
  kind?: 'pv' | 'ev' | 'en' | 'id';
  path?: string;
  id?: string;
  [field: string]: unknown;
}

/**
 * Builds raw events the way the collector stores them (day and hour in the
 * site's time zone, `${siteId}:${clientId}` ids) and queues them in the inbox.
 */
export function rawEvent(siteId: string, input: RawEventInput, timezone = 'UTC'): Record<string, unknown> {
  const { ts, vid, kind = 'pv', path = '/', id, ...rest } = input;
  const date = new Date(ts);
  return {
    _id: `${siteId}:${id ?? randomBytes(8).toString('hex')}`,
    siteId: new Types.ObjectId(siteId),
    ts: date,
    day: DateTime.fromJSDate(date, { zone: timezone }).toISODate(),
    hour: localHourKey(date, timezone),
    kind,
    vid,
    host: 'blog.example.com',
    path,
    visitId: '',
    ...rest,
  };
}

export async function insertEvents(siteId: string, inputs: RawEventInput[], timezone = 'UTC'): Promise<string[]> {
  const docs = inputs.map((input) => rawEvent(siteId, input, timezone));
  await appendToInbox(docs as unknown as StoredEvent[]);
  return docs.map((d) => d._id as string);
}

/** `base` plus `minutes` as an ISO timestamp. */
export const at = (base: string, minutes: number) => new Date(new Date(base).getTime() + minutes * 60_000);

/** Empties the raw and derived analytics collections of the current test database. */
export async function clearAggregateData(): Promise<void> {
  const db = mongoose.connection.db;
  if (!db) throw new Error('not connected');
  for (const name of ['locks', 'dead_letters', 'retention_marks']) {
    await db.collection(name).deleteMany({});
  }
  // Inbox partitions, state epochs, daily claims, history partitions and rollup months are dropped whole.
  const dropped = /^(inbox$|inbox_\d+$|aggstate_|event_claims_|events_\d{8}$|visits_\d{8}$|rollup_\w+_(\d{6}|open)$)/;
  for (const { name } of await db.listCollections({}, { nameOnly: true }).toArray()) {
    if (dropped.test(name)) await db.dropCollection(name);
  }
}

/** A site's rollups as flat rows (period, dim, key, counters). */
export async function storedRollups(siteId: string): Promise<RollupRow[]> {
  const rows: RollupRow[] = [];
  for await (const row of rollupRows(new Types.ObjectId(siteId))) rows.push(row);
  return rows;
}
