import type { mongo } from 'mongoose';

import { collections } from './model';
import { deleteRollups } from './rollups';

/** Deletes a site's visits, visitor profiles, rollups and visitor-day sets (site deletion). */
export async function deleteDerivedData(siteId: mongo.ObjectId): Promise<void> {
  await deleteRollups(siteId);
  await collections.visits().deleteMany({ siteId });
  await collections.visitors().deleteMany({ siteId });
  await collections.visitorDays().deleteMany({ siteId });
}
