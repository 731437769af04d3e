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
import { startReceiver, type Receiver } from '../../test/support/webhook-receiver';
import { MAX_WEBHOOKS_PER_SITE } from './model';

/**
 * The webhook API with the default configuration: targets must be public addresses
 * (WEBHOOKS_ALLOW_PRIVATE unset). Delivery itself is tested in delivery.test.ts.
 */

let t: TestApp;
let receiver: Receiver;
beforeAll(async () => {
  t = await startTestApp();
  receiver = await startReceiver();
});
afterAll(async () => {
  await receiver.close();
  await t.close();
});

/** A public address: creation checks it without connecting, and nothing here sends to it. */
const PUBLIC = 'https://93.184.215.14/hooks/clickpath';
const hooks = (siteId: string) => `/api/v1/sites/${siteId}/webhooks`;
const storedHooks = (siteId: string) =>
  t.db
    .collection('webhooks')
    .find({ siteId: new Types.ObjectId(siteId) })
    .toArray();

describe('creating, listing and deleting webhooks', () => {
  let owner: TestUser;
  let siteId: string;
  beforeAll(async () => {
    owner = await signUp(t.app);
    siteId = (await createSite(owner)).id;
  });

  it('when a webhook is created, then 201 shows its signing secret once, and the list shows only a hint of it', async () => {
    const res = await owner.agent
      .post(hooks(siteId))
      .send({ url: PUBLIC, events: ['alert.traffic_spike', 'summary.weekly'], description: 'Slack relay' });
    expect(res.status).toBe(201);
    expect(res.headers['cache-control']).toBe('no-store');
    const secret: string = res.body.secret;
    expect(secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    expect(res.body).toEqual({
      id: expect.any(String),
      url: PUBLIC,
      description: 'Slack relay',
      events: ['alert.traffic_spike', 'summary.weekly'],
      secretHint: `${secret.slice(0, 10)}…`,
      createdAt: expect.any(String),
      secret,
    });

    const list = await owner.agent.get(hooks(siteId));
    expect(list.status).toBe(200);
    const { secret: _shownOnce, ...view } = res.body as Record<string, unknown>;
    expect(list.body.webhooks).toEqual([view]);
    expect(JSON.stringify(list.body)).not.toContain(secret);
    expect(await storedHooks(siteId)).toEqual([
      expect.objectContaining({ url: PUBLIC, secret, slot: 0, createdBy: new Types.ObjectId(owner.id) }),
    ]);
  });

  it('when a webhook is deleted, then it, its waiting deliveries and its log are gone', async () => {
    const created = await owner.agent.post(hooks(siteId)).send({ url: PUBLIC, events: ['alert.traffic_drop'] });
    const id = new Types.ObjectId(created.body.id as string);
    const site = new Types.ObjectId(siteId);
    await t.db.collection<{ _id: string; [field: string]: unknown }>('webhook_deliveries').insertOne({
      _id: `${siteId}:pending`,
      siteId: site,
      webhookId: id,
      event: 'alert.traffic_drop',
      payload: '{}',
      attempts: 0,
      nextAttemptAt: new Date('2100-01-01'),
      createdAt: new Date(),
    });
    await t.db.collection('webhook_log').insertOne({ siteId: site, webhookId: id, deliveryId: 'x', event: 'x' });

    const res = await owner.agent.delete(`${hooks(siteId)}/${created.body.id as string}`);
    expect(res.status).toBe(204);
    expect(await t.db.collection('webhooks').countDocuments({ _id: id })).toBe(0);
    expect(await t.db.collection('webhook_deliveries').countDocuments({ webhookId: id })).toBe(0);
    expect(await t.db.collection('webhook_log').countDocuments({ webhookId: id })).toBe(0);
    expectError(await owner.agent.delete(`${hooks(siteId)}/${created.body.id as string}`), 404, 'not_found');
  });

  it('when a webhook is created and deleted, then the audit log names who did each, its target by origin and its events, never the secret nor the path', async () => {
    const admin = await signUp(t.app);
    await addMember(owner, siteId, admin, 'admin');
    const url = 'https://93.184.215.14/hooks/T0001/B0002/relay-token?key=private';
    const created = await owner.agent
      .post(hooks(siteId))
      .send({ url, events: ['alert.traffic_spike'], description: 'Pager' })
      .expect(201);
    const secret = created.body.secret as string;
    await admin.agent.delete(`${hooks(siteId)}/${created.body.id as string}`).expect(204);

    const log = await owner.agent
      .get(`/api/v1/sites/${siteId}/audit?action=webhook.created&action=webhook.deleted`)
      .expect(200);
    const webhook = {
      id: created.body.id,
      target: 'https://93.184.215.14',
      events: ['alert.traffic_spike'],
      description: 'Pager',
    };
    expect(log.body.entries.slice(0, 2)).toEqual([
      expect.objectContaining({
        action: 'webhook.deleted',
        actor: { type: 'account', id: admin.id, email: admin.email },
        details: { webhook },
      }),
      expect.objectContaining({
        action: 'webhook.created',
        actor: { type: 'account', id: owner.id, email: owner.email },
        details: { webhook },
      }),
    ]);
    const everything = JSON.stringify((await owner.agent.get(`/api/v1/sites/${siteId}/audit?limit=100`)).body);
    expect(everything).not.toContain(secret.slice(6));
    expect(everything).not.toContain(secret.slice(0, 10));
    expect(everything).not.toContain('relay-token');
  });

  it(`when a site has ${MAX_WEBHOOKS_PER_SITE} webhooks, then another is refused with 409, also when creations race`, async () => {
    const other = (await createSite(owner, { domain: 'many.example.com' })).id;
    const create = (n: number) =>
      owner.agent.post(hooks(other)).send({ url: `${PUBLIC}/${n}`, events: ['summary.weekly'] });
    const first = await Promise.all(Array.from({ length: MAX_WEBHOOKS_PER_SITE - 2 }, (_, n) => create(n)));
    expect(first.map((r) => r.status)).toEqual(Array(MAX_WEBHOOKS_PER_SITE - 2).fill(201));
    // Four creations race for the last two places.
    const racing = await Promise.all([100, 101, 102, 103].map(create));
    expect(racing.map((r) => r.status).sort()).toEqual([201, 201, 409, 409]);
    for (const refused of racing.filter((r) => r.status === 409)) {
      expectError(refused, 409, 'conflict');
      expect(refused.body.error.message).toBe('A site may have at most 10 webhooks; delete one first');
    }
    const stored = await storedHooks(other);
    expect(stored).toHaveLength(MAX_WEBHOOKS_PER_SITE);
    expect(stored.map((h) => h.slot).sort((a, b) => a - b)).toEqual([...Array(MAX_WEBHOOKS_PER_SITE).keys()]);
  });
});

describe('targets in the server’s own network are refused by default', () => {
  let owner: TestUser;
  let siteId: string;
  beforeAll(async () => {
    owner = await signUp(t.app);
    siteId = (await createSite(owner)).id;
  });

  it('when a webhook targets 127.0.0.1, then 400 says the address is loopback and how the operator could allow it, and nothing is stored', async () => {
    const res = await owner.agent
      .post(hooks(siteId))
      .send({ url: `${receiver.origin}/hook`, events: ['summary.weekly'] });
    expectError(res, 400, 'validation_failed');
    const reason =
      '127.0.0.1 is a loopback address; webhooks go to public addresses unless the operator sets WEBHOOKS_ALLOW_PRIVATE=true';
    expect(res.body.error).toEqual({
      code: 'validation_failed',
      message: `Webhook URL refused: ${reason}`,
      details: [{ path: 'body.url', message: reason }],
    });
    expect(await storedHooks(siteId)).toEqual([]);
    expect(receiver.received).toEqual([]);
  });

  it.each([
    ['localhost', 'http://localhost/hook', 'localhost resolves to 127.0.0.1 is a loopback address'],
    ['IPv6 loopback', 'http://[::1]:8080/hook', '::1 is a loopback address'],
    ['an IPv4-mapped IPv6 loopback', 'http://[::ffff:127.0.0.1]/hook', '127.0.0.1 is a loopback address'],
    ['a decimal IPv4 loopback', 'http://2130706433/hook', '127.0.0.1 is a loopback address'],
    ['a hex IPv4 loopback', 'http://0x7f.1/hook', '127.0.0.1 is a loopback address'],
    ['a private address', 'https://10.0.0.8/hook', '10.0.0.8 is a private network address'],
    ['a private address', 'https://192.168.1.20/hook', '192.168.1.20 is a private network address'],
    [
      'the cloud metadata address',
      'http://169.254.169.254/latest/meta-data',
      '169.254.169.254 is a link-local address',
    ],
    ['a CGNAT address', 'https://100.64.3.4/hook', '100.64.3.4 is a carrier-grade NAT address'],
    ['an IPv6 unique local address', 'https://[fd00::1]/hook', 'fd00::1 is an IPv6 unique local address'],
    ['an IPv6 link-local address', 'https://[fe80::1]/hook', 'fe80::1 is a link-local address'],
    ['a multicast address', 'https://224.0.0.1/hook', '224.0.0.1 is a multicast address'],
    ['0.0.0.0', 'http://0.0.0.0:8787/hook', '0.0.0.0 is the unspecified address'],
  ])('when a webhook targets %s (%s), then 400 names the address', async (_what, url, reason) => {
    const res = await owner.agent.post(hooks(siteId)).send({ url, events: ['summary.weekly'] });
    expectError(res, 400, 'validation_failed');
    expect(res.body.error.details).toEqual([{ path: 'body.url', message: expect.stringContaining(reason) }]);
  });

  it('when a host name does not resolve, then 400 says so', async () => {
    const res = await owner.agent
      .post(hooks(siteId))
      .send({ url: 'https://no-such-host.invalid/hook', events: ['summary.weekly'] });
    expectError(res, 400, 'validation_failed');
    expect(res.body.error.details[0].message).toMatch(/^no-such-host\.invalid could not be resolved/);
  });

  it('when a stored webhook points at 127.0.0.1 (its name moved there after creation), then the test delivery is refused before connecting', async () => {
    const site = new Types.ObjectId(siteId);
    const { insertedId } = await t.db.collection('webhooks').insertOne({
      siteId: site,
      slot: 0,
      url: `${receiver.origin}/rebound`,
      description: '',
      events: ['summary.weekly'],
      secret: 'whsec_rebound',
      createdBy: new Types.ObjectId(owner.id),
      createdAt: new Date(),
    });
    const res = await owner.agent.post(`${hooks(siteId)}/${insertedId.toHexString()}/test`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      event: 'webhook.test',
      outcome: 'failed',
      statusCode: null,
      error: expect.stringMatching(/^Refused: 127\.0\.0\.1 is a loopback address/),
    });
    expect(receiver.received).toEqual([]);
    const log = await owner.agent.get(`${hooks(siteId)}/${insertedId.toHexString()}/deliveries`);
    expect(log.body.attempts).toEqual([res.body]);
  });
});

describe('hostile input', () => {
  let owner: TestUser;
  let siteId: string;
  beforeAll(async () => {
    owner = await signUp(t.app);
    siteId = (await createSite(owner)).id;
  });

  it.each([
    ['a URL without a scheme', { url: 'example.com/hook', events: ['summary.weekly'] }, 'body.url'],
    ['an ftp URL', { url: 'ftp://example.com/hook', events: ['summary.weekly'] }, 'body.url'],
    ['a javascript: URL', { url: 'javascript:alert(1)', events: ['summary.weekly'] }, 'body.url'],
    ['credentials in the URL', { url: 'https://a:b@example.com/hook', events: ['summary.weekly'] }, 'body.url'],
    [
      'a URL of 2,100 characters',
      { url: `https://example.com/${'a'.repeat(2080)}`, events: ['summary.weekly'] },
      'body.url',
    ],
    ['a URL that is an object', { url: { $gt: '' }, events: ['summary.weekly'] }, 'body.url'],
    ['no events', { url: PUBLIC, events: [] }, 'body.events'],
    ['an unknown event', { url: PUBLIC, events: ['site.deleted'] }, 'body.events.0'],
    ['the test event', { url: PUBLIC, events: ['webhook.test'] }, 'body.events.0'],
    [
      'a description of 201 characters',
      { url: PUBLIC, events: ['summary.weekly'], description: 'x'.repeat(201) },
      'body.description',
    ],
    [
      'a control character in the description',
      { url: PUBLIC, events: ['summary.weekly'], description: 'a\u0007b' },
      'body.description',
    ],
    ['an unknown field', { url: PUBLIC, events: ['summary.weekly'], secret: 'mine' }, 'body'],
  ])('when the body has %s, then 400 names the field', async (_what, body, path) => {
    const res = await owner.agent.post(hooks(siteId)).send(body);
    expectError(res, 400, 'validation_failed');
    expect((res.body.error.details as Array<{ path: string }>).map((d) => d.path)).toContain(path);
    expect(await storedHooks(siteId)).toEqual([]);
  });

  it('when the body is larger than the JSON limit, then 413 and nothing is stored', async () => {
    const res = await owner.agent
      .post(hooks(siteId))
      .send({ url: PUBLIC, events: ['summary.weekly'], description: 'x'.repeat(200_000) });
    expectError(res, 413, 'payload_too_large');
    expect(await storedHooks(siteId)).toEqual([]);
  });

  it('when ids in the path are malformed, then 400', async () => {
    expectError(await owner.agent.delete(`${hooks(siteId)}/not-an-id`), 400, 'validation_failed');
    expectError(await owner.agent.post(`${hooks(siteId)}/../../keys/test`), 404, 'not_found');
  });
});

describe('who may manage webhooks', () => {
  let owner: TestUser;
  let admin: TestUser;
  let viewer: TestUser;
  let stranger: TestUser;
  let siteId: string;
  let webhookId: string;
  beforeAll(async () => {
    owner = await signUp(t.app);
    [admin, viewer, stranger] = await Promise.all([signUp(t.app), signUp(t.app), signUp(t.app)]);
    siteId = (await createSite(owner)).id;
    await addMember(owner, siteId, admin, 'admin');
    await addMember(owner, siteId, viewer, 'viewer');
    webhookId = (await owner.agent.post(hooks(siteId)).send({ url: PUBLIC, events: ['summary.weekly'] })).body
      .id as string;
  });

  it('when an admin manages webhooks, then they may', async () => {
    expect((await admin.agent.get(hooks(siteId))).status).toBe(200);
    const created = await admin.agent
      .post(hooks(siteId))
      .send({ url: `${PUBLIC}/admin`, events: ['alert.traffic_drop'] });
    expect(created.status).toBe(201);
    expect((await admin.agent.get(`${hooks(siteId)}/${webhookId}/deliveries`)).status).toBe(200);
    expect((await admin.agent.delete(`${hooks(siteId)}/${created.body.id as string}`)).status).toBe(204);
  });

  it('when a viewer tries, then 403; someone without a part in the site gets 404 for every route', async () => {
    expectError(await viewer.agent.get(hooks(siteId)), 403, 'forbidden');
    expectError(
      await viewer.agent.post(hooks(siteId)).send({ url: PUBLIC, events: ['summary.weekly'] }),
      403,
      'forbidden',
    );
    expectError(await viewer.agent.post(`${hooks(siteId)}/${webhookId}/test`), 403, 'forbidden');
    for (const res of [
      await stranger.agent.get(hooks(siteId)),
      await stranger.agent.post(hooks(siteId)).send({ url: PUBLIC, events: ['summary.weekly'] }),
      await stranger.agent.delete(`${hooks(siteId)}/${webhookId}`),
      await stranger.agent.post(`${hooks(siteId)}/${webhookId}/test`),
      await stranger.agent.get(`${hooks(siteId)}/${webhookId}/deliveries`),
    ]) {
      expectError(res, 404, 'not_found');
    }
    expect(await storedHooks(siteId)).toHaveLength(1);
  });

  it("when another site's webhook id is used, then 404", async () => {
    const own = (await createSite(stranger)).id;
    expectError(await stranger.agent.delete(`${hooks(own)}/${webhookId}`), 404, 'not_found');
    expectError(await stranger.agent.get(`${hooks(own)}/${webhookId}/deliveries`), 404, 'not_found');
  });

  it('when an API key, even with sites:manage, calls the webhook routes, then 403: webhooks need a signed-in person', async () => {
    const key = await createKey(owner, siteId, ['stats:read', 'sites:manage']);
    const res = await request(t.app).get(hooks(siteId)).set('Authorization', `Bearer ${key.secret}`);
    expectError(res, 403, 'forbidden');
  });
});
