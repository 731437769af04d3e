import { createHash, randomBytes } from 'node:crypto';

import type { Types } from 'mongoose';
import { trusted } from 'mongoose';

import {
  addressInUse,
  createVerifiedAccount,
  findAccount,
  findAccountByEmail,
  findAccountsByIds,
  markEmailVerified,
} from '../accounts/service';
import { accountActor, type Actor } from '../audit/actor';
import { recordAudit } from '../audit/service';
import { AppError } from '../lib/errors';
import { isDuplicateKey } from '../lib/db-errors';
import { hit, type Limit } from '../lib/rate-limit';
import { spendOnce } from '../lib/spend-once';
import type { OutgoingMail } from '../mail/mailer';
import { invitationMail } from './messages';
import { Invitation, Member, Site, type InvitationDoc, type Role, type SiteDoc } from './model';

/**
 * Membership by consent: adding someone to a site stores a pending invitation to
 * their address and mails it a link. Whoever holds an account with that (confirmed)
 * address accepts or declines it in the dashboard; the link lets its holder accept
 * with the account they are signed in to, or create an account with the address.
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

const hashToken = (token: string): string => createHash('sha256').update(token).digest('base64url');

/** A new link token for an invitation: the clear token for the mail, its hash for the store. */
const newLinkToken = () => {
  const token = randomBytes(32).toString('base64url');
  return { token, tokenHash: hashToken(token) };
};

/** The invitation mail for a stored invitation and the clear token of its link. */
async function mailFor(invitation: InvitationDoc, token: string, appUrl: string): Promise<OutgoingMail> {
  const [site, inviter] = await Promise.all([
    Site.findById(invitation.siteId).lean<SiteDoc>(),
    findAccount(invitation.invitedBy),
  ]);
  return invitationMail(appUrl, invitation.email, {
    token,
    site: { name: site?.name ?? '', domain: site?.domain ?? '' },
    role: invitation.role,
    inviter: inviter ? { name: inviter.name, email: inviter.email } : null,
    expiresAt: invitation.expiresAt,
  });
}

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
  appUrl: string,
): Promise<{ invitation: SiteInvitationView; mail: OutgoingMail }> {
  await hit(INVITES_PER_INVITER_SITE, `${invitedBy.toHexString()}|${siteId.toHexString()}`);
  await hit(INVITES_PER_INVITER, invitedBy.toHexString());
  const account = await findAccountByEmail(email);
  if (account && (await Member.exists({ siteId, accountId: account._id }))) {
    throw new AppError('conflict', 'This address already belongs to a member of the site');
  }
  const { token, tokenHash } = newLinkToken();
  const invitation = await Invitation.findOneAndUpdate(
    { siteId, email },
    { $set: { role, invitedBy, tokenHash, expiresAt: new Date(Date.now() + INVITATION_TTL_MS) } },
    { upsert: true, returnDocument: 'after' },
  ).lean<InvitationDoc>();
  if (!invitation) throw new Error('invitation upsert returned nothing');
  await recordAudit(siteId, accountActor(invitedBy), 'invitation.sent', { email, role });
  return {
    invitation: toSiteInvitationView(invitation, await invitersOf([invitation])),
    mail: await mailFor(invitation, token, appUrl),
  };
}

/**
 * Mails a pending invitation again with a new link (the old one stops working) and a new
 * expiry; counts against the same limits as inviting. 404 when the site has no such invitation.
 */
export async function resendInvitation(
  siteId: Types.ObjectId,
  invitationId: string,
  resentBy: Types.ObjectId,
  appUrl: string,
): Promise<{ invitation: SiteInvitationView; mail: OutgoingMail }> {
  await hit(INVITES_PER_INVITER_SITE, `${resentBy.toHexString()}|${siteId.toHexString()}`);
  await hit(INVITES_PER_INVITER, resentBy.toHexString());
  const { token, tokenHash } = newLinkToken();
  const invitation = await Invitation.findOneAndUpdate(
    { _id: invitationId, siteId, ...pending() },
    { $set: { tokenHash, expiresAt: new Date(Date.now() + INVITATION_TTL_MS) } },
    { returnDocument: 'after' },
  ).lean<InvitationDoc>();
  if (!invitation) throw new AppError('not_found', 'Invitation not found');
  await recordAudit(siteId, accountActor(resentBy), 'invitation.resent', {
    email: invitation.email,
    role: invitation.role,
  });
  return {
    invitation: toSiteInvitationView(invitation, await invitersOf([invitation])),
    mail: await mailFor(invitation, token, appUrl),
  };
}

export interface InvitationLinkView {
  email: string;
  site: { name: string; domain: string };
  role: AssignableRole;
  invitedBy: PersonView | null;
  expiresAt: string;
  /** Whether an account uses the invited address (the link's holder proved it is theirs). */
  hasAccount: boolean;
}

const invalidInvitationLink = () =>
  new AppError('invalid_token', 'This invitation link is invalid, was already answered, revoked or has expired');

/** The pending invitation a link names, and its site; 400 invalid_token when there is none. */
async function linkedInvitation(token: string): Promise<{ invitation: InvitationDoc; site: SiteDoc }> {
  const invitation = await Invitation.findOne({ tokenHash: hashToken(token), ...pending() }).lean<InvitationDoc>();
  const site = invitation ? await Site.findById(invitation.siteId).lean<SiteDoc>() : null;
  if (!invitation || !site) throw invalidInvitationLink();
  return { invitation, site };
}

/** What an invitation link offers, for the page it opens. */
export async function previewInvitationLink(token: string): Promise<InvitationLinkView> {
  const { invitation, site } = await linkedInvitation(token);
  return {
    email: invitation.email,
    site: { name: site.name, domain: site.domain },
    role: invitation.role,
    invitedBy: (await invitersOf([invitation])).get(invitation.invitedBy.toHexString()) ?? null,
    expiresAt: invitation.expiresAt.toISOString(),
    hasAccount: (await findAccountByEmail(invitation.email)) !== null,
  };
}

/**
 * Settles the invitation as it was read (accepted, declined or revoked): true for the one
 * request that does, however many race with any of these (a spent key: lib/spend-once.ts),
 * and only while it is still stored as read, so one revoked, answered or sent again with a
 * new link a moment earlier settles nothing. It is gone afterwards.
 */
async function settle(invitation: InvitationDoc): Promise<boolean> {
  const tokenHash = invitation.tokenHash ?? null;
  const key = `invitation:${invitation._id.toHexString()}:${tokenHash ?? ''}`;
  if (!(await spendOnce(key, { until: invitation.expiresAt }))) return false;
  const { deletedCount } = await Invitation.deleteOne({ _id: invitation._id, tokenHash });
  return deletedCount === 1;
}

/**
 * Accepts an invitation by its link for the signed-in account. The link proves its holder
 * reads the invited mailbox, so the account may use another address; an account whose own
 * address is unconfirmed may join only when it is the invited one (which confirms it).
 */
export async function acceptInvitationLink(
  token: string,
  accountId: Types.ObjectId,
): Promise<{ siteId: Types.ObjectId; role: Role }> {
  const { invitation } = await linkedInvitation(token);
  const account = await findAccount(accountId);
  if (!account) throw new AppError('unauthenticated', 'Account no longer exists');
  const confirms = account.emailVerifiedAt == null;
  if (confirms && account.email !== invitation.email) {
    throw new AppError('email_unverified', 'Confirm your email address before joining a site with another address');
  }
  if (!(await settle(invitation))) throw invalidInvitationLink();
  if (confirms) await markEmailVerified(account._id, account.email);
  return addMembership(invitation, accountId);
}

/** Declines an invitation by its link (no account needed): it is gone, nothing is shared. */
export async function declineInvitationLink(token: string): Promise<void> {
  const { invitation } = await linkedInvitation(token);
  if (!(await settle(invitation))) throw invalidInvitationLink();
}

/**
 * Creates an account with the invited address (confirmed: the link proved it) and joins the
 * site; 409 when an account already uses the address (log in and accept instead).
 */
export async function signUpWithInvitationLink(
  token: string,
  input: { name: string; password: string },
): Promise<{ siteId: Types.ObjectId; role: Role; email: string }> {
  const { invitation } = await linkedInvitation(token);
  // Before the link is spent, so that it still works for logging in and accepting.
  if (await findAccountByEmail(invitation.email)) throw addressInUse();
  if (!(await settle(invitation))) throw invalidInvitationLink();
  const account = await createVerifiedAccount({ email: invitation.email, ...input });
  return { ...(await addMembership(invitation, account._id)), email: account.email };
}

/** The site's pending invitations, newest first. */
export async function listSiteInvitations(siteId: Types.ObjectId): Promise<SiteInvitationView[]> {
  const invitations = await Invitation.find({ siteId, ...pending() })
    .sort({ createdAt: -1 })
    .lean<InvitationDoc[]>();
  const inviters = await invitersOf(invitations);
  return invitations.map((i) => toSiteInvitationView(i, inviters));
}

/** Withdraws an invitation; 404 when the site has no such invitation, or it was answered meanwhile. */
export async function revokeInvitation(siteId: Types.ObjectId, invitationId: string, actor: Actor): Promise<void> {
  const invitation = await Invitation.findOne({ _id: invitationId, siteId }).lean<InvitationDoc>();
  if (!invitation || !(await settle(invitation))) throw new AppError('not_found', 'Invitation not found');
  await recordAudit(siteId, actor, 'invitation.revoked', { email: invitation.email, role: invitation.role });
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
 * Settles a pending invitation addressed to the account, so a revocation, a decline or a
 * second accept racing with this one settles nothing. 404 when there is none.
 */
async function claimInvitation(accountId: Types.ObjectId, invitationId: string): Promise<InvitationDoc> {
  const email = await emailOf(accountId);
  const invitation = email
    ? await Invitation.findOne({ _id: invitationId, email, ...pending() }).lean<InvitationDoc>()
    : null;
  if (!invitation || !(await settle(invitation))) throw new AppError('not_found', 'Invitation not found');
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
  return addMembership(await claimInvitation(accountId, invitationId), accountId);
}

/** Writes the membership a claimed invitation grants; an existing membership is kept as it is. */
async function addMembership(
  invitation: InvitationDoc,
  accountId: Types.ObjectId,
): Promise<{ siteId: Types.ObjectId; role: Role }> {
  if (!(await Site.exists({ _id: invitation.siteId }))) throw new AppError('not_found', 'Invitation not found');
  try {
    await Member.create({ siteId: invitation.siteId, accountId, role: invitation.role });
  } catch (error) {
    if (!isDuplicateKey(error)) throw error;
    const existing = await Member.findOne({ siteId: invitation.siteId, accountId }).lean<{ role: Role }>();
    return { siteId: invitation.siteId, role: existing?.role ?? invitation.role };
  }
  // The address invited, which the joining account may not use (a link proves the mailbox).
  await recordAudit(invitation.siteId, accountActor(accountId), 'member.joined', {
    role: invitation.role,
    invitedAs: invitation.email,
  });
  return { siteId: invitation.siteId, role: invitation.role };
}

export async function declineInvitation(accountId: Types.ObjectId, invitationId: string): Promise<void> {
  await claimInvitation(accountId, invitationId);
}
