import { randomBytes } from 'node:crypto';

import type { mongo } from 'mongoose';

import { INSTANCE_SECRET_ID } from '../lib/secrets';

import { accountsVerified } from './accounts-verified';
import { aggregatorPartitions } from './aggregator-partitions';
import { aggregatorState } from './aggregator-state';
import { goalRollups } from './goal-rollups';
import { historyPartitions } from './history-partitions';
import { openRollupsPerSite } from './open-rollups-per-site';
import { rollupMonthCollections } from './rollup-month-collections';
import { rollupsByMonth } from './rollups-by-month';
import { visitorIndex } from './visitor-index';

export interface Migration {
  /** Strictly increasing; never renumber a migration that has shipped. */
  readonly id: number;
  readonly name: string;
  /** Must be safe to run again after an interruption (no transactions on every server we support). */
  up(db: mongo.Db): Promise<void>;
}

/** Data changes that index declarations alone cannot express, in the order they ship. */
export const migrations: readonly Migration[] = [
  {
    id: 1,
    name: 'instance-secret',
    // One random secret per installation keys the hashes of rate-limit identifiers
    // (IPs are never stored in clear); shared by every replica through the database.
    async up(db) {
      await db
        .collection<{ _id: string; value: string; createdAt: Date }>('secrets')
        .updateOne(
          { _id: INSTANCE_SECRET_ID },
          { $setOnInsert: { value: randomBytes(32).toString('base64url'), createdAt: new Date() } },
          { upsert: true },
        );
    },
  },
  {
    id: 2,
    name: 'site-event-toggles',
    // Sites created before outbound clicks, downloads and engaged time could be switched
    // off collected all three; the collector reads the flags, so they are filled in as on.
    async up(db) {
      for (const flag of ['trackOutbound', 'trackDownloads', 'trackEngagement']) {
        await db
          .collection('sites')
          .updateMany({ [`settings.${flag}`]: { $exists: false } }, { $set: { [`settings.${flag}`]: true } });
      }
    },
  },
  rollupsByMonth,
  aggregatorState,
  historyPartitions,
  rollupMonthCollections,
  accountsVerified,
  visitorIndex,
  goalRollups,
  aggregatorPartitions,
  openRollupsPerSite,
];
