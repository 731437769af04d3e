import { DateTime } from 'luxon';
import mongoose, { type mongo } from 'mongoose';

import type { Job } from '../lib/scheduler';
import { collections } from './model';
import { pruneEventClaims } from './claims';
import { deleteRollups, monthOf } from './rollups';

const DAY = 86_400_000;
export const ROLLUP_RETENTION_MONTHS = 25;

interface SiteRetention {
  _id: mongo.ObjectId;
  timezone?: string;
  settings?: { rawEventRetentionDays?: number };
}

export interface RetentionResult {
  events: number;
  visits: number;
  /** Rollup documents (site × month × part). */
  rollups: number;
}

/**
 * Deletes, per site, raw events (and the closed visits last seen) older than
 * `rawEventRetentionDays`, and rollups of site-local
 * months that ended more than 25 months ago. TTL indexes are not available, so this runs as a job;
 * plain deletes by date are safe when several replicas run them at once.
 */
export async function applyRetention(now = new Date()): Promise<RetentionResult> {
  const db = mongoose.connection.db;
  if (!db) throw new Error('database not connected');
  const sites = await db
    .collection<SiteRetention>('sites')
    .find({}, { projection: { timezone: 1, 'settings.rawEventRetentionDays': 1 } })
    .toArray();
  const total: RetentionResult = { events: 0, visits: 0, rollups: 0 };
  for (const site of sites) {
    const days = site.settings?.rawEventRetentionDays ?? 760;
    const cutoff = new Date(now.getTime() - days * DAY);
    total.events += (await collections.events().deleteMany({ siteId: site._id, ts: { $lt: cutoff } })).deletedCount;
    total.visits += (
      await collections.visits().deleteMany({ siteId: site._id, lastSeen: { $lt: cutoff } })
    ).deletedCount;
    const firstKeptDay = DateTime.fromJSDate(now, { zone: site.timezone ?? 'UTC' })
      .minus({ months: ROLLUP_RETENTION_MONTHS })
      .toISODate();
    if (firstKeptDay) {
      total.rollups += await deleteRollups(site._id, monthOf(firstKeptDay));
    }
  }
  return total;
}

/** The aggregate domain's scheduled jobs, for server.ts. */
export function aggregateJobs(): Job[] {
  return [
    { name: 'retention', everyMs: 6 * 3_600_000, run: () => applyRetention() },
    { name: 'prune-event-claims', everyMs: 3_600_000, run: () => pruneEventClaims() },
  ];
}
