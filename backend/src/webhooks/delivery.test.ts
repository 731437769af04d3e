import { Types } from 'mongoose';

import { createSite, signUp, startTestApp, type TestApp, type TestUser } from '../../test/support/app';
import { expectError } from '../../test/support/assert';
import {
  receiverVerifies,
  startReceiver,
  status,
  type Receiver,
  type Received,
} from '../../test/support/webhook-receiver';
import { getSite } from '../sites/service';
import { CLAIM_MS, MAX_ATTEMPTS, RETRY_DELAYS_MS, deliverDueWebhooks } from './delivery';
import { LOG_LIMIT, MAX_PAYLOAD_BYTES, logAttempt, queueEvent } from './service';
import { RESPONSE_EXCERPT, postToTarget } from './target';

/**
 * Delivery to a real receiver on 127.0.0.1: this file's app allows private targets
 * (WEBHOOKS_ALLOW_PRIVATE=true) with a one-second timeout. The job runs on a clock the
 * tests move, so the backoff is seen without waiting for it.
 */

const TIMEOUT_MS = 1_000;
let t: TestApp;
let receiver: Receiver;
beforeAll(async () => {
  t = await startTestApp({ WEBHOOKS_ALLOW_PRIVATE: 'true', WEBHOOKS_TIMEOUT_MS: String(TIMEOUT_MS) });
  receiver = await startReceiver();
});
afterAll(async () => {
  await receiver.close();
  await t.close();
});
// Each test sees only its own deliveries due.
afterEach(() => t.db.collection('webhook_deliveries').deleteMany({}));

const options = { allowPrivate: true, timeoutMs: TIMEOUT_MS };
const deliverAt = (now: Date, overrides: Partial<typeof options> = {}) =>
  deliverDueWebhooks({ ...options, ...overrides, now: () => now });
const later = (from: Date, ms: number) => new Date(from.getTime() + ms);

interface Hook {
  id: string;
  secret: string;
}

let owner: TestUser;
beforeAll(async () => {
  owner = await signUp(t.app);
});

/** A new site with one webhook to the receiver at `path`. */
async function siteWithHook(path: string, events = ['alert.traffic_spike']): Promise<{ siteId: string; hook: Hook }> {
  const siteId = (await createSite(owner, { domain: `${path.replace(/\W/g, '')}.example.com` })).id;
  const res = await owner.agent
    .post(`/api/v1/sites/${siteId}/webhooks`)
    .send({ url: `${receiver.origin}${path}`, events });
  if (res.status !== 201) throw new Error(`create webhook: ${res.status} ${JSON.stringify(res.body)}`);
  return { siteId, hook: { id: res.body.id as string, secret: res.body.secret as string } };
}

/** Queues an alert for the site, as the alert check does. */
async function queueSpike(siteId: string, now: Date) {
  const site = await getSite(siteId);
  if (!site) throw new Error('no site');
  return queueEvent(
    site,
    'alert.traffic_spike',
    { hour: '2026-03-10T14:00:00+01:00', visitors: 120, threshold: 100 },
    now,
  );
}

const sentTo = (path: string) => receiver.received.filter((r) => r.path === path);
const queued = (siteId: string) =>
  t.db
    .collection('webhook_deliveries')
    .find({ siteId: new Types.ObjectId(siteId) })
    .toArray();
const log = async (siteId: string, hookId: string) =>
  (await owner.agent.get(`/api/v1/sites/${siteId}/webhooks/${hookId}/deliveries`)).body as {
    attempts: Array<Record<string, unknown>>;
    pending: Array<Record<string, unknown>>;
  };

describe('signed delivery', () => {
  it('when an event is queued, then the receiver gets it once with a signature it verifies with the secret shown at creation', async () => {
    const { siteId, hook } = await siteWithHook('/signed');
    const now = new Date();
    expect(await queueSpike(siteId, now)).toBe(1);
    expect(await deliverAt(now)).toEqual({ attempted: 1, delivered: 1, retrying: 0, failed: 0 });

    const [request] = sentTo('/signed') as [Received];
    expect(request.method).toBe('POST');
    expect(request.headers['content-type']).toBe('application/json');
    expect(request.headers['user-agent']).toBe('Clickpath-Webhooks/1');
    expect(request.headers['clickpath-event']).toBe('alert.traffic_spike');
    expect(request.headers['clickpath-delivery']).toMatch(new RegExp(`^${siteId}:[0-9a-f]{18}$`));
    expect(request.headers['clickpath-signature']).toMatch(/^t=\d{10},v1=[0-9a-f]{64}$/);
    expect(receiverVerifies(hook.secret, request, now)).toBe(true);
    // A receiver with another secret, or a body changed on the way, does not verify.
    expect(receiverVerifies(`${hook.secret}x`, request, now)).toBe(false);
    expect(receiverVerifies(hook.secret, { ...request, body: request.body.replace('120', '121') }, now)).toBe(false);
    expect(JSON.parse(request.body)).toEqual({
      id: expect.stringMatching(/^evt_/),
      type: 'alert.traffic_spike',
      createdAt: now.toISOString(),
      site: { id: siteId, name: 'My blog', domain: 'signed.example.com' },
      data: { hour: '2026-03-10T14:00:00+01:00', visitors: 120, threshold: 100 },
    });

    expect(await queued(siteId)).toEqual([]);
    const { attempts, pending } = await log(siteId, hook.id);
    expect(pending).toEqual([]);
    expect(attempts).toEqual([
      expect.objectContaining({
        deliveryId: request.headers['clickpath-delivery'],
        event: 'alert.traffic_spike',
        attempt: 1,
        statusCode: 200,
        error: null,
        outcome: 'delivered',
        nextAttemptAt: null,
        response: 'ok',
      }),
    ]);
    // Nothing is due any more.
    expect(await deliverAt(later(now, 3_600_000))).toEqual({ attempted: 0, delivered: 0, retrying: 0, failed: 0 });
  });

  it('when the test button is pressed, then a signed webhook.test arrives now and the answer says what the receiver said', async () => {
    const { siteId, hook } = await siteWithHook('/button');
    receiver.answerNext(status(204));
    const res = await owner.agent.post(`/api/v1/sites/${siteId}/webhooks/${hook.id}/test`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ event: 'webhook.test', attempt: 1, statusCode: 204, outcome: 'delivered' });
    const [request] = sentTo('/button') as [Received];
    expect(receiverVerifies(hook.secret, request)).toBe(true);
    expect(JSON.parse(request.body)).toMatchObject({ type: 'webhook.test', data: { message: expect.any(String) } });
    expect((await log(siteId, hook.id)).attempts).toEqual([res.body]);
  });

  it('when the test button is pressed more than 5 times a minute, then 429', async () => {
    const { siteId, hook } = await siteWithHook('/often');
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      statuses.push((await owner.agent.post(`/api/v1/sites/${siteId}/webhooks/${hook.id}/test`)).status);
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
    expect(sentTo('/often')).toHaveLength(5);
  });
});

describe('retries', () => {
  it('when the receiver answers 500, then the delivery is tried again after 1 and then 3 more minutes, re-signed, with the same delivery id, until it gets a 2xx', async () => {
    const { siteId, hook } = await siteWithHook('/flaky');
    const t0 = new Date();
    await queueSpike(siteId, t0);
    receiver.answerNext(status(500, 'down'), status(503, 'still down'));

    expect(await deliverAt(t0)).toMatchObject({ attempted: 1, retrying: 1 });
    const [first] = await queued(siteId);
    expect(first).toMatchObject({ attempts: 1, nextAttemptAt: later(t0, RETRY_DELAYS_MS[0]!) });
    // Not before its time.
    expect(await deliverAt(later(t0, 59_000))).toMatchObject({ attempted: 0 });
    expect(sentTo('/flaky')).toHaveLength(1);

    const t1 = later(t0, 60_000);
    expect(await deliverAt(t1)).toMatchObject({ attempted: 1, retrying: 1 });
    const t2 = later(t1, 3 * 60_000);
    expect(await deliverAt(later(t2, -1_000))).toMatchObject({ attempted: 0 });
    expect(await deliverAt(t2)).toMatchObject({ attempted: 1, delivered: 1 });

    const requests = sentTo('/flaky');
    expect(requests).toHaveLength(3);
    expect(new Set(requests.map((r) => r.headers['clickpath-delivery'])).size).toBe(1);
    expect(new Set(requests.map((r) => r.body)).size).toBe(1);
    expect(requests.map((r) => r.headers['clickpath-signature'])).toEqual([
      expect.stringMatching(`^t=${Math.floor(t0.getTime() / 1000)},`),
      expect.stringMatching(`^t=${Math.floor(t1.getTime() / 1000)},`),
      expect.stringMatching(`^t=${Math.floor(t2.getTime() / 1000)},`),
    ]);
    expect(receiverVerifies(hook.secret, requests[2]!, t2)).toBe(true);
    expect(await queued(siteId)).toEqual([]);
    const { attempts } = await log(siteId, hook.id);
    expect(attempts.map((a) => [a.attempt, a.statusCode, a.outcome, a.nextAttemptAt, a.response])).toEqual([
      [3, 200, 'delivered', null, 'ok'],
      [2, 503, 'retrying', later(t1, RETRY_DELAYS_MS[1]!).toISOString(), 'still down'],
      [1, 500, 'retrying', later(t0, RETRY_DELAYS_MS[0]!).toISOString(), 'down'],
    ]);
  });

  it(`when the receiver never succeeds, then it is tried ${MAX_ATTEMPTS} times over about an hour and given up`, async () => {
    const { siteId, hook } = await siteWithHook('/broken');
    let now = new Date();
    await queueSpike(siteId, now);
    receiver.answerNext(...Array.from({ length: MAX_ATTEMPTS }, () => status(500)));
    const start = now;
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      expect(await deliverAt(now)).toMatchObject({ attempted: 1 });
      now = later(now, RETRY_DELAYS_MS[attempt - 1] ?? 0);
    }
    expect(await deliverAt(later(now, 86_400_000))).toMatchObject({ attempted: 0 });
    expect(sentTo('/broken')).toHaveLength(MAX_ATTEMPTS);
    const { attempts, pending } = await log(siteId, hook.id);
    expect(pending).toEqual([]);
    expect(attempts.map((a) => a.outcome)).toEqual([
      'failed',
      'retrying',
      'retrying',
      'retrying',
      'retrying',
      'retrying',
    ]);
    // The last attempt comes an hour after the first.
    expect(attempts.map((a) => (Date.parse(String(a.at)) - start.getTime()) / 60_000)).toEqual([60, 30, 12, 4, 1, 0]);
  });

  it('when the receiver redirects, then the redirect is not followed: it counts as a failed attempt', async () => {
    const { siteId, hook } = await siteWithHook('/moved');
    receiver.answerNext(status(302, '', { Location: `${receiver.origin}/elsewhere` }));
    await queueSpike(siteId, new Date());
    expect(await deliverAt(new Date())).toMatchObject({ attempted: 1, retrying: 1 });
    expect(sentTo('/elsewhere')).toEqual([]);
    expect((await log(siteId, hook.id)).attempts[0]).toMatchObject({ statusCode: 302, outcome: 'retrying' });
  });

  it('when the receiver does not answer in time, then the attempt ends at the timeout and is retried', async () => {
    const { siteId, hook } = await siteWithHook('/silent');
    receiver.answerNext(() => undefined);
    await queueSpike(siteId, new Date());
    const started = Date.now();
    expect(await deliverAt(new Date())).toMatchObject({ attempted: 1, retrying: 1 });
    expect(Date.now() - started).toBeLessThan(TIMEOUT_MS + 1_500);
    expect((await log(siteId, hook.id)).attempts[0]).toMatchObject({
      statusCode: null,
      error: `No answer within ${TIMEOUT_MS} ms`,
      outcome: 'retrying',
    });
  });

  it('when the receiver answers with an endless body, then only the start is read and the log keeps a short excerpt', async () => {
    const { siteId, hook } = await siteWithHook('/chatty');
    receiver.answerNext((res) => {
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      const chunk = 'x'.repeat(16 * 1024);
      // 1 MiB whatever happens; the backend stops reading long before.
      let sent = 0;
      const more = () => {
        while (sent < 64 && res.write(chunk)) sent += 1;
        if (sent < 64) res.once('drain', more);
        else res.end();
      };
      more();
    });
    await queueSpike(siteId, new Date());
    expect(await deliverAt(new Date())).toMatchObject({ delivered: 1 });
    const [entry] = (await log(siteId, hook.id)).attempts;
    expect(entry).toMatchObject({ statusCode: 200, outcome: 'delivered' });
    expect(String(entry?.response)).toHaveLength(RESPONSE_EXCERPT);
  });

  it('when the address a webhook resolves to is no longer allowed, then the attempt is refused before connecting', async () => {
    const { siteId, hook } = await siteWithHook('/now-private');
    await queueSpike(siteId, new Date());
    expect(await deliverAt(new Date(), { allowPrivate: false })).toMatchObject({ attempted: 1, retrying: 1 });
    expect(sentTo('/now-private')).toEqual([]);
    expect((await log(siteId, hook.id)).attempts[0]).toMatchObject({
      statusCode: null,
      error: expect.stringMatching(/^Refused: 127\.0\.0\.1 is a loopback address/),
    });
  });
});

describe('one attempt, one sender', () => {
  it('when several processes run the job at once, then each attempt is sent once', async () => {
    const { siteId } = await siteWithHook('/once');
    const now = new Date();
    await queueSpike(siteId, now);
    const runs = await Promise.all(Array.from({ length: 4 }, () => deliverAt(now)));
    expect(runs.reduce((sum, r) => sum + r.attempted, 0)).toBe(1);
    expect(sentTo('/once')).toHaveLength(1);
  });

  it('when the process that claimed an attempt died, then another takes it over once the claim is older than the longest attempt', async () => {
    const { siteId } = await siteWithHook('/orphaned');
    const now = new Date();
    await queueSpike(siteId, now);
    const [delivery] = await queued(siteId);
    // A claim made by a process that then died, before it could send.
    await t.db.collection<{ _id: string; [field: string]: unknown }>('webhook_claims').insertOne({
      _id: `${String(delivery?._id)}:0:0`,
      siteId: new Types.ObjectId(siteId),
      at: now,
      expiresAt: later(now, 86_400_000),
    });
    expect(await deliverAt(later(now, CLAIM_MS - 1_000))).toMatchObject({ attempted: 0 });
    expect(sentTo('/orphaned')).toEqual([]);
    expect(await deliverAt(later(now, CLAIM_MS + 1_000))).toMatchObject({ attempted: 1, delivered: 1 });
    expect(sentTo('/orphaned')).toHaveLength(1);
  });

  it('when the webhook was deleted before its delivery was due, then nothing is sent and the delivery goes', async () => {
    const { siteId, hook } = await siteWithHook('/deleted');
    await queueSpike(siteId, later(new Date(), 60_000));
    await t.db.collection('webhooks').deleteOne({ _id: new Types.ObjectId(hook.id) });
    await deliverAt(later(new Date(), 120_000));
    expect(sentTo('/deleted')).toEqual([]);
    expect(await queued(siteId)).toEqual([]);
  });
});

describe('bounds', () => {
  it(`when a webhook has made more than ${LOG_LIMIT} attempts, then its log keeps the newest ${LOG_LIMIT}`, async () => {
    const { siteId, hook } = await siteWithHook('/bounded');
    const base = {
      siteId: new Types.ObjectId(siteId),
      webhookId: new Types.ObjectId(hook.id),
      event: 'alert.traffic_spike',
      attempt: 1,
      statusCode: 200,
      error: null,
      durationMs: 1,
      outcome: 'delivered' as const,
      nextAttemptAt: null,
      response: '',
    };
    for (let i = 0; i < LOG_LIMIT + 5; i++) await logAttempt({ ...base, deliveryId: `d${i}`, at: new Date() });
    const { attempts } = await log(siteId, hook.id);
    expect(attempts).toHaveLength(LOG_LIMIT);
    expect(attempts[0]?.deliveryId).toBe(`d${LOG_LIMIT + 4}`);
    expect(attempts.at(-1)?.deliveryId).toBe('d5');
    expect(await t.db.collection('webhook_log').countDocuments({ webhookId: base.webhookId })).toBe(LOG_LIMIT);
  });

  it('when a receiver is down long enough that 100 deliveries wait, then the next is logged as dropped instead of queued', async () => {
    const { siteId, hook } = await siteWithHook('/backlog');
    const future = later(new Date(), 3_600_000);
    await t.db.collection<{ _id: string; [field: string]: unknown }>('webhook_deliveries').insertMany(
      Array.from({ length: 100 }, (_, i) => ({
        _id: `${siteId}:waiting${i}`,
        siteId: new Types.ObjectId(siteId),
        webhookId: new Types.ObjectId(hook.id),
        event: 'alert.traffic_spike',
        payload: '{}',
        attempts: 1,
        nextAttemptAt: future,
        createdAt: new Date(),
      })),
    );
    expect(await queueSpike(siteId, new Date())).toBe(0);
    const { attempts, pending } = await log(siteId, hook.id);
    expect(pending).toHaveLength(100);
    expect(attempts[0]).toMatchObject({
      outcome: 'dropped',
      error: '100 deliveries are already waiting for this webhook',
    });
  });

  it(`when an event's body would exceed ${MAX_PAYLOAD_BYTES / 1024} KiB, then it is not queued`, async () => {
    const { siteId } = await siteWithHook('/huge');
    const site = await getSite(siteId);
    const huge = { note: 'x'.repeat(MAX_PAYLOAD_BYTES) };
    await expect(queueEvent(site!, 'alert.traffic_spike', huge)).rejects.toThrow(/exceeds 65536/);
    expect(await queued(siteId)).toEqual([]);
  });

  it('when a site is deleted, then its webhooks, deliveries, claims and log go with it', async () => {
    const { siteId } = await siteWithHook('/gone');
    receiver.answerNext(status(500));
    await queueSpike(siteId, new Date());
    await deliverAt(new Date());
    expectError(
      await owner.agent.delete(`/api/v1/sites/${siteId}/webhooks/000000000000000000000000`),
      404,
      'not_found',
    );
    expect((await owner.agent.delete(`/api/v1/sites/${siteId}`)).status).toBe(204);
    const site = new Types.ObjectId(siteId);
    for (const name of ['webhooks', 'webhook_deliveries', 'webhook_claims', 'webhook_log']) {
      expect([name, await t.db.collection(name).countDocuments({ siteId: site })]).toEqual([name, 0]);
    }
  });
});

describe('connecting to the address that was checked', () => {
  it('when a name resolves to an allowed address, then the request goes to that address without asking DNS again', async () => {
    let lookups = 0;
    const resolve = async () => {
      lookups += 1;
      return [{ address: '127.0.0.1', family: 4 }];
    };
    // `pinned.invalid` exists in no DNS: the request can only have reached the receiver through the checked address.
    const result = await postToTarget(
      `http://pinned.invalid:${receiver.port}/pinned`,
      '{}',
      {},
      { ...options, resolve },
    );
    expect(result).toMatchObject({ statusCode: 200, error: null });
    expect(lookups).toBe(1);
    expect(sentTo('/pinned')[0]?.headers.host).toBe(`pinned.invalid:${receiver.port}`);
  });

  it('when a name resolves to a public and a private address, then it is refused whatever order they come in', async () => {
    const resolve = async () => [
      { address: '93.184.215.14', family: 4 },
      { address: '10.0.0.1', family: 4 },
    ];
    const result = await postToTarget(
      'http://mixed.invalid/hook',
      '{}',
      {},
      { allowPrivate: false, timeoutMs: 500, resolve },
    );
    expect(result).toMatchObject({
      statusCode: null,
      error:
        'Refused: mixed.invalid resolves to 10.0.0.1 is a private network address; webhooks go to public addresses unless the operator sets WEBHOOKS_ALLOW_PRIVATE=true',
    });
  });
});
