import { Types } from 'mongoose';

import { createSite, signUp, startTestApp, type TestApp, type TestUser } from '../../test/support/app';
import { pageview, postEvent, SITE_DOMAIN } from '../../test/support/collect';
import { historyEvents } from '../../test/support/history';
import { receiverVerifies, startReceiver, type Receiver } from '../../test/support/webhook-receiver';
import { processPendingEvents } from '../aggregate/aggregator';
import { goalConversionsIdle } from './conversions';
import { deliverDueWebhooks } from './delivery';

/**
 * `goal.conversion` webhooks end to end: tracker events through the real collector, the
 * aggregator's batch, the conversions handed to the webhooks after its commit, the delivery
 * job, and a receiver on 127.0.0.1 that verifies the signature.
 */

let t: TestApp;
let receiver: Receiver;
let owner: TestUser;
beforeAll(async () => {
  t = await startTestApp({ WEBHOOKS_ALLOW_PRIVATE: 'true' });
  receiver = await startReceiver();
  owner = await signUp(t.app);
});
afterAll(async () => {
  await receiver.close();
  await t.close();
});

const deliver = () => deliverDueWebhooks({ allowPrivate: true, timeoutMs: 2_000 });
/** Aggregates what was collected and waits until its conversions are queued for the webhooks. */
async function aggregate(): Promise<void> {
  await processPendingEvents();
  await goalConversionsIdle();
}

async function siteWithGoals(domain: string) {
  const site = await createSite(owner, { name: domain, domain, timezone: 'UTC' });
  const goal = async (body: Record<string, unknown>) =>
    (await owner.agent.post(`/api/v1/sites/${site.id}/goals`).send(body).expect(201)).body.id as string;
  const thanks = await goal({ name: 'Bought', kind: 'page', match: '/thanks' });
  const signup = await goal({ name: 'Signed up', kind: 'event', match: 'signup' });
  return { ...site, thanks, signup };
}

async function webhook(siteId: string, path: string, events: string[]): Promise<{ id: string; secret: string }> {
  const res = await owner.agent
    .post(`/api/v1/sites/${siteId}/webhooks`)
    .send({ url: `${receiver.origin}${path}`, events })
    .expect(201);
  return { id: res.body.id as string, secret: res.body.secret as string };
}

/** One visitor (one address) viewing `paths` in order, through the collector. */
async function visit(publicId: string, ip: string, hits: Array<string | { event: string }>): Promise<void> {
  for (const hit of hits) {
    const body =
      typeof hit === 'string'
        ? pageview(publicId, { u: `https://${SITE_DOMAIN}${hit}` })
        : pageview(publicId, { k: 'ev', n: hit.event, u: `https://${SITE_DOMAIN}/pricing` });
    expect((await postEvent(t.handler, body, { ip })).status).toBe(202);
  }
}

interface WebhookBody {
  type: string;
  site: { id: string; domain: string };
  data: { goal: { id: string; name: string }; at: string };
}

const bodies = (path: string) => receiver.received.filter((r) => r.path === path);

describe('goal conversion webhooks', () => {
  it('when collected events complete goals, then a subscribed webhook gets one signed goal.conversion per visit and goal, naming the goal and what converted and nothing about the visitor; one not subscribed gets nothing', async () => {
    const site = await siteWithGoals('conversions.example.com');
    const subscribed = await webhook(site.id, '/conversions', ['goal.conversion']);
    await webhook(site.id, '/alerts-only', ['alert.traffic_spike', 'summary.weekly']);

    const before = Date.now();
    // Bought twice in one visit: one conversion. Another visitor buys, a third signs up, a fourth only looks.
    await visit(site.publicId, '198.51.100.1', ['/', '/thanks', '/thanks']);
    await visit(site.publicId, '198.51.100.2', ['/thanks']);
    await visit(site.publicId, '198.51.100.3', ['/pricing', { event: 'signup' }]);
    await visit(site.publicId, '198.51.100.4', ['/', '/pricing']);
    await aggregate();
    await deliver();
    await receiver.waitFor(3);

    const got = bodies('/conversions');
    expect(got).toHaveLength(3);
    expect(bodies('/alerts-only')).toEqual([]);
    for (const req of got) {
      expect(req.headers['clickpath-event']).toBe('goal.conversion');
      expect(receiverVerifies(subscribed.secret, req)).toBe(true);
    }
    const payloads = got.map((r) => JSON.parse(r.body) as WebhookBody);
    expect(payloads.map((p) => p.data).sort((a, b) => a.goal.name.localeCompare(b.goal.name))).toEqual([
      {
        goal: { id: site.thanks, name: 'Bought' },
        kind: 'pageview',
        page: '/thanks',
        event: null,
        at: expect.any(String),
      },
      {
        goal: { id: site.thanks, name: 'Bought' },
        kind: 'pageview',
        page: '/thanks',
        event: null,
        at: expect.any(String),
      },
      {
        goal: { id: site.signup, name: 'Signed up' },
        kind: 'event',
        page: '/pricing',
        event: 'signup',
        at: expect.any(String),
      },
    ]);
    for (const payload of payloads) {
      expect(payload).toMatchObject({
        type: 'goal.conversion',
        site: { id: site.id, domain: 'conversions.example.com' },
      });
      expect(Object.keys(payload).sort()).toEqual(['createdAt', 'data', 'id', 'site', 'type']);
      expect(new Date(payload.data.at).getTime()).toBeGreaterThanOrEqual(before - 1000);
    }
    // No visitor id, address or browser in any of them.
    const visitorIds = (await historyEvents(t.db, { siteId: site.id })).map((e) => String(e.vid));
    expect(new Set(visitorIds).size).toBe(4);
    const raw = got.map((r) => r.body).join('\n');
    expect(raw).not.toMatch(/198\.51\.100|Chrome|Windows|vid|visitor/i);
    for (const vid of visitorIds) expect(raw).not.toContain(vid);

    // The same visit reaching the goal again in a later batch is not a new conversion.
    await visit(site.publicId, '198.51.100.1', ['/thanks']);
    await aggregate();
    await deliver();
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(bodies('/conversions')).toHaveLength(3);
  });

  it('when more conversions than 60 a minute come for one webhook, then 60 are sent and the rest are dropped, counted in its log', async () => {
    // Start early in a minute: the budget is per clock minute.
    const second = new Date().getUTCSeconds();
    if (second > 40) await new Promise((resolve) => setTimeout(resolve, (61 - second) * 1000));
    const site = await siteWithGoals('busy.example.com');
    const hook = await webhook(site.id, '/busy', ['goal.conversion']);
    for (let i = 0; i < 65; i++) await visit(site.publicId, `203.0.113.${i + 1}`, ['/thanks']);
    await aggregate();

    const queued = await t.db
      .collection('webhook_deliveries')
      .countDocuments({ siteId: new Types.ObjectId(site.id), event: 'goal.conversion' });
    expect(queued).toBe(60);
    const dropped = await t.db
      .collection('webhook_log')
      .find({ webhookId: new Types.ObjectId(hook.id), outcome: 'dropped' })
      .toArray();
    expect(dropped.map((d) => d.error)).toEqual(['5 goal conversions not sent: at most 60 a minute per webhook']);
    const log = await owner.agent.get(`/api/v1/sites/${site.id}/webhooks/${hook.id}/deliveries`).expect(200);
    expect(log.body.attempts).toEqual([
      expect.objectContaining({ event: 'goal.conversion', outcome: 'dropped', attempt: 0 }),
    ]);
    expect(log.body.pending).toHaveLength(60);
  });
});
