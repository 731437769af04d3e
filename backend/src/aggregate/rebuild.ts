import { createHash } from 'node:crypto';

import mongoose, { type mongo } from 'mongoose';

import { processPendingEvents, withLease, writeBatch, loadBatchState, loadSites, type DrainStats } from './aggregator';
import { computeBatch } from './compute';
import { acquireLease, LeaseLostError } from './lease';
import { collections, type RawEvent } from './model';
import { deleteDerivedData } from './purge';

/**
 * Recomputes a site's visits, visitors and rollups from its stored raw events,
 * under the aggregator lease so the background loop cannot interleave: deletes
 * the derived data, then replays the events in time order. Events whose visit
 * changed (e.g. after a new visit timeout) get their new visit id. History whose
 * raw events retention already deleted is lost by a rebuild.
 */
export async function rebuildRollups(
  siteId: string | mongo.ObjectId,
  options: { batchSize?: number } = {},
): Promise<DrainStats> {
  const site = typeof siteId === 'string' ? new mongoose.Types.ObjectId(siteId) : siteId;
  const batchSize = options.batchSize ?? 2000;
  // Aggregate what is waiting first, so the rebuild sees every accepted event.
  await processPendingEvents(options);
  return withLease(60_000, async (holder) => {
    const stats: DrainStats = { batches: 0, events: 0, rollupWrites: 0, roundTrips: 0, leased: true, phases: {} };
    await deleteDerivedData(site);
    const cursor = collections.events().find({ siteId: site }).sort({ ts: 1, _id: 1 });
    let batch: RawEvent[] = [];
    const flush = async () => {
      if (batch.length === 0) return;
      if (!(await acquireLease(holder))) throw new LeaseLostError();
      const batchId = `rebuild-${createHash('sha1')
        .update(`${String(site)}|${batch[0]!._id}|${batch.length}`)
        .digest('base64url')
        .slice(0, 16)}`;
      const state = await loadBatchState(batchId, batch, stats);
      const result = computeBatch(batchId, batch, await loadSites(batch), state);
      await writeBatch(batchId, result, state, stats);
      const moved: mongo.AnyBulkWriteOperation<RawEvent>[] = [];
      const byId = new Map(batch.map((e) => [e._id, e]));
      for (const [visitId, ids] of result.eventsByVisit) {
        for (const id of ids) {
          if (byId.get(id)?.visitId !== visitId)
            moved.push({ updateOne: { filter: { _id: id }, update: { $set: { visitId } } } });
        }
      }
      if (moved.length > 0) await collections.events().bulkWrite(moved, { ordered: false });
      stats.batches += 1;
      stats.events += batch.length;
      batch = [];
    };
    for await (const event of cursor) {
      batch.push(event);
      if (batch.length >= batchSize) await flush();
    }
    await flush();
    return stats;
  });
}
