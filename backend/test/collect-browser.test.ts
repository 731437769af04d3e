import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

import { createSite, signUp, startTestApp, type TestApp, type TestSite } from './support/app';
import { DESKTOP_UA, eventId, listen, storedEvents, waitUntil } from './support/collect';
import {
  buildTracker,
  CHROMIUM,
  CHROMIUM_ARGS,
  launchBrowser,
  servePages,
  trackerPage,
  type PageServer,
} from './tracker/harness';

/**
 * The real tracker in headless Chromium against the real collector: pages come from
 * the harness server, the tracker posts to a real listener (`data-api`), and each
 * test waits for what the `events` collection holds.
 */

let t: TestApp;
let site: TestSite;
let pages: PageServer;
let api: Awaited<ReturnType<typeof listen>>;
let apiUrl: string;
let browser: Browser;
let context: BrowserContext;
let errors: Error[];

type Stored = Awaited<ReturnType<typeof storedEvents>>;

beforeAll(async () => {
  buildTracker();
  t = await startTestApp();
  site = await createSite(await signUp(t.app), { name: 'Local', domain: 'localhost', timezone: 'UTC' });
  api = await listen(t.handler);
  apiUrl = `${api.origin}/api/event`;
  pages = await servePages();
  // Headless Chromium says HeadlessChrome, which the bot filter drops. A context's userAgent
  // does not reach beacons sent while a page unloads (the browser process sends them), so the
  // whole browser runs as desktop Chrome.
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [...CHROMIUM_ARGS, `--user-agent=${DESKTOP_UA}`],
  });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await pages?.close();
  await api?.close();
  await t?.close();
});

beforeEach(async () => {
  errors = [];
  context = await browser.newContext({ userAgent: DESKTOP_UA });
});

afterEach(async () => {
  await context?.close();
  expect(errors).toEqual([]);
});

function tracked(path: string, opts: Parameters<typeof trackerPage>[0] = {}): string {
  return pages.page(path, trackerPage({ ...opts, site: site.publicId, attrs: { api: apiUrl, ...opts.attrs } }));
}

async function open(ctx: BrowserContext, url: string): Promise<Page> {
  const page = await ctx.newPage();
  page.on('pageerror', (e) => errors.push(e));
  await page.goto(url);
  return page;
}

/** Events stored under a path prefix, once there are at least `count`. */
function stored(prefix: string, count: number, kind?: string): Promise<Stored> {
  const filter = { path: { $regex: `^${prefix.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}` }, ...(kind ? { kind } : {}) };
  return waitUntil(
    async () => {
      const docs = await storedEvents(t.db, filter);
      return docs.length >= count ? docs : undefined;
    },
    10_000,
    `${count} ${kind ?? ''} event(s) under ${prefix}`,
  );
}

/** Sends a marker pageview through the page's beacon queue and waits until it is stored: earlier sends have landed. */
async function barrier(page: Page): Promise<void> {
  const marker = `/barrier/${eventId()}`;
  const origin = new URL(page.url()).origin;
  const event = { s: site.publicId, i: eventId(), k: 'pv', u: `${origin}${marker}` };
  await page.evaluate(`navigator.sendBeacon(${JSON.stringify(apiUrl)}, ${JSON.stringify(JSON.stringify(event))})`);
  await stored(marker, 1);
}

describe('real tracker, real collector', () => {
  it('when a page loads, then one pageview is stored with the page, browser, screen and language', async () => {
    const page = await open(context, tracked('/b-pv', { title: 'Hello\tbrowser' }) + '?utm_source=news');
    const [pv] = await stored('/b-pv', 1, 'pv');
    await barrier(page);
    expect(await storedEvents(t.db, { path: '/b-pv' })).toHaveLength(1);
    expect(pv).toMatchObject({
      kind: 'pv',
      host: '127.0.0.1',
      path: '/b-pv',
      title: 'Hello browser',
      utmSource: 'news',
      browser: 'Chrome',
      device: 'desktop',
      vid: expect.stringMatching(/^c:/),
    });
    expect(pv?.screen).not.toBe('');
    expect(pv?.language).toMatch(/^[a-z]{2}/);
  });

  it('when the SPA pushes a new path, then each path is stored once as a pageview and the first page gets engaged time', async () => {
    const page = await open(context, tracked('/b-spa/one'));
    await stored('/b-spa/one', 1, 'pv');
    // Read page one for a moment: the collector keeps engaged time from a second up.
    await page.waitForTimeout(1100);
    await page.evaluate(`history.pushState({}, '', '/b-spa/two?x=1')`);
    await stored('/b-spa/two', 1, 'pv');
    await stored('/b-spa/one', 1, 'en');
    await barrier(page);
    const docs = await storedEvents(t.db, { path: { $regex: '^/b-spa/' } });
    expect(docs.map((d) => [d.path, d.kind]).sort()).toEqual([
      ['/b-spa/one', 'en'],
      ['/b-spa/one', 'pv'],
      ['/b-spa/two', 'pv'],
    ]);
  });

  it('when a custom event with props is sent, then it is stored once with its name and props', async () => {
    const page = await open(context, tracked('/b-event'));
    await page.evaluate(`clickpath('event', 'signup', { plan: 'pro', seats: 3, trial: false })`);
    const [ev] = await stored('/b-event', 1, 'ev');
    await barrier(page);
    expect(await storedEvents(t.db, { path: '/b-event', kind: 'ev' })).toHaveLength(1);
    expect(ev).toMatchObject({ name: 'signup', props: { plan: 'pro', seats: 3, trial: false } });
  });

  it('when an outbound link is clicked, then an outbound event with the URL is stored once', async () => {
    const outbound = `http://localhost:${new URL(pages.origin).port}/elsewhere`;
    const page = await open(context, tracked('/b-out', { body: `<a id="out" href="${outbound}">out</a>` }));
    await stored('/b-out', 1, 'pv');
    await page.click('#out');
    const [ev] = await stored('/b-out', 1, 'ev');
    await barrier(await open(context, tracked('/b-out-after')));
    expect(await storedEvents(t.db, { path: '/b-out', kind: 'ev' })).toHaveLength(1);
    expect(ev).toMatchObject({ name: 'outbound', props: { url: outbound } });
  });

  it('when the visitor leaves the page, then the engaged time is stored once', async () => {
    await context.clock.install();
    const page = await open(context, tracked('/b-engaged'));
    await stored('/b-engaged', 1, 'pv');
    await context.clock.fastForward(4000);
    await page.goto(pages.page('/b-left', '<title>elsewhere</title>'));
    const [en] = await stored('/b-engaged', 1, 'en');
    expect(en?.engagedMs).toBeGreaterThanOrEqual(4000);
    expect(en?.engagedMs).toBeLessThan(60_000);
    await barrier(await open(context, tracked('/b-engaged-after')));
    // pagehide and the following visibilitychange both flush, so the tracker also sends an `en` of a few ms.
    expect(await storedEvents(t.db, { path: '/b-engaged', kind: 'en', engagedMs: { $gt: 0 } })).toHaveLength(1);
  });

  it('when the opt-out flag is set, then nothing is stored', async () => {
    await context.addInitScript(`localStorage.setItem('clickpath_ignore', '1')`);
    const page = await open(context, tracked('/b-optout'));
    await page.evaluate(`clickpath('event', 'x'); history.pushState({}, '', '/b-optout/2')`);
    await barrier(page);
    expect(await storedEvents(t.db, { path: { $regex: '^/b-optout' } })).toEqual([]);
  });

  it('when Global Privacy Control is on and the tag has data-dnt, then nothing is stored; without data-dnt it is', async () => {
    await context.addInitScript(`Object.defineProperty(navigator, 'globalPrivacyControl', { get: () => true })`);
    const page = await open(context, tracked('/b-gpc-dnt', { attrs: { dnt: true } }));
    await page.evaluate(`clickpath('event', 'x')`);
    await barrier(page);
    expect(await storedEvents(t.db, { path: '/b-gpc-dnt' })).toEqual([]);
    await open(context, tracked('/b-gpc-plain'));
    expect(await stored('/b-gpc-plain', 1, 'pv')).toHaveLength(1);
  });

  it('when the browser keeps the HeadlessChrome user agent, then the collector accepts the pageview but stores nothing', async () => {
    const plain = await launchBrowser();
    const headless = await plain.context();
    try {
      const page = await headless.newPage();
      page.on('pageerror', (e) => errors.push(e));
      const answered = page.waitForEvent('requestfinished', { predicate: (r) => r.url() === apiUrl, timeout: 10_000 });
      await page.goto(tracked('/b-headless'));
      expect(await page.evaluate('navigator.userAgent')).toMatch(/HeadlessChrome/);
      const response = await (await answered).response();
      expect(response?.status()).toBe(202);
      expect(await storedEvents(t.db, { path: '/b-headless' })).toEqual([]);
    } finally {
      await plain.close();
    }
  });
});
