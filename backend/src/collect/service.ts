import type { Types } from 'mongoose';

import { Event } from './model';

/** Deletes every raw event of a site (site deletion). Events still in the inbox are dropped when loaded. */
export async function deleteEventsForSite(siteId: Types.ObjectId): Promise<void> {
  await Event.deleteMany({ siteId });
}
