import type { Request, Response } from 'express';

import { SESSION_COOKIE, requireSession } from '../access/auth';
import type { Config } from '../lib/config';
import { AppError } from '../lib/errors';
import type { ApiRouter } from '../lib/http';
import { hit, limitExceeded, peek, remember, remembered, reset, type Limit } from '../lib/rate-limit';
import { removeAccountFromSites } from '../sites/service';
import {
  ChangePasswordBody,
  DeleteAccountBody,
  LoginBody,
  ProfileResponse,
  SignupAccepted,
  SignupBody,
  UpdateProfileBody,
} from './schemas';
import {
  changePassword,
  checkCredentials,
  deleteAccount,
  endSession,
  findAccount,
  registerAccount,
  requirePassword,
  startSession,
  toProfile,
  updateProfile,
} from './service';

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

const clientIp = (req: Request): string => req.ip ?? req.socket.remoteAddress ?? 'unknown';

/** A full counter only means the net is already cast; the failure still answers 401. */
const ignoreRateLimited = (error: unknown): void => {
  if (!(error instanceof AppError && error.code === 'rate_limited')) throw error;
};

export function registerAccountRoutes(api: ApiRouter, config: Config): void {
  const sessionTtlMs = config.SESSION_TTL_DAYS * 24 * 60 * MINUTE;

  const setSessionCookie = (res: Response, token: string, expiresAt: Date) => {
    res.cookie(SESSION_COOKIE, token, {
      httpOnly: true,
      sameSite: 'lax',
      secure: config.COOKIE_SECURE,
      path: '/',
      expires: expiresAt,
    });
  };
  const clearSessionCookie = (res: Response) => {
    res.clearCookie(SESSION_COOKIE, { httpOnly: true, sameSite: 'lax', secure: config.COOKIE_SECURE, path: '/' });
  };

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
      body: SignupBody,
      responses: { 202: { description: 'Signup received; log in next', schema: SignupAccepted } },
    },
    async ({ body, req, res }) => {
      await hit(SIGNUP_PER_IP, clientIp(req));
      await registerAccount(body);
      res.status(202).json({
        status: 'accepted',
        message:
          'Signup received: log in with this email and password. If the address already had an account, its own password still applies.',
      });
    },
  );

  api.route(
    {
      method: 'post',
      path: '/auth/login',
      operationId: 'logIn',
      summary: 'Log in with email and password',
      tag: 'Accounts',
      auth: 'none',
      body: LoginBody,
      responses: { 200: { description: 'Logged in; session cookie set', schema: ProfileResponse } },
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
      summary: 'Correct or update your name and email; changing the email needs your current password',
      tag: 'Accounts',
      auth: 'session',
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
      res.json(toProfile(await updateProfile(auth.accountId, { name: body.name, email: body.email })));
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
      body: DeleteAccountBody,
      responses: { 204: { description: 'Account deleted' } },
    },
    async ({ body, req, res }) => {
      const auth = requireSession(req);
      await hit(PASSWORD_CONFIRMATIONS, auth.accountId.toHexString());
      await requirePassword(auth.accountId, body.password);
      await removeAccountFromSites(auth.accountId);
      await deleteAccount(auth.accountId);
      clearSessionCookie(res);
      res.status(204).end();
    },
  );
}
