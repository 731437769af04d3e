import { collections, type LeaseDoc, type LockDoc } from './model';
import { duplicateKeyIndexes, isDuplicateKey } from '../lib/db-errors';
import { PARTITIONS } from '../lib/partition';

export const LEASE_MS = 30_000;

/**
 * Aggregator leases, one per partition of the sites (lib/partition.ts
 * `partitionOf`): whoever holds a partition's lease aggregates its sites, so
 * each site's events are applied in order by one holder at a time while
 * several processes share the partitions.
 *
 * Who holds a lease is decided by terms: the holder of a lock's newest term
 * (`lease_terms`, `_id` = `<lock>#<term>`) holds it until its `expiresAt`. A
 * term is taken by inserting it, because an insert into a unique `_id` is the
 * one write FerretDB 1.24 lets through exactly once when several clients race:
 * racing conditional updates (`findOneAndUpdate` on an expired lock) all
 * succeed there. Only the holder writes its term afterwards (renewal, release).
 * The same small collection lists the aggregator processes alive
 * (`member:<holder>`), so that each takes its share of the partitions, and
 * the callers waiting for a lease (`wait:<lock>:<holder>`), which its holder
 * hands over at the end of its round.
 *
 * A lock document (`locks`, one per partition) keeps what its holder works
 * on: the pending batch, the state's epoch and journal count, and the holder's
 * name, which every write to it must match.
 */

const LOCK_PREFIX = 'aggregator.';

export const lockIdOf = (partition: number) => `${LOCK_PREFIX}${String(partition).padStart(2, '0')}`;
export const ALL_LOCKS: readonly string[] = Array.from({ length: PARTITIONS }, (_, p) => lockIdOf(p));

const termId = (lockId: string, term: number) => `${lockId}#${String(term).padStart(10, '0')}`;
const memberId = (holder: string) => `member:${holder}`;
const waiterId = (lockId: string, holder: string) => `wait:${lockId}:${holder}`;
const lockOfTerm = (id: string) => id.slice(0, id.indexOf('#'));
const termOf = (id: string) => Number(id.slice(id.indexOf('#') + 1));

const leases = () => collections.leaseTerms();

/** Everything the lease collection says at `now`: each lock's newest term, the live members, the awaited locks. */
export interface LeaseTable {
  newest: Map<string, LeaseDoc>;
  members: Set<string>;
  awaited: Set<string>;
}

export async function leaseTable(now = new Date()): Promise<LeaseTable> {
  const table: LeaseTable = { newest: new Map(), members: new Set(), awaited: new Set() };
  for (const doc of await leases().find({}).toArray()) {
    // Numbered terms of the lease before partitions may remain until migration 10 removes them.
    const id = String(doc._id);
    if (id.startsWith('member:')) {
      if (doc.expiresAt > now) table.members.add(doc.holder);
    } else if (id.startsWith('wait:')) {
      if (doc.expiresAt > now) table.awaited.add(id.slice('wait:'.length, id.lastIndexOf(':')));
    } else if (id.includes('#')) {
      const lockId = lockOfTerm(id);
      const known = table.newest.get(lockId);
      if (!known || termOf(doc._id) > termOf(known._id)) table.newest.set(lockId, doc);
    }
  }
  return table;
}

/** Whether `holder` holds `lockId` by the table. */
export const holds = (table: LeaseTable, lockId: string, holder: string, now = new Date()) => {
  const term = table.newest.get(lockId);
  return term?.holder === holder && term.expiresAt > now;
};

/** Whether anyone holds `lockId` by the table. */
export const isHeld = (table: LeaseTable, lockId: string, now = new Date()) =>
  (table.newest.get(lockId)?.expiresAt ?? new Date(0)) > now;

/**
 * Takes the free locks among `lockIds` for `holder`, and renews those it
 * holds already. Returns the lock documents of every lock it holds afterwards
 * (with any batch a previous holder left half-applied); a lock another holder
 * has, or another racer took first, is left out.
 */
export async function acquireLeases(
  holder: string,
  lockIds: readonly string[],
  now = new Date(),
  table?: LeaseTable,
): Promise<LockDoc[]> {
  const current = table ?? (await leaseTable(now));
  const expiresAt = new Date(now.getTime() + LEASE_MS);
  const renewed = lockIds.filter((id) => holds(current, id, holder, now));
  const free = lockIds.filter((id) => !isHeld(current, id, now));
  if (renewed.length > 0) await renewLeases(holder, renewed, now, current);
  const taken: string[] = [];
  if (free.length > 0) {
    const terms = free.map((id) => ({
      _id: termId(id, termOf(current.newest.get(id)?._id ?? '#0') + 1),
      holder,
      expiresAt,
    }));
    try {
      await leases().insertMany(terms, { ordered: false });
      taken.push(...free);
    } catch (error) {
      const lost = new Set(duplicateKeyIndexes(error));
      taken.push(...free.filter((_, i) => !lost.has(i)));
    }
  }
  if (taken.length > 0) {
    // Terms before the previous one are history: the collection stays a few documents per lock.
    const stale = taken.map((id) => ({
      _id: { $gte: `${id}#`, $lt: termId(id, termOf(current.newest.get(id)?._id ?? '#0')) },
    }));
    await leases().deleteMany({ $or: stale });
    await claimLocks(holder, taken);
  }
  const mine = [...renewed, ...taken];
  if (mine.length === 0) return [];
  return collections
    .locks()
    .find({ _id: { $in: mine } })
    .toArray();
}

/** Names the new holder on the lock documents (creating missing ones): the previous holder's writes now fail. */
async function claimLocks(holder: string, lockIds: readonly string[]): Promise<void> {
  try {
    await collections.locks().insertMany(
      lockIds.map((_id) => ({ _id, holder, pending: null })),
      { ordered: false },
    );
  } catch (error) {
    if (!isDuplicateKey(error)) throw error;
  }
  await collections.locks().updateMany({ _id: { $in: [...lockIds] } }, { $set: { holder } });
}

/**
 * Renews `holder`'s terms of `lockIds` and its membership; throws
 * LeaseLostError when the table shows one of them taken by another holder.
 */
export async function renewLeases(
  holder: string,
  lockIds: readonly string[],
  now = new Date(),
  table?: LeaseTable,
): Promise<void> {
  const current = table ?? (await leaseTable(now));
  const ids = lockIds.map((id) => {
    if (!holds(current, id, holder, now)) throw new LeaseLostError();
    return current.newest.get(id)!._id;
  });
  await leases().updateMany(
    { _id: { $in: [...ids, memberId(holder)] }, holder },
    { $set: { expiresAt: new Date(now.getTime() + LEASE_MS) } },
  );
}

/** Says that `holder` is an aggregator process alive, so the others leave it its share of the partitions. */
export async function joinMembers(holder: string, now = new Date()): Promise<void> {
  const expiresAt = new Date(now.getTime() + LEASE_MS);
  await leases().updateOne({ _id: memberId(holder) }, { $set: { holder, expiresAt } }, { upsert: true });
  // Members and waiters gone for a lease time are history.
  await leases().deleteMany({
    _id: { $regex: '^(member|wait):' },
    expiresAt: { $lt: new Date(now.getTime() - LEASE_MS) },
  });
}

export async function leaveMembers(holder: string): Promise<void> {
  await leases().deleteOne({ _id: memberId(holder) });
}

/**
 * Waits until `holder` holds every lock of `lockIds` or `timeoutMs` passes.
 * Meanwhile the locks are marked awaited, so an aggregator loop that holds one
 * hands it over at the end of its round instead of keeping it. Returns the
 * lock documents, or null (having released what it took) on timeout.
 */
export async function waitForLeases(holder: string, lockIds: readonly string[], timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  const waiters = lockIds.map((id) => ({ _id: waiterId(id, holder), holder, expiresAt: new Date(deadline) }));
  await leases().insertMany(waiters);
  try {
    const held = new Map<string, LockDoc>();
    for (;;) {
      const missing = lockIds.filter((id) => !held.has(id));
      for (const lock of await acquireLeases(holder, missing)) held.set(lock._id, lock);
      if (held.size === lockIds.length) return lockIds.map((id) => held.get(id)!);
      // Kept in order only: two callers waiting for the same locks never hold part of them each.
      const gap = lockIds.findIndex((id) => !held.has(id));
      const beyond = lockIds.slice(gap + 1).filter((id) => held.has(id));
      if (beyond.length > 0) {
        await releaseLeases(holder, beyond);
        for (const id of beyond) held.delete(id);
      }
      if (Date.now() >= deadline) {
        await releaseLeases(holder);
        return null;
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  } finally {
    await leases().deleteMany({ _id: { $in: waiters.map((w) => w._id) } });
  }
}

/** Ends `holder`'s terms (of `lockIds`, or all): another process may take them at once. */
export async function releaseLeases(holder: string, lockIds?: readonly string[]): Promise<void> {
  const filter = lockIds
    ? { holder, $or: lockIds.map((id) => ({ _id: { $gt: `${id}#`, $lt: `${id}$` } })) }
    : { holder, _id: { $regex: '#' } };
  if (lockIds?.length === 0) return;
  await leases().updateMany(filter, { $set: { expiresAt: new Date(0) } });
}

/** Ends every term and membership now, as if their holders had died long ago (tests that kill holders, instead of waiting). */
export async function expireLeases(): Promise<void> {
  await leases().updateMany({}, { $set: { expiresAt: new Date(0) } });
}

/** Updates a lock while `holder` has it; fails when the lease was lost. */
async function setLock(
  holder: string,
  lockId: string,
  fields: Partial<Pick<LockDoc, 'pending' | 'epoch' | 'seq'>>,
): Promise<void> {
  const result = await collections.locks().updateOne({ _id: lockId, holder }, { $set: fields });
  if (result.matchedCount !== 1) throw new LeaseLostError();
}

/** Records the batch about to be applied. */
export const setPendingBatch = (holder: string, lockId: string, pending: NonNullable<LockDoc['pending']>) =>
  setLock(holder, lockId, { pending });

/** Marks the pending batch done: the state journal now has `seq` records. */
export const commitBatch = (holder: string, lockId: string, seq: number) =>
  setLock(holder, lockId, { pending: null, seq });

/** Points the lock at a new state epoch (state-store.ts). */
export const setEpoch = (holder: string, lockId: string, epoch: string, seq: number) =>
  setLock(holder, lockId, { epoch, seq });

export class LeaseLostError extends Error {
  constructor() {
    super('aggregator lease lost to another holder');
  }
}
