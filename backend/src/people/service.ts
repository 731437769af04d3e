import type { Types } from 'mongoose';

import { visitorIdsOfUser } from '../aggregate/read';
import { visitorProfile } from '../reports/visitors';

/**
 * Everything stored about an identified person: each of their visitor profiles with its
 * clickpath. (Erasure, which spans domains, is lifecycle/service.ts.)
 */
export async function exportPerson(siteId: Types.ObjectId, userId: string) {
  const ids = await visitorIdsOfUser(siteId, userId);
  return { userId, visitors: await Promise.all(ids.map((vid) => visitorProfile(siteId, vid))) };
}
