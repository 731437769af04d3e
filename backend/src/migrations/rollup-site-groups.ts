import { createHash } from 'node:crypto';

import type { mongo } from 'mongoose';

import { isDuplicateKey } from '../lib/db-errors';
import type { Migration } from './index';

/** Site groups as of this migration: collect/inbox.ts `partitionOf` with 16 partitions. */
const groupOf = (siteId: unknown) => createHash('sha1').update(String(siteId)).digest().readUInt32BE(0) % 16;
const UNGROUPED = /^rollup_\w+_(\d{6}|open)$/;
/** Documents moved per write: bounds memory for month documents of up to a few hundred KB. */
const MOVE_BATCH = 200;

/**
 * Moves each rollup collection's documents (`rollup_<part>_<yyyymm>`,
 * `rollup_<part>_open`) into the collections of their sites' groups
 * (`…_p<group>`, decision 0011) and drops the old collection. Safe to run
 * again: documents keep their ids, so a rerun after an interruption skips the
 * ones already moved. Migration 10 runs it first, because it finishes a batch
 * with the live aggregator, which writes only to the groups' collections.
 */
export async function moveRollupsIntoSiteGroups(db: mongo.Db): Promise<void> {
  const names = (await db.listCollections({ name: { $regex: '^rollup_' } }, { nameOnly: true }).toArray())
    .map((c) => c.name)
    .filter((name) => UNGROUPED.test(name));
  for (const name of names) {
    let batch: mongo.Document[] = [];
    const flush = async () => {
      const byGroup = new Map<number, mongo.Document[]>();
      for (const doc of batch) {
        const group = groupOf(doc.siteId);
        byGroup.set(group, [...(byGroup.get(group) ?? []), doc]);
      }
      for (const [group, docs] of byGroup) await insertMissing(db.collection(`${name}_p${pad(group)}`), docs);
      batch = [];
    };
    for await (const doc of db.collection(name).find({})) {
      batch.push(doc);
      if (batch.length >= MOVE_BATCH) await flush();
    }
    await flush();
    await db.dropCollection(name);
  }
}

const pad = (group: number) => String(group).padStart(2, '0');

/** Inserts the documents, skipping those a previous run already moved. */
async function insertMissing(collection: mongo.Collection, docs: mongo.Document[]): Promise<void> {
  await collection.insertMany(docs, { ordered: false }).catch((error: unknown) => {
    if (!isDuplicateKey(error)) throw error;
  });
}

export const rollupSiteGroups: Migration = {
  id: 11,
  name: 'rollup-site-groups',
  up: moveRollupsIntoSiteGroups,
};
