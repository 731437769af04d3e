import { Types } from 'mongoose';
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
import { startMailpit, type Mailpit } from '../../test/support/mailpit';
import { receiverVerifies, startReceiver, type Receiver } from '../../test/support/webhook-receiver';
import { childPort } from '../../test/support/ports';
import { processPendingEvents } from '../aggregate/aggregator';
import { createLogger } from '../lib/logger';
import { createMailer, type Mailer } from '../mail/mailer';
import { deliverDueWebhooks } from '../webhooks/delivery';
import { MAX_MAIL_ATTEMPTS, checkAlerts, median } from './service';

/**
 * Traffic alerts end to end: visits go through the aggregator into the rollups, the alert
 * check (on a clock the tests set) reads them through the report service, mail arrives in
 * Mailpit and the webhook at a receiver on 127.0.0.1.
 */

const ZONE = 'Europe/Amsterdam';
const APP_URL = 'http://dashboard.clickpath.test';

let t: TestApp;
let mailpit: Mailpit;
let receiver: Receiver;
beforeAll(async () => {
  mailpit = await startMailpit();
  receiver = await startReceiver();
  t = await startTestApp({ SMTP_URL: mailpit.smtpUrl, WEBHOOKS_ALLOW_PRIVATE: 'true', PUBLIC_URL: APP_URL });
});
afterAll(async () => {
  await t?.close();
  await receiver?.close();
  await mailpit?.stop();
});

const check = async (now: string) => {
  const fired = await checkAlerts({ mailer: t.mailer, appUrl: APP_URL }, new Date(now));
  await t.mailer.idle();
  return fired.map(({ kind, period }) => [kind, period]);
};
const deliver = (now: string) => deliverDueWebhooks({ allowPrivate: true, timeoutMs: 2_000, now: () => new Date(now) });
const alerts = (siteId: string) => `/api/v1/sites/${siteId}/alerts`;
/** Subjects of the alert mail that reached `to` (the invitations and confirmations are left out). */
const alertMails = async (to: string) =>
  (await mailpit.list(to)).map((m) => m.Subject).filter((subject) => subject.startsWith('Traffic'));

/** `count` visitors with a pageview each at `ts` (plus a second per visitor, spread over minutes). */
async function visitors(siteId: string, label: string, count: number, ts: string): Promise<void> {
  await insertEvents(
    siteId,
    Array.from({ length: count }, (_, i) => ({ ts: at(ts, i), vid: `${label}-${i}`, path: `/${label}` })),
    ZONE,
  );
}

const settings = (over: Record<string, unknown> = {}) => ({
  spike: { enabled: false, threshold: 100 },
  drop: { enabled: false, percent: 50 },
  email: true,
  recipients: [],
  ...over,
});

let owner: TestUser;
let admin: TestUser;
let viewer: TestUser;
beforeAll(async () => {
  owner = await signUp(t.app);
  [admin, viewer] = await Promise.all([signUp(t.app), signUp(t.app)]);
});

async function siteWithMembers(domain: string): Promise<string> {
  const siteId = (await createSite(owner, { domain, timezone: ZONE })).id;
  await addMember(owner, siteId, admin, 'admin');
  await addMember(owner, siteId, viewer, 'viewer');
  return siteId;
}

async function webhookTo(siteId: string, path: string): Promise<string> {
  const res = await owner.agent
    .post(`/api/v1/sites/${siteId}/webhooks`)
    .send({ url: `${receiver.origin}${path}`, events: ['alert.traffic_spike', 'alert.traffic_drop'] });
  expect(res.status).toBe(201);
  return res.body.secret as string;
}

describe('traffic spike', () => {
  let siteId: string;
  let secret: string;
  beforeAll(async () => {
    siteId = await siteWithMembers('spike.example.com');
    secret = await webhookTo(siteId, '/spike');
    const res = await owner.agent.put(alerts(siteId)).send(settings({ spike: { enabled: true, threshold: 3 } }));
    expect(res.status).toBe(200);
  });

  it('when more visitors than the threshold come in an hour, then the alert fires once for that hour: mail to the owner and admins, and the webhook', async () => {
    // 14:05–14:08 in Amsterdam (UTC+1 in March): four visitors, one more than the threshold.
    await visitors(siteId, 'spike-a', 4, '2026-03-10T13:05:00Z');
    await processPendingEvents();

    expect(await check('2026-03-10T13:20:00Z')).toEqual([['spike', '2026-03-10T14:00:00+01:00']]);
    // Checked again in the same hour, by this or another process: nothing more.
    expect(await check('2026-03-10T13:25:00Z')).toEqual([]);
    expect(await Promise.all([check('2026-03-10T13:30:00Z'), check('2026-03-10T13:30:00Z')])).toEqual([[], []]);

    const subject = 'Traffic spike on My blog: 4 visitors in an hour';
    const [mail] = await mailpit.waitFor(owner.email, { subject });
    await mailpit.waitFor(admin.email, { subject });
    expect(mail?.Text).toContain(
      '4 people visited spike.example.com in the hour 14:00–15:00 on Tuesday 10 March (Europe/Amsterdam): more than the 3 the alert is set at.',
    );
    expect(mail?.Text).toContain(`${APP_URL}/#/sites/${siteId}`);
    expect(mail?.Text).toContain('This alert fires at most once an hour.');
    expect(await alertMails(viewer.email)).toEqual([]);

    await deliver('2026-03-10T13:30:00Z');
    const [hook] = await receiver.waitFor(1);
    expect(hook?.path).toBe('/spike');
    expect(hook?.headers['clickpath-event']).toBe('alert.traffic_spike');
    expect(receiverVerifies(secret, hook!, new Date('2026-03-10T13:30:00Z'))).toBe(true);
    expect(JSON.parse(hook!.body)).toMatchObject({
      type: 'alert.traffic_spike',
      site: { id: siteId, domain: 'spike.example.com' },
      data: { hour: '2026-03-10T14:00:00+01:00', timezone: ZONE, visitors: 4, threshold: 3 },
    });
  });

  it('when the next hour is over the threshold too, then it fires once more, for that hour; an hour at the threshold does not', async () => {
    await visitors(siteId, 'spike-b', 5, '2026-03-10T14:05:00Z');
    await visitors(siteId, 'spike-c', 3, '2026-03-10T15:05:00Z');
    await processPendingEvents();

    expect(await check('2026-03-10T14:10:00Z')).toEqual([['spike', '2026-03-10T15:00:00+01:00']]);
    expect(await check('2026-03-10T15:20:00Z')).toEqual([]);
    expect(await check('2026-03-10T16:02:00Z')).toEqual([]);
    await mailpit.waitFor(owner.email, { subject: 'Traffic spike on My blog: 5 visitors in an hour' });
    expect((await alertMails(owner.email)).sort()).toEqual([
      'Traffic spike on My blog: 4 visitors in an hour',
      'Traffic spike on My blog: 5 visitors in an hour',
    ]);
    const res = await owner.agent.get(alerts(siteId));
    expect(res.body.recent).toEqual([
      expect.objectContaining({
        kind: 'spike',
        period: '2026-03-10T15:00:00+01:00',
        data: expect.objectContaining({ visitors: 5 }),
      }),
      expect.objectContaining({
        kind: 'spike',
        period: '2026-03-10T14:00:00+01:00',
        data: expect.objectContaining({ visitors: 4 }),
      }),
    ]);
  });

  it('when an hour crossed the threshold in its last minutes, after the last check of that hour, then the first check of the next hour fires it', async () => {
    await visitors(siteId, 'spike-d', 4, '2026-03-10T17:56:00Z');
    await processPendingEvents();
    expect(await check('2026-03-10T18:01:00Z')).toEqual([['spike', '2026-03-10T18:00:00+01:00']]);
  });
});

describe('traffic spike on Lord Howe Island', () => {
  it('when the spike falls in the repeated half hour of the April change, then it fires for that local hour, as the rollups key it', async () => {
    const zone = 'Australia/Lord_Howe';
    const siteId = (await createSite(owner, { domain: 'howe.example.com', timezone: zone })).id;
    const res = await owner.agent.put(alerts(siteId)).send(settings({ spike: { enabled: true, threshold: 3 } }));
    expect(res.status).toBe(200);
    // 15:00 UTC on 4 April 2026 is 02:00 daylight time, when clocks go back to 01:30 (UTC+10:30).
    const events = Array.from({ length: 4 }, (_, i) => ({
      ts: at('2026-04-04T15:05:00Z', i),
      vid: `howe-${i}`,
      path: '/',
    }));
    await insertEvents(siteId, events, zone);
    await processPendingEvents();

    expect(await check('2026-04-04T15:20:00Z')).toEqual([['spike', '2026-04-05T01:30:00+10:30']]);
  });
});

describe('alert mail when the SMTP server is down', () => {
  let broken: Mailer;
  beforeAll(async () => {
    // Nothing listens there: every send is refused, as by an SMTP server that is down.
    broken = createMailer({
      smtpUrl: `smtp://127.0.0.1:${await childPort()}`,
      from: 'Clickpath <alerts@clickpath.test>',
      logger: createLogger('silent'),
      outboxUrl: `${APP_URL}/#/outbox`,
    });
  });
  afterAll(() => broken.close());

  const checkWith = async (mailer: Mailer, now: string) =>
    (await checkAlerts({ mailer, appUrl: APP_URL }, new Date(now))).map(({ kind, period }) => [kind, period]);
  const waiting = (siteId: string) =>
    t.db
      .collection('alert_mails')
      .find({ siteId: new Types.ObjectId(siteId) })
      .toArray();

  /** A site named after its domain (so its mail is told apart) whose spike alert fires in `hour`. */
  async function spikingSite(domain: string, hour: string): Promise<string> {
    const siteId = (await createSite(owner, { name: domain, domain, timezone: ZONE })).id;
    await addMember(owner, siteId, admin, 'admin');
    await addMember(owner, siteId, viewer, 'viewer');
    await owner.agent
      .put(alerts(siteId))
      .send(settings({ spike: { enabled: true, threshold: 1 } }))
      .expect(200);
    await visitors(siteId, domain.split('.')[0]!, 2, hour);
    await processPendingEvents();
    return siteId;
  }

  it('when the first attempt fails, then a later check sends it: exactly one mail to each recipient, also when two processes check at once', async () => {
    const siteId = await spikingSite('smtp-down.example.com', '2026-04-07T09:05:00Z');
    expect(await checkWith(broken, '2026-04-07T09:10:00Z')).toEqual([['spike', '2026-04-07T11:00:00+02:00']]);
    expect((await waiting(siteId)).map((m) => [m.to, m.attempts])).toEqual(
      expect.arrayContaining([
        [owner.email, 1],
        [admin.email, 1],
      ]),
    );
    expect(await waiting(siteId)).toHaveLength(2);
    expect((await waiting(siteId))[0]?.lastError).toMatch(/ECONNREFUSED/);

    // Not due before the next check's interval has passed.
    await checkWith(t.mailer, '2026-04-07T09:11:00Z');
    expect(await waiting(siteId)).toHaveLength(2);

    // The SMTP server is back; two processes check at the same moment.
    await Promise.all([checkWith(t.mailer, '2026-04-07T09:15:00Z'), checkWith(t.mailer, '2026-04-07T09:15:00Z')]);
    await checkWith(t.mailer, '2026-04-07T09:20:00Z');
    expect(await waiting(siteId)).toEqual([]);
    const subject = 'Traffic spike on smtp-down.example.com: 2 visitors in an hour';
    await mailpit.waitFor(owner.email, { subject });
    await mailpit.waitFor(admin.email, { subject });
    // Past anything in flight: still one each.
    await new Promise((resolve) => setTimeout(resolve, 300));
    for (const to of [owner.email, admin.email]) {
      expect((await mailpit.list(to)).filter((m) => m.Subject === subject)).toHaveLength(1);
    }
    expect(await alertMails(viewer.email)).not.toContain(subject);
  });

  it(`when every attempt fails, then the mail is given up after ${MAX_MAIL_ATTEMPTS} attempts and never sent later`, async () => {
    const siteId = await spikingSite('smtp-gone.example.com', '2026-04-08T09:05:00Z');
    const start = new Date('2026-04-08T09:10:00Z').getTime();
    for (let attempt = 0; attempt < MAX_MAIL_ATTEMPTS; attempt++) {
      await checkWith(broken, new Date(start + attempt * 5 * 60_000).toISOString());
      const left = await waiting(siteId);
      expect(left.map((m) => m.attempts)).toEqual(attempt + 1 < MAX_MAIL_ATTEMPTS ? [attempt + 1, attempt + 1] : []);
    }
    await checkWith(t.mailer, new Date(start + MAX_MAIL_ATTEMPTS * 5 * 60_000).toISOString());
    expect(await alertMails(owner.email)).not.toContain(
      'Traffic spike on smtp-gone.example.com: 2 visitors in an hour',
    );
  });
});

describe('traffic drop', () => {
  let siteId: string;
  beforeAll(async () => {
    siteId = await siteWithMembers('drop.example.com');
    await webhookTo(siteId, '/drop');
    // Four Tuesdays of 10, 12, 8 and 10 visitors (a usual Tuesday: 10), then a Tuesday of 4.
    for (const [day, count] of [
      ['2026-02-10', 10],
      ['2026-02-17', 12],
      ['2026-02-24', 8],
      ['2026-03-03', 10],
      ['2026-03-10', 4],
    ] as const) {
      await visitors(siteId, `drop-${day}`, count, `${day}T11:00:00Z`);
    }
    await processPendingEvents();
  });

  it('when yesterday had 40% of a usual day and the alert is set at 40%, then nothing fires', async () => {
    await owner.agent.put(alerts(siteId)).send(settings({ drop: { enabled: true, percent: 40 } }));
    expect(await check('2026-03-11T08:00:00Z')).toEqual([]);
  });

  it('when yesterday had fewer visitors than the percentage of the usual day, then the alert fires once that day, to the members named', async () => {
    const saved = await owner.agent
      .put(alerts(siteId))
      .send(settings({ drop: { enabled: true, percent: 50 }, recipients: [viewer.id] }));
    expect(saved.status).toBe(200);

    // 00:30 in Amsterdam: yesterday may still be getting its last events.
    expect(await check('2026-03-10T23:30:00Z')).toEqual([]);
    expect(await check('2026-03-11T00:30:00Z')).toEqual([['drop', '2026-03-10']]);
    expect(await check('2026-03-11T09:00:00Z')).toEqual([]);

    const [mail] = await mailpit.waitFor(viewer.email, {
      subject: 'Traffic drop on My blog: 4 visitors on Tuesday 10 March',
    });
    expect(mail?.Text).toContain(
      'drop.example.com had 4 visitors on Tuesday 10 March (Europe/Amsterdam): 40% of a usual Tuesday, below the 50% the alert is set at.',
    );
    expect(mail?.Text).toContain(
      'A usual Tuesday is the median of the four before: 10 on 3 March, 8 on 24 February, 12 on 17 February, 10 on 10 February.',
    );
    expect((await alertMails(owner.email)).filter((subject) => subject.startsWith('Traffic drop'))).toEqual([]);

    await deliver('2026-03-11T09:00:00Z');
    const hook = (await receiver.waitFor(2)).find((r) => r.path === '/drop');
    expect(JSON.parse(hook!.body)).toMatchObject({
      type: 'alert.traffic_drop',
      data: {
        day: '2026-03-10',
        visitors: 4,
        usual: 10,
        percent: 50,
        sameWeekdays: [
          { day: '2026-03-03', visitors: 10 },
          { day: '2026-02-24', visitors: 8 },
          { day: '2026-02-17', visitors: 12 },
          { day: '2026-02-10', visitors: 10 },
        ],
      },
    });
  });

  it('when the usual day had no visitors, then no drop is reported', async () => {
    expect(await check('2026-03-12T09:00:00Z')).toEqual([]);
  });

  it('when the median is taken, then it is the middle value, or the mean of the middle two', () => {
    expect(median([10, 12, 8, 10])).toBe(10);
    expect(median([1, 100, 3, 4])).toBe(3.5);
    expect(median([5, 0, 9])).toBe(5);
    expect(median([])).toBe(0);
  });

  it('when the site is deleted, then its alert settings and alerts go with it', async () => {
    expect((await owner.agent.delete(`/api/v1/sites/${siteId}`)).status).toBe(204);
    const site = new Types.ObjectId(siteId);
    expect(await t.db.collection('alert_settings').countDocuments({ siteId: site })).toBe(0);
    expect(await t.db.collection('alert_events').countDocuments({ siteId: site })).toBe(0);
  });
});

describe('alert settings', () => {
  let siteId: string;
  beforeAll(async () => {
    siteId = await siteWithMembers('settings.example.com');
  });

  it('when nothing was saved, then both alerts are off and mail goes to the owner and admins', async () => {
    const res = await owner.agent.get(alerts(siteId));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ ...settings(), recent: [] });
  });

  it('when settings are saved, then they are read back as saved', async () => {
    const body = settings({
      spike: { enabled: true, threshold: 250 },
      email: false,
      recipients: [admin.id, viewer.id],
    });
    const res = await admin.agent.put(alerts(siteId)).send(body);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ ...body, recent: [] });
    expect((await owner.agent.get(alerts(siteId))).body).toEqual({ ...body, recent: [] });
  });

  it('when settings change, then the audit log has one entry naming who changed what, recipients by address; saving them unchanged logs nothing', async () => {
    const entries = async () =>
      (await owner.agent.get(`/api/v1/sites/${siteId}/audit?action=alerts.updated`).expect(200)).body.entries as Array<{
        actor: unknown;
        details: unknown;
      }>;
    const before = (await entries()).length;
    const body = settings({
      spike: { enabled: true, threshold: 250 },
      drop: { enabled: true, percent: 40 },
      email: false,
      recipients: [admin.id],
    });
    await owner.agent.put(alerts(siteId)).send(body).expect(200);
    await owner.agent.put(alerts(siteId)).send(body).expect(200);
    const logged = await entries();
    expect(logged).toHaveLength(before + 1);
    expect(logged[0]).toMatchObject({
      actor: { type: 'account', id: owner.id, email: owner.email },
      details: {
        changes: [
          { field: 'drop.enabled', from: false, to: true },
          { field: 'drop.percent', from: 50, to: 40 },
          { field: 'recipients', from: [admin.email, viewer.email], to: [admin.email] },
        ],
      },
    });
    // As the next test expects them.
    await owner.agent
      .put(alerts(siteId))
      .send({ ...body, recipients: [admin.id, viewer.id] })
      .expect(200);
  });

  it('when a recipient is not a member of the site, then 400 names it and nothing changes', async () => {
    const stranger = await signUp(t.app);
    const res = await owner.agent
      .put(alerts(siteId))
      .send(settings({ recipients: [owner.id, stranger.id, new Types.ObjectId().toHexString()] }));
    expectError(res, 400, 'validation_failed');
    expect(res.body.error.details).toEqual([
      { path: 'body.recipients.1', message: 'is not a member of this site' },
      { path: 'body.recipients.2', message: 'is not a member of this site' },
    ]);
    expect((await owner.agent.get(alerts(siteId))).body.recipients).toEqual([admin.id, viewer.id]);
  });

  it.each([
    ['a threshold of 0', settings({ spike: { enabled: true, threshold: 0 } }), 'body.spike.threshold'],
    ['a fractional threshold', settings({ spike: { enabled: true, threshold: 1.5 } }), 'body.spike.threshold'],
    ['a percentage of 100', settings({ drop: { enabled: true, percent: 100 } }), 'body.drop.percent'],
    ['21 recipients', settings({ recipients: Array(21).fill(new Types.ObjectId().toHexString()) }), 'body.recipients'],
    ['a malformed recipient', settings({ recipients: ['me@example.com'] }), 'body.recipients.0'],
    ['an unknown field', { ...settings(), webhook: 'https://example.com' }, 'body'],
  ])('when the body has %s, then 400 names the field', async (_what, body, path) => {
    const res = await owner.agent.put(alerts(siteId)).send(body);
    expectError(res, 400, 'validation_failed');
    expect((res.body.error.details as Array<{ path: string }>).map((d) => d.path)).toContain(path);
  });

  it('when a viewer asks, then 403; someone without a part in the site gets 404; a sites:manage key may change them', async () => {
    expectError(await viewer.agent.get(alerts(siteId)), 403, 'forbidden');
    expectError(await viewer.agent.put(alerts(siteId)).send(settings()), 403, 'forbidden');
    const stranger = await signUp(t.app);
    expectError(await stranger.agent.get(alerts(siteId)), 404, 'not_found');
    expectError(await stranger.agent.put(alerts(siteId)).send(settings()), 404, 'not_found');
    const reader = await createKey(owner, siteId, ['stats:read']);
    expectError(
      await request(t.app).get(alerts(siteId)).set('Authorization', `Bearer ${reader.secret}`),
      403,
      'forbidden',
    );
    const manager = await createKey(owner, siteId, ['stats:read', 'sites:manage']);
    const res = await request(t.app)
      .put(alerts(siteId))
      .set('Authorization', `Bearer ${manager.secret}`)
      .send(settings({ drop: { enabled: true, percent: 30 } }));
    expect(res.status).toBe(200);
    expect(res.body.drop).toEqual({ enabled: true, percent: 30 });
  });
});
