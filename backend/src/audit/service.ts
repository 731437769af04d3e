import { Types, type mongo } from 'mongoose';

import { findAccount } from '../accounts/service';
import { deadlineOptions } from '../lib/deadline';
import type { Actor } from './actor';
import { boundDetails } from './details';
import {
  auditCollection,
  auditMonths,
  dropPartition,
  monthOf,
  monthStart,
  writablePartition,
  type AuditAction,
  type AuditDetails,
  type AuditDoc,
  type StoredActor,
} from './model';

export type { AuditAction, AuditDetails, DetailValue } from './model';

const DAY_MS = 86_400_000;
/** Months one page reads at most; a page that stops there hands back a cursor to the months before. */
export const MAX_MONTHS_PER_PAGE = 12;

export interface AuditEntryView {
  id: string;
  at: string;
  action: AuditAction;
  actor: StoredActor;
  details: AuditDetails;
}

export interface AuditPage {
  entries: AuditEntryView[];
  /** Pass back as `cursor` for the older entries; null when there are none. */
  nextCursor: string | null;
}

/** An account as the log names it: its id and its address at the time (empty once the account is gone). */
export async function personRef(accountId: Types.ObjectId): Promise<{ id: string; email: string }> {
  return { id: accountId.toHexString(), email: (await findAccount(accountId))?.email ?? '' };
}

async function storedActor(actor: Actor): Promise<StoredActor> {
  if (actor.kind === 'account') return { type: 'account', ...(await personRef(actor.accountId)) };
  return {
    type: 'key',
    id: actor.keyId.toHexString(),
    name: actor.name,
    prefix: actor.prefix,
    createdBy: actor.createdBy.toHexString(),
  };
}

/**
 * Appends an entry to the site's audit log: who (an account with its address at the time, or
 * an API key), what, and bounded details. Never an IP address. Awaited by the action, so an
 * action is answered only once its entry is stored.
 */
export async function recordAudit(
  siteId: Types.ObjectId,
  actor: Actor,
  action: AuditAction,
  details: AuditDetails = {},
): Promise<void> {
  const at = new Date();
  const partition = await writablePartition(monthOf(at));
  await partition.insertOne({
    _id: new Types.ObjectId(),
    siteId,
    at,
    action,
    actor: await storedActor(actor),
    details: boundDetails(details),
  });
}

const cursorOf = (at: Date, id: string) => `${at.getTime()}-${id}`;
/** A cursor just before `month` (its last millisecond before, with the highest id): the next page starts there. */
const monthCursor = (month: string) => cursorOf(new Date(monthStart(month).getTime() - 1), 'f'.repeat(24));

function parseCursor(cursor: string): { at: Date; id: Types.ObjectId } {
  const [ms = '', id = ''] = cursor.split('-');
  return { at: new Date(Number(ms)), id: new Types.ObjectId(id) };
}

/**
 * A page of the site's log, newest first: entries strictly older than `cursor` (from a
 * previous page), of `actions` when given, within the last `retentionDays` (older entries
 * wait for their month to be dropped, but are not shown). Reads at most
 * MAX_MONTHS_PER_PAGE partitions, each filtered by the site.
 */
export async function readAuditLog(
  siteId: Types.ObjectId,
  query: { cursor?: string | undefined; actions?: readonly AuditAction[] | undefined; limit: number },
  { retentionDays, now = new Date() }: { retentionDays: number; now?: Date },
): Promise<AuditPage> {
  const since = new Date(now.getTime() - retentionDays * DAY_MS);
  const position = query.cursor === undefined ? null : parseCursor(query.cursor);
  const newestMonth = monthOf(position ? position.at : now);
  const months = (await auditMonths()).filter((m) => m >= monthOf(since) && m <= newestMonth).reverse();
  const filter: mongo.Filter<AuditDoc> = {
    siteId,
    at: { $gte: since },
    ...(query.actions ? { action: { $in: [...query.actions] } } : {}),
    ...(position ? { $or: [{ at: { $lt: position.at } }, { at: position.at, _id: { $lt: position.id } }] } : {}),
  };
  const found: AuditDoc[] = [];
  let nextCursor: string | null = null;
  for (const [read, month] of months.entries()) {
    if (read === MAX_MONTHS_PER_PAGE) {
      nextCursor = monthCursor(months[read - 1]!);
      break;
    }
    const docs = await auditCollection(month)
      .find(filter, { ...deadlineOptions(), sort: { at: -1, _id: -1 }, limit: query.limit + 1 - found.length })
      .toArray();
    found.push(...docs);
    if (found.length > query.limit) break;
  }
  if (found.length > query.limit) {
    found.length = query.limit;
    const last = found[query.limit - 1]!;
    nextCursor = cursorOf(last.at, last._id.toHexString());
  }
  return {
    entries: found.map((doc) => ({
      id: doc._id.toHexString(),
      at: doc.at.toISOString(),
      action: doc.action,
      actor: doc.actor,
      details: doc.details,
    })),
    nextCursor,
  };
}

/**
 * Drops the months that ended before the retention period began: every entry in them is
 * older than `retentionDays`. Entries of the month the period begins in stay until that
 * whole month has expired (reads hide them meanwhile). Safe to run in several replicas.
 */
export async function pruneAuditLog(retentionDays: number, now = new Date()): Promise<string[]> {
  const firstKept = monthOf(new Date(now.getTime() - retentionDays * DAY_MS));
  const expired = (await auditMonths()).filter((month) => month < firstKept);
  for (const month of expired) await dropPartition(month);
  return expired;
}

/** Deletes a site's entries from every month (site deletion): nobody can read them any more. */
export async function deleteSiteAuditLog(siteId: Types.ObjectId): Promise<number> {
  let deleted = 0;
  for (const month of await auditMonths())
    deleted += (await auditCollection(month).deleteMany({ siteId })).deletedCount;
  return deleted;
}
