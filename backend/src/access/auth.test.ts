import { Types } from 'mongoose';
import request from 'supertest';

import { expectError } from '../../test/support/assert';
import {
  TEST_ORIGIN,
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

/** Logs the user in and returns the raw session cookie, for requests that set their own headers. */
async function sessionCookieOf(user: TestUser): Promise<string> {
  const res = await request(t.app)
    .post(`${API}/auth/login`)
    .set('Origin', TEST_ORIGIN)
    .set('X-Forwarded-For', user.ip)
    .send({ email: user.email, password: user.password });
  const line = ([] as string[]).concat(res.headers['set-cookie'] ?? []).find((l) => l.startsWith(`${COOKIE}=`));
  if (res.status !== 200 || !line) throw new Error(`login failed: ${res.status}`);
  return `${COOKIE}=${line.slice(COOKIE.length + 1).split(';')[0]}`;
}

/** A cookie-carrying client that sends only the headers a test gives it. */
const withCookie = (cookie: string) => ({
  get: (path: string) => request(t.app).get(`${API}${path}`).set('Cookie', cookie),
  patch: (path: string) => request(t.app).patch(`${API}${path}`).set('Cookie', cookie),
  post: (path: string) => request(t.app).post(`${API}${path}`).set('Cookie', cookie),
  delete: (path: string) => request(t.app).delete(`${API}${path}`).set('Cookie', cookie),
});

describe('CSRF on cookie-authenticated writes', () => {
  let user: TestUser;
  let cookie: string;
  beforeEach(async () => {
    user = await signUp(t.app, { name: 'Before' });
    cookie = await sessionCookieOf(user);
  });
  const storedName = async () => (await accounts().findOne({ _id: new Types.ObjectId(user.id) }))?.name;

  it('when a PATCH has no Origin or Referer, then 403 csrf_rejected and nothing changes', async () => {
    expectError(await withCookie(cookie).patch('/account').send({ name: 'After' }), 403, 'csrf_rejected');
    expect(await storedName()).toBe('Before');
  });

  it.each(['https://evil.example', 'null', 'http://dashboard.clickpath.test.evil.example'])(
    'when a PATCH comes from Origin %s, then 403 and nothing changes',
    async (origin) => {
      const res = await withCookie(cookie).patch('/account').set('Origin', origin).send({ name: 'After' });
      expectError(res, 403, 'csrf_rejected');
      expect(await storedName()).toBe('Before');
    },
  );

  it('when a POST logout has no Origin, then 403 and the session lives on', async () => {
    expectError(await withCookie(cookie).post('/auth/logout'), 403, 'csrf_rejected');
    expect((await withCookie(cookie).get('/account')).status).toBe(200);
  });

  it('when a DELETE comes from a foreign Origin, then 403 and the account stays', async () => {
    const res = await withCookie(cookie)
      .delete('/account')
      .set('Origin', 'https://evil.example')
      .send({ password: user.password });
    expectError(res, 403, 'csrf_rejected');
    expect(await accounts().countDocuments({ _id: new Types.ObjectId(user.id) })).toBe(1);
  });

  it('when a PATCH comes from the trusted Origin, then it is applied', async () => {
    const res = await withCookie(cookie).patch('/account').set('Origin', TEST_ORIGIN).send({ name: 'After' });
    expect(res.status).toBe(200);
    expect(await storedName()).toBe('After');
  });

  it("when a PATCH comes from the API's own origin, then it is applied", async () => {
    const req = withCookie(cookie).patch('/account');
    const res = await req
      .set('Host', 'clickpath.example')
      .set('Origin', 'http://clickpath.example')
      .send({ name: 'Own' });
    expect(res.status).toBe(200);
    expect(await storedName()).toBe('Own');
  });

  it('when a PATCH carries a Referer from the trusted origin instead of Origin, then it is applied', async () => {
    const res = await withCookie(cookie)
      .patch('/account')
      .set('Referer', `${TEST_ORIGIN}/settings/profile?tab=1`)
      .send({ name: 'After' });
    expect(res.status).toBe(200);
    expect(await storedName()).toBe('After');
  });

  it('when a PATCH carries a foreign Referer, then 403', async () => {
    const res = await withCookie(cookie)
      .patch('/account')
      .set('Referer', 'https://evil.example/dashboard.clickpath.test')
      .send({ name: 'After' });
    expectError(res, 403, 'csrf_rejected');
    expect(await storedName()).toBe('Before');
  });

  it('when a GET has no Origin, then it is served', async () => {
    const res = await withCookie(cookie).get('/account');
    expect(res.status).toBe(200);
    expect(res.body.id).toBe(user.id);
  });

  it('when a login is posted from a foreign Origin, then 403 and no session starts', async () => {
    const before = await t.db.collection('sessions').countDocuments({ accountId: new Types.ObjectId(user.id) });
    const res = await request(t.app)
      .post(`${API}/auth/login`)
      .set('Origin', 'https://evil.example')
      .set('X-Forwarded-For', nextIp())
      .send({ email: user.email, password: user.password });
    expectError(res, 403, 'csrf_rejected');
    expect(await t.db.collection('sessions').countDocuments({ accountId: new Types.ObjectId(user.id) })).toBe(before);
  });

  it('when a bearer key writes without Origin, then CSRF rules do not apply', async () => {
    const site = await createSite(user);
    const key = await createKey(user, site.id, ['sites:manage']);

    const res = await request(t.app)
      .patch(`${API}/sites/${site.id}`)
      .set('Authorization', `Bearer ${key.secret}`)
      .send({ name: 'Renamed by key' });

    expect(res.status).toBe(200);
    expect(await t.db.collection('sites').findOne({ _id: new Types.ObjectId(site.id) })).toMatchObject({
      name: 'Renamed by key',
    });
  });
});

describe('sessions and credentials', () => {
  it('when the session has expired, then 401 even though its row still exists', async () => {
    const user = await signUp(t.app);
    const cookie = await sessionCookieOf(user);
    await t.db
      .collection('sessions')
      .updateMany({ accountId: new Types.ObjectId(user.id) }, { $set: { expiresAt: new Date(Date.now() - 1000) } });

    expectError(await withCookie(cookie).get('/account'), 401, 'unauthenticated');
    expectError(await user.agent.get(`${API}/account`), 401, 'unauthenticated');
    expect(await t.db.collection('sessions').countDocuments({ accountId: new Types.ObjectId(user.id) })).toBe(2);
  });

  it.each([
    ['garbage', `${COOKIE}=garbage`],
    ['well-formed but unknown', `${COOKIE}=${'A'.repeat(43)}`],
    ['broken percent-encoding', `${COOKIE}=%E0%A4%A`],
    ['4000 characters long', `${COOKIE}=${'x'.repeat(4000)}`],
    ['empty', `${COOKIE}=`],
    ['sent twice', `${COOKIE}="quoted"; ${COOKIE}=second`],
  ])('when the session cookie is %s, then 401 and not a server error', async (_label, cookie) => {
    expectError(await withCookie(cookie).get('/account'), 401, 'unauthenticated');
  });

  describe('keys in the query string', () => {
    let key: { id: string; secret: string };
    beforeAll(async () => {
      const owner = await signUp(t.app);
      key = await createKey(owner, (await createSite(owner)).id);
    });

    it.each(['api_key', 'key', 'apiKey', 'API_KEY', 'access_token', 'token'])(
      'when a valid key is sent as ?%s=, then 400 tells to use the Authorization header and it is not used',
      async (param) => {
        const res = await request(t.app)
          .get(`${API}/me`)
          .query({ [param]: key.secret });
        expectError(res, 400, 'bad_request');
        expect(res.body.error.message).toMatch(/not accepted in the query string.*Authorization: Bearer/);
        const stored = await t.db.collection('apikeys').findOne({ _id: new Types.ObjectId(key.id) });
        expect(stored?.lastUsedAt).toBeNull();
      },
    );

    it('when an invalid key is sent as ?key= alongside a valid header, then still 400', async () => {
      const res = await request(t.app).get(`${API}/me?key=nope`).set('Authorization', `Bearer ${key.secret}`);
      expectError(res, 400, 'bad_request');
    });

    it('when the key is sent in the Authorization header, then it works', async () => {
      const res = await request(t.app).get(`${API}/me`).set('Authorization', `Bearer ${key.secret}`);
      expect(res.status).toBe(200);
      expect(res.body.type).toBe('apiKey');
    });
  });

  it.each(['Basic dXNlcjpwYXNz', 'Bearer', 'Bearer ', 'Bearer a b', 'Token abc', 'Bearer not-a-real-key', ''])(
    'when the Authorization header is "%s", then 401',
    async (header) => {
      expectError(await request(t.app).get(`${API}/me`).set('Authorization', header), 401, 'unauthenticated');
    },
  );

  it('when a malformed Authorization header comes with a valid cookie, then 401 rather than the cookie winning', async () => {
    const user = await signUp(t.app);
    const res = await user.agent.get(`${API}/account`).set('Authorization', 'Basic abc');
    expectError(res, 401, 'unauthenticated');
  });

  it('when a key calls an account route, then 403: account actions need a person', async () => {
    const owner = await signUp(t.app);
    const key = await createKey(owner, (await createSite(owner)).id, ['sites:manage']);
    const res = await request(t.app).get(`${API}/account`).set('Authorization', `Bearer ${key.secret}`);
    expectError(res, 403, 'forbidden');
  });
});

describe('GET /auth/session (the dashboard asks before anyone logs in)', () => {
  it('when no one is signed in, then 200 anonymous rather than a 401', async () => {
    const res = await request(t.app).get(`${API}/auth/session`);
    expect({ status: res.status, body: res.body }).toEqual({ status: 200, body: { type: 'anonymous' } });
    expect(res.headers['cache-control']).toBe('no-store');
  });

  it('when signed in, then the same person and sites as /me; after logout, anonymous', async () => {
    const user = await signUp(t.app, { name: 'Session' });
    const site = await createSite(user);
    const res = await user.agent.get(`${API}/auth/session`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual((await user.agent.get(`${API}/me`)).body);
    expect(res.body).toMatchObject({
      type: 'session',
      account: { id: user.id, email: user.email, name: 'Session' },
      sites: [expect.objectContaining({ id: site.id, role: 'owner' })],
    });

    expect((await user.agent.post(`${API}/auth/logout`)).status).toBe(204);
    expect((await user.agent.get(`${API}/auth/session`)).body).toEqual({ type: 'anonymous' });
  });

  it('when the session has expired or the cookie is garbage, then anonymous', async () => {
    const user = await signUp(t.app);
    const cookie = await sessionCookieOf(user);
    expect((await withCookie(`${COOKIE}=garbage`).get('/auth/session')).body).toEqual({ type: 'anonymous' });
    await t.db
      .collection('sessions')
      .updateMany({ accountId: new Types.ObjectId(user.id) }, { $set: { expiresAt: new Date(Date.now() - 1000) } });
    expect((await withCookie(cookie).get('/auth/session')).body).toEqual({ type: 'anonymous' });
  });

  it('when an API key calls it, then anonymous: a key is not a browser session', async () => {
    const owner = await signUp(t.app);
    const key = await createKey(owner, (await createSite(owner)).id);
    const res = await request(t.app).get(`${API}/auth/session`).set('Authorization', `Bearer ${key.secret}`);
    expect(res.body).toEqual({ type: 'anonymous' });
  });
});
