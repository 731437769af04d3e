import { createHash, randomBytes } from 'node:crypto';

import { type Types, trusted } from 'mongoose';

import { isDuplicateKey } from '../lib/db-errors';
import { AppError } from '../lib/errors';
import { forgetSpentKeys } from '../lib/spend-once';
import { Account, Session, type AccountDoc } from './model';
import { hashPassword, verifyAgainstDummy, verifyPassword } from './passwords';
import { revokeTokens } from './tokens';
import { LoginChallenge, RecoveryCode } from './two-factor-model';

export type { AccountDoc } from './model';

export interface Profile {
  id: string;
  email: string;
  name: string;
  /** Whether the address was confirmed by a link sent to it. */
  emailVerified: boolean;
  /** A new address waiting for its confirmation; `email` is used until then. */
  pendingEmail: string | null;
  /** Whether signing in asks for a code after the password. */
  twoFactorEnabled: boolean;
  createdAt: string;
}

export function toProfile(account: AccountDoc): Profile {
  return {
    id: account._id.toHexString(),
    email: account.email,
    name: account.name,
    emailVerified: account.emailVerifiedAt != null,
    pendingEmail: account.pendingEmail ?? null,
    twoFactorEnabled: account.totpEnabledAt != null,
    createdAt: account.createdAt.toISOString(),
  };
}

/**
 * Creates an account unless the address already has one; the password is hashed either way,
 * so the time taken does not tell which. The existing account is left untouched. The caller
 * mails the address either way (a confirmation link, or a "you already have an account" notice)
 * and answers alike.
 */
export async function registerAccount(input: {
  email: string;
  password: string;
  name: string;
}): Promise<{ created: boolean; account: AccountDoc }> {
  const passwordHash = await hashPassword(input.password);
  try {
    const created = await Account.create({ email: input.email, name: input.name, passwordHash });
    return { created: true, account: created.toObject() as AccountDoc };
  } catch (error) {
    if (!isDuplicateKey(error)) throw error;
    const existing = await findAccountByEmail(input.email);
    if (!existing) throw error;
    return { created: false, account: existing };
  }
}

/** 409 for a signup through a link whose address already has an account. */
export const addressInUse = (): AppError => new AppError('conflict', 'An account uses this address: log in to accept');

/**
 * Creates an account whose address is already proven (its holder followed a link mailed to
 * it, e.g. an invitation). 409 when an account uses the address.
 */
export async function createVerifiedAccount(input: {
  email: string;
  password: string;
  name: string;
}): Promise<AccountDoc> {
  const passwordHash = await hashPassword(input.password);
  try {
    const { email, name } = input;
    const created = await Account.create({ email, name, passwordHash, emailVerifiedAt: new Date() });
    return created.toObject() as AccountDoc;
  } catch (error) {
    if (isDuplicateKey(error)) throw addressInUse();
    throw error;
  }
}

/** Marks the account's current address as confirmed (a link mailed to it was followed). */
export async function markEmailVerified(accountId: Types.ObjectId, email: string): Promise<void> {
  await Account.updateOne({ _id: accountId, email, emailVerifiedAt: null }, { $set: { emailVerifiedAt: new Date() } });
}

/** Returns the account when the password matches; null otherwise, in constant-ish time. */
export async function checkCredentials(email: string, password: string): Promise<AccountDoc | null> {
  const account = await Account.findOne({ email }).lean<AccountDoc>();
  if (!account) return verifyAgainstDummy(password).then(() => null);
  return (await verifyPassword(account.passwordHash, password)) ? account : null;
}

export async function findAccount(accountId: Types.ObjectId | string): Promise<AccountDoc | null> {
  return Account.findById(accountId).lean<AccountDoc>();
}

export async function findAccountByEmail(email: string): Promise<AccountDoc | null> {
  return Account.findOne({ email }).lean<AccountDoc>();
}

/** The first account created on this instance (whoever set it up), or null before anyone signed up. */
export async function firstAccountId(): Promise<Types.ObjectId | null> {
  // ObjectIds grow with their creation time, and _id is indexed: no scan of every account per session.
  const first = await Account.findOne({}, { _id: 1 }).sort({ _id: 1 }).lean<{ _id: Types.ObjectId }>();
  return first?._id ?? null;
}

/**
 * 403 `email_unverified` unless the account's address was confirmed: inviting people, joining
 * sites and adding a second site need a proven address (docs/email.md).
 */
export async function requireVerifiedEmail(accountId: Types.ObjectId, action: string): Promise<void> {
  const account = await findAccount(accountId);
  if (account && account.emailVerifiedAt == null) {
    throw new AppError(
      'email_unverified',
      `Confirm your email address before ${action}: open the link we sent to it, or send a new one from your account page`,
    );
  }
}

export async function findAccountsByIds(ids: Types.ObjectId[]): Promise<AccountDoc[]> {
  return Account.find({ _id: trusted({ $in: ids }) }).lean<AccountDoc[]>();
}

/** Renames the account; the address changes only through a confirmed link (verification.ts). */
export async function updateName(accountId: Types.ObjectId, name: string): Promise<AccountDoc> {
  const account = await Account.findByIdAndUpdate(
    accountId,
    { $set: { name } },
    { returnDocument: 'after' },
  ).lean<AccountDoc>();
  if (!account) throw new AppError('not_found', 'Account not found');
  return account;
}

/** Verifies the current password; throws 403 when it does not match. */
export async function requirePassword(accountId: Types.ObjectId, password: string): Promise<AccountDoc> {
  const account = await findAccount(accountId);
  if (!account || !(await verifyPassword(account.passwordHash, password))) {
    throw new AppError('forbidden', 'Current password is incorrect');
  }
  return account;
}

/** Sets a new password and ends every other session of the account. */
export async function changePassword(
  accountId: Types.ObjectId,
  newPassword: string,
  keepSessionId: Types.ObjectId,
): Promise<void> {
  await Account.updateOne({ _id: accountId }, { $set: { passwordHash: await hashPassword(newPassword) } });
  await Session.deleteMany({ accountId, _id: trusted({ $ne: keepSessionId }) });
}

/**
 * Removes the account, its sessions, mailed links and second factors, the account document last
 * (lifecycle/service.ts deleteAccount removes its sites and memberships first).
 */
export async function deleteAccountRecords(accountId: Types.ObjectId): Promise<void> {
  await Session.deleteMany({ accountId });
  await revokeTokens(accountId);
  await RecoveryCode.deleteMany({ accountId });
  await LoginChallenge.deleteMany({ accountId });
  await forgetSpentKeys(accountId);
  await Account.deleteOne({ _id: accountId });
}

// ---- sessions -------------------------------------------------------------

const hashToken = (token: string): string => createHash('sha256').update(token).digest('base64url');

export interface ActiveSession {
  sessionId: Types.ObjectId;
  accountId: Types.ObjectId;
}

export async function startSession(
  accountId: Types.ObjectId,
  ttlMs: number,
): Promise<{ token: string; expiresAt: Date }> {
  const token = randomBytes(32).toString('base64url');
  const now = new Date();
  const expiresAt = new Date(now.getTime() + ttlMs);
  await Session.create({ tokenHash: hashToken(token), accountId, expiresAt, lastSeenAt: now });
  return { token, expiresAt };
}

const LAST_SEEN_RESOLUTION_MS = 60_000;

/** Resolves a session cookie; expired or unknown tokens resolve to null. */
export async function resolveSession(token: string): Promise<ActiveSession | null> {
  if (!/^[A-Za-z0-9_-]{43}$/.test(token)) return null;
  const now = new Date();
  const session = await Session.findOne({ tokenHash: hashToken(token), expiresAt: trusted({ $gt: now }) }).lean();
  if (!session) return null;
  if (now.getTime() - session.lastSeenAt.getTime() > LAST_SEEN_RESOLUTION_MS) {
    await Session.updateOne({ _id: session._id }, { $set: { lastSeenAt: now } });
  }
  return { sessionId: session._id, accountId: session.accountId };
}

export async function endSession(sessionId: Types.ObjectId): Promise<void> {
  await Session.deleteOne({ _id: sessionId });
}

/** Deletes expired sessions; run by the scheduler (no TTL indexes on every server we support). */
export async function pruneExpiredSessions(now = new Date()): Promise<number> {
  return (await Session.deleteMany({ expiresAt: trusted({ $lte: now }) })).deletedCount;
}
