import { createHash } from 'node:crypto';

import type { Types } from 'mongoose';

/**
 * Sites are spread over this many partitions, each aggregated by one holder
 * at a time (aggregate/lease.ts; decision 0012): at most this many aggregator
 * processes share the work. Fixed: a site's partition must not change while
 * its events wait in the inbox or its visits in a partition's state.
 */
export const PARTITIONS = 16;

/** The partition of a site: a hash of its id, so that sites created together spread evenly. */
export function partitionOf(siteId: Types.ObjectId | string): number {
  return createHash('sha1').update(String(siteId)).digest().readUInt32BE(0) % PARTITIONS;
}
