import { Types } from 'mongoose';
import request from 'supertest';

import { addMember, createKey, createSite, signUp, startTestApp, type TestApp, type TestUser } from './support/app';
import { exampleFor, fillPath, listOperations, type OpenApiDocument, type Operation } from './support/openapi';

/**
 * Tenant isolation: user A, by session and by each kind of API key, aims every
 * documented route that takes an id at user B's site, members and keys. Each
 * attempt must be refused without revealing or changing anything of B's.
 */

let t: TestApp;
let doc: OpenApiDocument;
let idRoutes: Operation[];
let alice: TestUser;
let aliceSite: string;
let aliceReadKey: string;
let aliceManageKey: string;
let bob: TestUser;
let carol: TestUser;
let bobSite: string;
let bobKeyId: string;
/** A pending invitation to B's site, for an address that is neither A's nor B's. */
let bobInvitationId: string;
/** B's goal, funnel, annotation, visitor and identified person, named by the routes' :id, :visitorId and :userId. */
let bobItems: { goalId: string; funnelId: string; annotationId: string };
/** B's webhook, named by the routes' :webhookId. */
let bobWebhookId: string;
/** B's email report subscription, named by the routes' :subscriptionId. */
let bobSubscriptionId: string;
const REPORT_PARAMS = { dimension: 'page', visitorId: 'f:bobvisitor0001', userId: 'bob-user-1' };
/** Strings that identify B's data; none may appear in any answer to A. */
let bobSecrets: string[];

const ID_PARAMS = new Set(['siteId', 'keyId', 'accountId', 'invitationId', 'webhookId', 'subscriptionId']);

beforeAll(async () => {
  t = await startTestApp();
  const listed = await listOperations(t.app);
  doc = listed.doc;
  idRoutes = listed.operations.filter((op) => op.pathParams.some((p) => ID_PARAMS.has(p)));

  alice = await signUp(t.app, { name: 'Alice Attacker' });
  aliceSite = (await createSite(alice, { name: 'Alice site', domain: 'alice.example' })).id;
  aliceReadKey = (await createKey(alice, aliceSite, ['stats:read'])).secret;
  aliceManageKey = (await createKey(alice, aliceSite, ['sites:manage'])).secret;

  bob = await signUp(t.app, { name: 'Bob Victim', email: `bob-victim-${Date.now()}@victim.example` });
  carol = await signUp(t.app, { name: 'Carol Member', email: `carol-member-${Date.now()}@victim.example` });
  const site = await createSite(bob, { name: 'Bravo Secret Shop', domain: 'bravo-secret.example' });
  bobSite = site.id;
  await addMember(bob, bobSite, carol, 'viewer');
  const pending = await bob.agent
    .post(`/api/v1/sites/${bobSite}/members`)
    .send({ email: `dave-pending-${Date.now()}@victim.example`, role: 'admin' });
  expect(pending.status).toBe(202);
  bobInvitationId = pending.body.id;
  const bobKey = await createKey(bob, bobSite, ['stats:read', 'sites:manage']);
  bobKeyId = bobKey.id;
  const goal = async (match: string) =>
    (await bob.agent.post(`/api/v1/sites/${bobSite}/goals`).send({ name: `Bravo ${match}`, kind: 'page', match })).body
      .id as string;
  const goalId = await goal('/checkout');
  const second = await goal('/thanks');
  const funnel = await bob.agent
    .post(`/api/v1/sites/${bobSite}/funnels`)
    .send({ name: 'Bravo funnel', steps: [goalId, second] });
  const note = await bob.agent
    .post(`/api/v1/sites/${bobSite}/annotations`)
    .send({ day: '2026-03-01', text: 'Bravo note' });
  bobItems = { goalId, funnelId: funnel.body.id, annotationId: note.body.id };
  const webhook = await bob.agent
    .post(`/api/v1/sites/${bobSite}/webhooks`)
    .send({ url: 'https://93.184.215.14/bravo-hook', events: ['summary.weekly'], description: 'Bravo relay' });
  expect(webhook.status).toBe(201);
  bobWebhookId = webhook.body.id;
  const alerts = await bob.agent.put(`/api/v1/sites/${bobSite}/alerts`).send({
    spike: { enabled: true, threshold: 4321 },
    drop: { enabled: false, percent: 50 },
    email: true,
    recipients: [carol.id],
  });
  expect(alerts.status).toBe(200);
  const report = await bob.agent
    .post(`/api/v1/sites/${bobSite}/email-reports`)
    .send({ email: 'bravo-reader@victim.example', frequency: 'weekly', weekday: 4 });
  expect(report.status).toBe(201);
  bobSubscriptionId = report.body.id;
  bobSecrets = [
    'Bravo Secret Shop',
    'bravo-secret.example',
    site.publicId,
    bobKey.secret.slice(0, 12),
    bob.email,
    carol.email,
    pending.body.email,
    'Carol Member',
    'Bravo /checkout',
    'Bravo funnel',
    'Bravo note',
    'bravo-hook',
    'Bravo relay',
    webhook.body.secret.slice(0, 10),
    '4321',
    'bravo-reader',
  ];
});
afterAll(() => t.close());

/** Bodies that would succeed if the access check were missing; other routes get one generated from the schema. */
const attackBodies = (): Record<string, unknown> => ({
  'patch /api/v1/sites/{siteId}': { name: 'Hijacked', settings: { honorDoNotTrack: true } },
  'post /api/v1/sites/{siteId}/members': { email: alice.email, role: 'admin' },
  'patch /api/v1/sites/{siteId}/members/{accountId}': { role: 'admin' },
  'post /api/v1/sites/{siteId}/owner': { accountId: alice.id },
  'post /api/v1/sites/{siteId}/keys': { name: 'stolen', scopes: ['stats:read', 'sites:manage'] },
  'post /api/v1/sites/{siteId}/goals': { name: 'planted', kind: 'page', match: '/' },
  'patch /api/v1/sites/{siteId}/goals/{id}': { name: 'Hijacked' },
  'post /api/v1/sites/{siteId}/funnels': { name: 'planted', steps: [bobItems.goalId, bobItems.goalId] },
  'post /api/v1/sites/{siteId}/annotations': { day: '2026-03-01', text: 'planted' },
  'post /api/v1/sites/{siteId}/webhooks': { url: 'https://93.184.215.14/planted', events: ['summary.weekly'] },
  'put /api/v1/sites/{siteId}/alerts': {
    spike: { enabled: true, threshold: 1 },
    drop: { enabled: true, percent: 99 },
    email: true,
    recipients: [alice.id],
  },
  'post /api/v1/sites/{siteId}/email-reports': { email: 'planted@attacker.example', frequency: 'weekly' },
});

/** Everything of B's, and how much of everything exists, as plain data to compare. */
async function snapshot(): Promise<unknown> {
  const siteId = new Types.ObjectId(bobSite);
  const [sites, members, invitations, apikeys, accounts, goals, funnels, annotations, webhooks, alerts, reports] =
    await Promise.all([
      t.db.collection('sites').find({ _id: siteId }).toArray(),
      t.db.collection('members').find({ siteId }).sort({ _id: 1 }).toArray(),
      t.db.collection('invitations').find({ siteId }).sort({ _id: 1 }).toArray(),
      t.db.collection('apikeys').find({ siteId }).sort({ _id: 1 }).toArray(),
      t.db
        .collection('accounts')
        .find({ _id: { $in: [new Types.ObjectId(bob.id), new Types.ObjectId(carol.id)] } })
        .sort({ _id: 1 })
        .toArray(),
      t.db.collection('goals').find({ siteId }).sort({ _id: 1 }).toArray(),
      t.db.collection('funnels').find({ siteId }).sort({ _id: 1 }).toArray(),
      t.db.collection('annotations').find({ siteId }).sort({ _id: 1 }).toArray(),
      t.db.collection('webhooks').find({ siteId }).sort({ _id: 1 }).toArray(),
      t.db.collection('alert_settings').find({ siteId }).toArray(),
      t.db.collection('email_report_subscriptions').find({ siteId }).sort({ _id: 1 }).toArray(),
    ]);
  const counts: Record<string, number> = {};
  for (const name of [
    'sites',
    'members',
    'invitations',
    'apikeys',
    'accounts',
    'goals',
    'funnels',
    'annotations',
    'webhooks',
    'webhook_deliveries',
    'webhook_log',
    'alert_settings',
    'email_report_subscriptions',
  ]) {
    counts[name] = await t.db.collection(name).countDocuments();
  }
  return JSON.parse(
    JSON.stringify({
      sites,
      members,
      invitations,
      apikeys,
      accounts,
      goals,
      funnels,
      annotations,
      webhooks,
      alerts,
      reports,
      counts,
    }),
  );
}

interface Principal {
  label: string;
  /** Builds the request with this principal's credentials. */
  send(op: Operation, url: string): request.Test;
  /** The status every refused attempt must get on this route (`ownSite`: A's site with B's child id). */
  expected(op: Operation, ownSite: boolean): number;
}

const principals = (): Principal[] => [
  {
    label: "A's session",
    send: (op, url) => alice.agent[op.method](url),
    expected: () => 404,
  },
  ...[
    ["A's stats:read key", aliceReadKey],
    ["A's sites:manage key", aliceManageKey],
  ].map(([label, secret]): Principal => ({
    label: label as string,
    send: (op, url) => request(t.app)[op.method](url).set('Authorization', `Bearer ${secret}`),
    // On A's own site a key without the route's scope is refused as such, before B's id is looked up.
    expected: (op, ownSite) => (op.auth === 'session' || (ownSite && label !== "A's sites:manage key") ? 403 : 404),
  })),
  {
    label: 'nobody',
    send: (op, url) => request(t.app)[op.method](url),
    expected: () => 401,
  },
];

/** B's goal, funnel or annotation id, whichever the route's `:id` names, and the report path parameters. */
function itemIds(op: Operation): Record<string, string> {
  const id = op.path.includes('/funnels/')
    ? bobItems.funnelId
    : op.path.includes('/annotations/')
      ? bobItems.annotationId
      : bobItems.goalId;
  return { id, ...REPORT_PARAMS };
}

/** The id combinations to try on a route: all of B's ids, and A's own site with B's member or key. */
function targets(op: Operation): Array<{ label: string; ids: Record<string, string> }> {
  const list = [
    {
      label: "B's ids",
      ids: {
        siteId: bobSite,
        keyId: bobKeyId,
        accountId: carol.id,
        invitationId: bobInvitationId,
        webhookId: bobWebhookId,
        subscriptionId: bobSubscriptionId,
        ...itemIds(op),
      },
    },
    {
      label: "B's ids (B as the member)",
      ids: {
        siteId: bobSite,
        keyId: bobKeyId,
        accountId: bob.id,
        invitationId: bobInvitationId,
        webhookId: bobWebhookId,
        subscriptionId: bobSubscriptionId,
        ...itemIds(op),
      },
    },
  ];
  if (op.pathParams.some((p) => p !== 'siteId' && ID_PARAMS.has(p))) {
    list.push({
      label: "A's site with B's child id",
      ids: {
        siteId: aliceSite,
        keyId: bobKeyId,
        accountId: carol.id,
        invitationId: bobInvitationId,
        webhookId: bobWebhookId,
        subscriptionId: bobSubscriptionId,
      },
    });
  }
  // Without an accountId the second combination is the same request as the first.
  return op.pathParams.includes('accountId') ? list : list.filter((_, i) => i !== 1);
}

describe('tenant isolation', () => {
  it('when the OpenAPI document is read, then the id-taking routes are all found', () => {
    const names = idRoutes.map((op) => `${op.method} ${op.path}`);
    expect(names).toEqual(
      expect.arrayContaining([
        'get /api/v1/sites/{siteId}',
        'patch /api/v1/sites/{siteId}',
        'delete /api/v1/sites/{siteId}',
        'get /api/v1/sites/{siteId}/members',
        'post /api/v1/sites/{siteId}/members',
        'patch /api/v1/sites/{siteId}/members/{accountId}',
        'delete /api/v1/sites/{siteId}/members/{accountId}',
        'get /api/v1/sites/{siteId}/invitations',
        'delete /api/v1/sites/{siteId}/invitations/{invitationId}',
        'post /api/v1/invitations/{invitationId}/accept',
        'post /api/v1/invitations/{invitationId}/decline',
        'get /api/v1/sites/{siteId}/keys',
        'post /api/v1/sites/{siteId}/keys',
        'post /api/v1/sites/{siteId}/keys/{keyId}/revoke',
        'post /api/v1/sites/{siteId}/keys/{keyId}/rotate',
        'get /api/v1/sites/{siteId}/stats/overview',
        'get /api/v1/sites/{siteId}/stats/breakdown/{dimension}',
        'get /api/v1/sites/{siteId}/visitors/{visitorId}',
        'delete /api/v1/sites/{siteId}/visitors/{visitorId}',
        'get /api/v1/sites/{siteId}/people/{userId}',
        'delete /api/v1/sites/{siteId}/people/{userId}',
        'patch /api/v1/sites/{siteId}/goals/{id}',
        'get /api/v1/sites/{siteId}/funnels/{id}/report',
        'delete /api/v1/sites/{siteId}/annotations/{id}',
        'get /api/v1/sites/{siteId}/export/site',
        'get /api/v1/sites/{siteId}/webhooks',
        'post /api/v1/sites/{siteId}/webhooks',
        'delete /api/v1/sites/{siteId}/webhooks/{webhookId}',
        'post /api/v1/sites/{siteId}/webhooks/{webhookId}/test',
        'get /api/v1/sites/{siteId}/webhooks/{webhookId}/deliveries',
        'get /api/v1/sites/{siteId}/alerts',
        'put /api/v1/sites/{siteId}/alerts',
        'get /api/v1/sites/{siteId}/email-reports',
        'post /api/v1/sites/{siteId}/email-reports',
        'delete /api/v1/sites/{siteId}/email-reports/{subscriptionId}',
        'post /api/v1/sites/{siteId}/email-reports/{subscriptionId}/preview',
      ]),
    );
  });

  it.each(["A's session", "A's stats:read key", "A's sites:manage key", 'nobody'])(
    "when %s aims every id-taking route at B's data, then each is refused, reveals nothing and changes nothing",
    async (who) => {
      const principal = principals().find((p) => p.label === who);
      if (!principal) throw new Error(`unknown principal ${who}`);
      const bodies = attackBodies();
      const before = await snapshot();
      const failures: string[] = [];
      let attempts = 0;
      for (const op of idRoutes) {
        for (const target of targets(op)) {
          // Report routes validate their range before the access check; a valid one makes the check the only obstacle.
          const range = op.queryParams.some((q) => q.name === 'from') ? '?from=2026-03-01&to=2026-03-07' : '';
          const url = fillPath(op.path, target.ids) + range;
          const key = `${op.method} ${op.path}`;
          let req = principal.send(op, url);
          if (op.body) req = req.send((bodies[key] ?? exampleFor(doc, op.body)) as object);
          const res = await req;
          attempts += 1;
          const where = `${op.method.toUpperCase()} ${url} (${target.label})`;
          const expected = principal.expected(op, target.ids.siteId === aliceSite);
          if (res.status !== expected) failures.push(`${where}: ${res.status} ${res.text}, expected ${expected}`);
          if (typeof res.body?.error?.code !== 'string') failures.push(`${where}: not the error shape: ${res.text}`);
          const leaked = bobSecrets.filter((secret) => res.text.includes(secret));
          if (leaked.length) failures.push(`${where}: response reveals ${leaked.join(', ')}`);
        }
      }
      expect(failures).toEqual([]);
      expect(attempts).toBeGreaterThanOrEqual(idRoutes.length);
      expect(await snapshot()).toEqual(before);
    },
  );

  it('when B uses the same routes, then they work, so the refusals above are about who asks', async () => {
    const res = await bob.agent.get(`/api/v1/sites/${bobSite}`);
    expect(res.status).toBe(200);
    expect(res.text).toContain('Bravo Secret Shop');
    const members = await bob.agent.get(`/api/v1/sites/${bobSite}/members`);
    expect(members.status).toBe(200);
    expect(members.text).toContain(carol.email);
    const keys = await bob.agent.get(`/api/v1/sites/${bobSite}/keys`);
    expect(keys.status).toBe(200);
    expect(keys.body.keys.map((k: { id: string }) => k.id)).toContain(bobKeyId);
  });

  it("when A lists sites or asks who it is, then none of B's data appears", async () => {
    const answers = [
      await alice.agent.get('/api/v1/sites'),
      await alice.agent.get('/api/v1/me'),
      await request(t.app).get('/api/v1/sites').set('Authorization', `Bearer ${aliceManageKey}`),
      await request(t.app).get('/api/v1/me').set('Authorization', `Bearer ${aliceReadKey}`),
    ];
    for (const res of answers) {
      expect(res.status).toBe(200);
      expect(bobSecrets.filter((secret) => res.text.includes(secret))).toEqual([]);
      expect(res.text).not.toContain(bobSite);
    }
  });
});
