import { createHash, randomBytes } from 'node:crypto';

import { type Types, trusted } from 'mongoose';

import { AppError } from '../lib/errors';
import { Account, Session, type AccountDoc } from './model';
import { hashPassword, verifyAgainstDummy, verifyPassword } from './passwords';

export interface Profile {
  id: string;
  email: string;
  name: string;
  createdAt: string;
}

export function toProfile(account: AccountDoc): Profile {
  return {
    id: account._id.toHexString(),
    email: account.email,
    name: account.name,
    createdAt: account.createdAt.toISOString(),
  };
}

// FerretDB reports a unique-index clash on an update as InternalError with SQLite's message, not E11000.
const isDuplicateKey = (error: unknown): boolean => {
  const { code, message } = error as { code?: number; message?: string };
  return code === 11000 || /UNIQUE constraint failed/.test(message ?? '');
};

/**
 * Creates an account unless the address already has one, and says nothing about which
 * happened: the password is hashed either way, so the time taken tells nothing either.
 * The existing account is left untouched. Issue 14 sends mail here: a verification link
 * to a new address, a "you already have an account" notice to a registered one.
 */
export async function registerAccount(input: { email: string; password: string; name: string }): Promise<void> {
  const passwordHash = await hashPassword(input.password);
  try {
    await Account.create({ email: input.email, name: input.name, passwordHash });
  } catch (error) {
    if (!isDuplicateKey(error)) throw error;
  }
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

export async function findAccountsByIds(ids: Types.ObjectId[]): Promise<AccountDoc[]> {
  return Account.find({ _id: trusted({ $in: ids }) }).lean<AccountDoc[]>();
}

export async function updateProfile(
  accountId: Types.ObjectId,
  changes: { name?: string | undefined; email?: string | undefined },
): Promise<AccountDoc> {
  const $set: Record<string, string> = {};
  if (changes.name !== undefined) $set.name = changes.name;
  if (changes.email !== undefined) $set.email = changes.email;
  try {
    const account = await Account.findByIdAndUpdate(
      accountId,
      { $set },
      { returnDocument: 'after' },
    ).lean<AccountDoc>();
    if (!account) throw new AppError('not_found', 'Account not found');
    return account;
  } catch (error) {
    if (isDuplicateKey(error)) throw new AppError('conflict', 'An account with this email already exists');
    throw error;
  }
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

/** Removes the account and its sessions; its sites are removed by the caller first. */
export async function deleteAccount(accountId: Types.ObjectId): Promise<void> {
  await Session.deleteMany({ accountId });
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
