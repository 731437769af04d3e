import { Types } from 'mongoose';
import { generate } from 'otplib';
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
import { startMailpit, sha256, type Mailpit } from '../../test/support/mailpit';
import { SESSION_COOKIE } from '../access/auth';
import { hit } from '../lib/rate-limit';
import { CODE_FAILURES_PER_ACCOUNT } from './two-factor-routes';

const API = '/api/v1';
const PERIOD_MS = 30_000;
const FIFTEEN_MINUTES = 15 * 60_000;

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

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const stepNow = () => Math.floor(Date.now() / PERIOD_MS);
const codeAt = (secret: string, step: number) => generate({ secret, epoch: (step * PERIOD_MS) / 1000 });

/**
 * A code the server takes now that is newer than `last` (the step the server last accepted):
 * the step before the current one for a first code, so three codes in a row need no waiting.
 * Stays clear of a step's last seconds, so the step it picked is still in reach when it arrives.
 */
async function freshCode(secret: string, last: number | null): Promise<{ code: string; step: number }> {
  for (;;) {
    const left = PERIOD_MS - (Date.now() % PERIOD_MS);
    if (left < 3_000) await sleep(left + 100);
    const now = stepNow();
    const step = last === null ? now - 1 : Math.max(now - 1, last + 1);
    if (step <= now + 1) return { code: await codeAt(secret, step), step };
    await sleep(PERIOD_MS - (Date.now() % PERIOD_MS) + 100);
  }
}

/** A code for none of the steps the server accepts now. */
const wrongCode = async (secret: string) => {
  const valid = new Set(await Promise.all([-1, 0, 1].map((d) => codeAt(secret, stepNow() + d))));
  for (let n = 0; ; n++) {
    const guess = String(n).padStart(6, '0');
    if (!valid.has(guess)) return guess;
  }
};

/** Rate limits count in fixed windows (15 and 60 minutes); a test must not straddle a window's end. */
async function awayFromWindowEdge(): Promise<void> {
  const left = FIFTEEN_MINUTES - (Date.now() % FIFTEEN_MINUTES);
  if (left < 20_000) await sleep(left + 100);
}

const accounts = () => t.db.collection('accounts');
const stored = (user: TestUser) => accounts().findOne({ _id: new Types.ObjectId(user.id) });
const cookiesOf = (res: request.Response): string[] => ([] as string[]).concat(res.headers['set-cookie'] ?? []);
const sessionCookieOf = (res: request.Response) => cookiesOf(res).find((c) => c.startsWith(`${SESSION_COOKIE}=`));

/** A browser of its own (no cookie yet) at a fresh address. */
const browser = (ip = nextIp()) => request.agent(t.app).set('Origin', TEST_ORIGIN).set('X-Forwarded-For', ip);

interface Enrolled {
  secret: string;
  recoveryCodes: string[];
  /** The step of the newest code the server accepted. */
  lastStep: number;
}

/** Turns two-factor sign-in on for `user` as the dashboard does: password, QR code, a first code. */
async function enrol(user: TestUser): Promise<Enrolled> {
  const setup = await user.agent.post(`${API}/account/two-factor/setup`).send({ password: user.password });
  expect(setup.status).toBe(200);
  const secret = setup.body.secret as string;
  const { code, step } = await freshCode(secret, null);
  const confirmed = await user.agent.post(`${API}/account/two-factor/confirm`).send({ code });
  expect(confirmed.status).toBe(200);
  return { secret, recoveryCodes: confirmed.body.recoveryCodes as string[], lastStep: step };
}

/** The password step; returns the challenge of a 202. */
async function passwordStep(user: TestUser, agent = browser()): Promise<string> {
  const res = await agent.post(`${API}/auth/login`).send({ email: user.email, password: user.password });
  expect(res.status).toBe(202);
  return res.body.challenge as string;
}

describe('enrolment', () => {
  it('when a user starts set-up with their password, then a secret, its otpauth URI and a QR code come back, and nothing changes until a first code', async () => {
    const user = await signUp(t.app);

    expectError(
      await user.agent.post(`${API}/account/two-factor/setup`).send({ password: 'not my password' }),
      403,
      'forbidden',
    );
    const res = await user.agent.post(`${API}/account/two-factor/setup`).send({ password: user.password });

    expect(res.status).toBe(200);
    const { secret, uri, qrCode, expiresAt } = res.body as Record<string, string>;
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(uri).toBe(`otpauth://totp/Clickpath:${encodeURIComponent(user.email)}?secret=${secret}&issuer=Clickpath`);
    expect(qrCode).toMatch(/^data:image\/svg\+xml;base64,/);
    expect(Buffer.from(qrCode!.split(',')[1]!, 'base64').toString()).toMatch(/^<svg[^>]*xmlns/);
    expect(Math.abs(Date.parse(expiresAt!) - Date.now() - FIFTEEN_MINUTES)).toBeLessThan(5_000);
    expect(await stored(user)).toMatchObject({ totpPendingSecret: secret, totpEnabledAt: null, totpSecret: null });
    expect((await user.agent.get(`${API}/account/two-factor`)).body).toEqual({
      enabled: false,
      enabledAt: null,
      recoveryCodesLeft: 0,
    });
    // Until confirmed, the password alone still signs in.
    const login = await browser().post(`${API}/auth/login`).send({ email: user.email, password: user.password });
    expect(login.status).toBe(200);
    expect(login.body.twoFactorEnabled).toBe(false);
  });

  it('when the first code is right, then it is on, ten recovery codes come back once (stored hashed), other sessions end and the address is told', async () => {
    const user = await signUp(t.app);
    const elsewhere = browser();
    await elsewhere.post(`${API}/auth/login`).send({ email: user.email, password: user.password }).expect(200);
    const setup = await user.agent.post(`${API}/account/two-factor/setup`).send({ password: user.password });
    const secret = setup.body.secret as string;

    expectError(
      await user.agent.post(`${API}/account/two-factor/confirm`).send({ code: await wrongCode(secret) }),
      403,
      'invalid_code',
    );
    expect((await stored(user))?.totpEnabledAt).toBeNull();
    const { code, step } = await freshCode(secret, null);
    const res = await user.agent
      .post(`${API}/account/two-factor/confirm`)
      .send({ code: `${code.slice(0, 3)} ${code.slice(3)}` });

    expect(res.status).toBe(200);
    const codes = res.body.recoveryCodes as string[];
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    codes.forEach((c) => expect(c).toMatch(/^[0-9a-hjkmnp-tv-z]{4}(-[0-9a-hjkmnp-tv-z]{4}){3}$/));
    const account = await stored(user);
    expect(account).toMatchObject({
      totpSecret: secret,
      totpEnabledAt: expect.any(Date),
      totpLastStep: step,
      totpPendingSecret: null,
    });
    const hashes = await t.db
      .collection('recovery_codes')
      .find({ accountId: new Types.ObjectId(user.id) })
      .toArray();
    expect(hashes.map((h) => h.codeHash).sort()).toEqual(codes.map((c) => sha256(c.replace(/-/g, ''))).sort());
    const dump = await dumpDatabase(t.db);
    codes.forEach((c) => expect(dump).not.toContain(c.replace(/-/g, '')));
    // The session that turned it on stays; the other one ended.
    expect((await user.agent.get(`${API}/account`)).body).toMatchObject({ twoFactorEnabled: true });
    expectError(await elsewhere.get(`${API}/account`), 401, 'unauthenticated');
    expect((await user.agent.get(`${API}/account/two-factor`)).body).toEqual({
      enabled: true,
      enabledAt: (account?.totpEnabledAt as Date).toISOString(),
      recoveryCodesLeft: 10,
    });
    const [notice] = await mailpit.waitFor(user.email, {
      subject: 'Two-factor sign-in is on for your Clickpath account',
    });
    expect(notice?.Text).toContain('Every other session was logged out');
    // Shown once: nothing reads them back, and a second set-up is refused while it is on.
    expect(JSON.stringify((await user.agent.get(`${API}/account/two-factor`)).body)).not.toContain(codes[0]);
    expectError(
      await user.agent.post(`${API}/account/two-factor/setup`).send({ password: user.password }),
      409,
      'conflict',
    );
  });

  it('when the first code comes after the 15 minutes of set-up, then 409 and it stays off', async () => {
    const user = await signUp(t.app);
    const setup = await user.agent.post(`${API}/account/two-factor/setup`).send({ password: user.password });
    await accounts().updateOne(
      { _id: new Types.ObjectId(user.id) },
      { $set: { totpPendingUntil: new Date(Date.now() - 1000) } },
    );

    const { code } = await freshCode(setup.body.secret as string, null);
    expectError(await user.agent.post(`${API}/account/two-factor/confirm`).send({ code }), 409, 'conflict');
    expect((await stored(user))?.totpEnabledAt).toBeNull();
  });

  it('when the first code is sent twice at once, then it turns on once and the recovery codes handed out are the ones stored', async () => {
    const user = await signUp(t.app);
    const setup = await user.agent.post(`${API}/account/two-factor/setup`).send({ password: user.password });
    const { code } = await freshCode(setup.body.secret as string, null);

    const results = await Promise.all(
      [1, 2].map(() => user.agent.post(`${API}/account/two-factor/confirm`).send({ code })),
    );

    expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
    const codes = results.find((r) => r.status === 200)?.body.recoveryCodes as string[];
    const stored = await t.db
      .collection('recovery_codes')
      .find({ accountId: new Types.ObjectId(user.id) })
      .toArray();
    expect(stored.map((h) => h.codeHash).sort()).toEqual(codes.map((c) => sha256(c.replace(/-/g, ''))).sort());
  });

  it('when a code is not six digits, then 400 naming the field', async () => {
    const user = await signUp(t.app);
    const res = await user.agent.post(`${API}/account/two-factor/confirm`).send({ code: '12345a' });
    expectError(res, 400, 'validation_failed');
    expect(res.body.error.details).toEqual([
      { path: 'body.code', message: 'must be the 6-digit code your authenticator app shows' },
    ]);
  });
});

describe('signing in with a second factor', () => {
  it('when the password is right, then 202 with a challenge and no session cookie; a code from the app then starts the session', async () => {
    const user = await signUp(t.app);
    const { secret, lastStep } = await enrol(user);
    const agent = browser();

    const first = await agent.post(`${API}/auth/login`).send({ email: user.email, password: user.password });

    expect(first.status).toBe(202);
    expect(first.body).toEqual({
      status: 'two_factor_required',
      challenge: expect.any(String),
      expiresAt: expect.any(String),
    });
    expect(cookiesOf(first)).toEqual([]);
    expectError(await agent.get(`${API}/account`), 401, 'unauthenticated');
    expect((await agent.get(`${API}/auth/session`)).body).toEqual({ type: 'anonymous' });
    const challenge = first.body.challenge as string;
    expect(challenge).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await t.db.collection('login_challenges').findOne({ tokenHash: sha256(challenge) })).toMatchObject({
      accountId: new Types.ObjectId(user.id),
    });
    expect(await dumpDatabase(t.db)).not.toContain(challenge);

    const { code } = await freshCode(secret, lastStep);
    const second = await agent.post(`${API}/auth/login/two-factor`).send({ challenge, code });

    expect(second.status).toBe(200);
    expect(second.body).toMatchObject({ id: user.id, email: user.email, twoFactorEnabled: true });
    expect(sessionCookieOf(second)).toMatch(/; HttpOnly/);
    expect((await agent.get(`${API}/account`)).status).toBe(200);
    // The challenge completed one sign-in: it is gone.
    expectError(await agent.post(`${API}/auth/login/two-factor`).send({ challenge, code }), 400, 'invalid_token');
    expect(await t.db.collection('login_challenges').countDocuments({ accountId: new Types.ObjectId(user.id) })).toBe(
      0,
    );
  });

  it('when a code was accepted, then it never works again, nor does an older one, while the next one does', async () => {
    const user = await signUp(t.app);
    const { secret, lastStep } = await enrol(user);
    const used = await freshCode(secret, lastStep);
    await browser()
      .post(`${API}/auth/login/two-factor`)
      .send({ challenge: await passwordStep(user), code: used.code })
      .expect(200);

    const replay = await browser()
      .post(`${API}/auth/login/two-factor`)
      .send({ challenge: await passwordStep(user), code: used.code });
    expectError(replay, 403, 'invalid_code');
    expect(sessionCookieOf(replay)).toBeUndefined();
    // The step before (the enrolment's own code, unless the clock moved on) is within the clock's tolerance.
    expectError(
      await browser()
        .post(`${API}/auth/login/two-factor`)
        .send({ challenge: await passwordStep(user), code: await codeAt(secret, used.step - 1) }),
      403,
      'invalid_code',
    );

    const next = await freshCode(secret, used.step);
    const agent = browser();
    expect(
      (
        await agent
          .post(`${API}/auth/login/two-factor`)
          .send({ challenge: await passwordStep(user, agent), code: next.code })
      ).status,
    ).toBe(200);
    expect((await stored(user))?.totpLastStep).toBe(next.step);
  }, 60_000);

  // FerretDB lets racing conditional updates and findOneAndDelete all through; these would fail on them.
  it('when the same code is sent four times at once, then one sign-in gets a session', async () => {
    const user = await signUp(t.app);
    const { secret, lastStep } = await enrol(user);
    const { code } = await freshCode(secret, lastStep);
    const challenges = await Promise.all([1, 2, 3, 4].map(() => passwordStep(user)));

    const results = await Promise.all(
      challenges.map((challenge) => browser().post(`${API}/auth/login/two-factor`).send({ challenge, code })),
    );

    expect(results.map((r) => r.status).sort()).toEqual([200, 403, 403, 403]);
    expect(results.filter((r) => sessionCookieOf(r) !== undefined)).toHaveLength(1);
  });

  it('when the same recovery code, or the same challenge, is sent four times at once, then one sign-in gets a session', async () => {
    const user = await signUp(t.app);
    const { secret, lastStep, recoveryCodes } = await enrol(user);
    const challenges = await Promise.all([1, 2, 3, 4].map(() => passwordStep(user)));

    const byCode = await Promise.all(
      challenges.map((challenge) =>
        browser().post(`${API}/auth/login/two-factor`).send({ challenge, recoveryCode: recoveryCodes[0] }),
      ),
    );
    expect(byCode.map((r) => r.status).sort()).toEqual([200, 403, 403, 403]);
    expect((await user.agent.get(`${API}/account/two-factor`)).body.recoveryCodesLeft).toBe(9);

    // One challenge, four different right factors: the challenge completes one sign-in.
    const challenge = await passwordStep(user);
    const { code } = await freshCode(secret, lastStep);
    const byChallenge = await Promise.all(
      [{ code }, ...recoveryCodes.slice(1, 4).map((recoveryCode) => ({ recoveryCode }))].map((factor) =>
        browser()
          .post(`${API}/auth/login/two-factor`)
          .send({ challenge, ...factor }),
      ),
    );
    expect(byChallenge.filter((r) => r.status === 200)).toHaveLength(1);
    expect(byChallenge.filter((r) => sessionCookieOf(r) !== undefined)).toHaveLength(1);
    byChallenge.filter((r) => r.status !== 200).forEach((r) => expectError(r, 400, 'invalid_token'));
  });

  it('when a recovery code is used, then it signs in once, is refused the second time, and the address is told how many are left', async () => {
    const user = await signUp(t.app);
    const { recoveryCodes } = await enrol(user);
    const recoveryCode = recoveryCodes[3]!;

    // Typed loosely: upper case, spaces instead of dashes.
    const agent = browser();
    const res = await agent.post(`${API}/auth/login/two-factor`).send({
      challenge: await passwordStep(user, agent),
      recoveryCode: recoveryCode.toUpperCase().replace(/-/g, ' '),
    });

    expect(res.status).toBe(200);
    expect(sessionCookieOf(res)).toBeDefined();
    expect((await user.agent.get(`${API}/account/two-factor`)).body.recoveryCodesLeft).toBe(9);
    expect(
      await t.db.collection('recovery_codes').findOne({ codeHash: sha256(recoveryCode.replace(/-/g, '')) }),
    ).toBeNull();
    const [notice] = await mailpit.waitFor(user.email, { subject: 'A recovery code was used to sign in to Clickpath' });
    expect(notice?.Text).toContain('9 are left');

    const again = await browser()
      .post(`${API}/auth/login/two-factor`)
      .send({ challenge: await passwordStep(user), recoveryCode });
    expectError(again, 403, 'invalid_code');
    expect(sessionCookieOf(again)).toBeUndefined();
  });

  it('when both a code and a recovery code are sent, or neither, then 400', async () => {
    const user = await signUp(t.app);
    const { secret, lastStep, recoveryCodes } = await enrol(user);
    const challenge = await passwordStep(user);
    const { code } = await freshCode(secret, lastStep);

    expectError(
      await browser().post(`${API}/auth/login/two-factor`).send({ challenge, code, recoveryCode: recoveryCodes[0] }),
      400,
      'validation_failed',
    );
    expectError(await browser().post(`${API}/auth/login/two-factor`).send({ challenge }), 400, 'validation_failed');
  });

  it('when the challenge is older than 5 minutes or made up, then 400 invalid_token and no session', async () => {
    const user = await signUp(t.app);
    const { secret, lastStep } = await enrol(user);
    const challenge = await passwordStep(user);
    const stored = await t.db.collection('login_challenges').findOne({ tokenHash: sha256(challenge) });
    expect(Math.abs((stored?.expiresAt as Date).getTime() - Date.now() - 5 * 60_000)).toBeLessThan(5_000);
    await t.db
      .collection('login_challenges')
      .updateOne({ tokenHash: sha256(challenge) }, { $set: { expiresAt: new Date(Date.now() - 1) } });
    const { code } = await freshCode(secret, lastStep);

    const late = await browser().post(`${API}/auth/login/two-factor`).send({ challenge, code });
    expectError(late, 400, 'invalid_token');
    expect(sessionCookieOf(late)).toBeUndefined();
    expectError(
      await browser()
        .post(`${API}/auth/login/two-factor`)
        .send({ challenge: 'A'.repeat(43), code }),
      400,
      'invalid_token',
    );
  });
});

describe('guessing codes', () => {
  beforeEach(awayFromWindowEdge);

  it('when one address tries 5 wrong codes, then the 6th try is refused with 429 even when right, and no session starts; the owner elsewhere still signs in', async () => {
    const user = await signUp(t.app);
    const { secret, lastStep } = await enrol(user);
    const attacker = browser();
    const challenge = await passwordStep(user, attacker);
    const wrong = await wrongCode(secret);

    for (let i = 0; i < 5; i++) {
      expectError(
        await attacker.post(`${API}/auth/login/two-factor`).send({ challenge, code: wrong }),
        403,
        'invalid_code',
      );
    }
    const { code, step } = await freshCode(secret, lastStep);
    const right = await attacker.post(`${API}/auth/login/two-factor`).send({ challenge, code });

    expectError(right, 429, 'rate_limited');
    expect(Number(right.headers['retry-after'])).toBeGreaterThan(0);
    expect(sessionCookieOf(right)).toBeUndefined();
    expect(await t.db.collection('sessions').countDocuments({ accountId: new Types.ObjectId(user.id) })).toBe(1);
    const owner = browser();
    const signedIn = await owner
      .post(`${API}/auth/login/two-factor`)
      .send({ challenge: await passwordStep(user, owner), code });
    expect(signedIn.status).toBe(200);
    expect((await stored(user))?.totpLastStep).toBe(step);
  });

  it('when 20 wrong codes arrived for the account this hour (from anywhere), then every address is refused with 429', async () => {
    const user = await signUp(t.app);
    const { secret, lastStep } = await enrol(user);
    for (let i = 0; i < CODE_FAILURES_PER_ACCOUNT.max; i++) await hit(CODE_FAILURES_PER_ACCOUNT, user.id);
    const { code } = await freshCode(secret, lastStep);

    const res = await browser()
      .post(`${API}/auth/login/two-factor`)
      .send({ challenge: await passwordStep(user), code });

    expectError(res, 429, 'rate_limited');
    expect(sessionCookieOf(res)).toBeUndefined();
    // A signed-in session cannot use its own attempts to guess past the net either.
    expectError(
      await user.agent.delete(`${API}/account/two-factor`).send({ password: user.password, code }),
      429,
      'rate_limited',
    );
  });

  it('when wrong codes are sent, then each one counts toward the account-wide net', async () => {
    const user = await signUp(t.app);
    const { secret } = await enrol(user);
    const wrong = await wrongCode(secret);
    for (let i = 0; i < 3; i++) {
      await browser()
        .post(`${API}/auth/login/two-factor`)
        .send({ challenge: await passwordStep(user), code: wrong })
        .expect(403);
    }
    // 17 more from the net's point of view fill it; the 18th (here the 21st overall) would be refused.
    for (let i = 0; i < CODE_FAILURES_PER_ACCOUNT.max - 3; i++) await hit(CODE_FAILURES_PER_ACCOUNT, user.id);
    await expect(hit(CODE_FAILURES_PER_ACCOUNT, user.id)).rejects.toMatchObject({ code: 'rate_limited' });
  });
});

describe('turning it off and new recovery codes', () => {
  it('when turning it off, then the password and a code are both needed; afterwards login is one step, the recovery codes are gone and the address is told', async () => {
    const user = await signUp(t.app);
    const { secret, lastStep } = await enrol(user);
    const off = (body: Record<string, unknown>) => user.agent.delete(`${API}/account/two-factor`).send(body);
    const { code } = await freshCode(secret, lastStep);

    expectError(await off({ password: user.password }), 400, 'validation_failed');
    expectError(await off({ code }), 400, 'validation_failed');
    expectError(await off({ password: 'wrong password', code }), 403, 'forbidden');
    expectError(await off({ password: user.password, code: await wrongCode(secret) }), 403, 'invalid_code');
    expect((await stored(user))?.totpEnabledAt).toBeInstanceOf(Date);

    expect((await off({ password: user.password, code })).status).toBe(204);

    expect(await stored(user)).toMatchObject({ totpSecret: null, totpEnabledAt: null, totpLastStep: null });
    expect(await t.db.collection('recovery_codes').countDocuments({ accountId: new Types.ObjectId(user.id) })).toBe(0);
    const login = await browser().post(`${API}/auth/login`).send({ email: user.email, password: user.password });
    expect(login.status).toBe(200);
    expect(sessionCookieOf(login)).toBeDefined();
    await mailpit.waitFor(user.email, { subject: 'Two-factor sign-in was turned off for your Clickpath account' });
  });

  it('when the phone is lost, then a recovery code with the password turns it off', async () => {
    const user = await signUp(t.app);
    const { recoveryCodes } = await enrol(user);

    const res = await user.agent
      .delete(`${API}/account/two-factor`)
      .send({ password: user.password, recoveryCode: recoveryCodes[0] });

    expect(res.status).toBe(204);
    expect((await stored(user))?.totpEnabledAt).toBeNull();
  });

  it('when new recovery codes are made with a code, then ten new ones work and the old ones do not', async () => {
    const user = await signUp(t.app);
    const { secret, lastStep, recoveryCodes: old } = await enrol(user);
    const { code } = await freshCode(secret, lastStep);

    expectError(
      await user.agent.post(`${API}/account/two-factor/recovery-codes`).send({ code: await wrongCode(secret) }),
      403,
      'invalid_code',
    );
    const res = await user.agent.post(`${API}/account/two-factor/recovery-codes`).send({ code });

    expect(res.status).toBe(200);
    const fresh = res.body.recoveryCodes as string[];
    expect(fresh).toHaveLength(10);
    expect(fresh.filter((c) => old.includes(c))).toEqual([]);
    expectError(
      await browser()
        .post(`${API}/auth/login/two-factor`)
        .send({ challenge: await passwordStep(user), recoveryCode: old[0] }),
      403,
      'invalid_code',
    );
    expect(
      (
        await browser()
          .post(`${API}/auth/login/two-factor`)
          .send({ challenge: await passwordStep(user), recoveryCode: fresh[0] })
      ).status,
    ).toBe(200);
  });

  it('when two-factor sign-in is off, then new recovery codes and turning it off answer 409', async () => {
    const user = await signUp(t.app);
    expectError(
      await user.agent.post(`${API}/account/two-factor/recovery-codes`).send({ code: '123456' }),
      409,
      'conflict',
    );
    expectError(
      await user.agent.delete(`${API}/account/two-factor`).send({ password: user.password, code: '123456' }),
      409,
      'conflict',
    );
  });

  it('when the account is deleted, then its recovery codes, pending sign-ins and spent codes go with it', async () => {
    const user = await signUp(t.app);
    await enrol(user);
    await passwordStep(user);
    const accountId = new Types.ObjectId(user.id);
    expect(await t.db.collection('spent_keys').countDocuments({ accountId })).toBeGreaterThan(0);

    await user.agent.delete(`${API}/account`).send({ password: user.password }).expect(204);

    expect(await t.db.collection('recovery_codes').countDocuments({ accountId })).toBe(0);
    expect(await t.db.collection('login_challenges').countDocuments({ accountId })).toBe(0);
    expect(await t.db.collection('spent_keys').countDocuments({ accountId })).toBe(0);
  });
});

describe('sites that require two-factor sign-in', () => {
  const policy = (user: TestUser, siteId: string, required: boolean) =>
    user.agent.put(`${API}/sites/${siteId}/two-factor-policy`).send({ required });
  const overview = `stats/overview?from=2026-01-01&to=2026-01-31`;

  it('when the owner has no second factor, then requiring it is refused; once they have one, it is stored and shown', async () => {
    const owner = await signUp(t.app);
    const site = await createSite(owner);

    const refused = await policy(owner, site.id, true);
    expectError(refused, 403, 'two_factor_required');
    expect((await t.db.collection('sites').findOne({ _id: new Types.ObjectId(site.id) }))?.requireTwoFactor).toBe(
      false,
    );

    await enrol(owner);
    const res = await policy(owner, site.id, true);

    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: site.id, requireTwoFactor: true, role: 'owner' });
    expect((await t.db.collection('sites').findOne({ _id: new Types.ObjectId(site.id) }))?.requireTwoFactor).toBe(true);
    expect((await owner.agent.get(`${API}/sites/${site.id}`)).body.requireTwoFactor).toBe(true);
  });

  it('when a site requires it, then a member without it gets 403 two_factor_required on its data (their keys too), their other sites still open, and after enrolling they get in', async () => {
    const owner = await signUp(t.app);
    await enrol(owner);
    const site = await createSite(owner);
    const member = await signUp(t.app);
    await addMember(owner, site.id, member, 'admin');
    const memberKey = await createKey(member, site.id, ['stats:read']);
    const ownerKey = await createKey(owner, site.id, ['stats:read']);
    const ownSite = await createSite(member, { domain: 'own.example.com' });
    await policy(owner, site.id, true).expect(200);

    for (const path of ['', `/${overview}`, '/keys']) {
      const res = await member.agent.get(`${API}/sites/${site.id}${path}`);
      expectError(res, 403, 'two_factor_required');
      expect(res.body.error.details).toEqual({ siteId: site.id });
      expect(res.body.error.message).toMatch(/requires two-factor sign-in/);
    }
    expectError(
      await request(t.app)
        .get(`${API}/sites/${site.id}/${overview}`)
        .set('Authorization', `Bearer ${memberKey.secret}`),
      403,
      'two_factor_required',
    );
    expect(
      (
        await request(t.app)
          .get(`${API}/sites/${site.id}/${overview}`)
          .set('Authorization', `Bearer ${ownerKey.secret}`)
      ).status,
    ).toBe(200);
    expect((await member.agent.get(`${API}/sites/${ownSite.id}`)).status).toBe(200);
    // The site is still listed, with the rule, so the dashboard can say why it does not open.
    const listed = (await member.agent.get(`${API}/sites`)).body.sites as Array<{
      id: string;
      requireTwoFactor: boolean;
    }>;
    expect(listed.find((s) => s.id === site.id)).toMatchObject({ requireTwoFactor: true });
    const members = (await owner.agent.get(`${API}/sites/${site.id}/members`)).body.members as Array<
      Record<string, unknown>
    >;
    expect(members.find((m) => m.accountId === member.id)).toMatchObject({ twoFactorEnabled: false });
    expect(members.find((m) => m.accountId === owner.id)).toMatchObject({ twoFactorEnabled: true });

    await enrol(member);

    expect((await member.agent.get(`${API}/sites/${site.id}`)).status).toBe(200);
    expect((await member.agent.get(`${API}/sites/${site.id}/${overview}`)).status).toBe(200);
    expect(
      (
        await request(t.app)
          .get(`${API}/sites/${site.id}/${overview}`)
          .set('Authorization', `Bearer ${memberKey.secret}`)
      ).status,
    ).toBe(200);
  });

  it('when the owner turns the rule off, then members without a second factor get in again', async () => {
    const owner = await signUp(t.app);
    await enrol(owner);
    const site = await createSite(owner);
    const viewer = await signUp(t.app);
    await addMember(owner, site.id, viewer, 'viewer');
    await policy(owner, site.id, true).expect(200);
    expectError(await viewer.agent.get(`${API}/sites/${site.id}`), 403, 'two_factor_required');

    expect((await policy(owner, site.id, false)).body.requireTwoFactor).toBe(false);

    expect((await viewer.agent.get(`${API}/sites/${site.id}`)).status).toBe(200);
  });

  it('when an admin or another tenant sets the rule, then 403 and 404, and nothing changes', async () => {
    const owner = await signUp(t.app);
    await enrol(owner);
    const site = await createSite(owner);
    const admin = await signUp(t.app);
    await addMember(owner, site.id, admin, 'admin');
    await enrol(admin);
    const stranger = await signUp(t.app);
    await enrol(stranger);

    expectError(await policy(admin, site.id, true), 403, 'forbidden');
    expectError(await policy(stranger, site.id, true), 404, 'not_found');
    expect((await t.db.collection('sites').findOne({ _id: new Types.ObjectId(site.id) }))?.requireTwoFactor).toBe(
      false,
    );
  });
});

describe('OpenAPI', () => {
  it('when read, then the login answers 200 or 202 and the second step and two-factor routes are described', async () => {
    const doc = (await request(t.app).get(`${API}/openapi.json`)).body as {
      paths: Record<string, Record<string, { operationId: string; responses: Record<string, unknown> }>>;
    };
    expect(Object.keys(doc.paths[`${API}/auth/login`]?.post?.responses ?? {})).toEqual(
      expect.arrayContaining(['200', '202']),
    );
    expect(doc.paths[`${API}/auth/login/two-factor`]?.post?.operationId).toBe('logInSecondFactor');
    expect(doc.paths[`${API}/account/two-factor`]?.delete?.operationId).toBe('disableTwoFactor');
    expect(doc.paths[`${API}/sites/{siteId}/two-factor-policy`]?.put?.operationId).toBe('setTwoFactorPolicy');
  });
});
