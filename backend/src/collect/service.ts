import { setTimeout as sleep } from 'node:timers/promises';

import type { Types } from 'mongoose';

import { hasChunksAcceptedBefore, partitionOf } from './inbox';

/**
 * Waits until the events the collector accepted for a site before now have left the
 * inbox (the aggregator takes them every second); false when `timeoutMs` passed first.
 */
export async function settleAcceptedEvents(siteId: Types.ObjectId, timeoutMs: number): Promise<boolean> {
  const now = new Date();
  const deadline = Date.now() + timeoutMs;
  while (await hasChunksAcceptedBefore(now, partitionOf(siteId))) {
    if (Date.now() > deadline) return false;
    await sleep(200);
  }
  return true;
}
