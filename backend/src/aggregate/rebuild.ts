import { createHash } from 'node:crypto';

import mongoose, { type mongo } from 'mongoose';

import { recountGoalConversions } from '../reports/goals';
import { changeState, emptyStats, loadSites, processPendingEvents, writeBatch, type DrainStats } from './aggregator';
import { computeBatch } from './compute';
import { rollupWrites } from './rollups';
import { moveEvents, siteEventsByDay } from './history';
import type { RawEvent } from './model';
import { deleteDerivedData } from './purge';
import { applyDelta, emptyState, type StateDelta } from './state';

/**
 * Recomputes a site's visits and rollups from its stored raw events, under the
 * aggregator lease so the background loop cannot interleave: deletes the
 * derived data, replays the events in time order through a state of their own,
 * and hands the visits still open at the end back to the live state. Events
 * whose visit changed (e.g. after a new visit timeout) get their new visit id.
 * History whose raw events retention already deleted is lost by a rebuild.
 * The site's goal conversions are recounted after it (goal-backfill.ts): a
 * backfill that read the history while the rebuild moved events to new visits
 * must not be taken as current.
 */
export async function rebuildRollups(
  siteId: string | mongo.ObjectId,
  options: { batchSize?: number } = {},
): Promise<DrainStats> {
  const site = typeof siteId === 'string' ? new mongoose.Types.ObjectId(siteId) : siteId;
  const batchSize = options.batchSize ?? 2000;
  // Aggregate what is waiting first, so the rebuild sees every accepted event.
  await processPendingEvents(options);
  const stats = emptyStats();
  await changeState(site, async (live): Promise<StateDelta> => {
    await deleteDerivedData(site);
    // Its own clock follows the replayed events, as the live one followed them when they arrived.
    const rebuilt = emptyState();
    let batch: RawEvent[] = [];
    const visitOf = new Map<string, string>();
    const flush = async () => {
      if (batch.length === 0) return;
      const batchId = `rebuild-${createHash('sha1')
        .update(`${String(site)}|${batch[0]!._id}|${batch.length}`)
        .digest('base64url')
        .slice(0, 16)}`;
      const clock = Math.max(rebuilt.clock, batch.at(-1)!.ts.getTime());
      const result = computeBatch(batch, await loadSites(batch), rebuilt, clock);
      // Days the live clock still keeps open go to open documents, as the live aggregator would write them.
      const rollups = await rollupWrites(batchId, result.rollups, { clock: live.state.clock, foldScan: false });
      await writeBatch(batchId, rollups, result, stats);
      applyDelta(rebuilt, result.delta);
      for (const [visitId, ids] of result.eventsByVisit) for (const id of ids) visitOf.set(id, visitId);
      stats.batches += 1;
      stats.events += batch.length;
      batch = [];
    };
    // Day by day: each day's events get their (possibly new) visit ids before the next day is read.
    for await (const { day, events } of siteEventsByDay(site, null)) {
      for (const event of events) {
        batch.push(event);
        if (batch.length >= batchSize) await flush();
      }
      await flush();
      await moveEvents(site, day, visitOf);
      visitOf.clear();
    }
    // The live state drops the site and takes the rebuilt open visits and visitor-days in its place.
    return {
      clock: live.state.clock,
      visits: [...rebuilt.visits.values()],
      closed: [],
      days: [...rebuilt.days],
      dropSites: [String(site)],
    };
  });
  await recountGoalConversions(site);
  return stats;
}
