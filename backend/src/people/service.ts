import type { Types } from 'mongoose';

import { collections } from '../aggregate/model';
import { visitorProfile } from '../reports/visitors';

export interface Erased {
  visitors: number;
  visits: number;
  events: number;
}

/** Every visitor id the site linked to this user id (one per browser or device they identified on). */
async function visitorIdsOf(siteId: Types.ObjectId, userId: string): Promise<string[]> {
  const visitors = await collections
    .visitors()
    .find({ siteId, userId }, { projection: { vid: 1 } })
    .toArray();
  return visitors.map((v) => v.vid);
}

/** Everything stored about an identified person: each of their visitor profiles with its clickpath. */
export async function exportPerson(siteId: Types.ObjectId, userId: string) {
  const ids = await visitorIdsOf(siteId, userId);
  return { userId, visitors: await Promise.all(ids.map((vid) => visitorProfile(siteId, vid))) };
}

/**
 * Erases visitors and what is stored per visitor: their profile, visits, raw events and
 * daily-unique markers. Aggregate counts (rollups) stay: they hold no visitor id.
 */
export async function eraseVisitors(siteId: Types.ObjectId, vids: string[]): Promise<Erased> {
  if (vids.length === 0) return { visitors: 0, visits: 0, events: 0 };
  const vid = { $in: vids };
  const events = await collections.events().deleteMany({ siteId, vid });
  const visits = await collections.visits().deleteMany({ siteId, vid });
  await collections.visitorDays().deleteMany({ siteId, vid });
  const visitors = await collections.visitors().deleteMany({ siteId, vid });
  return { visitors: visitors.deletedCount, visits: visits.deletedCount, events: events.deletedCount };
}

export async function erasePerson(siteId: Types.ObjectId, userId: string): Promise<Erased> {
  return eraseVisitors(siteId, await visitorIdsOf(siteId, userId));
}
