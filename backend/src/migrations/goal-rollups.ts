import type { mongo } from 'mongoose';

import type { Migration } from './index';

/**
 * Goals created before conversions were kept in the rollups (decision 0010) have no
 * rollups yet: they are marked pending, and their sites get a due backfill, which the
 * scheduled job runs; reports count them from the raw history until it has.
 */
export const goalRollups: Migration = {
  id: 9,
  name: 'goal-rollups',
  async up(db) {
    await db
      .collection('goals')
      .updateMany({ revision: { $exists: false } }, { $set: { revision: 1, rollupsPending: true, rollupsMatch: '' } });
    const sites = await db.collection<{ siteId: mongo.ObjectId }>('goals').distinct('siteId');
    for (const siteId of sites as mongo.ObjectId[]) {
      await db
        .collection<{ _id: string }>('goal_backfills')
        .updateOne(
          { _id: String(siteId) },
          { $setOnInsert: { siteId, revision: 1, pending: true, claimedUntil: new Date(0) } },
          { upsert: true },
        );
    }
  },
};
