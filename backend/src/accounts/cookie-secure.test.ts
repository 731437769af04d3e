import request from 'supertest';

import { TEST_ORIGIN, nextIp, startTestApp, type TestApp } from '../../test/support/app';

const API = '/api/v1';

const sessionCookieLine = (res: request.Response): string =>
  ([] as string[]).concat(res.headers['set-cookie'] ?? []).find((l) => l.startsWith('clickpath_session=')) ?? '';

const signUpAndLogOut = async (t: TestApp) => {
  const ip = nextIp();
  const credentials = { email: `secure-${ip}@example.com`, password: 'Zq7#vL2!secure' };
  const signup = await request(t.app)
    .post(`${API}/auth/signup`)
    .set('Origin', TEST_ORIGIN)
    .set('X-Forwarded-For', ip)
    .send(credentials);
  const login = await request(t.app)
    .post(`${API}/auth/login`)
    .set('Origin', TEST_ORIGIN)
    .set('X-Forwarded-For', ip)
    .send(credentials);
  // A cookie jar would not send a Secure cookie over the tests' plain HTTP, so it is sent by hand.
  const logout = await request(t.app)
    .post(`${API}/auth/logout`)
    .set('Origin', TEST_ORIGIN)
    .set('Cookie', sessionCookieLine(login).split(';')[0] ?? '');
  return { signup, login, logout };
};

// Each app owns the process-wide database connection, so the two run one after the other.
describe.each([
  ['COOKIE_SECURE is true', { COOKIE_SECURE: 'true' }],
  ['NODE_ENV is production', { NODE_ENV: 'production' }],
])('when %s', (_label, env) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(env);
  });
  afterAll(() => t.close());

  it('then the session cookie and its clearing are Secure, httpOnly and SameSite=Lax', async () => {
    const { signup, login, logout } = await signUpAndLogOut(t);

    expect(signup.status).toBe(202);
    expect(login.status).toBe(200);
    expect(sessionCookieLine(login)).toMatch(/; Path=\/;.*; HttpOnly; Secure; SameSite=Lax$/);
    expect(logout.status).toBe(204);
    expect(sessionCookieLine(logout)).toMatch(/Expires=Thu, 01 Jan 1970.*; Secure/);
    expect(await t.db.collection('sessions').countDocuments()).toBe(0);
    expect(await t.db.collection('accounts').countDocuments()).toBe(1);
  });
});
