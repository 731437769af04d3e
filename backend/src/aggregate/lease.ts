import { collections, type LockDoc } from './model';

export const LEASE_MS = 30_000;
const LOCK_ID = 'aggregator';

const isDuplicateKey = (error: unknown) => (error as { code?: number }).code === 11000;

/**
 * Takes or renews the aggregator lease for `holder`. Returns the lock document
 * (with any batch a previous holder left half-applied) or null when another
 * holder's lease has not expired. Only one aggregator runs across replicas.
 */
export async function acquireLease(holder: string, now = new Date()): Promise<LockDoc | null> {
  try {
    return await collections
      .locks()
      .findOneAndUpdate(
        { _id: LOCK_ID, $or: [{ expiresAt: { $lt: now } }, { holder }] },
        { $set: { holder, expiresAt: new Date(now.getTime() + LEASE_MS) }, $setOnInsert: { pending: null } },
        { upsert: true, returnDocument: 'after' },
      );
  } catch (error) {
    // The lock exists and someone else holds it: the upsert collided with it.
    if (isDuplicateKey(error)) return null;
    throw error;
  }
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
  await collections.locks().updateOne({ _id: LOCK_ID, holder }, { $set: { expiresAt: new Date(0) } });
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
