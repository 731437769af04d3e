import mongoose, { type mongo } from 'mongoose';

import { processPendingEvents, withLease, type DrainStats } from './aggregator';
import { collections } from './model';

/**
 * Recomputes a site's visits, visitors and rollups from its raw events: deletes
 * the derived data, marks the events unprocessed and drains them again, all
 * under the aggregator lease so the background loop cannot interleave.
 * History whose raw events retention already deleted is lost by a rebuild.
 */
export async function rebuildRollups(
  siteId: string | mongo.ObjectId,
  options: { batchSize?: number } = {},
): Promise<DrainStats> {
  const site = typeof siteId === 'string' ? new mongoose.Types.ObjectId(siteId) : siteId;
  // Finish whatever is pending first, so no half-applied batch refers to data deleted below.
  await processPendingEvents(options);
  return withLease(60_000, async () => {
    await collections.rollups().deleteMany({ siteId: site });
    await collections.visits().deleteMany({ siteId: site });
    await collections.visitors().deleteMany({ siteId: site });
    await collections.visitorDays().deleteMany({ siteId: site });
    await collections.events().updateMany({ siteId: site }, { $set: { processed: false, visitId: '' } });
    return { batches: 0, events: 0, rollupWrites: 0, roundTrips: 0, leased: true };
  }).then(() => processPendingEvents(options));
}
