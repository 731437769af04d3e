import type { OutgoingMail } from '../mail/mailer';
import { passwordChangedMail, passwordResetMail } from './messages';
import { Account, Session } from './model';
import { hashPassword } from './passwords';
import { findAccount, findAccountByEmail } from './service';
import { consumeToken, issueToken, revokeTokens } from './tokens';
import { invalidLink } from './verification';

/** Password reset by a link mailed to the account's address. */

/** How long a reset link works. */
export const RESET_TTL_MS = 60 * 60_000;

/** The reset mail for the account using `email`; null when no account does (the caller answers alike). */
export async function passwordResetRequest(email: string, appUrl: string): Promise<OutgoingMail | null> {
  const account = await findAccountByEmail(email);
  if (!account) return null;
  const token = await issueToken(account._id, 'password-reset', account.email, RESET_TTL_MS);
  return passwordResetMail(appUrl, account.email, { name: account.name, token });
}

/**
 * Sets a new password with a reset link: the link works once, within the hour and only while
 * the address it went to is still the account's. Every session of the account ends; the
 * address counts as confirmed (the link proved it). Returns the notice to send.
 */
export async function resetPassword(
  token: string,
  newPassword: string,
  appUrl: string,
  now = new Date(),
): Promise<OutgoingMail> {
  const link = await consumeToken(token, 'password-reset', now);
  const account = link ? await findAccount(link.accountId) : null;
  if (!link || !account || link.email !== account.email) throw invalidLink();
  await Account.updateOne(
    { _id: account._id },
    {
      $set: {
        passwordHash: await hashPassword(newPassword),
        emailVerifiedAt: account.emailVerifiedAt ?? now,
      },
    },
  );
  await Session.deleteMany({ accountId: account._id });
  await revokeTokens(account._id, 'password-reset');
  return passwordChangedMail(appUrl, account.email, { name: account.name });
}
