import { randomBytes } from 'node:crypto';

import { Types, trusted } from 'mongoose';

import { findAccount, findAccountsByIds, type AccountDoc } from '../accounts/service';
import { accountActor, type Actor } from '../audit/actor';
import { personRef, recordAudit, type AuditDetails, type DetailValue } from '../audit/service';
import { AppError } from '../lib/errors';
import { Invitation, Member, Site, type MemberDoc, type Role, type SiteDoc } from './model';
import type { SiteSettings, SiteSettingsPatch } from './schemas';
import type { z } from 'zod';

export type { MemberDoc, Role, SiteDoc } from './model';

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

/**
 * Deletes the site document, then its members and invitations: the sites domain's part of
 * deleting a site (lifecycle/service.ts runs the whole cascade). Safe to repeat.
 */
export async function deleteSiteRecords(siteId: Types.ObjectId): Promise<void> {
  await Site.deleteOne({ _id: siteId });
  await Member.deleteMany({ siteId });
  await Invitation.deleteMany({ siteId });
}

/** The id of every site there is, as strings (the orphan sweep deletes data of any other). */
export async function existingSiteIds(): Promise<Set<string>> {
  const sites = await Site.find({}, { _id: 1 }).lean<Array<{ _id: Types.ObjectId }>>();
  return new Set(sites.map((site) => String(site._id)));
}

/** The ids of the sites an account owns. */
export async function sitesOwnedBy(accountId: Types.ObjectId): Promise<Types.ObjectId[]> {
  const owned = await Site.find({ ownerId: accountId }, { _id: 1 }).lean<Array<{ _id: Types.ObjectId }>>();
  return owned.map((site) => site._id);
}

/** An account's memberships, each naming its site and role. */
export async function membershipsOf(accountId: Types.ObjectId): Promise<MemberDoc[]> {
  return Member.find({ accountId }).lean<MemberDoc[]>();
}

/**
 * Ends an account's membership of a site because the account is being deleted: audited as
 * `member.left` with the number of its keys the caller revoked. Safe to repeat.
 */
export async function leaveSite(membership: MemberDoc, keysRevoked: number): Promise<void> {
  await recordAudit(membership.siteId, accountActor(membership.accountId), 'member.left', {
    member: await personRef(membership.accountId),
    role: membership.role,
    keysRevoked,
    reason: 'account deleted',
  });
  await Member.deleteOne({ _id: membership._id });
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

/** The member `accountId` of a site, unless they are its owner (whose role cannot be changed or removed). */
export async function requireNonOwnerMember(siteId: Types.ObjectId, accountId: string): Promise<MemberDoc> {
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

/** Removes a member (not the owner) the caller has revoked the keys of; audited with that number. */
export async function removeMember(
  siteId: Types.ObjectId,
  member: MemberDoc,
  actor: Actor,
  keysRevoked: number,
): Promise<void> {
  await Member.deleteOne({ _id: member._id });
  await recordAudit(siteId, actor, 'member.removed', {
    member: await personRef(member.accountId),
    role: member.role,
    keysRevoked,
  });
}
