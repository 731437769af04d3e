import { Types } from 'mongoose';
import request from 'supertest';

import { dumpDatabase, expectError } from '../../test/support/assert';
import {
  TEST_ORIGIN,
  addMember,
  createSite,
  nextIp,
  signUp,
  startTestApp,
  type TestApp,
  type TestUser,
} from '../../test/support/app';
import { linkIn, startMailpit, type Mailpit, sha256, uniqueEmail } from '../../test/support/mailpit';

const API = '/api/v1';
const PASSWORD = 'Zq7#vL2!invited-person';

let t: TestApp;
let mailpit: Mailpit;
let owner: TestUser;
let siteId: string;
beforeAll(async () => {
  mailpit = await startMailpit();
  t = await startTestApp({ SMTP_URL: mailpit.smtpUrl, PUBLIC_URL: TEST_ORIGIN });
  owner = await signUp(t.app, { name: 'Olga Owner' });
  siteId = (await createSite(owner, { name: 'Shared shop', domain: 'shared.example' })).id;
});
afterAll(async () => {
  await t.close();
  await mailpit.stop();
});

const SUBJECT = 'Olga Owner invited you to Shared shop on Clickpath';
const anonymous = (path: string, body: Record<string, unknown>) =>
  request(t.app).post(`${API}${path}`).set('Origin', TEST_ORIGIN).set('X-Forwarded-For', nextIp()).send(body);
const members = (site = siteId) =>
  t.db
    .collection('members')
    .find({ siteId: new Types.ObjectId(site) })
    .toArray();

/** An owner and a site like the shared ones, for a test that sends many invitations (20 per site and hour). */
async function anotherSite(): Promise<{ owner: TestUser; siteId: string }> {
  const other = await signUp(t.app, { name: 'Olga Owner' });
  return { owner: other, siteId: (await createSite(other, { name: 'Shared shop', domain: 'shared.example' })).id };
}

/** Invites `email` and returns the invitation's id and the token of the link that arrived. */
async function invite(email: string, role: 'admin' | 'viewer' = 'viewer', count = 1, from = { owner, siteId }) {
  const res = await from.owner.agent.post(`${API}/sites/${from.siteId}/members`).send({ email, role });
  expect(res.status).toBe(202);
  const [mail] = await mailpit.waitFor(email, { subject: SUBJECT, count });
  return { id: res.body.id as string, mail: mail!, ...linkIn(mail!, 'invitation') };
}

describe('invitation mail', () => {
  it('when an address without an account is invited, then its link shows the invitation and creates a confirmed account that is a member', async () => {
    const email = uniqueEmail('newcomer');
    const { mail, url, token } = await invite(email, 'admin');
    expect(url).toBe(`${TEST_ORIGIN}/#/invitation?token=${token}`);
    expect(mail.Text).toContain(
      'Olga Owner invited you to the site Shared shop (shared.example) on Clickpath as admin',
    );
    expect(mail.HTML).toContain(`href="${url}"`);
    expect(await dumpDatabase(t.db)).not.toContain(token);
    expect(await t.db.collection('invitations').findOne({ email })).toMatchObject({ tokenHash: sha256(token) });

    const preview = await anonymous('/invitations/link', { token });
    expect(preview.status).toBe(200);
    expect(preview.body).toEqual({
      email,
      site: { name: 'Shared shop', domain: 'shared.example' },
      role: 'admin',
      invitedBy: { name: 'Olga Owner', email: owner.email },
      expiresAt: expect.any(String),
      hasAccount: false,
    });

    const joined = await anonymous('/invitations/link/signup', { token, name: 'Nina', password: PASSWORD });
    expect(joined.status).toBe(201);
    expect(joined.body).toEqual({ email });
    const account = await t.db.collection('accounts').findOne({ email });
    expect(account).toMatchObject({ name: 'Nina', emailVerifiedAt: expect.any(Date) });
    expect((await members()).find((m) => String(m.accountId) === String(account?._id))?.role).toBe('admin');
    const login = await anonymous('/auth/login', { email, password: PASSWORD });
    expect(login.status).toBe(200);
    expectError(await anonymous('/invitations/link', { token }), 400, 'invalid_token');
    expectError(await anonymous('/invitations/link/signup', { token, password: PASSWORD }), 400, 'invalid_token');
  });

  it('when a person with an account is invited, then the link says so, signing up with it answers 409, and accepting signed in joins the site', async () => {
    const invitee = await signUp(t.app);
    const { token } = await invite(invitee.email);
    expect((await anonymous('/invitations/link', { token })).body.hasAccount).toBe(true);
    expectError(await anonymous('/invitations/link/signup', { token, password: PASSWORD }), 409, 'conflict');

    const res = await invitee.agent.post(`${API}/invitations/link/accept`).send({ token });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: siteId, name: 'Shared shop', role: 'viewer' });
    expect((await members()).some((m) => String(m.accountId) === invitee.id)).toBe(true);
    expectError(await invitee.agent.post(`${API}/invitations/link/accept`).send({ token }), 400, 'invalid_token');
  });

  // FerretDB lets racing conditional updates and findOneAndDelete all through; only a unique insert picks one.
  it('when four signed-in people accept the same link at once, then one joins and the others get 400 invalid_token', async () => {
    const site = await anotherSite();
    for (let round = 0; round < 5; round += 1) {
      const { token } = await invite(uniqueEmail('contested'), 'viewer', 1, site);
      const people: TestUser[] = [];
      for (let n = 0; n < 4; n += 1) people.push(await signUp(t.app));

      const results = await Promise.all(
        people.map((person) => person.agent.post(`${API}/invitations/link/accept`).send({ token })),
      );

      expect(results.map((r) => r.status).sort()).toEqual([200, 400, 400, 400]);
      results.filter((r) => r.status !== 200).forEach((r) => expectError(r, 400, 'invalid_token'));
      const winner = people[results.findIndex((r) => r.status === 200)]!;
      const joined = (await members(site.siteId)).filter((m) => people.some((p) => p.id === String(m.accountId)));
      expect(joined.map((m) => String(m.accountId))).toEqual([winner.id]);
    }
  }, 60_000);

  it('when the same link is used to accept, sign up and decline at once, then one answer counts and nobody else is let in', async () => {
    const site = await anotherSite();
    for (let round = 0; round < 5; round += 1) {
      const email = uniqueEmail('raced');
      const { token } = await invite(email, 'viewer', 1, site);
      const people = [await signUp(t.app), await signUp(t.app)];
      const before = (await members(site.siteId)).length;

      const results = await Promise.all([
        ...people.map((person) => person.agent.post(`${API}/invitations/link/accept`).send({ token })),
        anonymous('/invitations/link/signup', { token, name: 'Nina', password: PASSWORD }),
        anonymous('/invitations/link/decline', { token }),
      ]);

      expect(results.filter((r) => r.status < 300)).toHaveLength(1);
      results.filter((r) => r.status >= 300).forEach((r) => expectError(r, 400, 'invalid_token'));
      const winner = results.findIndex((r) => r.status < 300);
      expect((await members(site.siteId)).length).toBe(before + (winner === 3 ? 0 : 1));
      // A losing signup leaves no account behind.
      expect(await t.db.collection('accounts').countDocuments({ email })).toBe(winner === 2 ? 1 : 0);
      expect(await t.db.collection('invitations').countDocuments({ email })).toBe(0);
    }
  }, 60_000);

  it('when the link is opened signed in to an account with another confirmed address, then that account joins (the link proves the mailbox)', async () => {
    const work = uniqueEmail('work');
    const { token } = await invite(work);
    const personal = await signUp(t.app);
    expect((await personal.agent.post(`${API}/invitations/link/accept`).send({ token })).status).toBe(200);
    expect((await members()).some((m) => String(m.accountId) === personal.id)).toBe(true);
  });

  it('when an unconfirmed account opens the link, then it joins only if the invitation is to its own address, which that confirms', async () => {
    const stranger = await signUp(t.app, { verified: false });
    const other = await invite(uniqueEmail('other'));
    expectError(
      await stranger.agent.post(`${API}/invitations/link/accept`).send({ token: other.token }),
      403,
      'email_unverified',
    );
    expect((await anonymous('/invitations/link', { token: other.token })).status).toBe(200);

    const own = await invite(stranger.email);
    expect((await stranger.agent.post(`${API}/invitations/link/accept`).send({ token: own.token })).status).toBe(200);
    expect((await t.db.collection('accounts').findOne({ email: stranger.email }))?.emailVerifiedAt).toBeInstanceOf(
      Date,
    );
  });

  it('when the owner resends an invitation, then a new link arrives, the old one stops working and the expiry starts again', async () => {
    const email = uniqueEmail('resent');
    const first = await invite(email);
    await t.db.collection('invitations').updateOne({ email }, { $set: { expiresAt: new Date(Date.now() + 60_000) } });
    const res = await owner.agent.post(`${API}/sites/${siteId}/invitations/${first.id}/resend`);
    expect(res.status).toBe(202);
    expect(Date.parse(res.body.expiresAt)).toBeGreaterThan(Date.now() + 13 * 24 * 3600_000);
    const [second] = await mailpit.waitFor(email, { subject: SUBJECT, count: 2 });
    const { token } = linkIn(second!, 'invitation');
    expect(token).not.toBe(first.token);
    expectError(await anonymous('/invitations/link', { token: first.token }), 400, 'invalid_token');
    expect((await anonymous('/invitations/link', { token })).status).toBe(200);
  });

  it('when an admin, a viewer or another tenant resends, then 403 or 404 and no mail goes out', async () => {
    const email = uniqueEmail('guarded');
    const { id } = await invite(email);
    const admin = await signUp(t.app);
    await addMember(owner, siteId, admin, 'admin');
    const stranger = await signUp(t.app);
    expectError(await admin.agent.post(`${API}/sites/${siteId}/invitations/${id}/resend`), 403, 'forbidden');
    expectError(await stranger.agent.post(`${API}/sites/${siteId}/invitations/${id}/resend`), 404, 'not_found');
    expectError(
      await owner.agent.post(`${API}/sites/${siteId}/invitations/${new Types.ObjectId().toHexString()}/resend`),
      404,
      'not_found',
    );
    await t.mailer.idle();
    expect(await mailpit.list(email)).toHaveLength(1);
  });

  it('when an invitation was revoked or has expired, then its link is refused alike', async () => {
    const revoked = await invite(uniqueEmail('revoked'));
    expect((await owner.agent.delete(`${API}/sites/${siteId}/invitations/${revoked.id}`)).status).toBe(204);
    expectError(await anonymous('/invitations/link', { token: revoked.token }), 400, 'invalid_token');

    const email = uniqueEmail('expired');
    const expired = await invite(email);
    await t.db.collection('invitations').updateOne({ email }, { $set: { expiresAt: new Date(Date.now() - 1) } });
    expectError(await anonymous('/invitations/link', { token: expired.token }), 400, 'invalid_token');
    expectError(
      await anonymous('/invitations/link/signup', { token: expired.token, password: PASSWORD }),
      400,
      'invalid_token',
    );
    expect(await t.db.collection('accounts').countDocuments({ email })).toBe(0);
  });

  it('when the link is used to decline, then the invitation is gone and nobody joins', async () => {
    const email = uniqueEmail('declined');
    const { token } = await invite(email);
    const before = (await members()).length;
    expect((await anonymous('/invitations/link/decline', { token })).status).toBe(204);
    expect(await t.db.collection('invitations').countDocuments({ email })).toBe(0);
    expect((await members()).length).toBe(before);
    expectError(await anonymous('/invitations/link/decline', { token }), 400, 'invalid_token');
  });

  it('when the signup through a link has a weak password or a malformed token, then 400 names the field', async () => {
    const { token } = await invite(uniqueEmail('weak'));
    const weak = await anonymous('/invitations/link/signup', { token, password: 'password' });
    expectError(weak, 400, 'validation_failed');
    expect(weak.body.error.details).toEqual([expect.objectContaining({ path: 'body.password' })]);
    const malformed = await anonymous('/invitations/link', { token: 'short' });
    expectError(malformed, 400, 'validation_failed');
    expect(malformed.body.error.details).toEqual([expect.objectContaining({ path: 'body.token' })]);
    expect((await anonymous('/invitations/link', { token })).status).toBe(200);
  });
});
