import { createHash, randomBytes, randomInt } from 'node:crypto';

import { trusted, type Types } from 'mongoose';

import { AppError } from '../lib/errors';
import { spendOnce } from '../lib/spend-once';
import { Account, Session, type AccountDoc } from './model';
import { findAccount } from './service';
import { matchTotp, newTotpSecret, qrCodeDataUrl, totpUri } from './totp';
import { LoginChallenge, RecoveryCode, type LoginChallengeDoc } from './two-factor-model';

/**
 * Two-factor sign-in (docs/security.md › Two-factor sign-in): a TOTP secret confirmed by a
 * first code, ten single-use recovery codes, and the pending step a password opens at login.
 */

const MINUTE = 60_000;
/** How long a secret shown for enrolment waits for its first code. */
export const SETUP_TTL_MS = 15 * MINUTE;
/** How long a sign-in waits for its second factor after the password. */
export const CHALLENGE_TTL_MS = 5 * MINUTE;
export const RECOVERY_CODE_COUNT = 10;

const sha256 = (value: string): string => createHash('sha256').update(value).digest('base64url');

/** Spends `key` for the account (see lib/spend-once.ts); `ttlMs`: how long the thing spent could still be presented. */
const spend = (key: string, accountId: Types.ObjectId, ttlMs: number, now = new Date()): Promise<boolean> =>
  spendOnce(key, { accountId, until: new Date(now.getTime() + ttlMs) });

// A code is good for its step and the ones either side: 90 seconds, kept a little longer.
const CODE_LIFETIME_MS = 5 * MINUTE;
const RECOVERY_LOOKUP_MS = 60 * MINUTE;

/** What a person offers as their second factor: a code from the app, or one of their recovery codes. */
export type SecondFactor = { code: string } | { recoveryCode: string };

export const isTwoFactorOn = (account: Pick<AccountDoc, 'totpEnabledAt'>): boolean => account.totpEnabledAt != null;

export const invalidCode = (): AppError =>
  new AppError('invalid_code', 'That code is not right, or was already used; enter the newest code from your app');

/** Whether the account signs in with a second factor (false for an account that no longer exists). */
export async function twoFactorEnabled(accountId: Types.ObjectId): Promise<boolean> {
  const account = await Account.findById(accountId, { totpEnabledAt: 1 }).lean<Pick<AccountDoc, 'totpEnabledAt'>>();
  return account !== null && isTwoFactorOn(account);
}

export interface TwoFactorStatus {
  enabled: boolean;
  enabledAt: string | null;
  recoveryCodesLeft: number;
}

export async function twoFactorStatus(account: AccountDoc): Promise<TwoFactorStatus> {
  return {
    enabled: isTwoFactorOn(account),
    enabledAt: account.totpEnabledAt?.toISOString() ?? null,
    recoveryCodesLeft: isTwoFactorOn(account) ? await RecoveryCode.countDocuments({ accountId: account._id }) : 0,
  };
}

// ---- enrolment --------------------------------------------------------------

const alreadyOn = () => new AppError('conflict', 'Two-factor sign-in is already on for this account');

/**
 * Starts enrolment: a new secret waits for its first code for 15 minutes, replacing any
 * earlier one. The secret is returned typed, as a URI and as a QR code, to be shown once.
 */
export async function beginEnrolment(
  account: AccountDoc,
  now = new Date(),
): Promise<{ secret: string; uri: string; qrCode: string; expiresAt: Date }> {
  if (isTwoFactorOn(account)) throw alreadyOn();
  const secret = newTotpSecret();
  const expiresAt = new Date(now.getTime() + SETUP_TTL_MS);
  await Account.updateOne(
    { _id: account._id, totpEnabledAt: null },
    { $set: { totpPendingSecret: secret, totpPendingUntil: expiresAt } },
  );
  const uri = totpUri(secret, account.email);
  return { secret, uri, qrCode: await qrCodeDataUrl(uri), expiresAt };
}

/**
 * Turns two-factor sign-in on when `code` comes from the secret shown at enrolment. That
 * code's time step counts as used, every other session of the account ends, and the ten
 * recovery codes are returned in clear, once.
 */
export async function confirmEnrolment(
  accountId: Types.ObjectId,
  code: string,
  keepSessionId: Types.ObjectId,
  now = new Date(),
): Promise<{ recoveryCodes: string[] }> {
  const account = await findAccount(accountId);
  if (!account) throw new AppError('unauthenticated', 'Account no longer exists');
  if (isTwoFactorOn(account)) throw alreadyOn();
  const secret = account.totpPendingSecret;
  if (!secret || !account.totpPendingUntil || account.totpPendingUntil <= now) {
    throw new AppError('conflict', 'No set-up is waiting (it lasts 15 minutes): start again to get a new QR code');
  }
  const step = await matchTotp(secret, code, null, now.getTime());
  if (step === null) throw invalidCode();
  // Two confirmations racing turn it on once, and hand out one set of recovery codes.
  if (!(await spend(`enrol:${accountId.toHexString()}:${sha256(secret)}`, accountId, SETUP_TTL_MS, now))) {
    throw alreadyOn();
  }
  await spend(`totp:${accountId.toHexString()}:${step}`, accountId, CODE_LIFETIME_MS, now);
  const { modifiedCount } = await Account.updateOne(
    { _id: accountId, totpEnabledAt: null, totpPendingSecret: secret },
    {
      $set: {
        totpSecret: secret,
        totpEnabledAt: now,
        totpLastStep: step,
        totpPendingSecret: null,
        totpPendingUntil: null,
      },
    },
  );
  if (modifiedCount !== 1) throw alreadyOn();
  // A session stolen before the second factor existed must not outlive it.
  await Session.deleteMany({ accountId, _id: trusted({ $ne: keepSessionId }) });
  return { recoveryCodes: await replaceRecoveryCodes(accountId) };
}

/** Turns two-factor sign-in off: the secret and the recovery codes are deleted. */
export async function disableTwoFactor(accountId: Types.ObjectId): Promise<void> {
  await Account.updateOne(
    { _id: accountId },
    {
      $set: {
        totpSecret: null,
        totpEnabledAt: null,
        totpLastStep: null,
        totpPendingSecret: null,
        totpPendingUntil: null,
      },
    },
  );
  await RecoveryCode.deleteMany({ accountId });
}

// ---- recovery codes ---------------------------------------------------------

// Crockford's base32: no i, l, o or u, so a code read off paper is not mistyped.
const CODE_ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';

/** 16 characters (80 random bits) in four groups: `k3m9-…`. Long enough that SHA-256 alone keeps it safe. */
function newRecoveryCode(): string {
  const chars = Array.from({ length: 16 }, () => CODE_ALPHABET[randomInt(CODE_ALPHABET.length)]).join('');
  return chars.match(/.{4}/g)?.join('-') ?? chars;
}

/** A code as typed: case, spaces and dashes ignored, and the letters Crockford reads as digits read so. */
export const normaliseRecoveryCode = (code: string): string =>
  code.toLowerCase().replace(/[\s-]/g, '').replace(/o/g, '0').replace(/[il]/g, '1');

/** Ten new recovery codes, returned in clear once; the earlier ones stop working. */
export async function replaceRecoveryCodes(accountId: Types.ObjectId): Promise<string[]> {
  const codes = Array.from({ length: RECOVERY_CODE_COUNT }, newRecoveryCode);
  await RecoveryCode.deleteMany({ accountId });
  await RecoveryCode.insertMany(codes.map((code) => ({ accountId, codeHash: sha256(normaliseRecoveryCode(code)) })));
  return codes;
}

// ---- checking a second factor -------------------------------------------------

/**
 * Checks a second factor of an account with two-factor sign-in on: a TOTP code newer than the
 * last one accepted whose time step was never spent (it is then, so the code never works
 * again), or a recovery code, spent and deleted as it is used. Null when neither holds.
 */
export async function checkSecondFactor(
  account: AccountDoc,
  factor: SecondFactor,
  now = new Date(),
): Promise<{ method: 'totp' | 'recovery'; recoveryCodesLeft?: number } | null> {
  if (!isTwoFactorOn(account) || !account.totpSecret) return null;
  const id = account._id.toHexString();
  if ('recoveryCode' in factor) {
    const codeHash = sha256(normaliseRecoveryCode(factor.recoveryCode));
    const found = await RecoveryCode.findOne({ accountId: account._id, codeHash }).lean();
    if (!found || !(await spend(`recovery:${id}:${codeHash}`, account._id, RECOVERY_LOOKUP_MS, now))) return null;
    await RecoveryCode.deleteOne({ _id: found._id });
    return { method: 'recovery', recoveryCodesLeft: await RecoveryCode.countDocuments({ accountId: account._id }) };
  }
  const step = await matchTotp(account.totpSecret, factor.code, account.totpLastStep ?? null, now.getTime());
  // The same code sent twice at once: both match, one spends its step.
  if (step === null || !(await spend(`totp:${id}:${step}`, account._id, CODE_LIFETIME_MS, now))) return null;
  // Older codes are refused by this (a racing older code may lower it again: its step is spent all the same).
  await Account.updateOne({ _id: account._id, totpLastStep: trusted({ $lt: step }) }, { $set: { totpLastStep: step } });
  return { method: 'totp' };
}

// ---- the pending second factor at login -----------------------------------------

/** Opens the second step of a sign-in whose password was right; returns the token the client trades with a code. */
export async function issueLoginChallenge(
  accountId: Types.ObjectId,
  now = new Date(),
): Promise<{ challenge: string; expiresAt: Date }> {
  const challenge = randomBytes(32).toString('base64url');
  const expiresAt = new Date(now.getTime() + CHALLENGE_TTL_MS);
  await LoginChallenge.create({ tokenHash: sha256(challenge), accountId, expiresAt });
  return { challenge, expiresAt };
}

export const expiredChallenge = (): AppError =>
  new AppError('invalid_token', 'This sign-in has expired or was already completed; log in with your password again');

/** The live challenge behind a token, with its account; 400 `invalid_token` when unknown, used or expired. */
export async function findLoginChallenge(
  challenge: string,
  now = new Date(),
): Promise<{ challenge: LoginChallengeDoc; account: AccountDoc }> {
  const found = await LoginChallenge.findOne({
    tokenHash: sha256(challenge),
    expiresAt: trusted({ $gt: now }),
  }).lean<LoginChallengeDoc>();
  const account = found ? await findAccount(found.accountId) : null;
  // Two-factor sign-in turned off meanwhile: the password step decides again.
  if (!found || !account || !isTwoFactorOn(account)) throw expiredChallenge();
  return { challenge: found, account };
}

/** Spends the challenge and takes it out of the store: it completes one sign-in, even when two requests race. */
export async function consumeLoginChallenge(challenge: LoginChallengeDoc): Promise<void> {
  if (!(await spend(`challenge:${challenge.tokenHash}`, challenge.accountId, CHALLENGE_TTL_MS))) {
    throw expiredChallenge();
  }
  await LoginChallenge.deleteOne({ _id: challenge._id });
}

/** Deletes expired challenges; run by the scheduler. */
export async function pruneLoginChallenges(now = new Date()): Promise<number> {
  return (await LoginChallenge.deleteMany({ expiresAt: trusted({ $lte: now }) })).deletedCount;
}
