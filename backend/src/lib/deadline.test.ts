import express from 'express';
import request from 'supertest';

import { createApp } from '../app';
import { createKey, createSite, signUp, startTestApp, type TestApp } from '../../test/support/app';
import { qs } from '../../test/support/reports';
import { expectError } from '../../test/support/assert';
import { checkDeadline, deadlineOptions, requestDeadline } from './deadline';
import { errorHandler } from './http';
import { createLogger } from './logger';

/**
 * Per-request deadlines: past REQUEST_DEADLINE_MS a request is answered 503 in the
 * one error shape with Retry-After, and its work stops (loops check the deadline,
 * database reads carry the remaining time as maxTimeMS).
 */

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function appWith(deadlineMs: number, handler: express.RequestHandler): express.Express {
  const app = express();
  app.use(requestDeadline(deadlineMs));
  app.get('/work', handler);
  app.use(errorHandler(createLogger('silent')));
  return app;
}

describe('requestDeadline', () => {
  it('when a handler works past the deadline, then the request is answered 503 with Retry-After and the work stops at its next check', async () => {
    let iterations = 0;
    let stoppedBy: unknown;
    // Whichever comes first, the deadline's timer or the loop's check, the answer is the same 503.
    const app = appWith(100, async () => {
      try {
        for (;;) {
          checkDeadline();
          iterations += 1;
          await sleep(5);
        }
      } catch (error) {
        stoppedBy = error;
        throw error;
      }
    });
    const started = Date.now();
    const res = await request(app).get('/work');
    const elapsed = Date.now() - started;
    expectError(res, 503, 'service_unavailable');
    expect(res.headers['retry-after']).toBe('5');
    expect(res.body.error.details).toEqual({ deadlineMs: 100 });
    expect(elapsed).toBeLessThan(1_000);
    await sleep(50);
    const atStop = iterations;
    await sleep(100);
    expect(iterations).toBe(atStop);
    expect(stoppedBy).toMatchObject({ code: 'service_unavailable' });
  });

  it('when a handler blocks the event loop past the deadline, then its next check ends it with the same 503', async () => {
    const app = appWith(50, async () => {
      const until = Date.now() + 120;
      while (Date.now() < until); // a synchronous stretch the timer cannot interrupt
      checkDeadline();
    });
    expectError(await request(app).get('/work'), 503, 'service_unavailable');
  });

  it('when a handler finishes in time, then its answer stands and database reads carry the time left as maxTimeMS', async () => {
    let options: { maxTimeMS?: number } = {};
    const app = appWith(10_000, async (_req, res) => {
      options = deadlineOptions();
      res.json({ ok: true });
    });
    const res = await request(app).get('/work');
    expect(res.status).toBe(200);
    expect(options.maxTimeMS).toBeGreaterThan(9_000);
    expect(options.maxTimeMS).toBeLessThanOrEqual(10_000);
    expect(deadlineOptions()).toEqual({});
  });
});

describe('REQUEST_DEADLINE_MS on the API', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t?.close());

  it('when a filtered report takes longer than the configured deadline, then it is answered 503 in the error shape', async () => {
    const owner = await signUp(t.app);
    const site = await createSite(owner, { timezone: 'UTC' });
    const { secret } = await createKey(owner, site.id);
    const url = `/api/v1/sites/${site.id}/stats/overview?${qs({ from: '2026-01-01', to: '2026-01-31' }, ['page:contains:/a'])}`;
    const fast = await request(t.app).get(url).set('Authorization', `Bearer ${secret}`);
    expect(fast.status).toBe(200);
    // The same server with a 1 ms deadline: no request that reads the database finishes in time.
    const strict = createApp({ config: { ...t.config, REQUEST_DEADLINE_MS: 1 }, logger: createLogger('silent') });
    const res = await request(strict).get(url).set('Authorization', `Bearer ${secret}`);
    expectError(res, 503, 'service_unavailable');
    expect(res.headers['retry-after']).toBe('5');
    expect(res.headers['cache-control']).toBe('no-store');
  });
});
