import type { Request } from 'express';

import { requireSession } from '../access/auth';
import { publicUrl, type Config } from '../lib/config';
import { AppError } from '../lib/errors';
import type { ApiRouter } from '../lib/http';
import { hit, limitExceeded, peek, remember, remembered, reset, type Limit } from '../lib/rate-limit';
import { deleteAccount } from '../lifecycle/service';
import type { Mailer } from '../mail/mailer';
import { alreadyRegisteredMail } from './messages';
import { passwordResetRequest, resetPassword } from './recovery';
import { sessionCookie } from '../access/session-cookie';
import {
  Accepted,
  ChangePasswordBody,
  DeleteAccountBody,
  EmailVerified,
  LoginBody,
  PasswordResetBody,
  PasswordResetRequestBody,
  ProfileResponse,
  SignupAccepted,
  SignupBody,
  UpdateProfileBody,
  VerifyEmailBody,
} from './schemas';
import {
  changePassword,
  checkCredentials,
  endSession,
  findAccount,
  registerAccount,
  requirePassword,
  startSession,
  toProfile,
  updateName,
} from './service';
import { isTwoFactorOn, issueLoginChallenge } from './two-factor';
import { TwoFactorChallenge } from './two-factor-schemas';
import { confirmEmail, requestEmailChange, verificationMail } from './verification';

const MINUTE = 60_000;
const SIGNUP_PER_IP: Limit = { name: 'signup-ip', max: 10, windowMs: 60 * MINUTE };
const LOGIN_PER_IP: Limit = { name: 'login-ip', max: 50, windowMs: 15 * MINUTE };
// Counted per account *and* IP: an attacker elsewhere cannot lock the owner out.
const LOGIN_ATTEMPTS_PER_ACCOUNT_IP: Limit = { name: 'login-account-ip', max: 5, windowMs: 15 * MINUTE };
// A distributed guesser is slowed by this wider net, which only a large botnet could fill. Only
// failures from addresses that never logged in to the account count, so the owner's typos do not.
export const LOGIN_FAILURES_PER_ACCOUNT: Limit = { name: 'login-account', max: 100, windowMs: 60 * MINUTE };
// Once that net is full, an address new to the account gets this many tries per window: enough for
// the owner's typo or two and then the right password, a handful of guesses per botnet address.
const LOGIN_ATTEMPTS_UNDER_ATTACK = 3;
// Addresses that logged in to an account (kept 30 to 60 days) are exempt from the account-wide net.
const LOGIN_KNOWN_ADDRESS: Limit = { name: 'login-known', max: 1, windowMs: 30 * 24 * 60 * MINUTE };
// Re-entering the password to change it or delete the account: a stolen session must not brute-force it.
const PASSWORD_CONFIRMATIONS: Limit = { name: 'password-confirm', max: 10, windowMs: 15 * MINUTE };
// Reset requests: per address so nobody's inbox can be flooded, per IP against sweeps of many addresses.
// Counted whether or not an account uses the address, so a 429 says nothing about it either.
export const RESET_REQUESTS_PER_EMAIL: Limit = { name: 'reset-email', max: 3, windowMs: 60 * MINUTE };
const RESET_REQUESTS_PER_IP: Limit = { name: 'reset-ip', max: 10, windowMs: 60 * MINUTE };
// Link tokens are 256 random bits; this only keeps a client from hammering the token lookups.
const LINK_ATTEMPTS_PER_IP: Limit = { name: 'link-ip', max: 30, windowMs: 15 * MINUTE };
// New confirmation links an account may ask for.
export const VERIFICATION_SENDS: Limit = { name: 'verify-send', max: 3, windowMs: 60 * MINUTE };
// "You already have an account" notices one address may get: signing up with it again and again sends no more.
const ALREADY_REGISTERED_NOTICES: Limit = { name: 'signup-notice', max: 2, windowMs: 24 * 60 * MINUTE };

const clientIp = (req: Request): string => req.ip ?? req.socket.remoteAddress ?? 'unknown';

/** A full counter only means the net is already cast; the failure still answers 401. */
const ignoreRateLimited = (error: unknown): void => {
  if (!(error instanceof AppError && error.code === 'rate_limited')) throw error;
};

/** Whether the counter still had room; a full one means: do it silently no more. */
const withinLimit = (limit: Limit, identity: string): Promise<boolean> =>
  hit(limit, identity).then(
    () => true,
    (error: unknown) => {
      ignoreRateLimited(error);
      return false;
    },
  );

export function registerAccountRoutes(api: ApiRouter, config: Config, mailer: Mailer): void {
  const sessionTtlMs = config.SESSION_TTL_DAYS * 24 * 60 * MINUTE;
  const appUrl = publicUrl(config);

  const { set: setSessionCookie, clear: clearSessionCookie } = sessionCookie(config);

  api.route(
    {
      method: 'post',
      path: '/auth/signup',
      operationId: 'signUp',
      summary:
        'Create an account, then log in with it. The answer is the same whether or not the address is ' +
        'already registered (a registered one is left unchanged), so it reveals no accounts',
      tag: 'Accounts',
      auth: 'none',
      wordpress: 'backend-only',
      body: SignupBody,
      responses: { 202: { description: 'Signup received; log in next', schema: SignupAccepted } },
    },
    async ({ body, req, res }) => {
      await hit(SIGNUP_PER_IP, clientIp(req));
      const { created, account } = await registerAccount(body);
      // Composed and sent after the answer, so its time does not tell which case this was.
      mailer.queue(async () => {
        if (created) return verificationMail(account, appUrl);
        if (!(await withinLimit(ALREADY_REGISTERED_NOTICES, account.email))) return null;
        return alreadyRegisteredMail(appUrl, account.email, { name: account.name });
      });
      res.status(202).json({
        status: 'accepted',
        message:
          'Signup received: log in with this email and password, and confirm the address with the link mailed to it. If the address already had an account, its own password still applies.',
      });
    },
  );

  api.route(
    {
      method: 'post',
      path: '/auth/login',
      operationId: 'logIn',
      summary:
        'Log in with email and password. With two-factor sign-in on, the answer is 202 and no session yet: ' +
        'send its challenge with a code to POST /auth/login/two-factor',
      tag: 'Accounts',
      auth: 'none',
      wordpress: 'backend-only',
      body: LoginBody,
      responses: {
        200: { description: 'Logged in; session cookie set', schema: ProfileResponse },
        202: { description: 'Password right; a second factor is needed (no cookie set)', schema: TwoFactorChallenge },
      },
    },
    async ({ body, req, res }) => {
      const ip = clientIp(req);
      const accountIp = `${body.email}|${ip}`;
      await hit(LOGIN_PER_IP, ip);
      // Counted before the password is checked and cleared by a success: a budget spent only on
      // failures would let parallel guesses through and still answer 200 to a right one.
      const attemptsHere = await hit(LOGIN_ATTEMPTS_PER_ACCOUNT_IP, accountIp);
      // Under a distributed attack each new address gets a few tries per window, addresses the owner
      // logged in from keep their own budget: slowed guessing, and the owner is never locked out.
      const known = await remembered(LOGIN_KNOWN_ADDRESS, accountIp);
      if (
        !known &&
        attemptsHere > LOGIN_ATTEMPTS_UNDER_ATTACK &&
        (await peek(LOGIN_FAILURES_PER_ACCOUNT, body.email)) >= LOGIN_FAILURES_PER_ACCOUNT.max
      ) {
        throw limitExceeded(LOGIN_FAILURES_PER_ACCOUNT);
      }
      const account = await checkCredentials(body.email, body.password);
      if (!account) {
        if (!known) await hit(LOGIN_FAILURES_PER_ACCOUNT, body.email).catch(ignoreRateLimited);
        throw new AppError('unauthenticated', 'Email or password is incorrect');
      }
      await reset(LOGIN_ATTEMPTS_PER_ACCOUNT_IP, accountIp);
      await remember(LOGIN_KNOWN_ADDRESS, accountIp);
      if (isTwoFactorOn(account)) {
        // No session until the second factor: the password alone only opens that step.
        const { challenge, expiresAt } = await issueLoginChallenge(account._id);
        res.status(202).json({ status: 'two_factor_required', challenge, expiresAt: expiresAt.toISOString() });
        return;
      }
      const session = await startSession(account._id, sessionTtlMs);
      setSessionCookie(res, session.token, session.expiresAt);
      res.json(toProfile(account));
    },
  );

  api.route(
    {
      method: 'post',
      path: '/auth/logout',
      operationId: 'logOut',
      summary: 'End the current session',
      tag: 'Accounts',
      auth: 'session',
      wordpress: 'backend-only',
      responses: { 204: { description: 'Logged out' } },
    },
    async ({ req, res }) => {
      const auth = requireSession(req);
      await endSession(auth.sessionId);
      clearSessionCookie(res);
      res.status(204).end();
    },
  );

  api.route(
    {
      method: 'get',
      path: '/account',
      operationId: 'getAccount',
      summary: 'Read your profile',
      tag: 'Accounts',
      auth: 'session',
      wordpress: 'backend-only',
      responses: { 200: { description: 'Profile', schema: ProfileResponse } },
    },
    async ({ req, res }) => {
      const auth = requireSession(req);
      const account = await findAccount(auth.accountId);
      if (!account) throw new AppError('unauthenticated', 'Account no longer exists');
      res.json(toProfile(account));
    },
  );

  api.route(
    {
      method: 'patch',
      path: '/account',
      operationId: 'updateAccount',
      summary:
        'Correct your name, or ask to change your email (needs your current password): the new address gets a ' +
        "confirmation link and becomes the account's only once confirmed, the old one gets a notice. Sending " +
        'the current address cancels a pending change',
      tag: 'Accounts',
      auth: 'session',
      wordpress: 'backend-only',
      body: UpdateProfileBody,
      responses: { 200: { description: 'Updated profile', schema: ProfileResponse } },
    },
    async ({ body, req, res }) => {
      const auth = requireSession(req);
      if (body.email !== undefined) {
        // A stolen session must not move the account to another address (and with it, password resets).
        await hit(PASSWORD_CONFIRMATIONS, auth.accountId.toHexString());
        await requirePassword(auth.accountId, body.currentPassword ?? '');
      }
      // The address first: when it is refused (409), the name stays as it was too.
      let account = body.email !== undefined ? await requestEmailChange(auth.accountId, body.email, appUrl) : null;
      if (body.name !== undefined)
        account = { account: await updateName(auth.accountId, body.name), mail: account?.mail ?? [] };
      if (!account) throw new AppError('not_found', 'Account not found');
      account.mail.forEach((mail) => mailer.queue(mail));
      res.json(toProfile(account.account));
    },
  );

  api.route(
    {
      method: 'put',
      path: '/account/password',
      operationId: 'changePassword',
      summary: 'Change your password; every other session ends',
      tag: 'Accounts',
      auth: 'session',
      wordpress: 'backend-only',
      body: ChangePasswordBody,
      responses: { 204: { description: 'Password changed' } },
    },
    async ({ body, req, res }) => {
      const auth = requireSession(req);
      await hit(PASSWORD_CONFIRMATIONS, auth.accountId.toHexString());
      await requirePassword(auth.accountId, body.currentPassword);
      await changePassword(auth.accountId, body.newPassword, auth.sessionId);
      res.status(204).end();
    },
  );

  api.route(
    {
      method: 'delete',
      path: '/account',
      operationId: 'deleteAccount',
      summary: 'Delete your account, the sites you own and all their data',
      tag: 'Accounts',
      auth: 'session',
      wordpress: 'backend-only',
      body: DeleteAccountBody,
      responses: { 204: { description: 'Account deleted' } },
    },
    async ({ body, req, res }) => {
      const auth = requireSession(req);
      await hit(PASSWORD_CONFIRMATIONS, auth.accountId.toHexString());
      await requirePassword(auth.accountId, body.password);
      await deleteAccount(auth.accountId);
      clearSessionCookie(res);
      res.status(204).end();
    },
  );

  api.route(
    {
      method: 'post',
      path: '/account/verification',
      operationId: 'resendVerification',
      summary: 'Send a new confirmation link to your unconfirmed (or pending) address; earlier links stop working',
      tag: 'Accounts',
      auth: 'session',
      wordpress: 'backend-only',
      responses: { 202: { description: 'A new link is on its way', schema: Accepted } },
    },
    async ({ req, res }) => {
      const auth = requireSession(req);
      const account = await findAccount(auth.accountId);
      if (!account) throw new AppError('unauthenticated', 'Account no longer exists');
      if (account.emailVerifiedAt != null && !account.pendingEmail) {
        throw new AppError('conflict', 'Your email address is already confirmed');
      }
      await hit(VERIFICATION_SENDS, auth.accountId.toHexString());
      const mail = await verificationMail(account, appUrl);
      if (mail) mailer.queue(mail);
      res.status(202).json({
        status: 'accepted',
        message: `A new confirmation link is on its way to ${mail?.to ?? account.email}.`,
      });
    },
  );

  api.route(
    {
      method: 'post',
      path: '/auth/verify-email',
      operationId: 'verifyEmail',
      summary:
        'Confirm an address with the token from its confirmation link (no session needed): the account becomes ' +
        "verified, or a pending address becomes the account's",
      tag: 'Accounts',
      auth: 'none',
      wordpress: 'backend-only',
      body: VerifyEmailBody,
      responses: { 200: { description: 'The address is confirmed', schema: EmailVerified } },
    },
    async ({ body, req, res }) => {
      await hit(LINK_ATTEMPTS_PER_IP, clientIp(req));
      const { email } = await confirmEmail(body.token);
      res.json({ email, emailVerified: true });
    },
  );

  api.route(
    {
      method: 'post',
      path: '/auth/password-reset',
      operationId: 'requestPasswordReset',
      summary:
        'Mail a link to choose a new password (works once, for an hour). The answer is the same whether or not ' +
        'an account uses the address',
      tag: 'Accounts',
      auth: 'none',
      wordpress: 'backend-only',
      body: PasswordResetRequestBody,
      responses: { 202: { description: 'Request received', schema: Accepted } },
    },
    async ({ body, req, res }) => {
      await hit(RESET_REQUESTS_PER_IP, clientIp(req));
      await hit(RESET_REQUESTS_PER_EMAIL, body.email);
      // Looked up, stored and sent after the answer: its time tells nothing about the account.
      mailer.queue(() => passwordResetRequest(body.email, appUrl));
      res.status(202).json({
        status: 'accepted',
        message:
          'If an account uses this address, a link to choose a new password is on its way. It works once, for an hour.',
      });
    },
  );

  api.route(
    {
      method: 'post',
      path: '/auth/password-reset/confirm',
      operationId: 'resetPassword',
      summary: 'Choose a new password with the token from a reset link; every session of the account ends',
      tag: 'Accounts',
      auth: 'none',
      wordpress: 'backend-only',
      body: PasswordResetBody,
      responses: { 204: { description: 'Password changed; log in with it' } },
    },
    async ({ body, req, res }) => {
      await hit(LINK_ATTEMPTS_PER_IP, clientIp(req));
      mailer.queue(await resetPassword(body.token, body.password, appUrl));
      // This browser's session, if any, ended with the others.
      clearSessionCookie(res);
      res.status(204).end();
    },
  );
}
