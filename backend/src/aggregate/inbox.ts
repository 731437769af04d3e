import mongoose, { Types, type mongo } from 'mongoose';

import type { StoredEvent } from '../collect/event';
import { partitionOf } from '../lib/partition';

/**
 * The aggregator's inbox, the collector's landing zone: one document per group
 * commit and partition of the sites, holding its events as one JSON string, in
 * a collection per 10 seconds of arrival (`inbox_<slot>`, decision 0006). The
 * aggregate domain owns these collections: the collector only appends, through
 * aggregate/service.ts (`appendSerialised`). An aggregator process
 * consumes the chunks of the partitions it holds (decision 0012), slot by slot
 * in order, and a slot is dropped whole once every partition has consumed it
 * and it is old enough that no insert into it can still be in flight: so
 * reading and deleting what it consumes costs what one slot holds, never the
 * whole backlog.
 *
 * Why a string: FerretDB converts every BSON field of every document, capping
 * per-event inserts at ~4-8k documents/s on these machines, while one string per
 * commit takes 20-35k events/s. And why the aggregator stores events instead of
 * the collector: FerretDB 1.24 scans a whole collection for every update, so
 * marking stored events as processed cost more than everything else together.
 */

const PREFIX = 'inbox_';
/** Chunks written before slots existed; read first, as the oldest slot. */
const LEGACY = 'inbox';
const SLOT_MS = 10_000;
/** The collector gives up on an inbox insert after this long (and answers 503: the event was not accepted). */
const INSERT_TIMEOUT_MS = 60_000;
/** A consumed slot is dropped no sooner than this after it ended: room for clocks that disagree. */
const DROP_AFTER_MS = 5 * 60_000;

interface InboxDoc {
  _id: Types.ObjectId;
  /** The partition of every event in it; absent on chunks written before partitions (migration 10 tags them). */
  p?: number;
  count: number;
  events: string;
}

const slotOf = (ms: number) => String(Math.floor(ms / SLOT_MS)).padStart(11, '0');
const slotEnd = (slot: string) => (slot === LEGACY ? 0 : (Number(slot.slice(PREFIX.length)) + 1) * SLOT_MS);

function db(): mongo.Db {
  const database = mongoose.connection.db;
  if (!database) throw new Error('database not connected');
  return database;
}
const slotCollection = (name: string) => db().collection<InboxDoc>(name);

/** Inbox slots, oldest first (the legacy collection before every slot). */
async function slots(): Promise<string[]> {
  const names = await db()
    .listCollections({ name: { $regex: `^(${LEGACY}|${PREFIX}\\d{11})$` } }, { nameOnly: true })
    .toArray();
  return names.map((c) => c.name).sort((a, b) => (a === LEGACY ? -1 : b === LEGACY ? 1 : a < b ? -1 : a > b ? 1 : 0));
}

type SerialisedEvent = Omit<StoredEvent, 'siteId' | 'ts'> & { siteId: string; ts: string };

export interface InboxChunk {
  id: Types.ObjectId;
  slot: string;
  partition: number;
  /** True when the read that found it had nothing of the reader's partitions after it in a slot already sealed. */
  lastOfSlot: boolean;
  events: StoredEvent[];
}

/** A chunk as the aggregator's pending batch records it: `<slot>/<id>`. */
export const chunkRef = (chunk: Pick<InboxChunk, 'id' | 'slot'>) => `${chunk.slot}/${chunk.id.toHexString()}`;

/** One partition's share of a group commit, its events already serialised as one JSON array. */
export interface SerialisedChunk {
  partition: number;
  json: string;
  count: number;
}

/** Writes events durably, one inbox document per partition; resolves once the database acknowledged them. */
export async function appendToInbox(events: StoredEvent[]): Promise<void> {
  const byPartition = new Map<number, StoredEvent[]>();
  for (const event of events) {
    const partition = partitionOf(event.siteId);
    byPartition.set(partition, [...(byPartition.get(partition) ?? []), event]);
  }
  await appendSerialised(
    [...byPartition].map(([partition, list]) => ({ partition, json: JSON.stringify(list), count: list.length })),
  );
}

/** Writes a group commit's chunks (the writer serialised and measured them) as one insert. */
export async function appendSerialised(chunks: readonly SerialisedChunk[]): Promise<void> {
  if (chunks.length === 0) return;
  await slotCollection(`${PREFIX}${slotOf(Date.now())}`).insertMany(
    chunks.map((c) => ({ _id: new Types.ObjectId(), p: c.partition, count: c.count, events: c.json })),
    { timeoutMS: INSERT_TIMEOUT_MS },
  );
}

function parse(doc: InboxDoc, slot: string, lastOfSlot: boolean): InboxChunk {
  const events = (JSON.parse(doc.events) as SerialisedEvent[]).map((e): StoredEvent => ({
    ...e,
    siteId: new Types.ObjectId(e.siteId),
    ts: new Date(e.ts),
  }));
  return { id: doc._id, slot, partition: doc.p ?? -1, lastOfSlot, events };
}

/**
 * Bytes of event JSON one aggregation batch takes at most (whole chunks, at least one): parsing
 * and computing a batch runs on the event loop, so a batch of large events must stay small.
 */
export const MAX_BATCH_JSON_BYTES = 4 * 1024 * 1024;
/** A slot's consumed chunks are deleted by the time this many wait, whatever else. */
const MAX_DEFERRED_PER_SLOT = 10_000;

/**
 * Bytes of chunks of other partitions a reader keeps in memory at most while it
 * reads further slots to fill one partition's batch.
 */
const READ_AHEAD_BYTES = 4 * MAX_BATCH_JSON_BYTES;

/** One slot as a read found it: the chunks of the reader's partitions not yet served, and when it was read. */
interface SlotRead {
  slot: string;
  docs: InboxDoc[];
  readAt: number;
}

/**
 * Reads the inbox for one aggregator process: the chunks of the partitions it
 * holds, slot by slot, oldest first, and serves them as batches of one
 * partition each (a batch is applied under its partition's lease).
 *
 * A slot is read once for all those partitions, and what a read held beyond
 * the batch it served waits in memory with the slots listed after it: the
 * next batches are served from there instead of reading the slot and listing
 * the collections again (listing costs more the more collections the database
 * has). A partition's batch continues into the following slots while it has
 * room and the chunks kept for other partitions stay under READ_AHEAD_BYTES,
 * so a backlog spread over many partitions still makes full batches. A reader
 * belongs to one set of partitions and one holder; a holder whose set changes
 * starts a new reader.
 *
 * Chunks consumed (their batch committed) but not yet deleted wait by slot: on
 * FerretDB a delete scans its slot, so while a backlog waits, a slot's chunks
 * are deleted together once it is read to its end, not batch by batch
 * (decision 0006). Reads never return to them: while the backlog waits each
 * batch continues from what the reads kept, and a batch that has nothing
 * behind it deletes them all. If the process dies first, the next holder reads
 * them again and the event claims drop every event in them as already
 * aggregated (aggregate/claims.ts).
 */
export class InboxReader {
  /** Slot reads with chunks not served yet, oldest first. */
  private reads: SlotRead[] = [];
  /** Slots listed and not read yet in this pass, oldest first. */
  private later: string[] = [];
  private readonly consumed = new Map<string, Set<string>>();
  /**
   * Slots read once they were sealed: nothing more of these partitions can
   * come in them, so later rounds skip them instead of scanning what other
   * holders' partitions still have there.
   */
  private readonly passed = new Set<string>();
  readonly partitions: readonly number[];

  constructor(partitions: Iterable<number>) {
    this.partitions = [...new Set(partitions)].sort((a, b) => a - b);
  }

  /**
   * The oldest chunks of one partition holding up to about `maxEvents` events
   * and `maxBytes` of JSON (at least one chunk); empty slots old enough are
   * dropped on the way. Null when nothing of the partitions waits.
   */
  async nextBatch(
    maxEvents: number,
    maxBytes = MAX_BATCH_JSON_BYTES,
  ): Promise<{ partition: number; chunks: InboxChunk[] } | null> {
    if (this.partitions.length === 0) return null;
    let relisted = false;
    for (;;) {
      const oldest = this.reads[0]?.docs[0];
      if (oldest) {
        const partition = oldest.p!;
        while (this.later.length > 0 && this.room(partition, maxEvents, maxBytes)) await this.readNext();
        return this.take(partition, maxEvents, maxBytes);
      }
      if (this.later.length === 0) {
        // At the end of the list, one more pass from the oldest slot not passed: chunks that came late, new slots.
        if (relisted) return null;
        relisted = true;
        await this.deleteConsumed();
        this.later = await this.unpassedSlots();
        if (this.later.length === 0) return null;
      }
      await this.readNext();
    }
  }

  /** Whether `partition`'s batch could take more than the reads hold, and memory allows reading on. */
  private room(partition: number, maxEvents: number, maxBytes: number): boolean {
    let events = 0;
    let bytes = 0;
    let kept = 0;
    for (const read of this.reads) {
      for (const doc of read.docs) {
        kept += doc.events.length;
        if (doc.p !== partition) continue;
        events += doc.count;
        bytes += doc.events.length;
      }
    }
    return events < maxEvents && bytes < maxBytes && kept < READ_AHEAD_BYTES;
  }

  /** Reads the next listed slot; keeps it when it holds chunks of the partitions, drops it when empty and old. */
  private async readNext(): Promise<void> {
    const slot = this.later.shift()!;
    const readAt = Date.now();
    const docs = await slotCollection(slot)
      .find({ p: { $in: [...this.partitions] } })
      .sort({ _id: 1 })
      .toArray();
    if (sealed(slot, readAt)) this.passed.add(slot);
    if (docs.length > 0) this.reads.push({ slot, docs, readAt });
    else if (droppable(slot) && !this.consumed.has(slot)) await dropIfEmpty(slot);
  }

  private async unpassedSlots(): Promise<string[]> {
    const names = await slots();
    const listed = new Set(names);
    for (const slot of this.passed) if (!listed.has(slot)) this.passed.delete(slot);
    return names.filter((name) => !this.passed.has(name));
  }

  /**
   * Takes `partition`'s chunks from the reads, oldest first, until the batch is
   * full. A chunk of a read that this empties, read once its slot was sealed,
   * is marked the last of its slot.
   */
  private take(partition: number, maxEvents: number, maxBytes: number): { partition: number; chunks: InboxChunk[] } {
    const chunks: InboxChunk[] = [];
    let total = 0;
    let bytes = 0;
    let full = false;
    for (const read of this.reads) {
      const taken: InboxDoc[] = [];
      const rest: InboxDoc[] = [];
      for (const doc of read.docs) {
        const first = chunks.length + taken.length === 0;
        full ||= !first && (total + doc.count > maxEvents || bytes + doc.events.length > maxBytes);
        // The partition's later chunks wait with the first one that did not fit: their order is kept.
        if (doc.p !== partition || full) {
          rest.push(doc);
          continue;
        }
        taken.push(doc);
        total += doc.count;
        bytes += doc.events.length;
      }
      read.docs = rest;
      // Only a read made once no insert could still land in the slot saw all it will ever hold.
      const finished = rest.length === 0 && sealed(read.slot, read.readAt);
      chunks.push(...taken.map((doc, i) => parse(doc, read.slot, finished && i === taken.length - 1)));
      if (full) break;
    }
    this.reads = this.reads.filter((read) => read.docs.length > 0);
    return { partition, chunks };
  }

  /**
   * Records chunks as consumed (their batch is committed) and deletes what may
   * go: a slot read to its end and old enough is dropped whole once no other
   * partition's chunks remain in it; otherwise consumed chunks are deleted (a
   * scan of their slot) once their slot has been read to its end, or at once
   * when the inbox holds nothing of the reader's partitions beyond this batch
   * (so a caught-up inbox is empty, and an erasure waiting for it is not held
   * up), or when too many wait.
   */
  async consume(chunks: readonly InboxChunk[]): Promise<void> {
    const backlogWaits = this.reads.length > 0 || this.later.length > 0;
    const finished = new Set<string>();
    for (const chunk of chunks) {
      const ids = this.consumed.get(chunk.slot) ?? new Set<string>();
      this.consumed.set(chunk.slot, ids);
      ids.add(chunk.id.toHexString());
      if (chunk.lastOfSlot) finished.add(chunk.slot);
    }
    await this.deleteConsumed(
      (slot, ids) =>
        !backlogWaits ||
        finished.has(slot) ||
        !this.reads.some((read) => read.slot === slot) ||
        ids.size >= MAX_DEFERRED_PER_SLOT,
    );
  }

  /** Deletes the consumed chunks of the slots `due` accepts (all by default), dropping a finished slot whole when it may go. */
  private async deleteConsumed(due: (slot: string, ids: ReadonlySet<string>) => boolean = () => true): Promise<void> {
    // One at a time: parallel writes wait on each other's locks on FerretDB (aggregator.ts `writeBatch`).
    for (const [slot, ids] of this.consumed) {
      if (!due(slot, ids)) continue;
      if (!(this.passed.has(slot) && droppable(slot) && (await dropIfOnly(slot, ids)))) {
        await slotCollection(slot).deleteMany({ _id: { $in: [...ids].map((id) => new Types.ObjectId(id)) } });
      }
      this.consumed.delete(slot);
    }
  }
}

/** Consumes chunks outside a reader (a pending batch replayed by a new holder): deleted at once. */
export async function consumeChunks(chunks: readonly InboxChunk[]): Promise<void> {
  await new InboxReader([]).consume(chunks);
}

/** Chunks by `chunkRef` (a bare id names a chunk of the legacy collection), in order; consumed ones are absent. */
export async function chunksByRef(refs: readonly string[]): Promise<InboxChunk[]> {
  const bySlot = new Map<string, Types.ObjectId[]>();
  for (const ref of refs) {
    const [slot, id] = ref.includes('/') ? ref.split('/') : [LEGACY, ref];
    const ids = bySlot.get(slot!) ?? [];
    ids.push(new Types.ObjectId(id));
    bySlot.set(slot!, ids);
  }
  const found = await Promise.all(
    [...bySlot].map(async ([slot, ids]) =>
      (
        await slotCollection(slot)
          .find({ _id: { $in: ids } })
          .sort({ _id: 1 })
          .toArray()
      ).map((doc) => parse(doc, slot, false)),
    ),
  );
  return found
    .flat()
    .sort((a, b) => a.slot.localeCompare(b.slot) || a.id.toHexString().localeCompare(b.id.toHexString()));
}

/** Whether no insert into the slot can land after `at`: it ended longer ago than an insert may take. */
const sealed = (slot: string, at: number) => slot !== LEGACY && slotEnd(slot) + INSERT_TIMEOUT_MS < at;
/** A slot read to its end while sealed may go once it is also past the clock-skew margin. */
const droppable = (slot: string) => sealed(slot, Date.now()) && slotEnd(slot) + DROP_AFTER_MS < Date.now();

/** Drops a slot that holds no chunk at all. */
async function dropIfEmpty(slot: string): Promise<void> {
  if ((await slotCollection(slot).findOne({}, { projection: { _id: 1 } })) === null) await drop(slot);
}

/** Drops a slot when it holds nothing but the chunks `ids`; false when others remain. */
async function dropIfOnly(slot: string, ids: ReadonlySet<string>): Promise<boolean> {
  const others = await slotCollection(slot)
    .find({}, { projection: { _id: 1 } })
    .toArray();
  if (others.some((doc) => !ids.has(doc._id.toHexString()))) return false;
  await drop(slot);
  return true;
}

async function drop(slot: string): Promise<void> {
  await slotCollection(slot)
    .drop()
    .catch(() => undefined);
}

/** Events accepted but not yet aggregated (monitoring, tests, benchmarks). */
export async function inboxBacklog(): Promise<number> {
  let total = 0;
  for (const slot of await slots()) {
    const [row] = await slotCollection(slot)
      .aggregate<{ total: number }>([{ $group: { _id: null, total: { $sum: '$count' } } }])
      .toArray();
    total += row?.total ?? 0;
  }
  return total;
}

/** Whether chunks (of `partition`, or any) accepted before `time` (to the second) still wait for the aggregator. */
export async function hasChunksAcceptedBefore(time: Date, partition?: number): Promise<boolean> {
  const cutoff = Types.ObjectId.createFromTime(Math.floor(time.getTime() / 1000) + 1);
  const older = (await slots()).filter((s) => s === LEGACY || slotEnd(s) - SLOT_MS <= time.getTime());
  for (const slot of older) {
    const filter =
      partition === undefined
        ? { _id: { $lt: cutoff } }
        : { _id: { $lt: cutoff }, $or: [{ p: partition }, { p: { $exists: false } }] };
    if ((await slotCollection(slot).findOne(filter, { projection: { _id: 1 } })) !== null) return true;
  }
  return false;
}
