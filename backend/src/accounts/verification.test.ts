import { Types } from 'mongoose';
import request from 'supertest';

import { expectError } from '../../test/support/assert';
import {
  TEST_ORIGIN,
  createSite,
  nextIp,
  signUp,
  startTestApp,
  type TestApp,
  type TestUser,
} from '../../test/support/app';
import { linkIn, startMailpit, type Mailpit, sha256, uniqueEmail } from '../../test/support/mailpit';

const API = '/api/v1';
const CONFIRM = 'Confirm your email address for Clickpath';
const CONFIRM_NEW = 'Confirm your new email address for Clickpath';
const NOTICE = 'Your Clickpath email address is being changed';

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

const verify = (token: string) =>
  request(t.app).post(`${API}/auth/verify-email`).set('X-Forwarded-For', nextIp()).send({ token });
const account = (user: TestUser) => t.db.collection('accounts').findOne({ _id: new Types.ObjectId(user.id) });
const profile = async (user: TestUser) => (await user.agent.get(`${API}/account`)).body as Record<string, unknown>;

/** The token of the newest mail to `to` with `subject` (waiting for `count` of them). */
async function tokenFrom(to: string, subject: string, count = 1): Promise<string> {
  const [newest] = await mailpit.waitFor(to, { subject, count });
  return linkIn(newest!, 'verify-email').token;
}

describe('verification at signup', () => {
  it('when a person signs up, then a confirmation link arrives, and following it (without a session) verifies the account once', async () => {
    const user = await signUp(t.app, { verified: false, name: 'Ada' });
    expect(await profile(user)).toMatchObject({ email: user.email, emailVerified: false, pendingEmail: null });

    const [mail] = await mailpit.waitFor(user.email, { subject: CONFIRM });
    expect(mail?.Text).toMatch(/^Hello Ada,/);
    const { url, token } = linkIn(mail!, 'verify-email');
    expect(url).toBe(`${TEST_ORIGIN}/#/verify-email?token=${token}`);
    expect(mail?.HTML).toContain(`href="${url}"`);
    expect(
      await t.db.collection('account_tokens').countDocuments({ tokenHash: sha256(token), purpose: 'verify-email' }),
    ).toBe(1);

    const res = await verify(token);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ email: user.email, emailVerified: true });
    expect(await profile(user)).toMatchObject({ emailVerified: true });
    expect((await account(user))?.emailVerifiedAt).toBeInstanceOf(Date);
    expectError(await verify(token), 400, 'invalid_token');
  });

  it('when the address already has an account, then the answer is the same and the holder gets a notice, not a link', async () => {
    const holder = await signUp(t.app);
    const res = await request(t.app)
      .post(`${API}/auth/signup`)
      .set('Origin', TEST_ORIGIN)
      .set('X-Forwarded-For', nextIp())
      .send({ email: holder.email, password: 'Zq7#vL2!intruder' });
    expect(res.status).toBe(202);
    const [notice] = await mailpit.waitFor(holder.email, { subject: 'You already have a Clickpath account' });
    expect(notice?.Text).toContain(`${TEST_ORIGIN}/#/forgot-password`);
    expect(notice?.Text).not.toMatch(/token=/);
  });

  // FerretDB lets racing conditional updates and findOneAndDelete all through; only a unique insert picks one.
  it('when the same confirmation link is followed four times at once, then one confirms and the others get 400 invalid_token', async () => {
    for (let round = 0; round < 5; round += 1) {
      const user = await signUp(t.app, { verified: false });
      const token = await tokenFrom(user.email, CONFIRM);

      const results = await Promise.all([1, 2, 3, 4].map(() => verify(token)));

      expect(results.map((r) => r.status).sort()).toEqual([200, 400, 400, 400]);
      results.filter((r) => r.status !== 200).forEach((r) => expectError(r, 400, 'invalid_token'));
      expect(await profile(user)).toMatchObject({ emailVerified: true });
      expect(await t.db.collection('account_tokens').countDocuments({ tokenHash: sha256(token) })).toBe(0);
    }
  });

  it('when a confirmation link has expired, then 400 invalid_token and the account stays unconfirmed; a new link works', async () => {
    const user = await signUp(t.app, { verified: false });
    const token = await tokenFrom(user.email, CONFIRM);
    await t.db
      .collection('account_tokens')
      .updateOne({ tokenHash: sha256(token) }, { $set: { expiresAt: new Date(Date.now() - 1) } });
    expectError(await verify(token), 400, 'invalid_token');
    expect(await profile(user)).toMatchObject({ emailVerified: false });

    expect((await user.agent.post(`${API}/account/verification`)).status).toBe(202);
    const fresh = await tokenFrom(user.email, CONFIRM, 2);
    expect((await verify(fresh)).status).toBe(200);
  });

  it('when a new link is asked for, then the older one stops working, and after 3 in an hour the answer is 429', async () => {
    const user = await signUp(t.app, { verified: false });
    const first = await tokenFrom(user.email, CONFIRM);
    for (let i = 0; i < 3; i++) expect((await user.agent.post(`${API}/account/verification`)).status).toBe(202);
    expectError(await user.agent.post(`${API}/account/verification`), 429, 'rate_limited');
    const newest = await tokenFrom(user.email, CONFIRM, 4);
    expectError(await verify(first), 400, 'invalid_token');
    expect((await verify(newest)).status).toBe(200);
    expectError(await user.agent.post(`${API}/account/verification`), 409, 'conflict');
  });

  it.each([['abc'], ['not a token at all, but 43 characters long..'], [42]])(
    'when the token is %j, then 400 names body.token',
    async (token) => {
      const res = await request(t.app)
        .post(`${API}/auth/verify-email`)
        .set('X-Forwarded-For', nextIp())
        .send({ token });
      expectError(res, 400, 'validation_failed');
      expect(res.body.error.details).toEqual([expect.objectContaining({ path: 'body.token' })]);
    },
  );
});

describe('what an unconfirmed account may do', () => {
  it('when the address is unconfirmed, then one site can be added and used, but not a second, no invitations out or in; once confirmed, all of it', async () => {
    const owner = await signUp(t.app, { verified: false });
    const site = await createSite(owner);
    expect((await owner.agent.get(`${API}/sites/${site.id}/stats/overview?from=2026-01-01&to=2026-01-31`)).status).toBe(
      200,
    );
    expect(
      (await owner.agent.post(`${API}/sites/${site.id}/keys`).send({ name: 'k', scopes: ['stats:read'] })).status,
    ).toBe(201);

    const second = await owner.agent
      .post(`${API}/sites`)
      .send({ name: 'Second', domain: 'second.example.com', timezone: 'UTC' });
    expectError(second, 403, 'email_unverified');
    expect(second.body.error.message).toMatch(/^Confirm your email address before adding another site: /);
    expect(await t.db.collection('sites').countDocuments({ ownerId: new Types.ObjectId(owner.id) })).toBe(1);

    const invitee = await signUp(t.app);
    expectError(
      await owner.agent.post(`${API}/sites/${site.id}/members`).send({ email: invitee.email, role: 'viewer' }),
      403,
      'email_unverified',
    );
    expect(await t.db.collection('invitations').countDocuments({ siteId: new Types.ObjectId(site.id) })).toBe(0);

    // Invitations are addressed to an email: an unproven holder of it may not see or take them.
    const inviter = await signUp(t.app);
    const theirSite = await createSite(inviter);
    const invited = await inviter.agent
      .post(`${API}/sites/${theirSite.id}/members`)
      .send({ email: owner.email, role: 'viewer' });
    expect(invited.status).toBe(202);
    expectError(await owner.agent.get(`${API}/invitations`), 403, 'email_unverified');
    expectError(await owner.agent.post(`${API}/invitations/${invited.body.id}/accept`), 403, 'email_unverified');
    expectError(await owner.agent.post(`${API}/invitations/${invited.body.id}/decline`), 403, 'email_unverified');
    expect(await t.db.collection('members').countDocuments({ siteId: new Types.ObjectId(theirSite.id) })).toBe(1);

    expect((await verify(await tokenFrom(owner.email, CONFIRM))).status).toBe(200);
    expect((await owner.agent.get(`${API}/invitations`)).body.invitations).toHaveLength(1);
    expect((await owner.agent.post(`${API}/invitations/${invited.body.id}/accept`)).status).toBe(200);
    expect(
      (await owner.agent.post(`${API}/sites`).send({ name: 'Second', domain: 'second.example.com', timezone: 'UTC' }))
        .status,
    ).toBe(201);
    expect(
      (await owner.agent.post(`${API}/sites/${site.id}/members`).send({ email: invitee.email, role: 'viewer' })).status,
    ).toBe(202);
  });
});

describe('changing the email address', () => {
  it('when a user changes the address, then it waits for the link sent to the new one, the old one is told, and confirming moves the account', async () => {
    const user = await signUp(t.app, { name: 'Grace' });
    const newEmail = uniqueEmail('moved');
    const res = await user.agent
      .patch(`${API}/account`)
      .send({ email: newEmail.toUpperCase(), currentPassword: user.password });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ email: user.email, pendingEmail: newEmail, emailVerified: true });

    const [notice] = await mailpit.waitFor(user.email, { subject: NOTICE });
    expect(notice?.Text).toContain(`from ${user.email} to ${newEmail}`);
    expect(notice?.Text).not.toMatch(/token=/);
    const token = await tokenFrom(newEmail, CONFIRM_NEW);
    // Until then the old address is the login, the new one is nobody's.
    const login = (email: string) =>
      request(t.app)
        .post(`${API}/auth/login`)
        .set('Origin', TEST_ORIGIN)
        .set('X-Forwarded-For', nextIp())
        .send({ email, password: user.password });
    expectError(await login(newEmail), 401, 'unauthenticated');

    expect((await verify(token)).body).toEqual({ email: newEmail, emailVerified: true });
    expect(await account(user)).toMatchObject({
      email: newEmail,
      pendingEmail: null,
      emailVerifiedAt: expect.any(Date),
    });
    expect((await login(newEmail)).status).toBe(200);
    expectError(await login(user.email), 401, 'unauthenticated');
    expectError(await verify(token), 400, 'invalid_token');
  });

  it('when the current address is sent again, then the pending change is cancelled and its link no longer works', async () => {
    const user = await signUp(t.app);
    const newEmail = uniqueEmail('cancelled');
    await user.agent.patch(`${API}/account`).send({ email: newEmail, currentPassword: user.password });
    const token = await tokenFrom(newEmail, CONFIRM_NEW);
    const res = await user.agent.patch(`${API}/account`).send({ email: user.email, currentPassword: user.password });
    expect(res.body).toMatchObject({ email: user.email, pendingEmail: null });
    expectError(await verify(token), 400, 'invalid_token');
    expect((await account(user))?.email).toBe(user.email);
  });

  it('when another account takes the pending address before it is confirmed, then confirming answers 409 and nothing moves', async () => {
    const user = await signUp(t.app);
    const newEmail = uniqueEmail('contested');
    await user.agent.patch(`${API}/account`).send({ email: newEmail, currentPassword: user.password });
    const token = await tokenFrom(newEmail, CONFIRM_NEW);
    await signUp(t.app, { email: newEmail });
    expectError(await verify(token), 409, 'conflict');
    expect(await account(user)).toMatchObject({ email: user.email, pendingEmail: newEmail });
  });

  it('when an unconfirmed account changes its address, then it stays unconfirmed until the new address confirms', async () => {
    const user = await signUp(t.app, { verified: false });
    const newEmail = uniqueEmail('typo-fixed');
    await user.agent.patch(`${API}/account`).send({ email: newEmail, currentPassword: user.password });
    expect(await profile(user)).toMatchObject({ email: user.email, emailVerified: false, pendingEmail: newEmail });
    expect((await verify(await tokenFrom(newEmail, CONFIRM_NEW))).status).toBe(200);
    expect(await profile(user)).toMatchObject({ email: newEmail, emailVerified: true, pendingEmail: null });
  });
});
