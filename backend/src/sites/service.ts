import { randomBytes } from 'node:crypto';

import { Types, trusted } from 'mongoose';

import type { AccountDoc } from '../accounts/model';
import { findAccount, findAccountsByIds } from '../accounts/service';
import { purgeSiteAggregates } from '../aggregate/purge';
import { deleteAlertsForSite } from '../alerts/service';
import { accountActor, type Actor } from '../audit/actor';
import type { AuditDetails, DetailValue } from '../audit/model';
import { deleteSiteAuditLog, personRef, recordAudit } from '../audit/service';
import { deleteKeysForSite, revokeKeysCreatedBy } from '../keys/service';
import { AppError } from '../lib/errors';
import { deleteAnnotationsForSite } from '../reports/annotations';
import { deleteGoalsForSite } from '../reports/goals';
import { deleteWebhooksForSite } from '../webhooks/service';
import { Invitation, Member, Site, type MemberDoc, type Role, type SiteDoc } from './model';
import type { SiteSettings, SiteSettingsPatch } from './schemas';
import type { z } from 'zod';

export interface SiteView {
  id: string;
  name: string;
  domain: string;
  timezone: string;
  publicId: string;
  role: Role;
  settings: SiteSettings;
  requireTwoFactor: boolean;
  createdAt: string;
  updatedAt: string;
}

export function toSiteView(site: SiteDoc, role: Role): SiteView {
  return {
    id: site._id.toHexString(),
    name: site.name,
    domain: site.domain,
    timezone: site.timezone,
    publicId: site.publicId,
    role,
    settings: site.settings as SiteSettings,
    requireTwoFactor: site.requireTwoFactor === true,
    createdAt: site.createdAt.toISOString(),
    updatedAt: site.updatedAt.toISOString(),
  };
}

/** 96 random bits, URL-safe: unguessable and independent of anything about the site. */
const newPublicId = (): string => randomBytes(12).toString('base64url');

export async function createSite(
  ownerId: Types.ObjectId,
  input: { name: string; domain: string; timezone: string; settings: SiteSettings },
): Promise<SiteDoc> {
  const site = (await Site.create({ ...input, ownerId, publicId: newPublicId() })).toObject() as SiteDoc;
  await Member.create({ siteId: site._id, accountId: ownerId, role: 'owner' });
  await recordAudit(site._id, accountActor(ownerId), 'site.created', {
    name: site.name,
    domain: site.domain,
    timezone: site.timezone,
  });
  return site;
}

/** Sites an account whose address is not confirmed yet may own (docs/email.md). */
export const UNVERIFIED_SITE_LIMIT = 1;

export async function countOwnedSites(accountId: Types.ObjectId): Promise<number> {
  return Site.countDocuments({ ownerId: accountId });
}

export async function getSite(siteId: Types.ObjectId | string): Promise<SiteDoc | null> {
  return Site.findById(siteId).lean<SiteDoc>();
}

export async function getSiteByPublicId(publicId: string): Promise<SiteDoc | null> {
  return Site.findOne({ publicId }).lean<SiteDoc>();
}

export async function getMembership(
  siteId: Types.ObjectId | string,
  accountId: Types.ObjectId,
): Promise<MemberDoc | null> {
  return Member.findOne({ siteId, accountId }).lean<MemberDoc>();
}

export async function listSitesFor(accountId: Types.ObjectId): Promise<Array<{ site: SiteDoc; role: Role }>> {
  const memberships = await Member.find({ accountId }).lean<MemberDoc[]>();
  const roleBySite = new Map(memberships.map((m) => [m.siteId.toHexString(), m.role]));
  const sites = await Site.find({ _id: trusted({ $in: memberships.map((m) => m.siteId) }) })
    .sort({ name: 1 })
    .lean<SiteDoc[]>();
  return sites.map((site) => ({ site, role: roleBySite.get(site._id.toHexString()) ?? 'viewer' }));
}

/** How the audit log shows a field's value: excluded addresses as a count, since it keeps no IP address. */
const auditedValue = (field: string, value: unknown): DetailValue =>
  field === 'settings.excludedIps'
    ? `${Array.isArray(value) ? value.length : 0} addresses or ranges`
    : ((value ?? null) as DetailValue);

/** The fields `$set` changes on `before`, each with its old and new value. */
function changedFields(before: SiteDoc, $set: Record<string, unknown>): AuditDetails[] {
  const valueOf = (field: string): unknown =>
    field.startsWith('settings.')
      ? (before.settings as Record<string, unknown> | undefined)?.[field.slice('settings.'.length)]
      : (before as Record<string, unknown>)[field];
  return Object.entries($set)
    .filter(([field, value]) => JSON.stringify(valueOf(field)) !== JSON.stringify(value))
    .map(([field, value]) => ({
      field,
      from: auditedValue(field, valueOf(field)),
      to: auditedValue(field, value),
    }));
}

/** Changes a site's name, domain, zone or settings; the fields that changed are audited. */
export async function updateSite(
  siteId: Types.ObjectId,
  changes: {
    name?: string | undefined;
    domain?: string | undefined;
    timezone?: string | undefined;
    settings?: z.output<typeof SiteSettingsPatch> | undefined;
  },
  actor: Actor,
): Promise<SiteDoc> {
  const $set = Object.fromEntries(
    [
      ...(['name', 'domain', 'timezone'] as const).map((field) => [field, changes[field]] as const),
      // Settings are merged key by key so a client that knows only some options keeps the rest.
      ...Object.entries(changes.settings ?? {}).map(([key, value]) => [`settings.${key}`, value] as const),
    ].filter(([, value]) => value !== undefined),
  );
  const before = await Site.findByIdAndUpdate(siteId, { $set }, { returnDocument: 'before' }).lean<SiteDoc>();
  const site = before ? await getSite(siteId) : null;
  if (!before || !site) throw new AppError('not_found', 'Site not found');
  const changed = changedFields(before, $set);
  if (changed.length > 0) await recordAudit(siteId, actor, 'site.updated', { changes: changed });
  return site;
}

/** Removes a site and everything stored for it. Each step is safe to repeat if interrupted. */
/**
 * Deletes a site and everything stored for it. The site document goes first:
 * from then on the aggregator drops events for it (the collector may accept
 * some for another minute from its cache, and the inbox may hold a backlog),
 * so nothing is stored after the data below is deleted.
 */
export async function deleteSite(siteId: Types.ObjectId): Promise<void> {
  await deleteKeysForSite(siteId);
  await Site.deleteOne({ _id: siteId });
  await Member.deleteMany({ siteId });
  await Invitation.deleteMany({ siteId });
  await purgeSiteAggregates(siteId);
  await deleteGoalsForSite(siteId);
  await deleteAnnotationsForSite(siteId);
  await deleteWebhooksForSite(siteId);
  await deleteAlertsForSite(siteId);
  // Last: the site's readers are gone, and so is anything that still names it (an owner alone deletes a site).
  await deleteSiteAuditLog(siteId);
}

/** Deletes the sites an account owns and its memberships elsewhere (account deletion). */
export async function removeAccountFromSites(accountId: Types.ObjectId): Promise<void> {
  const owned = await Site.find({ ownerId: accountId }, { _id: 1 }).lean<Array<{ _id: Types.ObjectId }>>();
  for (const site of owned) await deleteSite(site._id);
  for (const membership of await Member.find({ accountId }).lean<MemberDoc[]>()) {
    const keysRevoked = await revokeKeysCreatedBy(membership.siteId, accountId);
    await recordAudit(membership.siteId, accountActor(accountId), 'member.left', {
      member: await personRef(accountId),
      role: membership.role,
      keysRevoked,
      reason: 'account deleted',
    });
  }
  await Member.deleteMany({ accountId });
}

// ---- members ----------------------------------------------------------------

export interface MemberView {
  accountId: string;
  email: string;
  name: string;
  role: Role;
  since: string;
  twoFactorEnabled: boolean;
}

export async function listMembers(siteId: Types.ObjectId): Promise<MemberView[]> {
  const members = await Member.find({ siteId }).sort({ createdAt: 1 }).lean<MemberDoc[]>();
  const accounts = new Map(
    (await findAccountsByIds(members.map((m) => m.accountId))).map((a) => [a._id.toHexString(), a]),
  );
  return members.flatMap((m) => {
    const account = accounts.get(m.accountId.toHexString());
    if (!account) return [];
    return [
      {
        accountId: m.accountId.toHexString(),
        email: account.email,
        name: account.name,
        role: m.role,
        since: m.createdAt.toISOString(),
        twoFactorEnabled: account.totpEnabledAt != null,
      },
    ];
  });
}

async function requireNonOwnerMember(siteId: Types.ObjectId, accountId: string): Promise<MemberDoc> {
  const member = await Member.findOne({ siteId, accountId: new Types.ObjectId(accountId) }).lean<MemberDoc>();
  if (!member) throw new AppError('not_found', 'Member not found');
  if (member.role === 'owner') throw new AppError('forbidden', "The owner's role cannot be changed or removed");
  return member;
}

/**
 * Hands the site to another member: they become its owner, the previous owner an admin.
 * Ordered so that repeating it after an interruption finishes the job: the new owner's role
 * first (for a moment the site has two owners, never none), then the site's owner (whose
 * account deletion would delete the site), then the previous owner's role.
 */
export async function transferOwnership(
  siteId: Types.ObjectId,
  fromAccountId: Types.ObjectId,
  toAccountId: string,
): Promise<{ newOwner: AccountDoc }> {
  if (fromAccountId.equals(toAccountId)) throw new AppError('conflict', 'You already own this site');
  const target = await Member.findOne({ siteId, accountId: new Types.ObjectId(toAccountId) }).lean<MemberDoc>();
  const account = target ? await findAccount(target.accountId) : null;
  if (!target || !account) throw new AppError('not_found', 'Member not found');
  if (account.emailVerifiedAt == null) {
    throw new AppError(
      'email_unverified',
      'This member has not confirmed their email address yet; they need to before they can own the site',
    );
  }
  await Member.updateOne({ _id: target._id }, { $set: { role: 'owner' } });
  await Site.updateOne({ _id: siteId }, { $set: { ownerId: target.accountId } });
  await Member.updateOne({ siteId, accountId: fromAccountId }, { $set: { role: 'admin' } });
  await recordAudit(siteId, accountActor(fromAccountId), 'site.ownership_transferred', {
    from: await personRef(fromAccountId),
    to: { id: account._id.toHexString(), email: account.email },
  });
  return { newOwner: account };
}

export async function changeMemberRole(
  siteId: Types.ObjectId,
  accountId: string,
  role: Exclude<Role, 'owner'>,
  actor: Actor,
): Promise<void> {
  const member = await requireNonOwnerMember(siteId, accountId);
  if (member.role === role) return;
  await Member.updateOne({ _id: member._id }, { $set: { role } });
  await recordAudit(siteId, actor, 'member.role_changed', {
    member: await personRef(member.accountId),
    from: member.role,
    to: role,
  });
}

export async function removeMember(siteId: Types.ObjectId, accountId: string, actor: Actor): Promise<void> {
  const member = await requireNonOwnerMember(siteId, accountId);
  const keysRevoked = await revokeKeysCreatedBy(siteId, member.accountId);
  await Member.deleteOne({ _id: member._id });
  await recordAudit(siteId, actor, 'member.removed', {
    member: await personRef(member.accountId),
    role: member.role,
    keysRevoked,
  });
}
