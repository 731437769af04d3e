import mongoose, { Types, type mongo } from 'mongoose';

import type { StoredEvent } from './model';

/**
 * The collector's landing zone: one document per group commit, holding its events
 * as one JSON string, in a collection per 10 seconds of arrival (`inbox_<slot>`,
 * decision 0006). The aggregator consumes chunks in order, partition by
 * partition, and drops a partition whole once it is consumed and old enough that
 * no insert into it can still be in flight: so reading and deleting what it
 * consumes costs what one partition holds, never the whole backlog.
 *
 * Why a string: FerretDB converts every BSON field of every document, capping
 * per-event inserts at ~4-8k documents/s on these machines, while one string per
 * commit takes 20-35k events/s. And why the aggregator stores events instead of
 * the collector: FerretDB 1.24 scans a whole collection for every update, so
 * marking stored events as processed cost more than everything else together.
 */
const PREFIX = 'inbox_';
/** Chunks written before partitions existed; read first, as the oldest partition. */
const LEGACY = 'inbox';
const SLOT_MS = 10_000;
/** The collector gives up on an inbox insert after this long (and answers 503: the event was not accepted). */
const INSERT_TIMEOUT_MS = 60_000;
/** A consumed partition is dropped no sooner than this after its slot ended: room for clocks that disagree. */
const DROP_AFTER_MS = 5 * 60_000;

interface InboxDoc {
  _id: Types.ObjectId;
  count: number;
  events: string;
}

const slotOf = (ms: number) => String(Math.floor(ms / SLOT_MS)).padStart(11, '0');
const slotEnd = (partition: string) =>
  partition === LEGACY ? 0 : (Number(partition.slice(PREFIX.length)) + 1) * SLOT_MS;

function db(): mongo.Db {
  const database = mongoose.connection.db;
  if (!database) throw new Error('database not connected');
  return database;
}
const partitionCollection = (name: string) => db().collection<InboxDoc>(name);

/** Inbox partitions, oldest first (the legacy collection before every slot). */
async function partitions(): Promise<string[]> {
  const names = await db()
    .listCollections({ name: { $regex: `^(${LEGACY}|${PREFIX}\\d{11})$` } }, { nameOnly: true })
    .toArray();
  return names.map((c) => c.name).sort((a, b) => (a === LEGACY ? -1 : b === LEGACY ? 1 : a < b ? -1 : a > b ? 1 : 0));
}

type SerialisedEvent = Omit<StoredEvent, 'siteId' | 'ts'> & { siteId: string; ts: string };

export interface InboxChunk {
  id: Types.ObjectId;
  partition: string;
  /** True when it was the partition's last chunk and the partition was already sealed when read: nothing can follow it. */
  lastOfPartition: boolean;
  events: StoredEvent[];
}

/** A chunk as the aggregator's pending batch records it: `<partition>/<id>`. */
export const chunkRef = (chunk: Pick<InboxChunk, 'id' | 'partition'>) => `${chunk.partition}/${chunk.id.toHexString()}`;

/** Writes events durably as one inbox document; resolves once the database acknowledged it. */
export async function appendToInbox(events: StoredEvent[]): Promise<void> {
  await appendSerialised(JSON.stringify(events), events.length);
}

/** Writes `count` events already serialised as one JSON array (the writer measures their bytes first). */
export async function appendSerialised(json: string, count: number): Promise<void> {
  await partitionCollection(`${PREFIX}${slotOf(Date.now())}`).insertOne(
    { _id: new Types.ObjectId(), count, events: json },
    { timeoutMS: INSERT_TIMEOUT_MS },
  );
}

function parse(doc: InboxDoc, partition: string, lastOfPartition: boolean): InboxChunk {
  const events = (JSON.parse(doc.events) as SerialisedEvent[]).map((e): StoredEvent => ({
    ...e,
    siteId: new Types.ObjectId(e.siteId),
    ts: new Date(e.ts),
  }));
  return { id: doc._id, partition, lastOfPartition, events };
}

/**
 * Bytes of event JSON one aggregation batch takes at most (whole chunks, at least one): parsing
 * and computing a batch runs on the event loop, so a batch of large events must stay small.
 */
export const MAX_BATCH_JSON_BYTES = 4 * 1024 * 1024;

/**
 * What the last read of a partition held beyond the batch it served, and the
 * partitions listed after it: the next batch starts there instead of reading
 * the partition and listing the collections again (listing costs more the more
 * collections the database has). Only the lease holder consumes chunks; it
 * forgets this whenever another holder may have consumed some since
 * (`forgetReadAhead`).
 */
let readAhead: { partition: string; docs: InboxDoc[]; readAt: number; later: string[] } | undefined;

/**
 * Chunks consumed (their batch committed) but not yet deleted, by partition:
 * on FerretDB a delete scans its partition, so while a backlog waits, a
 * partition's chunks are deleted together once it is read to its end, not
 * batch by batch (decision 0006). Reads never return to them: while the
 * backlog waits each batch continues from the rest of the last read, and a
 * batch that has nothing behind it deletes them all. If the process dies first,
 * the next holder reads them again and the event claims drop every event in
 * them as already aggregated (aggregate/claims.ts).
 */
const consumedIds = new Map<string, Set<string>>();
/** A partition's consumed chunks are deleted by the time this many wait, whatever else. */
const MAX_DEFERRED_PER_PARTITION = 10_000;

/** Drops what this process remembers of the inbox: the rest of the last read and the chunks awaiting deletion. */
export function forgetReadAhead(): void {
  readAhead = undefined;
  consumedIds.clear();
}

/**
 * The oldest chunks holding up to about `maxEvents` events and `maxBytes` of JSON
 * (at least one chunk), reading one partition after another; empty partitions
 * old enough are dropped on the way.
 */
export async function oldestChunks(maxEvents: number, maxBytes = MAX_BATCH_JSON_BYTES): Promise<InboxChunk[]> {
  const chunks: InboxChunk[] = [];
  const taken = new Set<string>();
  let total = 0;
  let bytes = 0;
  /** Takes docs read at `readAt` in order until the batch is full; remembers the rest and returns false when it is. */
  const take = (partition: string, docs: InboxDoc[], readAt: number, later: string[]): boolean => {
    // Only a read made once no insert could still land in the partition saw all it will ever hold.
    const complete = sealed(partition, readAt);
    for (const [i, doc] of docs.entries()) {
      if (chunks.length > 0 && (total + doc.count > maxEvents || bytes + doc.events.length > maxBytes)) {
        readAhead = { partition, docs: docs.slice(i), readAt, later };
        return false;
      }
      chunks.push(parse(doc, partition, complete && i === docs.length - 1));
      taken.add(doc._id.toHexString());
      total += doc.count;
      bytes += doc.events.length;
    }
    return true;
  };
  /** Reads the partitions in order; false once the batch is full. */
  const readAll = async (names: readonly string[]): Promise<boolean> => {
    for (const [i, partition] of names.entries()) {
      const readAt = Date.now();
      // Chunks taken from the remembered rest are still stored until the batch is committed.
      const docs = (await partitionCollection(partition).find({}).sort({ _id: 1 }).toArray()).filter(
        (doc) => !taken.has(doc._id.toHexString()),
      );
      if (docs.length === 0) {
        if (droppable(partition) && !chunks.some((c) => c.partition === partition)) await dropPartition(partition);
        continue;
      }
      if (!take(partition, docs, readAt, names.slice(i + 1))) return false;
    }
    return true;
  };
  const remembered = readAhead;
  readAhead = undefined;
  let visited: string | undefined;
  if (remembered) {
    if (!take(remembered.partition, remembered.docs, remembered.readAt, remembered.later)) return chunks;
    if (!(await readAll(remembered.later))) return chunks;
    visited = remembered.later.at(-1) ?? remembered.partition;
  }
  // Partitions up to the last one visited get their late chunks in a later batch.
  await readAll((await partitions()).filter((p) => visited === undefined || p > visited));
  return chunks;
}

/** Chunks by `chunkRef` (a bare id names a chunk of the legacy collection), in order; consumed ones are absent. */
export async function chunksByRef(refs: readonly string[]): Promise<InboxChunk[]> {
  const byPartition = new Map<string, Types.ObjectId[]>();
  for (const ref of refs) {
    const [partition, id] = ref.includes('/') ? ref.split('/') : [LEGACY, ref];
    const ids = byPartition.get(partition!) ?? [];
    ids.push(new Types.ObjectId(id));
    byPartition.set(partition!, ids);
  }
  const found = await Promise.all(
    [...byPartition].map(async ([partition, ids]) =>
      (
        await partitionCollection(partition)
          .find({ _id: { $in: ids } })
          .sort({ _id: 1 })
          .toArray()
      ).map((doc) => parse(doc, partition, false)),
    ),
  );
  return found
    .flat()
    .sort((a, b) => a.partition.localeCompare(b.partition) || a.id.toHexString().localeCompare(b.id.toHexString()));
}

/** Whether no insert into the partition can land after `at`: its slot ended longer ago than an insert may take. */
const sealed = (partition: string, at: number) => partition !== LEGACY && slotEnd(partition) + INSERT_TIMEOUT_MS < at;
/** A partition read to its end while sealed may go once it is also past the clock-skew margin. */
const droppable = (partition: string) =>
  sealed(partition, Date.now()) && slotEnd(partition) + DROP_AFTER_MS < Date.now();

async function dropPartition(partition: string): Promise<void> {
  await partitionCollection(partition)
    .drop()
    .catch(() => undefined);
}

/**
 * Records chunks as consumed (their batch is committed) and deletes what may
 * go: a partition read to its end and old enough is dropped whole; otherwise
 * consumed chunks are deleted (a scan of their partition) once their partition
 * has been read to its end, or at once when the inbox holds nothing beyond this
 * batch (so a caught-up inbox is empty, and an erasure waiting for it is not
 * held up), or when too many wait.
 */
export async function consumeChunks(chunks: readonly InboxChunk[]): Promise<void> {
  const backlogWaits = readAhead !== undefined;
  const finished = new Set<string>();
  for (const chunk of chunks) {
    const ids = consumedIds.get(chunk.partition) ?? new Set<string>();
    consumedIds.set(chunk.partition, ids);
    ids.add(chunk.id.toHexString());
    if (chunk.lastOfPartition) finished.add(chunk.partition);
  }
  // One at a time: parallel writes wait on each other's locks on FerretDB (aggregator.ts `writeBatch`).
  for (const [partition, ids] of consumedIds) {
    if (backlogWaits && !finished.has(partition) && ids.size < MAX_DEFERRED_PER_PARTITION) continue;
    if (finished.has(partition) && droppable(partition)) await dropPartition(partition);
    else
      await partitionCollection(partition).deleteMany({ _id: { $in: [...ids].map((id) => new Types.ObjectId(id)) } });
    consumedIds.delete(partition);
  }
}

/** Events accepted but not yet aggregated (monitoring, tests, benchmarks). */
export async function inboxBacklog(): Promise<number> {
  let total = 0;
  for (const partition of await partitions()) {
    const [row] = await partitionCollection(partition)
      .aggregate<{ total: number }>([{ $group: { _id: null, total: { $sum: '$count' } } }])
      .toArray();
    total += row?.total ?? 0;
  }
  return total;
}

/** Whether chunks accepted before `time` (to the second) still wait for the aggregator. */
export async function hasChunksAcceptedBefore(time: Date): Promise<boolean> {
  const cutoff = Types.ObjectId.createFromTime(Math.floor(time.getTime() / 1000) + 1);
  const older = (await partitions()).filter((p) => p === LEGACY || slotEnd(p) - SLOT_MS <= time.getTime());
  for (const partition of older) {
    if ((await partitionCollection(partition).findOne({ _id: { $lt: cutoff } }, { projection: { _id: 1 } })) !== null)
      return true;
  }
  return false;
}
