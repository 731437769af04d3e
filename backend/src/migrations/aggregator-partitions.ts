import type { mongo } from 'mongoose';

import { finishLegacyAggregator } from '../aggregate/aggregator';
import { ALL_LOCKS, LEASE_MS, LEGACY_LOCK } from '../aggregate/lease';
import type { LockDoc } from '../aggregate/model';
import { stateOfSites } from '../aggregate/state';
import { writeSnapshot } from '../aggregate/state-store';
import { partitionOf, tagLegacyChunks } from '../collect/inbox';
import { isDuplicateKey } from '../lib/db-errors';
import type { Migration } from './index';

/** How long to wait for an aggregator of the previous version to let its lease run out. */
const LEGACY_WAIT_MS = LEASE_MS + 5_000;

/**
 * Splits the aggregator's work by partition of the sites (decision 0012): the
 * one lock of the previous version hands over (its pending batch finished
 * first), its state is split into one snapshot per partition with a lock
 * each, and the inbox chunks written before partitions are tagged with their
 * partition. Processes of the previous version must be stopped first: their
 * aggregator would keep the old lock, and their collectors write untagged
 * chunks (a later run of this migration would tag them; nothing else reads
 * them). Safe to run again, and by several processes at once: a partition
 * whose lock exists is left as it is, and the old lock goes last.
 */
export const aggregatorPartitions: Migration = {
  id: 10,
  name: 'aggregator-partitions',
  async up(db) {
    const locks = db.collection<LockDoc>('locks');
    if (await locks.findOne({ _id: LEGACY_LOCK })) {
      await waitForLegacyTerms(db);
      const state = await finishLegacyAggregator(60_000);
      if (state) {
        for (const lockId of ALL_LOCKS) {
          if (await locks.findOne({ _id: lockId })) continue;
          const partition = Number(lockId.slice(-2));
          const { epoch } = await writeSnapshot(
            lockId,
            stateOfSites(state, (siteId) => partitionOf(siteId) === partition),
          );
          try {
            await locks.insertOne({ _id: lockId, holder: '', pending: null, epoch, seq: 0 });
          } catch (error) {
            if (!isDuplicateKey(error)) throw error;
          }
        }
      }
    }
    await tagLegacyChunks();
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
