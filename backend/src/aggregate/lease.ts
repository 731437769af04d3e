import { collections, type LockDoc } from './model';
import { isDuplicateKey } from '../lib/db-errors';

export const LEASE_MS = 30_000;
const LOCK_ID = 'aggregator';

/**
 * The aggregator lease. Who holds it is decided by terms: the holder of the
 * newest term (`lease_terms`, `_id` = the term number) holds the lease until its
 * `expiresAt`. A term is taken by inserting it, because an insert into a unique
 * `_id` is the one write FerretDB 1.24 lets through exactly once when several
 * clients race: racing conditional updates (`findOneAndUpdate` on an expired
 * lock) all succeed there, so every racer believed it held the lease. Only the
 * holder writes its term afterwards (renewal, release).
 *
 * The lock document (`locks`, `aggregator`) keeps what the holder works on: the
 * pending batch, the state's epoch and journal count, and the holder's name,
 * which every write to it must match.
 */

interface TermDoc {
  _id: number;
  holder: string;
  expiresAt: Date;
}

const terms = () => collections.leaseTerms();

async function newestTerm(): Promise<TermDoc | null> {
  return terms().find({}).sort({ _id: -1 }).limit(1).next();
}

/**
 * Takes or renews the lease for `holder`. Returns the lock document (with any
 * batch a previous holder left half-applied) or null when another holder's
 * term has not expired, or another racer took the next term first. Only one
 * aggregator runs across replicas.
 */
export async function acquireLease(holder: string, now = new Date()): Promise<LockDoc | null> {
  const expiresAt = new Date(now.getTime() + LEASE_MS);
  const newest = await newestTerm();
  if (newest?.holder === holder) {
    await terms().updateOne({ _id: newest._id, holder }, { $set: { expiresAt } });
    return collections.locks().findOne({ _id: LOCK_ID });
  }
  if (newest && newest.expiresAt > now) return null;
  const term = (newest?._id ?? 0) + 1;
  try {
    await terms().insertOne({ _id: term, holder, expiresAt });
  } catch (error) {
    if (isDuplicateKey(error)) return null;
    throw error;
  }
  // Terms before the previous one are history: the collection stays a few documents small.
  await terms().deleteMany({ _id: { $lt: term - 1 } });
  return collections
    .locks()
    .findOneAndUpdate(
      { _id: LOCK_ID },
      { $set: { holder }, $setOnInsert: { pending: null } },
      { upsert: true, returnDocument: 'after' },
    );
}

/** Polls until the lease is ours or `timeoutMs` passes. */
export async function waitForLease(holder: string, timeoutMs: number): Promise<LockDoc | null> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const lock = await acquireLease(holder);
    if (lock || Date.now() >= deadline) return lock;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

export async function releaseLease(holder: string): Promise<void> {
  await terms().updateMany({ holder }, { $set: { expiresAt: new Date(0) } });
}

/** Ends every term now, as if its holder had died long ago (tests that kill holders, instead of waiting). */
export async function expireLease(): Promise<void> {
  await terms().updateMany({}, { $set: { expiresAt: new Date(0) } });
}

/** Updates the lock while `holder` has it; fails when the lease was lost. */
async function setLock(holder: string, fields: Partial<Pick<LockDoc, 'pending' | 'epoch' | 'seq'>>): Promise<void> {
  const result = await collections.locks().updateOne({ _id: LOCK_ID, holder }, { $set: fields });
  if (result.matchedCount !== 1) throw new LeaseLostError();
}

/** Records the batch about to be applied. */
export const setPendingBatch = (holder: string, pending: NonNullable<LockDoc['pending']>) =>
  setLock(holder, { pending });

/** Marks the pending batch done: the state journal now has `seq` records. */
export const commitBatch = (holder: string, seq: number) => setLock(holder, { pending: null, seq });

/** Points the lock at a new state epoch (state-store.ts). */
export const setEpoch = (holder: string, epoch: string, seq: number) => setLock(holder, { epoch, seq });

export class LeaseLostError extends Error {
  constructor() {
    super('aggregator lease lost to another holder');
  }
}
