import mongoose, { type mongo } from 'mongoose';

import { existingSiteIds } from '../sites/service';

/**
 * The orphan sweep: per-site data whose site no longer exists is deleted. A
 * site's deletion already removes everything it knows of (lifecycle/service.ts)
 * and batches drop events of deleted sites; the sweep is for what slips past
 * those: a write that raced the deletion, a deletion cut short by a crash, a
 * document of a kind added later.
 *
 * Each run checks at most MAX_COLLECTIONS_PER_RUN collections, resuming after
 * the last one the previous run checked (its name is kept in `sweep_marks`), so
 * a run costs a few collection scans whatever the history, and a full pass over
 * two years of day partitions takes about a day at one run every 10 minutes.
 */

/** Collections whose documents each belong to one site, named by `siteId`. */
const PER_SITE = [
  /^(events|visits)_\d{8}$/,
  /^visitor_index_\d{6}$/,
  /^rollup_\w+_(\d{6}|open)$/,
  /^(goals|funnels|annotations|goal_backfills|members|invitations|apikeys|dead_letters)$/,
  /^(webhooks|webhook_deliveries|webhook_claims|webhook_log|alert_settings|alert_events|alert_mails)$/,
  /^email_report_(subscriptions|sends)$/,
  /^audit_\d{6}$/,
];
export const MAX_COLLECTIONS_PER_RUN = 20;
const MARK_ID = 'orphans';

interface SweepMark {
  _id: string;
  /** The last collection checked; the next run starts after it (from the start once past the last). */
  after: string;
}

function db(): mongo.Db {
  const database = mongoose.connection.db;
  if (!database) throw new Error('database not connected');
  return database;
}

export interface SweepResult {
  checked: string[];
  deleted: number;
}

/** Checks the next collections for documents of sites that no longer exist, and deletes those. */
export async function sweepOrphans(): Promise<SweepResult> {
  const names = (await db().listCollections({}, { nameOnly: true }).toArray())
    .map((c) => c.name)
    .filter((name) => PER_SITE.some((pattern) => pattern.test(name)))
    .sort();
  const marks = db().collection<SweepMark>('sweep_marks');
  const after = (await marks.findOne({ _id: MARK_ID }))?.after ?? '';
  const next = names.filter((name) => name > after);
  const checked = (next.length > 0 ? next : names).slice(0, MAX_COLLECTIONS_PER_RUN);
  const found = new Map<string, unknown[]>();
  for (const name of checked) found.set(name, (await db().collection(name).distinct('siteId')) as unknown[]);
  // Read after the site ids were found: a site created meanwhile, with data already written, is no orphan.
  const sites = await existingSiteIds();
  let deleted = 0;
  for (const [name, ids] of found) {
    const orphans = ids.filter((id) => id && !sites.has(String(id)));
    if (orphans.length > 0)
      deleted += (
        await db()
          .collection(name)
          .deleteMany({ siteId: { $in: orphans } })
      ).deletedCount;
  }
  if (checked.length > 0)
    await marks.updateOne({ _id: MARK_ID }, { $set: { after: checked.at(-1)! } }, { upsert: true });
  return { checked, deleted };
}
