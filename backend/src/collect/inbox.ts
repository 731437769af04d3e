import { Schema, Types, model, trusted } from 'mongoose';

import type { StoredEvent } from './model';

/**
 * The collector's landing zone: one document per group commit, holding its events
 * as one JSON string. The aggregator consumes chunks in order and is the only
 * writer of `events`, which it fills by insert only.
 *
 * Why a string: FerretDB converts every BSON field of every document, capping
 * per-event inserts at ~4-8k documents/s on these machines, while one string per
 * commit takes 20-35k events/s. And why the aggregator inserts events instead of
 * the collector: FerretDB 1.24 scans a whole collection for every update, so
 * marking stored events as processed cost more than everything else together.
 */
const inboxSchema = new Schema(
  {
    _id: { type: Schema.Types.ObjectId, required: true },
    count: { type: Number, required: true },
    events: { type: String, required: true },
  },
  { versionKey: false, strict: 'throw' },
);
const Inbox = model('Inbox', inboxSchema, 'inbox');

type SerialisedEvent = Omit<StoredEvent, 'siteId' | 'ts'> & { siteId: string; ts: string };

export interface InboxChunk {
  id: Types.ObjectId;
  events: StoredEvent[];
}

/** Writes events durably as one inbox document; resolves once the database acknowledged it. */
export async function appendToInbox(events: StoredEvent[]): Promise<void> {
  await appendSerialised(JSON.stringify(events), events.length);
}

/** Writes `count` events already serialised as one JSON array (the writer measures their bytes first). */
export async function appendSerialised(json: string, count: number): Promise<void> {
  await Inbox.collection.insertOne({ _id: new Types.ObjectId(), count, events: json });
}

function parse(doc: { _id: Types.ObjectId; events: string }): InboxChunk {
  const events = (JSON.parse(doc.events) as SerialisedEvent[]).map((e): StoredEvent => ({
    ...e,
    siteId: new Types.ObjectId(e.siteId),
    ts: new Date(e.ts),
  }));
  return { id: doc._id, events };
}

/**
 * Bytes of event JSON one aggregation batch takes at most (whole chunks, at least one): parsing
 * and computing a batch runs on the event loop, so a batch of large events must stay small.
 */
export const MAX_BATCH_JSON_BYTES = 8 * 1024 * 1024;

/** The oldest chunks holding up to about `maxEvents` events and `maxBytes` of JSON (at least one chunk). */
export async function oldestChunks(maxEvents: number, maxBytes = MAX_BATCH_JSON_BYTES): Promise<InboxChunk[]> {
  const chunks: InboxChunk[] = [];
  let total = 0;
  let bytes = 0;
  const cursor = Inbox.find({}).sort({ _id: 1 }).lean().cursor();
  for await (const doc of cursor) {
    if (chunks.length > 0 && (total + doc.count > maxEvents || bytes + doc.events.length > maxBytes)) break;
    chunks.push(parse(doc));
    total += doc.count;
    bytes += doc.events.length;
  }
  await cursor.close();
  return chunks;
}

/** Chunks by id, in id order; ids already consumed are simply absent. */
export async function chunksById(ids: Types.ObjectId[]): Promise<InboxChunk[]> {
  const docs = await Inbox.find({ _id: trusted({ $in: ids }) })
    .sort({ _id: 1 })
    .lean();
  return docs.map(parse);
}

export async function deleteChunks(ids: Types.ObjectId[]): Promise<void> {
  await Inbox.deleteMany({ _id: trusted({ $in: ids }) });
}

/** Events accepted but not yet aggregated (monitoring, tests, benchmarks). */
export async function inboxBacklog(): Promise<number> {
  const [row] = await Inbox.aggregate<{ total: number }>([{ $group: { _id: null, total: { $sum: '$count' } } }]);
  return row?.total ?? 0;
}

/** Whether chunks accepted before `time` (to the second) still wait for the aggregator. */
export async function hasChunksAcceptedBefore(time: Date): Promise<boolean> {
  const cutoff = Types.ObjectId.createFromTime(Math.floor(time.getTime() / 1000) + 1);
  return (await Inbox.exists({ _id: trusted({ $lt: cutoff }) })) !== null;
}
