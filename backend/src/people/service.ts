import type { Types } from 'mongoose';

import { setTimeout as sleep } from 'node:timers/promises';

import { changeState } from '../aggregate/aggregator';
import { eraseVisitorsFromHistory } from '../aggregate/history';
import { findVisits, visitorIdsOfUser } from '../aggregate/service';
import { visitorKey } from '../aggregate/state';
import { daysOfVisitors, forgetIndexedVisitors } from '../aggregate/visitor-index';
import { hasChunksAcceptedBefore, partitionOf } from '../collect/inbox';
import { visitorProfile } from '../reports/visitors';

export interface Erased {
  visitors: number;
  visits: number;
  events: number;
  /** False when events accepted before the request were still waiting to be aggregated: erase again shortly. */
  complete: boolean;
}

/** How long an erasure waits for events the collector accepted before it (the aggregator runs every second). */
const SETTLE_TIMEOUT_MS = 15_000;

/**
 * Waits until the events accepted before now have been aggregated: otherwise a visit
 * still in the inbox would bring an erased visitor back moments later.
 */
async function settleAcceptedEvents(siteId: Types.ObjectId): Promise<boolean> {
  const now = new Date();
  const deadline = Date.now() + SETTLE_TIMEOUT_MS;
  while (await hasChunksAcceptedBefore(now, partitionOf(siteId))) {
    if (Date.now() > deadline) return false;
    await sleep(200);
  }
  return true;
}

/** Everything stored about an identified person: each of their visitor profiles with its clickpath. */
export async function exportPerson(siteId: Types.ObjectId, userId: string) {
  const ids = await visitorIdsOfUser(siteId, userId);
  return { userId, visitors: await Promise.all(ids.map((vid) => visitorProfile(siteId, vid))) };
}

/**
 * Erases visitors and what is stored per visitor: their visits (open ones leave the
 * aggregator's state through its journal), raw events and daily-unique markers.
 * Aggregate counts (rollups) stay: they hold no visitor id.
 */
export async function eraseVisitors(siteId: Types.ObjectId, vids: string[]): Promise<Erased> {
  const complete = await settleAcceptedEvents(siteId);
  return { ...(await deleteVisitors(siteId, vids)), complete };
}

async function deleteVisitors(siteId: Types.ObjectId, vids: string[]): Promise<Omit<Erased, 'complete'>> {
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

export async function erasePerson(siteId: Types.ObjectId, userId: string): Promise<Erased> {
  const complete = await settleAcceptedEvents(siteId);
  // Looked up after settling: a visit still in the inbox may be the one that identified them.
  return { ...(await deleteVisitors(siteId, await visitorIdsOfUser(siteId, userId))), complete };
}
