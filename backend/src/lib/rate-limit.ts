import { Schema, model, trusted } from 'mongoose';

import { AppError } from './errors';
import { pseudonymise } from './secrets';

const counterSchema = new Schema(
  {
    _id: { type: String, required: true },
    count: { type: Number, required: true },
    expiresAt: { type: Date, required: true, index: true },
  },
  { versionKey: false, strict: 'throw' },
);

// Counters live in the database so every replica shares them; TTL indexes are not
// available on every server we support, so expired counters are pruned by a job.
const RateCounter = model('RateCounter', counterSchema, 'ratelimits');

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
 */
export async function hit(limit: Limit, identity: string): Promise<void> {
  if (!enabled) return;
  const count = await increment(limit, identity);
  if (count > limit.max) {
    const retryAfter = Math.ceil((limit.windowMs - (Date.now() % limit.windowMs)) / 1000);
    throw new AppError(
      'rate_limited',
      'Too many attempts; try again later',
      { retryAfterSeconds: retryAfter },
      {
        'Retry-After': String(retryAfter),
      },
    );
  }
}

/** Current count without adding to it. */
export async function peek(limit: Limit, identity: string): Promise<number> {
  if (!enabled) return 0;
  const doc = await RateCounter.findById(await counterId(limit, identity)).lean();
  return doc?.count ?? 0;
}

/** Forgets an identity's count, e.g. after a successful login. */
export async function reset(limit: Limit, identity: string): Promise<void> {
  await RateCounter.deleteOne({ _id: await counterId(limit, identity) });
}

async function counterId(limit: Limit, identity: string): Promise<string> {
  const window = Math.floor(Date.now() / limit.windowMs);
  return `${limit.name}:${window}:${await pseudonymise(identity)}`;
}

async function increment(limit: Limit, identity: string): Promise<number> {
  const _id = await counterId(limit, identity);
  const expiresAt = new Date((Math.floor(Date.now() / limit.windowMs) + 1) * limit.windowMs);
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const doc = await RateCounter.findOneAndUpdate(
        { _id },
        { $inc: { count: 1 }, $setOnInsert: { expiresAt } },
        { upsert: true, returnDocument: 'after', lean: true },
      );
      if (doc) return doc.count;
    } catch (error) {
      // Two first hits racing on one upsert: the loser retries as an update.
      if ((error as { code?: number }).code !== 11000) throw error;
    }
  }
  throw new Error(`rate counter ${limit.name} could not be incremented`);
}

/** Deletes counters whose window has passed; run by the scheduler. */
export async function pruneRateCounters(now = new Date()): Promise<number> {
  const result = await RateCounter.deleteMany({ expiresAt: trusted({ $lt: now }) });
  return result.deletedCount;
}
