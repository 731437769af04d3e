import { createSite, signUp, startTestApp, type TestApp, type TestUser } from '../../test/support/app';
import { at, insertEvents } from '../../test/support/events';
import { receiverVerifies, startReceiver, type Receiver } from '../../test/support/webhook-receiver';
import { processPendingEvents } from '../aggregate/aggregator';
import { deliverDueWebhooks } from './delivery';
import { queueWeeklySummaries } from './summary';

/** The weekly summary event: last week's numbers from the report service, once per site and week. */

const ZONE = 'Europe/Amsterdam';
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

async function hookFor(siteId: string, path: string, events: string[]) {
  const res = await owner.agent
    .post(`/api/v1/sites/${siteId}/webhooks`)
    .send({ url: `${receiver.origin}${path}`, events });
  expect(res.status).toBe(201);
  return res.body.secret as string;
}

describe('weekly summary', () => {
  it('when a site-local Monday comes, then each site whose webhook wants it gets last week once, from the report service', async () => {
    const siteId = (await createSite(owner, { domain: 'weekly.example.com', timezone: ZONE })).id;
    const quiet = (await createSite(owner, { domain: 'quiet.example.com', timezone: ZONE })).id;
    const secret = await hookFor(siteId, '/weekly', ['summary.weekly']);
    await hookFor(quiet, '/alerts-only', ['alert.traffic_spike']);
    // The week of Monday 2 March 2026: 3 visitors on /pricing, 2 on /; the week before: 2 visitors.
    await insertEvents(
      siteId,
      [
        ...[0, 1, 2].map((i) => ({
          ts: at('2026-03-03T10:00:00Z', i),
          vid: `w-${i}`,
          path: '/pricing',
          source: 'Newsletter',
        })),
        ...[3, 4].map((i) => ({ ts: at('2026-03-08T20:00:00Z', i), vid: `w-${i}`, path: '/' })),
        ...[5, 6].map((i) => ({ ts: at('2026-02-24T10:00:00Z', i), vid: `w-${i}`, path: '/' })),
      ],
      ZONE,
    );
    await processPendingEvents();

    // Sunday 23:30 in Amsterdam: the week is not over.
    expect(await queueWeeklySummaries(new Date('2026-03-08T22:30:00Z'))).toBe(0);
    // Monday 00:15 in Amsterdam.
    const monday = new Date('2026-03-08T23:15:00Z');
    const [first, second] = await Promise.all([queueWeeklySummaries(monday), queueWeeklySummaries(monday)]);
    expect(first + second).toBe(1);
    expect(await queueWeeklySummaries(new Date('2026-03-09T10:00:00Z'))).toBe(0);
    expect(await queueWeeklySummaries(new Date('2026-03-10T10:00:00Z'))).toBe(0);

    await deliverDueWebhooks({ allowPrivate: true, timeoutMs: 2_000, now: () => monday });
    const [request] = await receiver.waitFor(1);
    expect(receiver.received.map((r) => r.path)).toEqual(['/weekly']);
    expect(request?.headers['clickpath-event']).toBe('summary.weekly');
    expect(receiverVerifies(secret, request!, monday)).toBe(true);
    expect(JSON.parse(request!.body)).toMatchObject({
      type: 'summary.weekly',
      site: { id: siteId, domain: 'weekly.example.com' },
      data: {
        period: { from: '2026-03-02', to: '2026-03-08' },
        metrics: { visitors: 5, visits: 5, pageviews: 5 },
        previous: { visitors: 2 },
        change: { visitors: 150 },
        topPages: [
          { path: '/pricing', visitors: 3, pageviews: 3 },
          { path: '/', visitors: 2, pageviews: 2 },
        ],
        topSources: [
          { source: 'Newsletter', visitors: 3, visits: 3 },
          { source: '', visitors: 2, visits: 2 },
        ],
      },
    });
  });
});
