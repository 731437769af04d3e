import { createHash } from 'node:crypto';

import { Types } from 'mongoose';
import request from 'supertest';

import { dumpDatabase, expectError } from '../../test/support/assert';
import {
  TEST_ORIGIN,
  addMember,
  createKey,
  createSite,
  nextIp,
  signUp,
  startTestApp,
  type TestApp,
  type TestUser,
} from '../../test/support/app';

const API = '/api/v1';
const COOKIE = 'clickpath_session';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t.close());

const accounts = () => t.db.collection('accounts');
const sessions = () => t.db.collection('sessions');

/** A browser on its own address that sends the trusted Origin. */
const browser = (ip = nextIp()) => request.agent(t.app).set('Origin', TEST_ORIGIN).set('X-Forwarded-For', ip);

/** The session cookie's Set-Cookie line and value from a response. */
function sessionCookie(res: request.Response): { line: string; value: string } {
  const lines = ([] as string[]).concat(res.headers['set-cookie'] ?? []);
  const line = lines.find((l) => l.startsWith(`${COOKIE}=`));
  if (!line) throw new Error(`no ${COOKIE} cookie in ${JSON.stringify(lines)}`);
  return { line, value: line.slice(COOKIE.length + 1).split(';')[0] ?? '' };
}

const sha256 = (value: string) => createHash('sha256').update(value).digest('base64url');
const uniqueEmail = (label: string) => `${label}-${new Types.ObjectId().toHexString()}@example.com`;
/** A password of exactly `length` characters that is on no common-password list. */
const passwordOf = (length: number) => 'Zq7#vL2!'.repeat(17).slice(0, length);
/** Signup's one answer, whether the address was free or already registered. */
const SIGNUP_ANSWER = {
  status: 'accepted',
  message: expect.stringMatching(/log in/i),
};

async function logIn(user: TestUser, password = user.password, ip = nextIp()) {
  const agent = browser(ip);
  const res = await agent.post(`${API}/auth/login`).send({ email: user.email, password });
  return { agent, res };
}

describe('signup', () => {
  it('when a person signs up, then 202 without a session, and logging in with the chosen password starts one', async () => {
    const password = passwordOf(20);
    const res = await browser()
      .post(`${API}/auth/signup`)
      .send({ email: '  Ada.Lovelace@Example.COM ', password, name: 'Ada' });

    expect(res.status).toBe(202);
    expect(res.body).toEqual(SIGNUP_ANSWER);
    expect(res.headers['set-cookie']).toBeUndefined();
    const stored = await accounts().findOne({ email: 'ada.lovelace@example.com' });
    expect(stored).toMatchObject({ email: 'ada.lovelace@example.com', name: 'Ada' });
    expect(stored?.passwordHash).toMatch(/^\$argon2id\$/);
    expect(await sessions().countDocuments({ accountId: stored?._id })).toBe(0);

    const login = await browser().post(`${API}/auth/login`).send({ email: 'ada.lovelace@example.com', password });
    expect(login.status).toBe(200);
    expect(login.body).toEqual({
      id: String(stored?._id),
      email: 'ada.lovelace@example.com',
      name: 'Ada',
      emailVerified: false,
      pendingEmail: null,
      twoFactorEnabled: false,
      createdAt: expect.any(String),
    });
    const cookie = sessionCookie(login);
    expect(cookie.line).toMatch(/; HttpOnly/);
    expect(cookie.line).toMatch(/; SameSite=Lax/);
    expect(cookie.line).toMatch(/; Path=\//);
    expect(cookie.line).toMatch(/; Expires=/);
    expect(cookie.line).not.toMatch(/; Secure/);
    const rows = await sessions().find({ accountId: stored?._id }).toArray();
    expect(rows).toHaveLength(1);
    expect(rows[0]?.tokenHash).toBe(sha256(cookie.value));
  });

  it('when an account is stored, then the clear password and the cookie appear nowhere in the database', async () => {
    const user = await signUp(t.app, { password: passwordOf(24) });
    const { res } = await logIn(user);

    const dump = await dumpDatabase(t.db);
    expect(dump).not.toContain(user.password);
    expect(dump).not.toContain(sessionCookie(res).value);
  });

  it('when the name is left out, then the account is stored with an empty name', async () => {
    const email = uniqueEmail('noname');
    const res = await browser()
      .post(`${API}/auth/signup`)
      .send({ email, password: passwordOf(12) });

    expect(res.status).toBe(202);
    expect(await accounts().findOne({ email })).toMatchObject({ name: '' });
  });

  it('when the email is already registered (in another letter case), then the answer is the same as for a new address and nothing is stored or changed', async () => {
    const email = uniqueEmail('taken');
    const owner = await signUp(t.app, { email, name: 'Owner' });
    const before = await accounts().findOne({ email });
    const sessionsBefore = await sessions().countDocuments();

    const taken = await browser()
      .post(`${API}/auth/signup`)
      .send({ email: email.toUpperCase(), password: passwordOf(10), name: 'Intruder' });
    const fresh = await browser()
      .post(`${API}/auth/signup`)
      .send({ email: uniqueEmail('fresh'), password: passwordOf(10), name: 'Intruder' });

    for (const res of [taken, fresh]) {
      expect(res.status).toBe(202);
      expect(res.body).toEqual(SIGNUP_ANSWER);
      expect(res.headers['set-cookie']).toBeUndefined();
    }
    expect(Object.keys(taken.headers).sort()).toEqual(Object.keys(fresh.headers).sort());
    expect(await accounts().countDocuments({ email })).toBe(1);
    expect(await accounts().findOne({ email })).toEqual(before);
    expect(await sessions().countDocuments()).toBe(sessionsBefore);
    expect((await logIn(owner)).res.status).toBe(200);
    expectError(
      await browser()
        .post(`${API}/auth/login`)
        .send({ email, password: passwordOf(10) }),
      401,
      'unauthenticated',
    );
  });

  it.each([7, 129])('when the password has %i characters, then 400 and nothing is stored', async (length) => {
    const email = uniqueEmail(`len${length}`);
    const res = await browser()
      .post(`${API}/auth/signup`)
      .send({ email, password: passwordOf(length) });

    expectError(res, 400, 'validation_failed');
    expect(res.body.error.details).toEqual([
      {
        path: 'body.password',
        message: length < 8 ? 'must be at least 8 characters' : 'must be at most 128 characters',
      },
    ]);
    expect(await accounts().countDocuments({ email })).toBe(0);
  });

  it.each([8, 128])('when the password has %i characters, then the account is created', async (length) => {
    const email = uniqueEmail(`len${length}`);
    const res = await browser()
      .post(`${API}/auth/signup`)
      .send({ email, password: passwordOf(length) });

    expect(res.status).toBe(202);
    expect(await accounts().countDocuments({ email })).toBe(1);
  });

  // All four are on the zxcvbn common-password list that passwords.ts uses ("Password1" case-insensitively).
  it.each(['password', '12345678', 'qwertyuiop', 'Password1'])(
    'when the password is the common "%s", then 400 says so and nothing is stored',
    async (password) => {
      const email = uniqueEmail('common');
      const res = await browser().post(`${API}/auth/signup`).send({ email, password });

      expectError(res, 400, 'validation_failed');
      expect(res.body.error.details).toEqual([
        { path: 'body.password', message: 'is one of the most common passwords; choose another' },
      ]);
      expect(await accounts().countDocuments({ email })).toBe(0);
    },
  );

  it.each(['not-an-email', 'ada@', '@example.com', 'ada lovelace@example.com', ''])(
    'when the email is "%s", then 400 points at the email',
    async (email) => {
      const before = await accounts().countDocuments();
      const res = await browser()
        .post(`${API}/auth/signup`)
        .send({ email, password: passwordOf(12) });

      expectError(res, 400, 'validation_failed');
      expect(res.body.error.details).toEqual([expect.objectContaining({ path: 'body.email' })]);
      expect(await accounts().countDocuments()).toBe(before);
    },
  );
});

describe('login', () => {
  it('when the password is right, then 200 starts a new session whose row keeps only a hash of the cookie', async () => {
    const user = await signUp(t.app, { email: uniqueEmail('login') });
    const before = await sessions().countDocuments({ accountId: new Types.ObjectId(user.id) });

    const { res } = await logIn({ ...user, email: user.email.toUpperCase() });

    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: user.id, email: user.email });
    const cookie = sessionCookie(res);
    expect(cookie.line).toMatch(/; HttpOnly/);
    const rows = await sessions()
      .find({ accountId: new Types.ObjectId(user.id) })
      .toArray();
    expect(rows).toHaveLength(before + 1);
    expect(rows.map((r) => r.tokenHash)).toContain(sha256(cookie.value));
    expect(JSON.stringify(await sessions().find().toArray())).not.toContain(cookie.value);
  });

  it('when the password is wrong or the email unknown, then both get the identical 401 and no session', async () => {
    const user = await signUp(t.app);
    const sessionsBefore = await sessions().countDocuments();

    const wrong = await browser().post(`${API}/auth/login`).send({ email: user.email, password: 'not the password' });
    const unknown = await browser()
      .post(`${API}/auth/login`)
      .send({ email: uniqueEmail('nobody'), password: user.password });

    expectError(wrong, 401, 'unauthenticated');
    expect(unknown.status).toBe(wrong.status);
    expect(unknown.body).toEqual(wrong.body);
    expect(wrong.headers['set-cookie']).toBeUndefined();
    expect(unknown.headers['set-cookie']).toBeUndefined();
    expect(await sessions().countDocuments()).toBe(sessionsBefore);
  });
});

describe('logout', () => {
  it('when a user logs out, then 204, the session row is gone and the old cookie gets 401', async () => {
    const user = await signUp(t.app);
    const { agent, res: login } = await logIn(user);
    const cookie = sessionCookie(login).value;

    const res = await agent.post(`${API}/auth/logout`);

    expect(res.status).toBe(204);
    expect(sessionCookie(res).line).toMatch(/Expires=Thu, 01 Jan 1970/);
    expect(await sessions().countDocuments({ tokenHash: sha256(cookie) })).toBe(0);
    const replay = await request(t.app).get(`${API}/account`).set('Cookie', `${COOKIE}=${cookie}`);
    expectError(replay, 401, 'unauthenticated');
    // The signup session on another device is untouched.
    expect((await user.agent.get(`${API}/account`)).status).toBe(200);
  });
});

describe('profile', () => {
  it('when a user reads the account, then the stored profile comes back', async () => {
    const user = await signUp(t.app, { name: 'Grace' });

    const res = await user.agent.get(`${API}/account`);

    expect(res.status).toBe(200);
    const stored = await accounts().findOne({ _id: new Types.ObjectId(user.id) });
    expect(res.body).toEqual({
      id: user.id,
      email: stored?.email,
      name: 'Grace',
      emailVerified: true,
      pendingEmail: null,
      twoFactorEnabled: false,
      createdAt: (stored?.createdAt as Date).toISOString(),
    });
  });

  it('when a user corrects the name and asks for a new email, then the name is stored and the email (lowercased) waits for its confirmation', async () => {
    const user = await signUp(t.app, { name: 'Grace' });
    const newEmail = uniqueEmail('moved');
    const res = await user.agent
      .patch(`${API}/account`)
      .send({ name: 'Grace Hopper', email: newEmail.toUpperCase(), currentPassword: user.password });

    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: user.id, name: 'Grace Hopper', email: user.email, pendingEmail: newEmail });
    expect(await accounts().findOne({ _id: new Types.ObjectId(user.id) })).toMatchObject({
      name: 'Grace Hopper',
      email: user.email,
      pendingEmail: newEmail,
    });
    // The confirmation link and what follows it: verification.test.ts.
    expect((await logIn(user)).res.status).toBe(200);
  });

  it('when only the name is patched, then the email stays', async () => {
    const user = await signUp(t.app);

    const res = await user.agent.patch(`${API}/account`).send({ name: 'Only Name' });

    expect(res.status).toBe(200);
    expect(await accounts().findOne({ _id: new Types.ObjectId(user.id) })).toMatchObject({
      name: 'Only Name',
      email: user.email,
    });
  });

  it('when the new email belongs to another account, then 409 and nothing changes', async () => {
    const user = await signUp(t.app, { name: 'Before' });
    const other = await signUp(t.app);
    const before = await accounts().findOne({ _id: new Types.ObjectId(user.id) });

    const res = await user.agent
      .patch(`${API}/account`)
      .send({ name: 'After', email: other.email.toUpperCase(), currentPassword: user.password });

    expectError(res, 409, 'conflict');
    expect(await accounts().findOne({ _id: new Types.ObjectId(user.id) })).toEqual(before);
    expect(await accounts().countDocuments({ email: other.email })).toBe(1);
  });

  it('when the email is changed without the current password, then 400 names it and nothing changes', async () => {
    const user = await signUp(t.app);
    const before = await accounts().findOne({ _id: new Types.ObjectId(user.id) });

    const res = await user.agent.patch(`${API}/account`).send({ email: uniqueEmail('nopass') });

    expectError(res, 400, 'validation_failed');
    expect(res.body.error.details).toEqual([expect.objectContaining({ path: 'body.currentPassword' })]);
    expect(await accounts().findOne({ _id: new Types.ObjectId(user.id) })).toEqual(before);
  });

  it('when the email is changed with a wrong current password, then 403 and nothing changes', async () => {
    const user = await signUp(t.app);
    const before = await accounts().findOne({ _id: new Types.ObjectId(user.id) });

    const res = await user.agent
      .patch(`${API}/account`)
      .send({ name: 'Thief', email: uniqueEmail('stolen'), currentPassword: 'not the password' });

    expectError(res, 403, 'forbidden');
    expect(await accounts().findOne({ _id: new Types.ObjectId(user.id) })).toEqual(before);
  });

  it.each([[{}], [{ role: 'admin' }]])('when the patch is %j, then 400 and nothing changes', async (patch) => {
    const user = await signUp(t.app);
    const before = await accounts().findOne({ _id: new Types.ObjectId(user.id) });

    const res = await user.agent.patch(`${API}/account`).send(patch);

    expectError(res, 400, 'validation_failed');
    expect(await accounts().findOne({ _id: new Types.ObjectId(user.id) })).toEqual(before);
  });

  it('when nobody is logged in, then the profile answers 401', async () => {
    expectError(await request(t.app).get(`${API}/account`), 401, 'unauthenticated');
  });
});

describe('change password', () => {
  it('when the current password is wrong, then 403 and the hash is unchanged', async () => {
    const user = await signUp(t.app);
    const before = await accounts().findOne({ _id: new Types.ObjectId(user.id) });

    const res = await user.agent
      .put(`${API}/account/password`)
      .send({ currentPassword: 'not the password', newPassword: passwordOf(16) });

    expectError(res, 403, 'forbidden');
    expect((await accounts().findOne({ _id: new Types.ObjectId(user.id) }))?.passwordHash).toBe(before?.passwordHash);
  });

  it('when the new password is too common, then 400 and the hash is unchanged', async () => {
    const user = await signUp(t.app);
    const before = await accounts().findOne({ _id: new Types.ObjectId(user.id) });

    const res = await user.agent
      .put(`${API}/account/password`)
      .send({ currentPassword: user.password, newPassword: 'password' });

    expectError(res, 400, 'validation_failed');
    expect((await accounts().findOne({ _id: new Types.ObjectId(user.id) }))?.passwordHash).toBe(before?.passwordHash);
  });

  it('when it succeeds, then 204, every other session ends, this one lives on, and only the new password works', async () => {
    const user = await signUp(t.app);
    const laptop = await logIn(user);
    const phone = await logIn(user);
    const accountId = new Types.ObjectId(user.id);
    const oldHash = (await accounts().findOne({ _id: accountId }))?.passwordHash as string;
    expect(await sessions().countDocuments({ accountId })).toBe(3);
    const newPassword = passwordOf(18);

    const res = await laptop.agent.put(`${API}/account/password`).send({ currentPassword: user.password, newPassword });

    expect(res.status).toBe(204);
    const stored = await accounts().findOne({ _id: accountId });
    expect(stored?.passwordHash).toMatch(/^\$argon2id\$/);
    expect(stored?.passwordHash).not.toBe(oldHash);
    const remaining = await sessions().find({ accountId }).toArray();
    expect(remaining.map((s) => s.tokenHash)).toEqual([sha256(sessionCookie(laptop.res).value)]);
    expect((await laptop.agent.get(`${API}/account`)).status).toBe(200);
    expectError(await phone.agent.get(`${API}/account`), 401, 'unauthenticated');
    expectError(await user.agent.get(`${API}/account`), 401, 'unauthenticated');

    expectError((await logIn(user)).res, 401, 'unauthenticated');
    expect((await logIn(user, newPassword)).res.status).toBe(200);
    expect(await dumpDatabase(t.db)).not.toContain(newPassword);
  });
});

describe('delete account', () => {
  async function ownerWithSite() {
    const owner = await signUp(t.app);
    const site = await createSite(owner);
    const key = await createKey(owner, site.id, ['stats:read']);
    const viewer = await signUp(t.app);
    await addMember(owner, site.id, viewer, 'viewer');
    return { owner, site, key, viewer };
  }

  const countFor = async (ownerId: string, siteId: string) => ({
    accounts: await accounts().countDocuments({ _id: new Types.ObjectId(ownerId) }),
    sessions: await sessions().countDocuments({ accountId: new Types.ObjectId(ownerId) }),
    sites: await t.db.collection('sites').countDocuments({ _id: new Types.ObjectId(siteId) }),
    members: await t.db.collection('members').countDocuments({ siteId: new Types.ObjectId(siteId) }),
    keys: await t.db.collection('apikeys').countDocuments({ siteId: new Types.ObjectId(siteId) }),
  });

  it('when the password is wrong, then 403 and nothing is deleted', async () => {
    const { owner, site } = await ownerWithSite();
    const before = await countFor(owner.id, site.id);
    expect(before).toEqual({ accounts: 1, sessions: 1, sites: 1, members: 2, keys: 1 });

    const res = await owner.agent.delete(`${API}/account`).send({ password: 'not the password' });

    expectError(res, 403, 'forbidden');
    expect(await countFor(owner.id, site.id)).toEqual(before);
  });

  it('when the password is right, then 204 removes the account, its sessions, owned sites, their members and keys', async () => {
    const { owner, site, key, viewer } = await ownerWithSite();
    // The owner is also a viewer on someone else's site: that site stays, the membership goes.
    const neighbour = await signUp(t.app);
    const otherSite = await createSite(neighbour, { domain: 'other.example.com' });
    await addMember(neighbour, otherSite.id, owner, 'viewer');
    const { agent: secondDevice } = await logIn(owner);

    const res = await owner.agent.delete(`${API}/account`).send({ password: owner.password });

    expect(res.status).toBe(204);
    expect(sessionCookie(res).line).toMatch(/Expires=Thu, 01 Jan 1970/);
    expect(await countFor(owner.id, site.id)).toEqual({ accounts: 0, sessions: 0, sites: 0, members: 0, keys: 0 });
    expect(await t.db.collection('members').countDocuments({ accountId: new Types.ObjectId(owner.id) })).toBe(0);
    expect(await t.db.collection('sites').countDocuments({ _id: new Types.ObjectId(otherSite.id) })).toBe(1);
    expect(await t.db.collection('members').countDocuments({ siteId: new Types.ObjectId(otherSite.id) })).toBe(1);

    expect(await accounts().countDocuments({ _id: new Types.ObjectId(viewer.id) })).toBe(1);
    const viewerMe = await viewer.agent.get(`${API}/me`);
    expect(viewerMe.status).toBe(200);
    expect(viewerMe.body.sites).toEqual([]);

    expectError(await secondDevice.get(`${API}/account`), 401, 'unauthenticated');
    expectError(
      await request(t.app).get(`${API}/me`).set('Authorization', `Bearer ${key.secret}`),
      401,
      'unauthenticated',
    );
    expectError(
      await browser().post(`${API}/auth/login`).send({ email: owner.email, password: owner.password }),
      401,
      'unauthenticated',
    );
  });
});

describe('openapi and error shape', () => {
  it('when the OpenAPI document is read, then every accounts route is in it', async () => {
    const res = await request(t.app).get(`${API}/openapi.json`);

    expect(res.status).toBe(200);
    const paths = res.body.paths as Record<string, Record<string, unknown>>;
    const methods = (path: string) => Object.keys(paths[path] ?? {}).sort();
    expect(methods(`${API}/auth/signup`)).toEqual(['post']);
    expect(methods(`${API}/auth/login`)).toEqual(['post']);
    expect(methods(`${API}/auth/logout`)).toEqual(['post']);
    expect(methods(`${API}/account`)).toEqual(['delete', 'get', 'patch']);
    expect(methods(`${API}/account/password`)).toEqual(['put']);
    expect(methods(`${API}/me`)).toEqual(['get']);
  });

  it('when requests are malformed, then each error has exactly the documented shape and no internals', async () => {
    const user = await signUp(t.app);
    const ip = nextIp();
    const post = (path: string) => request(t.app).post(`${API}${path}`).set('X-Forwarded-For', ip);

    expectError(
      await post('/auth/login').set('Content-Type', 'application/json').send('{"email": '),
      400,
      'bad_request',
    );
    expectError(
      await post('/auth/login').set('Content-Type', 'text/plain').send('hello'),
      415,
      'unsupported_media_type',
    );
    expectError(
      await post('/auth/signup').send({ email: 'a@example.com', password: 'x'.repeat(200_000) }),
      413,
      'payload_too_large',
    );
    expectError(
      await post('/auth/login').send({ email: user.email, password: user.password, extra: 1 }),
      400,
      'validation_failed',
    );
    expectError(
      await post('/auth/login').send({ email: user.email, password: 'x'.repeat(129) }),
      400,
      'validation_failed',
    );
    expectError(
      await post('/auth/login').send({ email: { $ne: '' }, password: user.password }),
      400,
      'validation_failed',
    );
    expectError(await user.agent.get(`${API}/account`).send({ unexpected: true }), 400, 'bad_request');
    expectError(await request(t.app).delete(`${API}/account/nope`), 404, 'not_found');
  });
});
