import { createHash, randomBytes } from 'node:crypto';

import { trusted, type Types } from 'mongoose';

import { spendOnce } from '../lib/spend-once';
import { z } from '../lib/zod';
import { AccountToken, type AccountTokenDoc, type TokenPurpose } from './model';

const hashToken = (token: string): string => createHash('sha256').update(token).digest('base64url');

/** A link token as the API accepts it: 43 URL-safe characters (32 random bytes). */
export const LinkToken = z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'is not a valid link token; copy the whole link');

/**
 * Issues a single-use token for `email` and returns it in clear, to be mailed; only its hash is
 * stored. Earlier tokens of the account for the same purpose stop working: the newest mail wins.
 */
export async function issueToken(
  accountId: Types.ObjectId,
  purpose: TokenPurpose,
  email: string,
  ttlMs: number,
  now = new Date(),
): Promise<string> {
  const token = randomBytes(32).toString('base64url');
  await AccountToken.deleteMany({ accountId, purpose });
  await AccountToken.create({
    tokenHash: hashToken(token),
    accountId,
    purpose,
    email,
    expiresAt: new Date(now.getTime() + ttlMs),
  });
  return token;
}

/**
 * Spends a live token, so it works once even when requests race with it (a unique insert:
 * lib/spend-once.ts), and takes it out of the store; null when it is unknown, used,
 * superseded, expired or for another purpose.
 */
export async function consumeToken(
  token: string,
  purpose: TokenPurpose,
  now = new Date(),
): Promise<AccountTokenDoc | null> {
  const tokenHash = hashToken(token);
  const link = await AccountToken.findOne({
    tokenHash,
    purpose,
    expiresAt: trusted({ $gt: now }),
  }).lean<AccountTokenDoc>();
  if (!link || !(await spendOnce(`link:${tokenHash}`, { accountId: link.accountId, until: link.expiresAt }))) {
    return null;
  }
  // Withdrawn since it was read (a newer mail, a cancelled change of address): it no longer works.
  const { deletedCount } = await AccountToken.deleteOne({ _id: link._id });
  return deletedCount === 1 ? link : null;
}

/** Withdraws the account's tokens (all, or of one purpose). */
export async function revokeTokens(accountId: Types.ObjectId, purpose?: TokenPurpose): Promise<void> {
  await AccountToken.deleteMany(purpose ? { accountId, purpose } : { accountId });
}

/** Deletes expired tokens; run by the scheduler (no TTL indexes on every server we support). */
export async function pruneExpiredTokens(now = new Date()): Promise<number> {
  return (await AccountToken.deleteMany({ expiresAt: trusted({ $lte: now }) })).deletedCount;
}
