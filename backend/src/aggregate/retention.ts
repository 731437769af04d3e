import { DateTime } from 'luxon';
import mongoose, { type mongo } from 'mongoose';

import type { Job } from '../lib/scheduler';
import { siteConfigurations } from '../sites/settings';
import { runGoalBackfills } from './goal-backfill';
import { deleteSiteHistory, dropHistoryBefore } from './history';
import { sweepOrphans } from './orphans';
import { deleteSiteIndex, dropIndexBefore } from './visitor-index';
import { pruneEventClaims } from './claims';
import { deleteRollups, dropRollupsBefore, monthOf } from './rollups';

export const ROLLUP_RETENTION_MONTHS = 25;

export interface RetentionResult {
  events: number;
  visits: number;
  /** Rollup documents (site × month × part). */
  rollups: number;
}

/**
 * Per site, the first day of raw history (`_id` the site) and the first month of
 * rollups (`rollups:<site>`) retention has not deleted: each run deletes only
 * what expired since.
 */
interface RetentionMark {
  _id: string;
  /** A day (YYYY-MM-DD) or, for rollups, a month (YYYY-MM). */
  firstKept: string;
}

/**
 * Deletes, per site, raw events and closed visits of the site-local days before
 * `rawEventRetentionDays`, and rollups of site-local months that ended more than
 * 25 months ago. History is deleted by whole days and only the days that expired
 * since the last run are visited, so a run costs what expired, not what is kept;
 * partitions older than every site's retention are dropped whole. TTL indexes are
 * not available, so this runs as a job; deleting by day is safe when several
 * replicas run it at once.
 */
export async function applyRetention(now = new Date()): Promise<RetentionResult> {
  const db = mongoose.connection.db;
  if (!db) throw new Error('database not connected');
  const sites = await siteConfigurations();
  const marks = db.collection<RetentionMark>('retention_marks');
  const known = new Map((await marks.find({}).toArray()).map((m) => [m._id, m.firstKept]));
  const total: RetentionResult = { events: 0, visits: 0, rollups: 0 };
  let oldestKept: string | undefined;
  let oldestKeptMonth: string | undefined;
  for (const site of sites) {
    const local = DateTime.fromJSDate(now, { zone: site.timezone });
    const firstKeptDay = local.minus({ days: site.settings.rawEventRetentionDays }).toISODate();
    if (!firstKeptDay) continue;
    if (oldestKept === undefined || firstKeptDay < oldestKept) oldestKept = firstKeptDay;
    const previous = known.get(String(site.siteId));
    if (previous === undefined || previous < firstKeptDay) {
      const lastExpired = DateTime.fromISO(firstKeptDay).minus({ days: 1 }).toISODate()!;
      const expired = { from: previous ?? '0000-01-01', to: lastExpired };
      const removed = await deleteSiteHistory(site.siteId, expired);
      await deleteSiteIndex(site.siteId, expired);
      total.events += removed.events;
      total.visits += removed.visits;
      await marks.updateOne({ _id: String(site.siteId) }, { $set: { firstKept: firstKeptDay } }, { upsert: true });
    }
    const firstKeptRollupDay = local.minus({ months: ROLLUP_RETENTION_MONTHS }).toISODate();
    if (!firstKeptRollupDay) continue;
    const firstKeptMonth = monthOf(firstKeptRollupDay);
    if (oldestKeptMonth === undefined || firstKeptMonth < oldestKeptMonth) oldestKeptMonth = firstKeptMonth;
    const previousMonth = known.get(`rollups:${String(site.siteId)}`);
    if (previousMonth === undefined || previousMonth < firstKeptMonth) {
      total.rollups += await deleteRollups(site.siteId, firstKeptMonth, previousMonth);
      await marks.updateOne(
        { _id: `rollups:${String(site.siteId)}` },
        { $set: { firstKept: firstKeptMonth } },
        { upsert: true },
      );
    }
  }
  if (oldestKept !== undefined) {
    await dropHistoryBefore(oldestKept);
    await dropIndexBefore(oldestKept);
  }
  if (oldestKeptMonth !== undefined) await dropRollupsBefore(oldestKeptMonth);
  return total;
}

/** Forgets a deleted site's retention progress. */
export async function forgetRetentionMark(siteId: mongo.ObjectId): Promise<void> {
  await mongoose.connection.db
    ?.collection<RetentionMark>('retention_marks')
    .deleteMany({ _id: { $in: [String(siteId), `rollups:${String(siteId)}`] } });
}

/** The aggregate domain's scheduled jobs, for server.ts. */
export function aggregateJobs(): Job[] {
  return [
    { name: 'retention', everyMs: 6 * 3_600_000, run: () => applyRetention() },
    { name: 'prune-event-claims', everyMs: 3_600_000, run: () => pruneEventClaims() },
    // A goal change is recounted within seconds; reports read the raw history until then (decision 0010).
    { name: 'goal-backfills', everyMs: 5_000, run: () => runGoalBackfills() },
    { name: 'sweep-orphans', everyMs: 10 * 60_000, run: () => sweepOrphans() },
  ];
}
