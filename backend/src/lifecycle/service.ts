import type { Types } from 'mongoose';

import { deleteAccountRecords } from '../accounts/service';
import { eraseVisitorData, purgeSiteAggregates, type ErasedVisitors } from '../aggregate/purge';
import { settleAcceptedEvents, visitorIdsOfUser } from '../aggregate/service';
import { deleteAlertsForSite } from '../alerts/service';
import type { Actor } from '../audit/actor';
import { deleteSiteAuditLog } from '../audit/service';
import { deleteEmailReportsForSite } from '../email-reports/service';
import { deleteKeysForSite, revokeKeysCreatedBy } from '../keys/service';
import { deleteAnnotationsForSite } from '../reports/annotations';
import { deleteGoalsForSite } from '../reports/goals';
import {
  deleteSiteRecords,
  leaveSite,
  membershipsOf,
  removeMember as removeMembership,
  requireNonOwnerMember,
  sitesOwnedBy,
} from '../sites/service';
import { deleteWebhooksForSite } from '../webhooks/service';

/**
 * The ends of things that span domains: deleting a site, deleting an account, a member
 * leaving, erasing a visitor or person. Each domain deletes its own data (its
 * `delete…ForSite`, `purge…`, `erase…`); this module only calls them in an order that is
 * safe to cut short and to repeat.
 */

/**
 * Deletes a site and everything stored for it. Its keys go first (no caller acts on it
 * any more), then the site document: from then on every read answers 404 and the
 * aggregator drops events for it (the collector may accept some for another minute from
 * its cache, and the inbox may hold a backlog), so nothing is stored after the data below
 * is deleted. Every step is safe to repeat; a cascade cut short after the site document
 * went is finished by the orphan sweep (aggregate/orphans.ts), which deletes per-site
 * data of sites that no longer exist.
 */
export async function deleteSite(siteId: Types.ObjectId): Promise<void> {
  await deleteKeysForSite(siteId);
  await deleteSiteRecords(siteId);
  await purgeSiteAggregates(siteId);
  await deleteGoalsForSite(siteId);
  await deleteAnnotationsForSite(siteId);
  await deleteWebhooksForSite(siteId);
  await deleteAlertsForSite(siteId);
  await deleteEmailReportsForSite(siteId);
  // Last: the site's readers are gone, and so is anything that still names it (an owner alone deletes a site).
  await deleteSiteAuditLog(siteId);
}

/**
 * Deletes an account: the sites it owns (each with deleteSite), its memberships elsewhere
 * (revoking the keys it created there), then the account with its sessions, mailed links
 * and second factors. The account document goes last, so a deletion cut short is
 * repeated by signing in and deleting again.
 */
export async function deleteAccount(accountId: Types.ObjectId): Promise<void> {
  for (const siteId of await sitesOwnedBy(accountId)) await deleteSite(siteId);
  for (const membership of await membershipsOf(accountId)) {
    await leaveSite(membership, await revokeKeysCreatedBy(membership.siteId, accountId));
  }
  await deleteAccountRecords(accountId);
}

/** Removes a member (never the owner) from a site: the keys they created there are revoked first. */
export async function removeMember(siteId: Types.ObjectId, accountId: string, actor: Actor): Promise<void> {
  const member = await requireNonOwnerMember(siteId, accountId);
  const keysRevoked = await revokeKeysCreatedBy(siteId, member.accountId);
  await removeMembership(siteId, member, actor, keysRevoked);
}

export interface Erased extends ErasedVisitors {
  /** False when events accepted before the request were still waiting to be aggregated: erase again shortly. */
  complete: boolean;
}

/** How long an erasure waits for events the collector accepted before it (the aggregator runs every second). */
const SETTLE_TIMEOUT_MS = 15_000;

/**
 * Erases visitors of a site (aggregate/purge.ts eraseVisitorData). It first waits for the
 * events accepted before the request to be aggregated: otherwise a visit still in the
 * inbox would bring an erased visitor back moments later.
 */
export async function eraseVisitors(siteId: Types.ObjectId, vids: readonly string[]): Promise<Erased> {
  const complete = await settleAcceptedEvents(siteId, SETTLE_TIMEOUT_MS);
  return { ...(await eraseVisitorData(siteId, vids)), complete };
}

/** Erases an identified person: every visitor id the site linked to their user id. */
export async function erasePerson(siteId: Types.ObjectId, userId: string): Promise<Erased> {
  const complete = await settleAcceptedEvents(siteId, SETTLE_TIMEOUT_MS);
  // Looked up after settling: a visit still in the inbox may be the one that identified them.
  return { ...(await eraseVisitorData(siteId, await visitorIdsOfUser(siteId, userId))), complete };
}
