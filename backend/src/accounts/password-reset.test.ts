import { Types } from 'mongoose';
import request from 'supertest';

import { dumpDatabase, expectError } from '../../test/support/assert';
import { TEST_ORIGIN, nextIp, signUp, startTestApp, type TestApp, type TestUser } from '../../test/support/app';
import { linkIn, startMailpit, type Mailpit, sha256, uniqueEmail } from '../../test/support/mailpit';

const API = '/api/v1';
const HOUR = 60 * 60_000;
const RESET = 'Choose a new Clickpath password';
const CHANGED = 'Your Clickpath password was changed';

let t: TestApp;
let mailpit: Mailpit;
beforeAll(async () => {
  mailpit = await startMailpit();
  t = await startTestApp({ SMTP_URL: mailpit.smtpUrl, PUBLIC_URL: TEST_ORIGIN });
});
afterAll(async () => {
  await t.close();
  await mailpit.stop();
});

const NEW_PASSWORD = 'Zq7#vL2!a-new-one';
const from = (ip = nextIp()) => ({
  requestReset: (email: string) =>
    request(t.app)
      .post(`${API}/auth/password-reset`)
      .set('Origin', TEST_ORIGIN)
      .set('X-Forwarded-For', ip)
      .send({ email }),
  reset: (body: Record<string, unknown>) =>
    request(t.app)
      .post(`${API}/auth/password-reset/confirm`)
      .set('Origin', TEST_ORIGIN)
      .set('X-Forwarded-For', ip)
      .send(body),
});
const logIn = (email: string, password: string) =>
  request(t.app)
    .post(`${API}/auth/login`)
    .set('Origin', TEST_ORIGIN)
    .set('X-Forwarded-For', nextIp())
    .send({ email, password });

/** Asks for a reset of `user` and returns the mail that arrived and the token in its link. */
async function resetMail(user: TestUser, count = 1) {
  expect((await from().requestReset(user.email)).status).toBe(202);
  const newest = (await mailpit.waitFor(user.email, { subject: RESET, count }))[0]!;
  return { message: newest, ...linkIn(newest, 'reset-password') };
}

describe('password reset', () => {
  it('when a person asks for a reset and follows the mailed link, then the new password works, the old does not, and every session ended', async () => {
    const user = await signUp(t.app);
    const otherDevice = ([] as string[]).concat((await logIn(user.email, user.password)).headers['set-cookie'] ?? []);
    expect(otherDevice).toHaveLength(1);

    const { message, url, token } = await resetMail(user);
    expect(url).toBe(`${TEST_ORIGIN}/#/reset-password?token=${token}`);
    expect(message.HTML).toContain(`href="${url}"`);
    expect(message.Text).toMatch(/works once, for one hour/);
    // Only a hash of the token is stored, and it expires an hour after it was issued.
    const stored = await t.db
      .collection('account_tokens')
      .findOne({ accountId: new Types.ObjectId(user.id), purpose: 'password-reset' });
    expect(stored).toMatchObject({ tokenHash: sha256(token), email: user.email });
    const lifetime = (stored?.expiresAt as Date).getTime() - (stored?.createdAt as Date).getTime();
    expect(Math.abs(lifetime - HOUR)).toBeLessThan(1000);
    expect(await dumpDatabase(t.db)).not.toContain(token);

    const res = await from().reset({ token, password: NEW_PASSWORD });
    expect(res.status).toBe(204);
    expectError(await user.agent.get(`${API}/account`), 401, 'unauthenticated');
    expectError(await request(t.app).get(`${API}/account`).set('Cookie', otherDevice), 401, 'unauthenticated');
    expect(await t.db.collection('sessions').countDocuments({ accountId: new Types.ObjectId(user.id) })).toBe(0);
    expectError(await logIn(user.email, user.password), 401, 'unauthenticated');
    expect((await logIn(user.email, NEW_PASSWORD)).status).toBe(200);
    // The holder is told, at the same address.
    const [notice] = await mailpit.waitFor(user.email, { subject: 'Your Clickpath password was changed' });
    expect(notice?.Text).toMatch(/every session was logged out/);
  });

  it('when a reset link is used a second time, then 400 invalid_token and the password stays what the first use set', async () => {
    const user = await signUp(t.app);
    const { token } = await resetMail(user);
    expect((await from().reset({ token, password: NEW_PASSWORD })).status).toBe(204);
    const again = await from().reset({ token, password: 'Zq7#vL2!someone-else' });
    expectError(again, 400, 'invalid_token');
    expect(again.body.error.message).toMatch(/already used or has expired/);
    expect((await logIn(user.email, NEW_PASSWORD)).status).toBe(200);
  });

  // FerretDB lets racing conditional updates and findOneAndDelete all through; only a unique insert picks one.
  it('when the same reset link is sent four times at once, then one sets its password and the others get 400 invalid_token', async () => {
    for (let round = 0; round < 5; round += 1) {
      const user = await signUp(t.app);
      const { token } = await resetMail(user);
      const passwords = [1, 2, 3, 4].map((n) => `Zq7#vL2!racer-${round}-${n}`);

      const results = await Promise.all(passwords.map((password) => from().reset({ token, password })));

      expect(results.map((r) => r.status).sort()).toEqual([204, 400, 400, 400]);
      results.filter((r) => r.status !== 204).forEach((r) => expectError(r, 400, 'invalid_token'));
      const winner = passwords[results.findIndex((r) => r.status === 204)]!;
      // What marks the link spent is a hash, kept as long as the link would have worked.
      const spent = await t.db
        .collection('spent_keys')
        .find({ accountId: new Types.ObjectId(user.id) })
        .toArray();
      expect(spent).toHaveLength(1);
      expect(Math.abs((spent[0]?.expiresAt as Date).getTime() - Date.now() - HOUR)).toBeLessThan(10_000);
      expect(await dumpDatabase(t.db)).not.toContain(token);
      for (const password of passwords) {
        expect((await logIn(user.email, password)).status).toBe(password === winner ? 200 : 401);
      }
      await mailpit.waitFor(user.email, { subject: CHANGED });
      await t.mailer.idle();
      expect((await mailpit.list(user.email)).filter((m) => m.Subject === CHANGED)).toHaveLength(1);
    }
  }, 60_000);

  it('when a reset link is older than an hour, then 400 invalid_token and the password is unchanged', async () => {
    const user = await signUp(t.app);
    const { token } = await resetMail(user);
    await t.db
      .collection('account_tokens')
      .updateOne({ tokenHash: sha256(token) }, { $set: { expiresAt: new Date(Date.now() - 1000) } });
    expectError(await from().reset({ token, password: NEW_PASSWORD }), 400, 'invalid_token');
    expect((await logIn(user.email, user.password)).status).toBe(200);
  });

  it('when a second reset is asked for, then only the newest link works', async () => {
    const user = await signUp(t.app);
    const first = await resetMail(user);
    const second = await resetMail(user, 2);
    expect(second.token).not.toBe(first.token);
    expectError(await from().reset({ token: first.token, password: NEW_PASSWORD }), 400, 'invalid_token');
    expect((await from().reset({ token: second.token, password: NEW_PASSWORD })).status).toBe(204);
  });

  it('when the new password is too weak or the token malformed, then 400 names the field and the link still works', async () => {
    const user = await signUp(t.app);
    const { token } = await resetMail(user);
    const weak = await from().reset({ token, password: 'password' });
    expectError(weak, 400, 'validation_failed');
    expect(weak.body.error.details).toEqual([
      { path: 'body.password', message: 'is one of the most common passwords; choose another' },
    ]);
    const malformed = await from().reset({ token: 'abc', password: NEW_PASSWORD });
    expectError(malformed, 400, 'validation_failed');
    expect(malformed.body.error.details).toEqual([
      { path: 'body.token', message: 'is not a valid link token; copy the whole link' },
    ]);
    expectError(await from().reset({ token: 'x'.repeat(43), password: NEW_PASSWORD }), 400, 'invalid_token');
    expect((await from().reset({ token, password: NEW_PASSWORD })).status).toBe(204);
  });

  it('when the address is unknown, then the answer is the same as for an account and nothing is stored or sent', async () => {
    const user = await signUp(t.app);
    const nobody = uniqueEmail('nobody');
    const tokensBefore = await t.db.collection('account_tokens').countDocuments();
    const known = await from().requestReset(user.email);
    const unknown = await from().requestReset(nobody);
    for (const res of [known, unknown]) {
      expect(res.status).toBe(202);
      expect(res.body).toEqual({
        status: 'accepted',
        message: expect.stringMatching(/^If an account uses this address/),
      });
      expect(res.headers['set-cookie']).toBeUndefined();
    }
    expect(unknown.body).toEqual(known.body);
    expect(Object.keys(unknown.headers).sort()).toEqual(Object.keys(known.headers).sort());
    await t.mailer.idle();
    await mailpit.waitFor(user.email, { subject: RESET });
    expect(await mailpit.list(nobody)).toEqual([]);
    expect(await t.db.collection('account_tokens').countDocuments()).toBe(tokensBefore + 1);
  });

  it('when one address is asked for more than 3 times an hour, then 429 alike for known and unknown addresses, and at most 3 mails', async () => {
    const user = await signUp(t.app);
    const nobody = uniqueEmail('nobody');
    for (const email of [user.email, nobody]) {
      for (let i = 0; i < 3; i++) expect((await from().requestReset(email)).status).toBe(202);
      const fourth = await from().requestReset(email);
      expectError(fourth, 429, 'rate_limited');
      expect(Number(fourth.headers['retry-after'])).toBeGreaterThan(0);
    }
    await t.mailer.idle();
    expect((await mailpit.list(user.email)).filter((m) => m.Subject === RESET)).toHaveLength(3);
  });

  it('when one client asks for more than 10 addresses an hour, then 429', async () => {
    const ip = nextIp();
    for (let i = 0; i < 10; i++) expect((await from(ip).requestReset(uniqueEmail(`sweep${i}`))).status).toBe(202);
    expectError(await from(ip).requestReset(uniqueEmail('sweep10')), 429, 'rate_limited');
    expect((await from().requestReset(uniqueEmail('elsewhere'))).status).toBe(202);
  });

  it('when an unconfirmed account resets its password, then its address counts as confirmed', async () => {
    const user = await signUp(t.app, { verified: false });
    const { token } = await resetMail(user);
    expect((await from().reset({ token, password: NEW_PASSWORD })).status).toBe(204);
    const account = await t.db.collection('accounts').findOne({ _id: new Types.ObjectId(user.id) });
    expect(account?.emailVerifiedAt).toBeInstanceOf(Date);
  });

  it('when the body is not what the route takes, then 400 with the reason', async () => {
    const res = await from().requestReset('not-an-email');
    expectError(res, 400, 'validation_failed');
    expect(res.body.error.details).toEqual([expect.objectContaining({ path: 'body.email' })]);
    expectError(
      await request(t.app)
        .post(`${API}/auth/password-reset`)
        .set('X-Forwarded-For', nextIp())
        .send({ email: 'a@example.com', extra: true }),
      400,
      'validation_failed',
    );
  });
});
