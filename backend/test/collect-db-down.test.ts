import request from 'supertest';

import { disconnectDatabase } from '../src/lib/db';
import { REPO_ROOT, startEmbeddedDatabase, type EmbeddedDatabase } from '../src/lib/embedded-db';
import { createSite, signUp, startTestApp, type TestApp, type TestSite } from './support/app';
import { expectError } from './support/assert';
import { countEvents, pageview, postEvent } from './support/collect';

/**
 * The collector when its database goes away: it must answer 503 (so the tracker
 * or a proxy retries) in the one error shape, never claim success, and keep serving.
 * This file runs its own database server because it stops it.
 */

let database: EmbeddedDatabase;
let t: TestApp;
let site: TestSite;

beforeAll(async () => {
  database = await startEmbeddedDatabase({ projectRoot: REPO_ROOT });
  t = await startTestApp({}, undefined, database.uri);
  site = await createSite(await signUp(t.app));
}, 60_000);

afterAll(async () => {
  await disconnectDatabase();
  await database?.stop();
});

describe('collector with the database down', () => {
  it('when the database stops after the collector is warm, then 50 events each get 503 with Retry-After and the listener keeps answering', async () => {
    const warm = await postEvent(t.handler, pageview(site.publicId));
    expect({ status: warm.status, body: warm.body as unknown }).toEqual({ status: 202, body: { accepted: 1 } });
    expect(await countEvents(t.db)).toBe(1);

    await database.stop();

    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, n) =>
        postEvent(
          t.handler,
          n % 5 === 0 ? [pageview(site.publicId), pageview(site.publicId)] : pageview(site.publicId),
        ),
      ),
    );
    expect(answers.filter((res) => res.status >= 200 && res.status < 300)).toEqual([]);
    for (const res of answers) {
      expectError(res, 503, 'service_unavailable');
      expect(res.headers['retry-after']).toMatch(/^\d+$/);
      expect(res.headers['access-control-allow-origin']).toBe('*');
    }

    // Still serving: validation, preflight and health answer as before, and the next event gets 503 again.
    expectError(await postEvent(t.handler, pageview(site.publicId, { w: -1 })), 400, 'validation_failed');
    expect((await request(t.handler).options('/api/event')).status).toBe(204);
    expect((await request(t.handler).get('/healthz')).status).toBe(200);
    expect((await request(t.handler).get('/readyz')).status).toBe(503);
    expectError(await postEvent(t.handler, pageview(site.publicId)), 503, 'service_unavailable');
  }, 90_000);
});
