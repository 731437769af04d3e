import { Schema, model, trusted } from 'mongoose';

import { AppError } from './errors';
import { pseudonymise } from './secrets';

const hitSchema = new Schema(
  {
    bucket: { type: String, required: true, index: true },
    expiresAt: { type: Date, required: true, index: true },
  },
  { versionKey: false, strict: 'throw' },
);

// One document per hit, counted on read: inserts stay exact under concurrency, whereas an
// `$inc` on FerretDB's SQLite backend loses updates (8 parallel hits counted as 4).
// Hits live in the database so every replica shares them; TTL indexes are not available
// on every server we support, so expired hits are pruned by a job.
const RateHit = model('RateHit', hitSchema, 'ratelimits');

export interface Limit {
  /** Names the bucket, e.g. `login-ip`. */
  readonly name: string;
  readonly max: number;
  readonly windowMs: number;
}

let enabled = true;

/** Rate limits can be turned off for benchmarks and load tests (config RATE_LIMITS=false). */
export function setRateLimitsEnabled(value: boolean): void {
  enabled = value;
}

/**
 * Counts one hit against `limit` for `identity` in a fixed window and throws 429
 * once the window's budget is spent. Identities are pseudonymised before storage.
 * Returns the window's count including this hit (0 when limits are off).
 */
export async function hit(limit: Limit, identity: string): Promise<number> {
  if (!enabled) return 0;
  const bucket = await bucketId(limit, identity);
  // A spent budget is refused without another write, so a flood cannot grow the collection.
  if ((await RateHit.countDocuments({ bucket })) >= limit.max) throw limitExceeded(limit);
  await RateHit.create({ bucket, expiresAt: windowEnd(limit) });
  const count = await RateHit.countDocuments({ bucket });
  if (count > limit.max) throw limitExceeded(limit);
  return count;
}

/** The 429 for a spent budget, with Retry-After set to the end of the current window. */
export function limitExceeded(limit: Limit): AppError {
  const retryAfter = Math.ceil((windowEnd(limit).getTime() - Date.now()) / 1000);
  return new AppError(
    'rate_limited',
    'Too many attempts; try again later',
    { retryAfterSeconds: retryAfter },
    { 'Retry-After': String(retryAfter) },
  );
}

/** Current count without adding to it. */
export async function peek(limit: Limit, identity: string): Promise<number> {
  if (!enabled) return 0;
  return RateHit.countDocuments({ bucket: await bucketId(limit, identity) });
}

/**
 * Remembers `identity` for `limit.windowMs` (e.g. an address that logged in to an account);
 * `remembered` then answers true until the window after the current one ends.
 */
export async function remember(limit: Limit, identity: string): Promise<void> {
  if (!enabled) return;
  const bucket = await bucketId(limit, identity);
  if ((await RateHit.countDocuments({ bucket })) === 0) {
    await RateHit.create({ bucket, expiresAt: new Date(windowEnd(limit).getTime() + limit.windowMs) });
  }
}

/** Whether `identity` was remembered in the current or the previous window. */
export async function remembered(limit: Limit, identity: string): Promise<boolean> {
  if (!enabled) return false;
  const buckets = [await bucketId(limit, identity), await bucketId(limit, identity, -1)];
  return (await RateHit.countDocuments({ bucket: trusted({ $in: buckets }) })) > 0;
}

/** Forgets an identity's count, e.g. after a successful login. */
export async function reset(limit: Limit, identity: string): Promise<void> {
  await RateHit.deleteMany({ bucket: await bucketId(limit, identity) });
}

const windowEnd = (limit: Limit): Date => new Date((Math.floor(Date.now() / limit.windowMs) + 1) * limit.windowMs);

async function bucketId(limit: Limit, identity: string, windowOffset = 0): Promise<string> {
  const window = Math.floor(Date.now() / limit.windowMs) + windowOffset;
  return `${limit.name}:${window}:${await pseudonymise(identity)}`;
}

/** Deletes hits whose window has passed; run by the scheduler. */
export async function pruneRateCounters(now = new Date()): Promise<number> {
  const result = await RateHit.deleteMany({ expiresAt: trusted({ $lt: now }) });
  return result.deletedCount;
}
