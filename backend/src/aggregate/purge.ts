import type { mongo } from 'mongoose';

import { changeState } from './aggregator';
import { forgetSiteClaims } from './claims';
import { deleteSiteHistory, deleteSiteVisits, eraseVisitorsFromHistory } from './history';
import { forgetRetentionMark } from './retention';
import { deleteRollups } from './rollups';
import { findVisits } from './service';
import { visitorKey } from './state';
import { daysOfVisitors, deleteSiteIndex, forgetIndexedVisitors } from './visitor-index';

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

/** What an erasure found and deleted. */
export interface ErasedVisitors {
  visitors: number;
  visits: number;
  events: number;
}

/**
 * Erases visitors and what is stored per visitor: their visits (open ones leave the
 * aggregator's state through its journal), raw events and index entries. Rollups stay:
 * they hold no visitor id. Safe to repeat: a second run finds nothing left.
 */
export async function eraseVisitorData(siteId: mongo.ObjectId, vids: readonly string[]): Promise<ErasedVisitors> {
  if (vids.length === 0) return { visitors: 0, visits: 0, events: 0 };
  // Read before anything is erased: the index names the days that hold their events and visits.
  const days = await daysOfVisitors(siteId, vids);
  const known = await findVisits(siteId, { vids, indexedDays: days });
  const erased = vids.map((vid) => visitorKey(siteId, vid));
  await changeState(
    siteId,
    (loaded) => ({ clock: loaded.state.clock, visits: [], closed: [], days: [], dropVisitors: erased }),
    { forget: true },
  );
  const { events } = await eraseVisitorsFromHistory(siteId, vids, days);
  await forgetIndexedVisitors(siteId, vids, days);
  return { visitors: new Set(known.map((v) => v.vid)).size, visits: known.length, events };
}
