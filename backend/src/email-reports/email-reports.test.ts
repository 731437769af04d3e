import { Types } from 'mongoose';
import pino from 'pino';
import request from 'supertest';

import {
  addMember,
  createKey,
  createSite,
  signUp,
  startTestApp,
  type TestApp,
  type TestUser,
} from '../../test/support/app';
import { expectError } from '../../test/support/assert';
import { at, insertEvents } from '../../test/support/events';
import { startMailpit, uniqueEmail, type Mailpit, type MailpitMessage } from '../../test/support/mailpit';
import { childPort } from '../../test/support/ports';
import { receiverVerifies, startReceiver, type Receiver } from '../../test/support/webhook-receiver';
import { processPendingEvents } from '../aggregate/aggregator';
import { createMailer } from '../mail/mailer';
import { deliverDueWebhooks } from '../webhooks/delivery';
import { queueWeeklySummaries } from '../webhooks/summary';
import { latestPeriod, sendDueReports } from './service';

/**
 * Scheduled email reports end to end: visits go through the aggregator into the rollups, the
 * job runs on a clock the tests set, the mail arrives in Mailpit, and its unsubscribe link is
 * followed the way a mail client and a person would.
 */

const APP_URL = 'http://dashboard.clickpath.test';
const TOKYO = 'Asia/Tokyo';
const LOS_ANGELES = 'America/Los_Angeles';

let t: TestApp;
let mailpit: Mailpit;
let receiver: Receiver;
let owner: TestUser;
beforeAll(async () => {
  mailpit = await startMailpit();
  receiver = await startReceiver();
  t = await startTestApp({ SMTP_URL: mailpit.smtpUrl, WEBHOOKS_ALLOW_PRIVATE: 'true', PUBLIC_URL: APP_URL });
  owner = await signUp(t.app);
});
afterAll(async () => {
  await t?.close();
  await receiver?.close();
  await mailpit?.stop();
});

const reports = (siteId: string) => `/api/v1/sites/${siteId}/email-reports`;
/** Runs the job at `now` (over every site, as in production) and answers what it did for `siteId`. */
const run = async (siteId: string, now: string, mailer = t.mailer) => {
  const done = await sendDueReports({ mailer, appUrl: APP_URL }, new Date(now));
  return done.filter((d) => d.siteId === siteId).map(({ period, outcome }) => [period, outcome]);
};
const subscriptions = () => t.db.collection('email_report_subscriptions');

/** Subscribes, as if on `createdAt`: the job skips periods due before a subscription existed. */
async function subscribe(siteId: string, body: Record<string, unknown>, createdAt = '2026-03-05T00:00:00Z') {
  const res = await owner.agent.post(reports(siteId)).send(body);
  expect(res.status).toBe(201);
  await subscriptions().updateOne(
    { _id: new Types.ObjectId(res.body.id as string) },
    { $set: { createdAt: new Date(createdAt) } },
  );
  return res.body.id as string;
}

/** Mail text as sent: SMTP's CRLF line ends, as plain newlines. */
const lines = (text: string) => text.replace(/\r\n/g, '\n');

const linkOf = (headers: Record<string, string[]>) => {
  const header = headers['List-Unsubscribe']?.[0] ?? '';
  const url = /^<(.+)>$/.exec(header)?.[1];
  if (!url) throw new Error(`no List-Unsubscribe link in ${JSON.stringify(headers)}`);
  return new URL(url);
};

describe('when reports are due', () => {
  it('when a period is computed, then a weekly one is the 7 days before 08:00 on its weekday and a monthly one the month before the 1st', () => {
    // Wednesday 11 March 2026, 07:59 and 08:00 in Tokyo.
    expect(latestPeriod({ frequency: 'weekly', weekday: 3 }, TOKYO, new Date('2026-03-10T22:59:00Z'))).toMatchObject({
      key: 'weekly:2026-02-25',
      from: '2026-02-25',
      to: '2026-03-03',
    });
    expect(latestPeriod({ frequency: 'weekly', weekday: 3 }, TOKYO, new Date('2026-03-10T23:00:00Z'))).toMatchObject({
      key: 'weekly:2026-03-04',
      from: '2026-03-04',
      to: '2026-03-10',
      compareFrom: '2026-02-25',
      compareTo: '2026-03-03',
      scheduledAt: new Date('2026-03-10T23:00:00Z'),
    });
    expect(latestPeriod({ frequency: 'monthly' }, LOS_ANGELES, new Date('2026-03-01T16:00:00Z'))).toMatchObject({
      key: 'monthly:2026-02',
      from: '2026-02-01',
      to: '2026-02-28',
      compareFrom: '2026-01-01',
      compareTo: '2026-01-31',
      scheduledAt: new Date('2026-03-01T16:00:00Z'),
    });
    expect(latestPeriod({ frequency: 'monthly' }, LOS_ANGELES, new Date('2026-03-01T15:59:00Z')).key).toBe(
      'monthly:2026-01',
    );
  });
});

describe('weekly reports', () => {
  let tokyo: string;
  let la: string;
  const tokyoTo = uniqueEmail('tokyo');
  const laTo = uniqueEmail('la');
  let message = {} as MailpitMessage;
  let headers: Record<string, string[]>;

  beforeAll(async () => {
    tokyo = (await createSite(owner, { name: 'Tokyo shop', domain: 'tokyo.example.com', timezone: TOKYO })).id;
    la = (await createSite(owner, { name: 'LA shop', domain: 'la.example.com', timezone: LOS_ANGELES })).id;
    const goal = await owner.agent
      .post(`/api/v1/sites/${tokyo}/goals`)
      .send({ name: 'Saw pricing', kind: 'page', match: '/pricing' });
    expect(goal.status).toBe(201);
    // Tokyo, the week of Monday 2 March 2026: 3 visitors on /pricing from a newsletter, 2 on /;
    // the week before: 2 visitors. Every visit is one pageview (a bounce).
    await insertEvents(
      tokyo,
      [
        ...[0, 1, 2].map((i) => ({
          ts: at('2026-03-03T01:00:00Z', i),
          vid: `t-${i}`,
          path: '/pricing',
          source: 'Newsletter',
        })),
        ...[3, 4].map((i) => ({ ts: at('2026-03-08T10:00:00Z', i), vid: `t-${i}`, path: '/' })),
        ...[5, 6].map((i) => ({ ts: at('2026-02-24T10:00:00Z', i), vid: `t-${i}`, path: '/' })),
      ],
      TOKYO,
    );
    await processPendingEvents();
    await subscribe(tokyo, { email: tokyoTo, frequency: 'weekly', weekday: 1 });
    await subscribe(la, { email: laTo, frequency: 'weekly' });
  });

  it('when 08:00 on the weekday comes in the site’s zone, then the report goes out, not a minute before, and once however often or concurrently the job runs', async () => {
    // 07:59 Monday 9 March in Tokyo; Sunday afternoon in Los Angeles.
    expect(await run(tokyo, '2026-03-08T22:59:00Z')).toEqual([]);
    // 08:00 in Tokyo: two processes at once, then again.
    const [a, b] = await Promise.all([run(tokyo, '2026-03-08T23:00:00Z'), run(tokyo, '2026-03-08T23:00:00Z')]);
    expect([...a, ...b]).toEqual([['weekly:2026-03-02', 'sent']]);
    expect(await run(tokyo, '2026-03-08T23:05:00Z')).toEqual([]);
    expect(await run(la, '2026-03-08T23:05:00Z')).toEqual([]);
    // Los Angeles is on daylight time since 8 March: its 08:00 Monday is 15:00 UTC.
    expect(await run(la, '2026-03-09T14:59:00Z')).toEqual([]);
    expect(await run(la, '2026-03-09T15:00:00Z')).toEqual([['weekly:2026-03-02', 'sent']]);
    expect(await run(la, '2026-03-09T15:05:00Z')).toEqual([]);
    expect(await run(tokyo, '2026-03-09T15:05:00Z')).toEqual([]);

    const [first] = await mailpit.waitFor(tokyoTo);
    if (!first) throw new Error('no report to Tokyo');
    message = first;
    expect((await mailpit.list(tokyoTo)).length).toBe(1);
    expect((await mailpit.list(laTo)).length).toBe(1);
    headers = await mailpit.headers(message.ID);
    const list = (
      await subscriptions()
        .find({ siteId: new Types.ObjectId(tokyo) })
        .toArray()
    )[0];
    expect(list?.lastSentAt).toEqual(new Date('2026-03-08T23:00:00Z'));
  });

  it('when the mail arrives, then it has the week’s numbers from the report service with their change, top pages, sources and goals', () => {
    expect(message.Subject).toBe('Weekly report for Tokyo shop: 2–8 March 2026');
    const text = lines(message.Text);
    expect(text).toContain('tokyo.example.com had 5 visitors from Monday 2 March to Sunday 8 March (Asia/Tokyo).');
    expect(text).toContain('The numbers, with their change on the week before');
    expect(text).toContain('  Visitors: 5 (+150%)');
    expect(text).toContain('  Pageviews: 5 (+150%)');
    expect(text).toContain('  Bounce rate: 100% (±0%)');
    expect(text).toContain('  Visit duration: 0s (±0%)');
    expect(text).toContain('  Conversions: 3 (new)');
    expect(text).toMatch(/Top pages\n {2}\/pricing: 3 visitors\n {2}\/: 2 visitors/);
    expect(text).toMatch(/Top sources\n {2}Newsletter: 3 visitors\n {2}Direct: 2 visitors/);
    expect(text).toMatch(/Goals\n {2}Saw pricing: 3 conversions \(60%\)/);
    expect(text).toContain(`${APP_URL}/#/sites/${tokyo}`);
  });

  it('when the mail is read, then it has HTML and text parts, nothing remote, and one-click unsubscribe headers and link', () => {
    expect(message.HTML).toContain('<table');
    expect(message.HTML).toContain('/pricing');
    expect(message.HTML).not.toMatch(/<img|<link|url\(|src=/i);
    expect(message.Inline).toEqual([]);
    expect(message.Attachments).toEqual([]);
    expect(headers['List-Unsubscribe-Post']).toEqual(['List-Unsubscribe=One-Click']);
    const link = linkOf(headers);
    expect(`${link.origin}${link.pathname}`).toBe(`${APP_URL}/api/v1/email-reports/unsubscribe`);
    expect(lines(message.Text)).toContain(`Unsubscribe:\n${link.href}`);
    expect(message.HTML).toContain(`href="${link.href.replace(/&/g, '&amp;')}"`);
  });

  it('when the link is opened (GET), then nothing changes and a page offers a button that POSTs; a forged token is 400', async () => {
    const link = linkOf(headers);
    const path = `${link.pathname}${link.search}`;
    const page = await request(t.app).get(path).set('Accept', 'text/html');
    expect(page.status).toBe(200);
    expect(page.type).toBe('text/html');
    expect(page.text).toContain('Tokyo shop');
    expect(page.text).toMatch(/<form method="post" action="\?token=[^"]+"><button type="submit"/);
    const json = await request(t.app).get(path);
    expect(json.body).toEqual({
      subscribed: true,
      site: { name: 'Tokyo shop', domain: 'tokyo.example.com' },
      frequency: 'weekly',
      email: `t…@example.com`,
    });
    expect(await subscriptions().countDocuments({ siteId: new Types.ObjectId(tokyo) })).toBe(1);

    const token = link.searchParams.get('token')!;
    const forged = `${token.slice(0, -2)}${token.endsWith('AA') ? 'BB' : 'AA'}`;
    const otherSub = `${token.slice(0, 25)}${new Types.ObjectId().toHexString()}${token.slice(49)}`;
    for (const [bad, code] of [
      [forged, 'invalid_token'],
      [otherSub, 'invalid_token'],
      ['nonsense', 'validation_failed'],
      ['', 'validation_failed'],
    ]) {
      const res = await request(t.app).post(`/api/v1/email-reports/unsubscribe?token=${encodeURIComponent(bad!)}`);
      expectError(res, 400, code!);
    }
    expectError(await request(t.app).get(`/api/v1/email-reports/unsubscribe?token=${forged}`), 400, 'invalid_token');
    expect(await subscriptions().countDocuments({ siteId: new Types.ObjectId(tokyo) })).toBe(1);
  });

  it('when a mail client POSTs the one-click link, then the address is unsubscribed, again is 200, and the next week sends nothing', async () => {
    const link = linkOf(headers);
    const res = await request(t.app)
      .post(`${link.pathname}${link.search}`)
      .type('form')
      .send('List-Unsubscribe=One-Click');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ subscribed: false, frequency: 'weekly' });
    expect(await subscriptions().countDocuments({ siteId: new Types.ObjectId(tokyo) })).toBe(0);
    const again = await request(t.app).post(`${link.pathname}${link.search}`).set('Accept', 'text/html');
    expect(again.status).toBe(200);
    expect(again.text).toContain('You are unsubscribed');

    expect(await run(tokyo, '2026-03-15T23:00:00Z')).toEqual([]);
    expect(await run(la, '2026-03-16T15:00:00Z')).toEqual([['weekly:2026-03-09', 'sent']]);
    expect((await mailpit.list(tokyoTo)).length).toBe(1);
  });
});

describe('monthly reports', () => {
  it('when the 1st comes at 08:00 site-local, then last month’s report goes out once', async () => {
    const siteId = (await createSite(owner, { name: 'Monthly', domain: 'monthly.example.com', timezone: TOKYO })).id;
    await insertEvents(
      siteId,
      [0, 1, 2, 3].map((i) => ({ ts: at('2026-03-20T03:00:00Z', i * 60 * 24), vid: `m-${i}`, path: '/spring' })),
      TOKYO,
    );
    await processPendingEvents();
    const to = uniqueEmail('monthly');
    await subscribe(siteId, { email: to, frequency: 'monthly' }, '2026-03-15T00:00:00Z');
    // 07:59 and 08:00 on 1 April in Tokyo.
    expect(await run(siteId, '2026-03-31T22:59:00Z')).toEqual([]);
    expect(await run(siteId, '2026-03-31T23:00:00Z')).toEqual([['monthly:2026-03', 'sent']]);
    expect(await run(siteId, '2026-04-10T23:00:00Z')).toEqual([]);
    const [mail] = await mailpit.waitFor(to);
    expect(mail?.Subject).toBe('Monthly report for Monthly: March 2026');
    expect(mail?.Text).toContain('monthly.example.com had 4 visitors in March 2026 (Asia/Tokyo).');
    expect(mail?.Text).toContain('The numbers, with their change on the month before');
    expect(mail?.Text).toContain('  Visitors: 4 (new)');
    expect(mail?.Text).toContain('  /spring: 4 visitors');
    expect(mail?.Text).not.toContain('Conversions');
  });
});

describe('when sending fails', () => {
  it('when the SMTP server is down, then the report is tried again on a later run and arrives exactly once', async () => {
    const siteId = (await createSite(owner, { name: 'Retry', domain: 'retry.example.com', timezone: TOKYO })).id;
    const to = uniqueEmail('retry');
    await subscribe(siteId, { email: to, frequency: 'weekly', weekday: 2 });
    const down = createMailer({
      smtpUrl: `smtp://127.0.0.1:${await childPort()}`,
      from: 'Clickpath <reports@clickpath.test>',
      logger: pino({ level: 'silent' }),
      outboxUrl: `${APP_URL}/#/outbox`,
    });
    // 08:00 Tuesday 10 March in Tokyo, with nothing listening for SMTP.
    expect(await run(siteId, '2026-03-09T23:00:00Z', down)).toEqual([['weekly:2026-03-03', 'failed']]);
    down.close();
    // Within the retry delay nobody tries; after it, one process does, once.
    expect(await run(siteId, '2026-03-09T23:05:00Z')).toEqual([]);
    const [a, b] = await Promise.all([run(siteId, '2026-03-09T23:11:00Z'), run(siteId, '2026-03-09T23:11:00Z')]);
    expect([...a, ...b]).toEqual([['weekly:2026-03-03', 'sent']]);
    expect(await run(siteId, '2026-03-09T23:30:00Z')).toEqual([]);
    await mailpit.waitFor(to);
    expect((await mailpit.list(to)).length).toBe(1);
    const record = await t.db.collection('email_report_sends').findOne({ siteId: new Types.ObjectId(siteId) });
    expect(record).toMatchObject({ attempts: 2, sentAt: new Date('2026-03-09T23:11:00Z'), lastError: null });
  });
});

describe('subscriptions', () => {
  let siteId: string;
  let admin: TestUser;
  let viewer: TestUser;
  beforeAll(async () => {
    siteId = (await createSite(owner, { name: 'Subs', domain: 'subs.example.com', timezone: LOS_ANGELES })).id;
    [admin, viewer] = await Promise.all([signUp(t.app), signUp(t.app)]);
    await addMember(owner, siteId, admin, 'admin');
    await addMember(owner, siteId, viewer, 'viewer');
  });

  it('when an admin adds, lists and removes subscriptions, then they are stored as given and audited', async () => {
    const created = await admin.agent.post(reports(siteId)).send({ email: ' Ada@Example.com ', frequency: 'weekly' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      email: 'ada@example.com',
      frequency: 'weekly',
      weekday: 1,
      lastSentAt: null,
    });
    const monthly = await admin.agent.post(reports(siteId)).send({ email: 'ada@example.com', frequency: 'monthly' });
    expect(monthly.status).toBe(201);
    expect(monthly.body.weekday).toBeNull();
    const list = await owner.agent.get(reports(siteId));
    expect(list.status).toBe(200);
    expect(list.body.subscriptions.map((s: { frequency: string }) => s.frequency)).toEqual(['weekly', 'monthly']);
    expect(list.body.subscriptions[0]).toEqual(created.body);

    expect((await admin.agent.delete(`${reports(siteId)}/${monthly.body.id as string}`)).status).toBe(204);
    expectError(await admin.agent.delete(`${reports(siteId)}/${monthly.body.id as string}`), 404, 'not_found');
    expect((await owner.agent.get(reports(siteId))).body.subscriptions).toEqual([created.body]);

    const audit = await owner.agent.get(`/api/v1/sites/${siteId}/audit`);
    const actions = (audit.body.entries as Array<{ action: string; details: Record<string, unknown> }>).filter((e) =>
      e.action.startsWith('email_report.'),
    );
    expect(actions.map((e) => e.action)).toEqual(['email_report.removed', 'email_report.added', 'email_report.added']);
    expect(actions[0]?.details).toMatchObject({ subscription: { email: 'ada@example.com', frequency: 'monthly' } });
  });

  it('when the same address subscribes to the same report again, then 409', async () => {
    expectError(
      await owner.agent.post(reports(siteId)).send({ email: 'ADA@example.com', frequency: 'weekly', weekday: 5 }),
      409,
      'conflict',
    );
  });

  it.each([
    ['a malformed address', { email: 'not-an-address', frequency: 'weekly' }, 'body.email'],
    ['a weekday on a monthly report', { email: 'b@example.com', frequency: 'monthly', weekday: 3 }, 'body.weekday'],
    ['weekday 8', { email: 'b@example.com', frequency: 'weekly', weekday: 8 }, 'body.weekday'],
    ['weekday 0', { email: 'b@example.com', frequency: 'weekly', weekday: 0 }, 'body.weekday'],
    ['a daily frequency', { email: 'b@example.com', frequency: 'daily' }, 'body.frequency'],
    ['an unknown field', { email: 'b@example.com', frequency: 'weekly', hour: 9 }, 'body'],
  ])('when the body has %s, then 400 names the field', async (_what, body, path) => {
    const res = await owner.agent.post(reports(siteId)).send(body);
    expectError(res, 400, 'validation_failed');
    expect((res.body.error.details as Array<{ path: string }>).map((d) => d.path)).toContain(path);
  });

  it('when the site has 50 subscriptions, then a 51st is refused with 400', async () => {
    const site = (await createSite(owner, { name: 'Full', domain: 'full.example.com' })).id;
    await t.db.collection('email_report_subscriptions').insertMany(
      Array.from({ length: 50 }, (_, i) => ({
        siteId: new Types.ObjectId(site),
        email: `r${i}@example.com`,
        frequency: 'weekly',
        weekday: 1,
        createdBy: new Types.ObjectId(owner.id),
        createdAt: new Date(),
        lastPeriod: null,
        lastSentAt: null,
      })),
    );
    const res = await owner.agent.post(reports(site)).send({ email: 'one-more@example.com', frequency: 'weekly' });
    expectError(res, 400, 'validation_failed');
    expect(res.body.error.message).toContain('at most 50');
  });

  it('when a preview is asked for, then the last complete period is mailed now and the schedule is unchanged', async () => {
    const to = uniqueEmail('preview');
    const id = (await admin.agent.post(reports(siteId)).send({ email: to, frequency: 'weekly', weekday: 3 })).body
      .id as string;
    const res = await admin.agent.post(`${reports(siteId)}/${id}/preview`);
    expect(res.status).toBe(202);
    await t.mailer.idle();
    const [mail] = await mailpit.waitFor(to);
    expect(mail?.Subject).toMatch(/^Preview: Weekly report for Subs: /);
    expect(mail?.Text).toContain('This is a preview');
    const headers = await mailpit.headers(mail!.ID);
    expect(headers['List-Unsubscribe-Post']).toEqual(['List-Unsubscribe=One-Click']);
    const stored = (await owner.agent.get(reports(siteId))).body.subscriptions.find((s: { id: string }) => s.id === id);
    expect(stored.lastSentAt).toBeNull();
    expect(await t.db.collection('email_report_sends').countDocuments({ siteId: new Types.ObjectId(siteId) })).toBe(0);
  });

  it('when a viewer asks, then 403; another tenant gets 404 on every route; a sites:manage key may manage them', async () => {
    const id = (await owner.agent.get(reports(siteId))).body.subscriptions[0].id as string;
    expectError(await viewer.agent.get(reports(siteId)), 403, 'forbidden');
    expectError(
      await viewer.agent.post(reports(siteId)).send({ email: 'v@example.com', frequency: 'weekly' }),
      403,
      'forbidden',
    );
    const stranger = await signUp(t.app);
    expectError(await stranger.agent.get(reports(siteId)), 404, 'not_found');
    expectError(
      await stranger.agent.post(reports(siteId)).send({ email: 's@example.com', frequency: 'weekly' }),
      404,
      'not_found',
    );
    expectError(await stranger.agent.delete(`${reports(siteId)}/${id}`), 404, 'not_found');
    expectError(await stranger.agent.post(`${reports(siteId)}/${id}/preview`), 404, 'not_found');
    // A subscription of another site, through a site the caller does manage: not found either.
    const own = (await createSite(stranger, { name: 'Theirs', domain: 'theirs.example.com' })).id;
    expectError(await stranger.agent.delete(`${reports(own)}/${id}`), 404, 'not_found');
    expectError(await stranger.agent.post(`${reports(own)}/${id}/preview`), 404, 'not_found');
    expect((await owner.agent.get(reports(siteId))).body.subscriptions[0].id).toBe(id);

    const reader = await createKey(owner, siteId, ['stats:read']);
    expectError(
      await request(t.app).get(reports(siteId)).set('Authorization', `Bearer ${reader.secret}`),
      403,
      'forbidden',
    );
    const manager = await createKey(owner, siteId, ['stats:read', 'sites:manage']);
    const res = await request(t.app)
      .post(reports(siteId))
      .set('Authorization', `Bearer ${manager.secret}`)
      .send({ email: 'key@example.com', frequency: 'monthly' });
    expect(res.status).toBe(201);
  });

  it('when the site is deleted, then its subscriptions and send records go with it', async () => {
    const site = (await createSite(owner, { name: 'Gone', domain: 'gone.example.com', timezone: TOKYO })).id;
    await subscribe(site, { email: uniqueEmail('gone'), frequency: 'weekly' });
    expect(await run(site, '2026-03-08T23:00:00Z')).toEqual([['weekly:2026-03-02', 'sent']]);
    const siteKey = new Types.ObjectId(site);
    expect(await t.db.collection('email_report_sends').countDocuments({ siteId: siteKey })).toBe(1);
    expect((await owner.agent.delete(`/api/v1/sites/${site}`)).status).toBe(204);
    expect(await subscriptions().countDocuments({ siteId: siteKey })).toBe(0);
    expect(await t.db.collection('email_report_sends').countDocuments({ siteId: siteKey })).toBe(0);
  });
});

describe('weekly summary webhook', () => {
  it('when a site-local week closes, then the webhook gets the report’s numbers (goals included), signed', async () => {
    const siteId = (await createSite(owner, { name: 'Hooked', domain: 'hooked.example.com', timezone: TOKYO })).id;
    await owner.agent.post(`/api/v1/sites/${siteId}/goals`).send({ name: 'Signed up', kind: 'page', match: '/thanks' });
    await insertEvents(
      siteId,
      [0, 1].map((i) => ({ ts: at('2026-03-04T02:00:00Z', i), vid: `h-${i}`, path: '/thanks' })),
      TOKYO,
    );
    await processPendingEvents();
    const hook = await owner.agent
      .post(`/api/v1/sites/${siteId}/webhooks`)
      .send({ url: `${receiver.origin}/summary`, events: ['summary.weekly'] });
    expect(hook.status).toBe(201);
    // 00:10 Monday 9 March in Tokyo.
    const monday = new Date('2026-03-08T15:10:00Z');
    expect(await queueWeeklySummaries(monday)).toBe(1);
    expect(await queueWeeklySummaries(monday)).toBe(0);
    await deliverDueWebhooks({ allowPrivate: true, timeoutMs: 2_000, now: () => monday });
    const [request_] = await receiver.waitFor(1);
    expect(request_?.headers['clickpath-event']).toBe('summary.weekly');
    expect(receiverVerifies(hook.body.secret as string, request_!, monday)).toBe(true);
    expect(JSON.parse(request_!.body)).toMatchObject({
      type: 'summary.weekly',
      data: {
        period: { from: '2026-03-02', to: '2026-03-08' },
        comparedWith: { from: '2026-02-23', to: '2026-03-01' },
        metrics: { visitors: 2, pageviews: 2, conversions: 2 },
        topPages: [{ path: '/thanks', visitors: 2, pageviews: 2 }],
        goals: [{ name: 'Signed up', conversions: 2, conversionRate: 100 }],
      },
    });
  });
});
