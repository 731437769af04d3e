import { Types } from 'mongoose';
import request from 'supertest';

import { dumpDatabase, expectError } from '../../test/support/assert';
import { TEST_ORIGIN, nextIp, signUp, startTestApp, type TestApp } from '../../test/support/app';
import { hit, peek } from '../lib/rate-limit';
import { LOGIN_FAILURES_PER_ACCOUNT } from './routes';

const API = '/api/v1';
const FIFTEEN_MINUTES = 15 * 60_000;

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t.close());

const from = (ip: string) =>
  request(t.app).post(`${API}/auth/login`).set('Origin', TEST_ORIGIN).set('X-Forwarded-For', ip);
const signupFrom = (ip: string, email: string) =>
  request(t.app)
    .post(`${API}/auth/signup`)
    .set('Origin', TEST_ORIGIN)
    .set('X-Forwarded-For', ip)
    .send({ email, password: 'Zq7#vL2!kept-secret' });

/** Counters use fixed windows (15 and 60 minutes); a test must not straddle a window's end. */
async function awayFromWindowEdge(): Promise<void> {
  const left = FIFTEEN_MINUTES - (Date.now() % FIFTEEN_MINUTES);
  if (left < 10_000) await new Promise((resolve) => setTimeout(resolve, left + 100));
}

function expectRateLimited(res: request.Response): void {
  expectError(res, 429, 'rate_limited');
  const retryAfter = Number(res.headers['retry-after']);
  expect(retryAfter).toBeGreaterThan(0);
  expect(retryAfter).toBeLessThanOrEqual(60 * 60);
  expect(res.body.error.details).toEqual({ retryAfterSeconds: retryAfter });
}

describe('login rate limits', () => {
  beforeEach(awayFromWindowEdge);

  it('when one address fails more than 5 times for an account, then 429 even for the right password there, while another address still logs in', async () => {
    const user = await signUp(t.app);
    const attacker = nextIp();

    for (let i = 0; i < 5; i++) {
      expectError(await from(attacker).send({ email: user.email, password: `guess ${i}` }), 401, 'unauthenticated');
    }
    expectRateLimited(await from(attacker).send({ email: user.email, password: 'guess 6' }));
    // Were only failures refused, a right guess would still stand out with a 200.
    const rightGuess = await from(attacker).send({ email: user.email, password: user.password });
    expectRateLimited(rightGuess);
    expect(rightGuess.headers['set-cookie']).toBeUndefined();

    const owner = await from(nextIp()).send({ email: user.email, password: user.password });
    expect(owner.status).toBe(200);
    expect(await t.db.collection('sessions').countDocuments({ accountId: new Types.ObjectId(user.id) })).toBe(2);
  });

  it('when a login succeeds, then that address gets a fresh budget of failures', async () => {
    const user = await signUp(t.app);
    const ip = nextIp();

    for (let i = 0; i < 4; i++)
      expect((await from(ip).send({ email: user.email, password: `typo ${i}` })).status).toBe(401);
    expect((await from(ip).send({ email: user.email, password: user.password })).status).toBe(200);
    for (let i = 0; i < 5; i++)
      expect((await from(ip).send({ email: user.email, password: `typo ${i}` })).status).toBe(401);
    expectRateLimited(await from(ip).send({ email: user.email, password: 'typo again' }));
  });

  it('when failures arrive all at once, then at most 5 are checked and none fails with a server error', async () => {
    const user = await signUp(t.app);
    const ip = nextIp();

    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => from(ip).send({ email: user.email, password: `burst ${i}` })),
    );

    // Which parallel requests get through is a race (counting errs on refusing); how many may guess is not.
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s !== 401 && s !== 429)).toEqual([]);
    expect(statuses.filter((s) => s === 401).length).toBeLessThanOrEqual(5);
    expectRateLimited(await from(ip).send({ email: user.email, password: user.password }));
  });

  it('when counters are stored, then they hold neither the address nor the email', async () => {
    const email = `Counted.Person-${new Types.ObjectId().toHexString()}@Example.com`;
    const user = await signUp(t.app, { email: email.toLowerCase() });
    const ip = nextIp();
    await from(ip).send({ email, password: 'wrong password' });

    const counters = await t.db.collection('ratelimits').find().toArray();
    expect(counters.length).toBeGreaterThan(0);
    const stored = JSON.stringify(counters);
    expect(stored).not.toContain(ip);
    expect(stored).not.toContain(user.ip);
    expect(stored.toLowerCase()).not.toContain(email.toLowerCase());
    expect(stored.toLowerCase()).not.toContain(email.split('@')[0]?.toLowerCase());
    expect(await dumpDatabase(t.db)).not.toContain(ip);
  });
});

describe('login throttling under a distributed guessing attack', () => {
  beforeEach(awayFromWindowEdge);

  /** 100 wrong passwords for `email`, each from an address of its own (a botnet). */
  async function botnetGuesses(email: string): Promise<void> {
    for (let i = 0; i < 100; i += 10) {
      const batch = await Promise.all(
        Array.from({ length: 10 }, (_, j) => from(nextIp()).send({ email, password: `botnet guess ${i + j}` })),
      );
      expect(batch.map((r) => r.status).filter((s) => s !== 401)).toEqual([]);
    }
  }

  /** The same account-wide count the botnet leaves, without 100 password hashes. */
  async function botnetCounted(email: string): Promise<void> {
    for (let i = 0; i < LOGIN_FAILURES_PER_ACCOUNT.max; i++) await hit(LOGIN_FAILURES_PER_ACCOUNT, email);
  }

  it('when a botnet has guessed 100 times, then the owner at a new address still gets in after two typos', async () => {
    const user = await signUp(t.app);
    await botnetGuesses(user.email);
    expect(await peek(LOGIN_FAILURES_PER_ACCOUNT, user.email)).toBe(LOGIN_FAILURES_PER_ACCOUNT.max);
    const travelling = nextIp();
    expect((await from(travelling).send({ email: user.email, password: 'typo one' })).status).toBe(401);
    expect((await from(travelling).send({ email: user.email, password: 'typo two' })).status).toBe(401);
    expect((await from(travelling).send({ email: user.email, password: user.password })).status).toBe(200);
  }, 90_000);

  it('when the account-wide net is full, then an address the owner logged in from before keeps its own budget of 5', async () => {
    const user = await signUp(t.app);
    const home = nextIp();
    expect((await from(home).send({ email: user.email, password: user.password })).status).toBe(200);
    await botnetCounted(user.email);
    for (let i = 0; i < 4; i++) {
      expect((await from(home).send({ email: user.email, password: `typo ${i}` })).status).toBe(401);
    }
    expect((await from(home).send({ email: user.email, password: user.password })).status).toBe(200);
  });

  it('when the account-wide net is full, then each further new address gets 3 tries, the right password included', async () => {
    const user = await signUp(t.app);
    await botnetCounted(user.email);
    const attacker = nextIp();
    for (let i = 0; i < 3; i++) {
      expect((await from(attacker).send({ email: user.email, password: `more ${i}` })).status).toBe(401);
    }
    expectRateLimited(await from(attacker).send({ email: user.email, password: 'more 3' }));
    const rightGuess = await from(attacker).send({ email: user.email, password: user.password });
    expectRateLimited(rightGuess);
    expect(rightGuess.headers['set-cookie']).toBeUndefined();
  });

  it('when the owner mistypes from an address they logged in from before, then the failures do not count toward the account-wide net', async () => {
    const user = await signUp(t.app);
    const home = nextIp();
    expect((await from(home).send({ email: user.email, password: user.password })).status).toBe(200);
    for (let i = 0; i < 4; i++) await from(home).send({ email: user.email, password: `home typo ${i}` });
    expect(await peek(LOGIN_FAILURES_PER_ACCOUNT, user.email)).toBe(0);
    await from(nextIp()).send({ email: user.email, password: 'stranger guess' });
    expect(await peek(LOGIN_FAILURES_PER_ACCOUNT, user.email)).toBe(1);
  });
});

describe('signup rate limit', () => {
  beforeEach(awayFromWindowEdge);

  it('when one address signs up more than 10 times, then 429 and the 11th account is not stored', async () => {
    const ip = nextIp();
    const emails = Array.from({ length: 11 }, (_, i) => `batch-${i}-${new Types.ObjectId().toHexString()}@example.com`);

    for (const email of emails.slice(0, 10)) expect((await signupFrom(ip, email)).status).toBe(202);
    const eleventh = await signupFrom(ip, emails[10] as string);

    expectRateLimited(eleventh);
    expect(await t.db.collection('accounts').countDocuments({ email: emails[10] })).toBe(0);
    expect((await signupFrom(nextIp(), emails[10] as string)).status).toBe(202);
    expect(JSON.stringify(await t.db.collection('ratelimits').find().toArray())).not.toContain(ip);
  });
});
