import { SiteBudget } from '../src/collect/collector';
import { createSite, signUp, startTestApp, type TestApp } from './support/app';
import { pageview, postEvent, storedEvents } from './support/collect';

/**
 * One site's flood must delay only itself (issue 17): each site has its own
 * event budget per minute in the collector, past which it gets 429 while other
 * sites are still accepted.
 */

describe('site event budget', () => {
  it('when a site spends its minute, then it waits for the refill: one event per 1/rate, never more than a minute', () => {
    const budget = new SiteBudget(600);
    expect(budget.take('a', 600, 0)).toBe(0);
    expect(budget.take('a', 1, 0)).toBe(1);
    // 600 a minute is one every 100 ms.
    expect(budget.take('a', 1, 100)).toBe(0);
    expect(budget.take('a', 50, 100)).toBe(5);
    expect(budget.take('b', 600, 100)).toBe(0);
    // A full minute later the bucket is full again, and never fuller.
    expect(budget.take('a', 600, 120_000)).toBe(0);
    expect(budget.take('a', 1, 120_000)).toBe(1);
  });

  describe('through the collector', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startTestApp({ COLLECT_SITE_EVENTS_PER_MINUTE: '120' });
    });
    afterAll(() => t.close());

    it('when one site floods, then it gets 429 with Retry-After and another site is still accepted and stored', async () => {
      const owner = await signUp(t.app);
      const flood = await createSite(owner, { name: 'Flood', domain: 'flood.example', timezone: 'UTC' });
      const quiet = await createSite(owner, { name: 'Quiet', domain: 'quiet.example', timezone: 'UTC' });
      const batch = (publicId: string, n: number) =>
        Array.from({ length: n }, (_, i) => pageview(publicId, { u: `https://x.example/p${i}` }));

      const statuses: number[] = [];
      for (let i = 0; i < 4; i += 1) statuses.push((await postEvent(t.handler, batch(flood.publicId, 50))).status);
      expect(statuses).toEqual([202, 202, 429, 429]);
      const refused = await postEvent(t.handler, batch(flood.publicId, 50));
      expect(refused.status).toBe(429);
      expect(refused.body).toMatchObject({ error: { code: 'rate_limited' } });
      expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);

      expect((await postEvent(t.handler, batch(quiet.publicId, 50))).status).toBe(202);
      expect(await storedEvents(t.db, { siteId: quiet.id })).toHaveLength(50);
      expect(await storedEvents(t.db, { siteId: flood.id })).toHaveLength(100);
    });
  });
});
