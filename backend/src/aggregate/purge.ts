import type { mongo } from 'mongoose';

import { changeState } from './aggregator';
import { forgetSiteClaims } from './claims';
import { deleteSiteHistory, deleteSiteVisits } from './history';
import { forgetRetentionMark } from './retention';
import { deleteRollups } from './rollups';
import { deleteSiteIndex } from './visitor-index';

/**
 * Deletes a site's closed visits, the user links indexed from them, and its
 * rollups (rebuild); its open state is left to the caller's journal entry.
 */
export async function deleteDerivedData(siteId: mongo.ObjectId): Promise<void> {
  await deleteRollups(siteId);
  await deleteSiteVisits(siteId);
  await deleteSiteIndex(siteId, null, 'users');
}

/**
 * Forgets a deleted site in the aggregator: its open visits and visitor-days
 * leave the state (journaled, under the lease, so no batch is midway), then its
 * visits and rollups are deleted. Call after the site document is gone: events
 * still arriving for it are then dropped by every batch.
 */
export async function purgeSiteAggregates(siteId: mongo.ObjectId): Promise<void> {
  await changeState(
    siteId,
    (loaded) => ({ clock: loaded.state.clock, visits: [], closed: [], days: [], dropSites: [String(siteId)] }),
    { forget: true },
  );
  await deleteDerivedData(siteId);
  await deleteSiteHistory(siteId, null);
  await deleteSiteIndex(siteId, null);
  await forgetSiteClaims(siteId);
  await forgetRetentionMark(siteId);
}
