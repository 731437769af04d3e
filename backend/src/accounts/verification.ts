import type { Types } from 'mongoose';

import { AppError } from '../lib/errors';
import type { OutgoingMail } from '../mail/mailer';
import { emailChangeNoticeMail, verifyEmailMail } from './messages';
import { Account, type AccountDoc } from './model';
import { isDuplicateKey } from '../lib/db-errors';
import { findAccount, findAccountByEmail } from './service';
import { consumeToken, issueToken, revokeTokens } from './tokens';

/**
 * Email verification: at signup the address gets a confirmation link; a change of address
 * waits in `pendingEmail` until the new address confirms, while the old one is told.
 */

const HOUR = 60 * 60_000;
/** How long a confirmation link works. */
export const VERIFY_TTL_MS = 48 * HOUR;

export const invalidLink = () =>
  new AppError('invalid_token', 'This link is invalid, was already used or has expired; ask for a new one');

/** The confirmation mail for the account's unconfirmed address (the pending one, if any); null when there is none. */
export async function verificationMail(account: AccountDoc, appUrl: string): Promise<OutgoingMail | null> {
  const to = account.pendingEmail ?? (account.emailVerifiedAt == null ? account.email : null);
  if (!to) return null;
  const token = await issueToken(account._id, 'verify-email', to, VERIFY_TTL_MS);
  return verifyEmailMail(appUrl, to, { name: account.name, token, change: to !== account.email });
}

/**
 * Asks to move the account to `newEmail`: stores it as pending and returns the mail to send
 * (a link to the new address, a notice to the old). Asking for the current address cancels a
 * pending change. 409 when another account uses the address.
 */
export async function requestEmailChange(
  accountId: Types.ObjectId,
  newEmail: string,
  appUrl: string,
): Promise<{ account: AccountDoc; mail: OutgoingMail[] }> {
  const account = await findAccount(accountId);
  if (!account) throw new AppError('not_found', 'Account not found');
  if (newEmail === account.email) {
    if (account.pendingEmail) await revokeTokens(accountId, 'verify-email');
    const kept = await Account.findByIdAndUpdate(
      accountId,
      { $set: { pendingEmail: null } },
      { returnDocument: 'after' },
    ).lean<AccountDoc>();
    return { account: kept ?? account, mail: [] };
  }
  const holder = await findAccountByEmail(newEmail);
  if (holder) throw new AppError('conflict', 'An account with this email already exists');
  const updated = await Account.findByIdAndUpdate(
    accountId,
    { $set: { pendingEmail: newEmail } },
    { returnDocument: 'after' },
  ).lean<AccountDoc>();
  if (!updated) throw new AppError('not_found', 'Account not found');
  const confirm = await verificationMail(updated, appUrl);
  const notice = emailChangeNoticeMail(appUrl, account.email, { name: account.name, newEmail });
  return { account: updated, mail: confirm ? [confirm, notice] : [notice] };
}

/**
 * Confirms the address a link was sent to: the account's own (it becomes verified) or its
 * pending one (it becomes the account's address, verified). A link for an address the
 * account no longer uses or waits for is refused like a used one.
 */
export async function confirmEmail(token: string, now = new Date()): Promise<{ email: string }> {
  const link = await consumeToken(token, 'verify-email', now);
  const account = link ? await findAccount(link.accountId) : null;
  if (!link || !account) throw invalidLink();
  if (link.email === account.email) {
    await Account.updateOne({ _id: account._id, emailVerifiedAt: null }, { $set: { emailVerifiedAt: now } });
    return { email: account.email };
  }
  if (link.email !== account.pendingEmail) throw invalidLink();
  try {
    const { matchedCount } = await Account.updateOne(
      { _id: account._id, pendingEmail: link.email },
      { $set: { email: link.email, pendingEmail: null, emailVerifiedAt: now } },
    );
    if (matchedCount === 0) throw invalidLink();
  } catch (error) {
    if (isDuplicateKey(error)) {
      throw new AppError('conflict', 'Another account took this address meanwhile; choose another one');
    }
    throw error;
  }
  return { email: link.email };
}
