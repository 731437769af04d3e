import type { mongo } from 'mongoose';

import { isDuplicateKey } from '../lib/db-errors';
import type { Migration } from './index';

/** The rollup parts as of this migration (aggregate/model.ts `ROLLUP_PARTS`). */
const PARTS = [
  'totals',
  'hours',
  'sketches',
  'page',
  'entry_page',
  'exit_page',
  'source',
  'channel',
  'referrer',
  'utm_source',
  'utm_medium',
  'utm_campaign',
  'utm_term',
  'utm_content',
  'country',
  'region',
  'city',
  'browser',
  'browser_version',
  'os',
  'os_version',
  'device',
  'screen',
  'language',
  'event',
  'event_prop',
];

/**
 * Moves each part's month documents from `rollup_<part>` into the collection of
 * their month, `rollup_<part>_<yyyymm>` (decision 0006), and drops the old
 * collection. Safe to run again: documents keep their ids, so a rerun after an
 * interruption skips the ones already moved.
 */
export const rollupMonthCollections: Migration = {
  id: 6,
  name: 'rollup-month-collections',
  async up(db) {
    const names = new Set((await db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name));
    for (const part of PARTS) {
      if (!names.has(`rollup_${part}`)) continue;
      for await (const doc of db.collection<{ _id: string; month: string }>(`rollup_${part}`).find({})) {
        const { _id, ...fields } = doc;
        const target = db.collection<mongo.Document>(`rollup_${part}_${doc.month.replace('-', '')}`);
        await target.insertOne({ _id, ...fields } as mongo.Document).catch((error: unknown) => {
          if (!isDuplicateKey(error)) throw error;
        });
      }
      await db.dropCollection(`rollup_${part}`);
    }
  },
};
