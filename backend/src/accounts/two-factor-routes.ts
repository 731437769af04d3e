import type { Request } from 'express';

import { requireSession } from '../access/auth';
import { publicUrl, type Config } from '../lib/config';
import { AppError } from '../lib/errors';
import type { ApiRouter } from '../lib/http';
import { hit, limitExceeded, peek, reset, type Limit } from '../lib/rate-limit';
import type { Mailer } from '../mail/mailer';
import type { AccountDoc } from './model';
import { ProfileResponse } from './schemas';
import { findAccount, requirePassword, startSession, toProfile } from './service';
import { sessionCookie } from '../access/session-cookie';
import {
  beginEnrolment,
  checkSecondFactor,
  confirmEnrolment,
  consumeLoginChallenge,
  disableTwoFactor,
  findLoginChallenge,
  invalidCode,
  isTwoFactorOn,
  replaceRecoveryCodes,
  twoFactorStatus,
  type SecondFactor,
} from './two-factor';
import { recoveryCodeUsedMail, twoFactorDisabledMail, twoFactorEnabledMail } from './two-factor-messages';
import {
  LoginTwoFactorBody,
  RecoveryCodesResponse,
  RegenerateRecoveryCodesBody,
  TwoFactorConfirmBody,
  TwoFactorDisableBody,
  TwoFactorSetupBody,
  TwoFactorSetupResponse,
  TwoFactorStatusResponse,
  factorOf,
} from './two-factor-schemas';

const MINUTE = 60_000;
const TAG = 'Accounts';
// Challenge lookups per client address: the tokens are 256 random bits, this only stops hammering.
const CHALLENGE_LOOKUPS_PER_IP: Limit = { name: '2fa-ip', max: 50, windowMs: 15 * MINUTE };
// Codes tried per account and address, counted before the check and cleared by a success (as for
// passwords): parallel guesses cannot slip past, and a right code after them is refused too.
export const CODE_ATTEMPTS_PER_ACCOUNT_IP: Limit = { name: '2fa-account-ip', max: 5, windowMs: 15 * MINUTE };
// Wrong codes per account from anywhere: with one in 100,000 odds per guess (three steps count),
// a password-holding botnet gets at most 20 guesses an hour. Only someone with the password fills it.
export const CODE_FAILURES_PER_ACCOUNT: Limit = { name: '2fa-account', max: 20, windowMs: 60 * MINUTE };
// Password and code confirmations from a signed-in session (set-up, disabling, new recovery codes).
const CONFIRMATIONS_PER_ACCOUNT: Limit = { name: '2fa-confirm', max: 10, windowMs: 15 * MINUTE };

const clientIp = (req: Request): string => req.ip ?? req.socket.remoteAddress ?? 'unknown';

/**
 * Checks a second factor under the account-wide net of wrong codes: once it is full every
 * check is refused (429) until the window ends; a wrong code adds to it and answers 403.
 */
async function requireSecondFactor(account: AccountDoc, factor: SecondFactor) {
  const id = account._id.toHexString();
  if ((await peek(CODE_FAILURES_PER_ACCOUNT, id)) >= CODE_FAILURES_PER_ACCOUNT.max) {
    throw limitExceeded(CODE_FAILURES_PER_ACCOUNT);
  }
  const checked = await checkSecondFactor(account, factor);
  if (!checked) {
    await hit(CODE_FAILURES_PER_ACCOUNT, id).catch((error: unknown) => {
      if (!(error instanceof AppError && error.code === 'rate_limited')) throw error;
    });
    throw invalidCode();
  }
  return checked;
}

async function signedInAccount(req: Request): Promise<{ account: AccountDoc; sessionId: AccountDoc['_id'] }> {
  const auth = requireSession(req);
  const account = await findAccount(auth.accountId);
  if (!account) throw new AppError('unauthenticated', 'Account no longer exists');
  return { account, sessionId: auth.sessionId };
}

const notOn = () => new AppError('conflict', 'Two-factor sign-in is off for this account');

/** Two-factor sign-in: the second login step, enrolment, recovery codes and turning it off. */
export function registerTwoFactorRoutes(api: ApiRouter, config: Config, mailer: Mailer): void {
  const sessionTtlMs = config.SESSION_TTL_DAYS * 24 * 60 * MINUTE;
  const appUrl = publicUrl(config);
  const cookie = sessionCookie(config);

  api.route(
    {
      method: 'post',
      path: '/auth/login/two-factor',
      operationId: 'logInSecondFactor',
      summary:
        'Finish a login that answered 202: its challenge with a code from the authenticator app (each code ' +
        'works once) or a recovery code (each works once; the address is told). Starts the session',
      tag: TAG,
      auth: 'none',
      wordpress: 'backend-only',
      body: LoginTwoFactorBody,
      responses: { 200: { description: 'Logged in; session cookie set', schema: ProfileResponse } },
    },
    async ({ body, req, res }) => {
      const ip = clientIp(req);
      await hit(CHALLENGE_LOOKUPS_PER_IP, ip);
      const { challenge, account } = await findLoginChallenge(body.challenge);
      const accountIp = `${account._id.toHexString()}|${ip}`;
      await hit(CODE_ATTEMPTS_PER_ACCOUNT_IP, accountIp);
      const checked = await requireSecondFactor(account, factorOf(body));
      await consumeLoginChallenge(challenge);
      await reset(CODE_ATTEMPTS_PER_ACCOUNT_IP, accountIp);
      const session = await startSession(account._id, sessionTtlMs);
      cookie.set(res, session.token, session.expiresAt);
      if (checked.method === 'recovery') {
        mailer.queue(
          recoveryCodeUsedMail(appUrl, account.email, { name: account.name, left: checked.recoveryCodesLeft ?? 0 }),
        );
      }
      res.json(toProfile(account));
    },
  );

  api.route(
    {
      method: 'get',
      path: '/account/two-factor',
      operationId: 'getTwoFactor',
      summary: 'Whether two-factor sign-in is on, since when, and how many recovery codes are left',
      tag: TAG,
      auth: 'session',
      wordpress: 'backend-only',
      responses: { 200: { description: 'Two-factor sign-in', schema: TwoFactorStatusResponse } },
    },
    async ({ req, res }) => {
      const { account } = await signedInAccount(req);
      res.json(await twoFactorStatus(account));
    },
  );

  api.route(
    {
      method: 'post',
      path: '/account/two-factor/setup',
      operationId: 'startTwoFactorSetup',
      summary:
        'Start turning on two-factor sign-in (needs your password): a new secret, as text and as a QR code, ' +
        'for an authenticator app. Nothing changes until a first code confirms it (within 15 minutes)',
      tag: TAG,
      auth: 'session',
      wordpress: 'backend-only',
      body: TwoFactorSetupBody,
      responses: { 200: { description: 'The secret to add to an app', schema: TwoFactorSetupResponse } },
    },
    async ({ body, req, res }) => {
      const auth = requireSession(req);
      await hit(CONFIRMATIONS_PER_ACCOUNT, auth.accountId.toHexString());
      // A stolen session must not tie the account to the thief's phone.
      const account = await requirePassword(auth.accountId, body.password);
      const setup = await beginEnrolment(account);
      res.json({ ...setup, expiresAt: setup.expiresAt.toISOString() });
    },
  );

  api.route(
    {
      method: 'post',
      path: '/account/two-factor/confirm',
      operationId: 'confirmTwoFactorSetup',
      summary:
        'Turn two-factor sign-in on with a first code from the app. Every other session ends; the ten ' +
        'recovery codes come back in this answer only',
      tag: TAG,
      auth: 'session',
      wordpress: 'backend-only',
      body: TwoFactorConfirmBody,
      responses: { 200: { description: 'On; keep these codes safe', schema: RecoveryCodesResponse } },
    },
    async ({ body, req, res }) => {
      const { account, sessionId } = await signedInAccount(req);
      await hit(CONFIRMATIONS_PER_ACCOUNT, account._id.toHexString());
      const { recoveryCodes } = await confirmEnrolment(account._id, body.code, sessionId);
      mailer.queue(twoFactorEnabledMail(appUrl, account.email, { name: account.name }));
      res.json({ recoveryCodes });
    },
  );

  api.route(
    {
      method: 'post',
      path: '/account/two-factor/recovery-codes',
      operationId: 'regenerateRecoveryCodes',
      summary: 'Replace your recovery codes with ten new ones (needs a code from the app); the old ones stop working',
      tag: TAG,
      auth: 'session',
      wordpress: 'backend-only',
      body: RegenerateRecoveryCodesBody,
      responses: { 200: { description: 'The new codes, shown this once', schema: RecoveryCodesResponse } },
    },
    async ({ body, req, res }) => {
      const { account } = await signedInAccount(req);
      if (!isTwoFactorOn(account)) throw notOn();
      await hit(CONFIRMATIONS_PER_ACCOUNT, account._id.toHexString());
      await requireSecondFactor(account, { code: body.code });
      res.json({ recoveryCodes: await replaceRecoveryCodes(account._id) });
    },
  );

  api.route(
    {
      method: 'delete',
      path: '/account/two-factor',
      operationId: 'disableTwoFactor',
      summary:
        'Turn two-factor sign-in off: needs your password and a code from the app (or a recovery code). ' +
        'Sites that require it refuse you until you turn it on again',
      tag: TAG,
      auth: 'session',
      wordpress: 'backend-only',
      body: TwoFactorDisableBody,
      responses: { 204: { description: 'Off; the recovery codes no longer work' } },
    },
    async ({ body, req, res }) => {
      const { account } = await signedInAccount(req);
      if (!isTwoFactorOn(account)) throw notOn();
      await hit(CONFIRMATIONS_PER_ACCOUNT, account._id.toHexString());
      await requirePassword(account._id, body.password);
      await requireSecondFactor(account, factorOf(body));
      await disableTwoFactor(account._id);
      mailer.queue(twoFactorDisabledMail(appUrl, account.email, { name: account.name }));
      res.status(204).end();
    },
  );
}
