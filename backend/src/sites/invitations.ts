import type { Types } from 'mongoose';
import { trusted } from 'mongoose';

import { findAccount, findAccountByEmail, findAccountsByIds } from '../accounts/service';
import { AppError } from '../lib/errors';
import { hit, type Limit } from '../lib/rate-limit';
import { Invitation, Member, Site, type InvitationDoc, type Role, type SiteDoc } from './model';

/**
 * Membership by consent: adding someone to a site stores a pending invitation to
 * their address; whoever holds an account with that address accepts or declines it
 * in the dashboard. Issue 14 adds delivery: `inviteToSite` is where the invitation
 * mail is sent, and acceptance will then also require a verified address.
 */

const DAY = 24 * 60 * 60_000;
/** How long an invitation can be answered. */
export const INVITATION_TTL_MS = 14 * DAY;
/** Invitations one person may send for one site per hour, and across all their sites per day. */
const INVITES_PER_INVITER_SITE: Limit = { name: 'invite-site', max: 20, windowMs: 60 * 60_000 };
const INVITES_PER_INVITER: Limit = { name: 'invite-account', max: 50, windowMs: DAY };

type AssignableRole = Exclude<Role, 'owner'>;

interface PersonView {
  name: string;
  email: string;
}

export interface SiteInvitationView {
  id: string;
  email: string;
  role: AssignableRole;
  invitedBy: PersonView | null;
  createdAt: string;
  expiresAt: string;
}

export interface MyInvitationView {
  id: string;
  site: { id: string; name: string; domain: string };
  role: AssignableRole;
  invitedBy: PersonView | null;
  createdAt: string;
  expiresAt: string;
}

const pending = (now = new Date()) => ({ expiresAt: trusted({ $gt: now }) });

async function invitersOf(invitations: InvitationDoc[]): Promise<Map<string, PersonView>> {
  const accounts = await findAccountsByIds(invitations.map((i) => i.invitedBy));
  return new Map(accounts.map((a) => [a._id.toHexString(), { name: a.name, email: a.email }]));
}

function toSiteInvitationView(invitation: InvitationDoc, inviters: Map<string, PersonView>): SiteInvitationView {
  return {
    id: invitation._id.toHexString(),
    email: invitation.email,
    role: invitation.role,
    invitedBy: inviters.get(invitation.invitedBy.toHexString()) ?? null,
    createdAt: invitation.createdAt.toISOString(),
    expiresAt: invitation.expiresAt.toISOString(),
  };
}

/**
 * Invites an address to the site with a role. The answer is the same whether or not an
 * account uses the address; only an address that is already a member's is refused
 * (the inviter can list the members anyway). Inviting a pending address again renews it.
 */
export async function inviteToSite(
  siteId: Types.ObjectId,
  invitedBy: Types.ObjectId,
  email: string,
  role: AssignableRole,
): Promise<SiteInvitationView> {
  await hit(INVITES_PER_INVITER_SITE, `${invitedBy.toHexString()}|${siteId.toHexString()}`);
  await hit(INVITES_PER_INVITER, invitedBy.toHexString());
  const account = await findAccountByEmail(email);
  if (account && (await Member.exists({ siteId, accountId: account._id }))) {
    throw new AppError('conflict', 'This address already belongs to a member of the site');
  }
  const invitation = await Invitation.findOneAndUpdate(
    { siteId, email },
    { $set: { role, invitedBy, expiresAt: new Date(Date.now() + INVITATION_TTL_MS) } },
    { upsert: true, returnDocument: 'after' },
  ).lean<InvitationDoc>();
  if (!invitation) throw new Error('invitation upsert returned nothing');
  // Issue 14: send the invitation mail to `email` here.
  return toSiteInvitationView(invitation, await invitersOf([invitation]));
}

/** The site's pending invitations, newest first. */
export async function listSiteInvitations(siteId: Types.ObjectId): Promise<SiteInvitationView[]> {
  const invitations = await Invitation.find({ siteId, ...pending() })
    .sort({ createdAt: -1 })
    .lean<InvitationDoc[]>();
  const inviters = await invitersOf(invitations);
  return invitations.map((i) => toSiteInvitationView(i, inviters));
}

/** Withdraws a pending invitation; 404 when the site has no such invitation. */
export async function revokeInvitation(siteId: Types.ObjectId, invitationId: string): Promise<void> {
  const { deletedCount } = await Invitation.deleteOne({ _id: invitationId, siteId });
  if (deletedCount === 0) throw new AppError('not_found', 'Invitation not found');
}

/** The address the account answers invitations for; null once the account is gone. */
async function emailOf(accountId: Types.ObjectId): Promise<string | null> {
  return (await findAccount(accountId))?.email ?? null;
}

/** The invitations waiting for the account's address, newest first, with the site and who invited. */
export async function listMyInvitations(accountId: Types.ObjectId): Promise<MyInvitationView[]> {
  const email = await emailOf(accountId);
  if (!email) return [];
  const invitations = await Invitation.find({ email, ...pending() })
    .sort({ createdAt: -1 })
    .lean<InvitationDoc[]>();
  const inviters = await invitersOf(invitations);
  const sites = await Site.find({ _id: trusted({ $in: invitations.map((i) => i.siteId) }) }).lean<SiteDoc[]>();
  const siteById = new Map(sites.map((site) => [site._id.toHexString(), site]));
  return invitations.flatMap((invitation) => {
    const site = siteById.get(invitation.siteId.toHexString());
    if (!site) return [];
    return [
      {
        id: invitation._id.toHexString(),
        site: { id: site._id.toHexString(), name: site.name, domain: site.domain },
        role: invitation.role,
        invitedBy: inviters.get(invitation.invitedBy.toHexString()) ?? null,
        createdAt: invitation.createdAt.toISOString(),
        expiresAt: invitation.expiresAt.toISOString(),
      },
    ];
  });
}

/**
 * Takes a pending invitation addressed to the account out of the store, so a revocation,
 * a decline or a second accept racing with this one finds nothing. 404 when there is none.
 */
async function claimInvitation(accountId: Types.ObjectId, invitationId: string): Promise<InvitationDoc> {
  const email = await emailOf(accountId);
  const invitation = email
    ? await Invitation.findOneAndDelete({ _id: invitationId, email, ...pending() }).lean<InvitationDoc>()
    : null;
  if (!invitation) throw new AppError('not_found', 'Invitation not found');
  return invitation;
}

/**
 * Accepts an invitation: the account becomes a member with the invited role. The
 * invitation is claimed before the membership is written, so one that was revoked
 * a moment earlier grants nothing. An existing membership is kept as it is.
 */
export async function acceptInvitation(
  accountId: Types.ObjectId,
  invitationId: string,
): Promise<{ siteId: Types.ObjectId; role: Role }> {
  const invitation = await claimInvitation(accountId, invitationId);
  if (!(await Site.exists({ _id: invitation.siteId }))) throw new AppError('not_found', 'Invitation not found');
  try {
    await Member.create({ siteId: invitation.siteId, accountId, role: invitation.role });
    return { siteId: invitation.siteId, role: invitation.role };
  } catch (error) {
    if ((error as { code?: number }).code !== 11000) throw error;
    const existing = await Member.findOne({ siteId: invitation.siteId, accountId }).lean<{ role: Role }>();
    return { siteId: invitation.siteId, role: existing?.role ?? invitation.role };
  }
}

export async function declineInvitation(accountId: Types.ObjectId, invitationId: string): Promise<void> {
  await claimInvitation(accountId, invitationId);
}
