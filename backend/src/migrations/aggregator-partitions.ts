import { createHash } from 'node:crypto';

import { Types, type mongo } from 'mongoose';

import { isDuplicateKey } from '../lib/db-errors';
import { PARTITIONS, partitionOf } from '../lib/partition';
import {
  LEGACY_LOCK,
  emptyState,
  loadState,
  stateOfSites,
  writeSnapshot,
  type FrozenLock,
  type FrozenPendingBatch,
} from './aggregator-state-format';
import type { Migration } from './index';

// The lease, lock and inbox formats of the time (aggregate/lease.ts and collect/inbox.ts then), kept here.

/** How long to wait for an aggregator of the previous version to let its lease (30 s) run out. */
const LEGACY_WAIT_MS = 35_000;
const lockIdOf = (partition: number) => `aggregator.${String(partition).padStart(2, '0')}`;
/** Inbox slots: `inbox_<10-second slot>`, and `inbox` from before slots, whose chunks are named by bare id. */
const INBOX_SLOTS = '^(inbox|inbox_\\d{11})$';
const LEGACY_INBOX = 'inbox';

interface InboxDoc {
  _id: Types.ObjectId;
  /** The partition of every event in it; absent on chunks written before partitions. */
  p?: number;
  count: number;
  events: string;
}
interface SerialisedEvent {
  siteId: string;
  ts: string;
}

/**
 * Splits the aggregator's work by partition of the sites (decision 0012): the
 * inbox chunks written before partitions are tagged with their partition, the
 * one lock of the previous version hands over, its state split into one
 * snapshot per partition with a lock each, and a batch it left pending goes to
 * every partition's lock under its own id, so that each partition's holder
 * finishes its share exactly as the old aggregator would have. Processes of
 * the previous version must be stopped first: their aggregator would keep the
 * old lock, and their collectors write untagged chunks (a later run of this
 * migration would tag them; nothing else reads them). Safe to run again, and
 * by several processes at once: tagged chunks get ids derived from the chunk
 * they come from, a partition whose lock exists is left as it is, and the old
 * lock goes last.
 */
export const aggregatorPartitions: Migration = {
  id: 10,
  name: 'aggregator-partitions',
  async up(db) {
    const locks = db.collection<FrozenLock>('locks');
    const legacy = await locks.findOne({ _id: LEGACY_LOCK });
    if (legacy) await waitForLegacyTerms(db);
    await tagLegacyChunks(db);
    if (legacy) await handOver(db, legacy);
    await locks.deleteOne({ _id: LEGACY_LOCK });
    const terms = db.collection<{ _id: unknown }>('lease_terms');
    const legacyTerms = (await terms.find({}, { projection: { _id: 1 } }).toArray())
      .map((t) => t._id)
      .filter((id) => typeof id === 'number' || String(id).startsWith(`${LEGACY_LOCK}#`));
    if (legacyTerms.length > 0) await terms.deleteMany({ _id: { $in: legacyTerms } });
    for (const { name } of await db.listCollections({ name: { $regex: '^aggstate_' } }, { nameOnly: true }).toArray()) {
      if (!/^aggstate_p\d\dx/.test(name)) await db.dropCollection(name).catch(() => undefined);
    }
  },
};

/**
 * One lock and state snapshot per partition from the old lock's state. Its
 * pending batch: when its journal record exists the batch is done but for
 * consuming its chunks, which happens here; otherwise each partition's lock
 * gets it with that partition's chunks (none for a partition without events
 * in it, which still replays what the batch's clock closes) and the clock the
 * old aggregator would have used.
 */
async function handOver(db: mongo.Db, legacy: FrozenLock): Promise<void> {
  const { state, journaled } = legacy.epoch
    ? await loadState(db, legacy.epoch)
    : { state: emptyState(), journaled: new Set<string>() };
  const pending = legacy.pending;
  let pendingOf = (_partition: number): FrozenPendingBatch | null => null;
  if (pending && journaled.has(pending.batchId)) {
    await deleteChunks(db, pending.chunkIds);
  } else if (pending) {
    if ([...journaled].some((id) => id.startsWith(`${pending.batchId}.`))) {
      throw new Error(
        'the previous Clickpath version left a batch half-isolated (some of its events could not be applied): start that version once so that its aggregator finishes the batch, stop it, then start this one',
      );
    }
    const parts = await partsOfChunks(db, pending.chunkIds);
    const clock = pending.clock ?? Math.max(state.clock, ...parts.map((part) => part.latest));
    pendingOf = (partition) => ({
      batchId: pending.batchId,
      chunkIds: parts.filter((part) => part.partition === partition).map((part) => part.ref),
      clock,
    });
  }
  const locks = db.collection<FrozenLock>('locks');
  for (let partition = 0; partition < PARTITIONS; partition += 1) {
    const lockId = lockIdOf(partition);
    if (await locks.findOne({ _id: lockId })) continue;
    const epoch = await writeSnapshot(
      db,
      lockId,
      stateOfSites(state, (siteId) => partitionOf(siteId) === partition),
    );
    try {
      await locks.insertOne({ _id: lockId, holder: '', pending: pendingOf(partition), epoch, seq: 0 });
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
    }
  }
}

/**
 * The id of a chunk's share of one partition: the chunk's time (the inbox
 * orders and settles chunks by it) and a hash of the chunk and partition, so
 * every run derives the same one.
 */
function partId(chunk: Types.ObjectId, partition: number): Types.ObjectId {
  const hash = createHash('sha1').update(`${chunk.toHexString()}:${partition}`).digest('hex');
  return new Types.ObjectId(chunk.toHexString().slice(0, 8) + hash.slice(0, 16));
}

const parseRef = (ref: string): [slot: string, id: Types.ObjectId] => {
  const [slot, id] = ref.includes('/') ? ref.split('/') : [LEGACY_INBOX, ref];
  return [slot!, new Types.ObjectId(id)];
};

/** The tagged shares of the chunks `refs` name, in their order, with the newest event time of each. */
async function partsOfChunks(
  db: mongo.Db,
  refs: readonly string[],
): Promise<Array<{ ref: string; partition: number; latest: number }>> {
  const parts: Array<{ ref: string; partition: number; latest: number }> = [];
  for (const ref of refs) {
    const [slot, id] = parseRef(ref);
    const ids = Array.from({ length: PARTITIONS }, (_, partition) => partId(id, partition));
    const docs = await db
      .collection<InboxDoc>(slot)
      .find({ _id: { $in: ids } })
      .toArray();
    for (const doc of docs.sort((a, b) => (a.p ?? 0) - (b.p ?? 0))) {
      const events = JSON.parse(doc.events) as SerialisedEvent[];
      parts.push({
        ref: `${slot}/${doc._id.toHexString()}`,
        partition: doc.p ?? 0,
        latest: Math.max(0, ...events.map((e) => Date.parse(e.ts))),
      });
    }
  }
  return parts;
}

/** Deletes the chunks `refs` name, and their tagged shares: what consuming them does. */
async function deleteChunks(db: mongo.Db, refs: readonly string[]): Promise<void> {
  for (const ref of refs) {
    const [slot, id] = parseRef(ref);
    const ids = [id, ...Array.from({ length: PARTITIONS }, (_, partition) => partId(id, partition))];
    await db.collection<InboxDoc>(slot).deleteMany({ _id: { $in: ids } });
  }
}

/**
 * Splits chunks written before partitions (no `p`) into one tagged chunk per
 * partition in the same slot, then deletes the original. An interrupted run,
 * or another process at the same time, derives the same shares: their inserts
 * are skipped as duplicates. Returns the number of chunks split.
 */
export async function tagLegacyChunks(db: mongo.Db): Promise<number> {
  let tagged = 0;
  const slots = await db.listCollections({ name: { $regex: INBOX_SLOTS } }, { nameOnly: true }).toArray();
  for (const { name } of slots) {
    const slot = db.collection<InboxDoc>(name);
    for (const doc of await slot
      .find({ p: { $exists: false } })
      .sort({ _id: 1 })
      .toArray()) {
      const byPartition = new Map<number, SerialisedEvent[]>();
      for (const event of JSON.parse(doc.events) as SerialisedEvent[]) {
        const partition = partitionOf(event.siteId);
        byPartition.set(partition, [...(byPartition.get(partition) ?? []), event]);
      }
      const parts = [...byPartition].map(([p, events]) => ({
        _id: partId(doc._id, p),
        p,
        count: events.length,
        events: JSON.stringify(events),
      }));
      try {
        if (parts.length > 0) await slot.insertMany(parts, { ordered: false });
      } catch (error) {
        if (!isDuplicateKey(error)) throw error;
      }
      await slot.deleteOne({ _id: doc._id });
      tagged += 1;
    }
  }
  return tagged;
}

/**
 * Waits until the previous version's lease (numbered terms) has run out; an
 * aggregator of that version still renewing it is an error the operator must
 * fix by stopping it.
 */
async function waitForLegacyTerms(db: mongo.Db): Promise<void> {
  const terms = db.collection<{ _id: unknown; expiresAt: Date }>('lease_terms');
  const deadline = Date.now() + LEGACY_WAIT_MS;
  for (;;) {
    // A few documents: read whole, the numbered terms picked out here.
    const numbered = (await terms.find({}).toArray()).filter((t) => typeof t._id === 'number');
    const newest = numbered.sort((a, b) => (b._id as number) - (a._id as number))[0];
    if (!newest || newest.expiresAt <= new Date()) return;
    if (Date.now() > deadline) {
      throw new Error(
        'an aggregator of the previous Clickpath version still holds its lease: stop every process of that version, then start this one',
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}
