import type { BrowserContext, Page } from 'playwright-core';
import { CollectBody } from '../../src/collect/event-schema';
import { buildTracker, launchBrowser, servePages, trackerPage, type PageServer } from './harness';

type Ev = Record<string, unknown>;
const QUEUE_SNIPPET =
  '<script>window.clickpath=window.clickpath||function(){(clickpath.q=clickpath.q||[]).push(arguments)}</script>';

let server: PageServer;
let browser: Awaited<ReturnType<typeof launchBrowser>>;
let context: BrowserContext;
let errors: Error[];

const pathOf = (e: Ev) => new URL(String(e.u)).pathname;
const on = (prefix: string, kind?: string) => (e: Ev) =>
  typeof e.u === 'string' && pathOf(e).startsWith(prefix) && (kind === undefined || e.k === kind);

async function open(ctx: BrowserContext, url: string): Promise<Page> {
  const page = await ctx.newPage();
  page.on('pageerror', (e) => errors.push(e));
  await page.goto(url);
  return page;
}

/** Sends a marker through the same beacon queue and waits for it, so anything the tracker sent earlier has arrived. */
async function barrier(page: Page): Promise<void> {
  const token = `b${Date.now()}${Math.random()}`;
  await page.evaluate(`navigator.sendBeacon('/api/event', JSON.stringify({ barrier: ${JSON.stringify(token)} }))`);
  await server.waitFor((e) => e.barrier === token, 1);
}

beforeAll(async () => {
  buildTracker();
  server = await servePages();
  browser = await launchBrowser();
}, 30_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

beforeEach(async () => {
  errors = [];
  context = await browser.context();
});

afterEach(async () => {
  await context?.close();
  expect(errors).toEqual([]);
});

describe('tracker in Chromium', () => {
  it('when a page loads, then one pageview with the page fields is sent as text/plain', async () => {
    const url = server.page('/pv', trackerPage({ title: 'Hello  world', attrs: { '404': true } }));
    await open(context, url + '?a=1#top');
    const [pv] = await server.waitFor(on('/pv', 'pv'), 1);
    expect(pv).toMatchObject({ k: 'pv', s: 'site_test_01', u: url + '?a=1#top', r: '', t: 'Hello world', nf: 1 });
    expect(typeof pv!.w).toBe('number');
    expect(pv!.l).toMatch(/^[a-z]{2}/i);
    expect(pv!.v).toBeUndefined();
    const raw = server.captured.find((c) => c.body === pv || (c.body as Ev).i === pv!.i);
    expect(raw?.contentType).toMatch(/^text\/plain/);
  });

  it('when the script comes from a backend under a path and names no collector, then it posts to the /api/event of that backend', async () => {
    const url = server.page('/hosted', trackerPage({ src: '/clickpath/js/clickpath.js' }));
    await open(context, url);
    const [pv] = await server.waitFor(on('/hosted', 'pv'), 1);
    expect(pv).toMatchObject({ k: 'pv', u: url });
    expect(server.captured.find((c) => c.body === pv || (Array.isArray(c.body) && c.body.includes(pv)))?.path).toBe(
      '/clickpath/api/event',
    );
  });

  it('when the SPA pushes a new path, then exactly one pageview follows; replaceState to the same URL and hash changes send none', async () => {
    await context.clock.install();
    const page = await open(context, server.page('/spa/one', trackerPage({})));
    await server.waitFor(on('/spa/one', 'pv'), 1);
    await context.clock.fastForward(3000);
    await page.evaluate(`history.pushState({}, '', '/spa/two?x=1')`);
    const [two] = await server.waitFor(on('/spa/two', 'pv'), 1);
    const [en] = await server.waitFor(on('/spa/one', 'en'), 1);
    expect(en!.e).toBeGreaterThanOrEqual(3000);
    expect(two!.u).toBe(server.origin + '/spa/two?x=1');
    await page.evaluate(
      `history.replaceState({}, '', '/spa/two?x=1'); location.hash = 'section'; history.pushState({}, '', '/spa/two?x=1#other')`,
    );
    await page.evaluate(`history.back()`);
    await barrier(page);
    expect(server.events().filter(on('/spa/two', 'pv'))).toHaveLength(1);
    await page.evaluate(`history.pushState({}, '', '/spa/three')`);
    await page.evaluate(`history.back()`);
    await server.waitFor(on('/spa/three', 'pv'), 1);
    await server.waitFor(on('/spa/two', 'pv'), 2);
  });

  it('when events are queued before the script loads and called after, then all arrive with their props', async () => {
    const html = trackerPage({
      head: QUEUE_SNIPPET + `<script>clickpath('event', 'signup', { plan: 'pro', seats: 3 })</script>`,
    });
    const page = await open(context, server.page('/events', html));
    await page.evaluate(`clickpath('event', 'later', { ok: true })`);
    const evs = await server.waitFor(on('/events', 'ev'), 2);
    expect(evs.map((e) => [e.n, e.p])).toEqual(
      expect.arrayContaining([
        ['signup', { plan: 'pro', seats: 3 }],
        ['later', { ok: true }],
      ]),
    );
  });

  it('when an outbound link or a download link is clicked, then an event names it with the url', async () => {
    const outbound = `http://localhost:${new URL(server.origin).port}/elsewhere`;
    const page = await open(
      context,
      server.page(
        '/links',
        trackerPage({
          body: `<a id="dl" href="/files/report.PDF"><span>report</span></a><a id="page" href="/links#x">same</a><a id="mail" href="mailto:a@b.c">mail</a><a id="out" href="${outbound}">out</a>
<script>document.getElementById('dl').addEventListener('click', (e) => { e.preventDefault(); e.stopPropagation(); })</script>`,
        }),
      ),
    );
    await page.click('#dl span');
    await page.click('#page');
    await page.click('#mail');
    const [dl] = await server.waitFor(on('/links', 'ev'), 1);
    expect(dl).toMatchObject({ n: 'download', p: { url: server.origin + '/files/report.PDF' } });
    await page.click('#out');
    const evs = await server.waitFor(on('/links', 'ev'), 2);
    expect(evs[1]).toMatchObject({ n: 'outbound', p: { url: outbound } });
    await barrier(page);
    expect(server.events().filter(on('/links', 'ev'))).toHaveLength(2);
  });

  it('when the visitor leaves or hides the page, then engaged time is sent once per visible stretch', async () => {
    await context.clock.install();
    const page = await open(context, server.page('/engaged', trackerPage({})));
    await server.waitFor(on('/engaged', 'pv'), 1);
    const setHidden = (hidden: boolean) =>
      page.evaluate(`Object.defineProperty(document, 'hidden', { configurable: true, get: () => ${hidden} });
        Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => '${hidden ? 'hidden' : 'visible'}' });
        document.dispatchEvent(new Event('visibilitychange', { bubbles: true }))`);
    await context.clock.fastForward(5000);
    await setHidden(true);
    const [first] = await server.waitFor(on('/engaged', 'en'), 1);
    expect(first!.e).toBeGreaterThanOrEqual(5000);
    expect(first!.e).toBeLessThan(6000);
    await context.clock.fastForward(60_000); // hidden time is not engaged time
    await setHidden(false);
    await context.clock.fastForward(2000);
    await page.goto(server.page('/engaged-next', '<title>next</title>'));
    const ens = await server.waitFor(on('/engaged', 'en'), 2);
    expect(ens[1]!.e).toBeGreaterThanOrEqual(2000);
    expect(ens[1]!.e).toBeLessThan(3000);
    expect(server.events().filter(on('/engaged', 'pv'))).toHaveLength(1);
  });

  it('when the opt-out flag is set, then nothing is sent and calls do not throw', async () => {
    await context.addInitScript(`localStorage.setItem('clickpath_ignore', '1')`);
    const page = await open(context, server.page('/optout', trackerPage({ attrs: { mode: 'first-party' } })));
    await page.evaluate(`clickpath('event', 'x'); history.pushState({}, '', '/optout/2')`);
    await barrier(page);
    expect(server.events().filter(on('/optout'))).toEqual([]);
    expect(await page.evaluate(`localStorage.getItem('clickpath_vid')`)).toBeNull();
  });

  it('when Global Privacy Control is on and data-dnt is set, then nothing is sent; without data-dnt it is sent', async () => {
    await context.addInitScript(`Object.defineProperty(navigator, 'globalPrivacyControl', { get: () => true })`);
    const page = await open(context, server.page('/gpc-dnt', trackerPage({ attrs: { dnt: true } })));
    await page.evaluate(`clickpath('event', 'x')`);
    await barrier(page);
    expect(server.events().filter(on('/gpc-dnt'))).toEqual([]);
    await open(context, server.page('/gpc-ignored', trackerPage({})));
    await server.waitFor(on('/gpc-ignored', 'pv'), 1);
  });

  it('when the page is on localhost without data-localhost, then nothing is sent', async () => {
    const page = await open(context, server.page('/no-localhost', trackerPage({ attrs: { localhost: false } })));
    await barrier(page);
    expect(server.events().filter(on('/no-localhost'))).toEqual([]);
  });

  it('when the site runs in first-party mode, then the visitor id persists across loads and identify is sent', async () => {
    const url = server.page('/first-party', trackerPage({ attrs: { mode: 'first-party' } }));
    const page = await open(context, url);
    await page.evaluate(`clickpath('identify', 'user-42', { plan: 'pro' })`);
    await page.goto(url + '?again');
    const pvs = await server.waitFor(on('/first-party', 'pv'), 2);
    const [id] = await server.waitFor(on('/first-party', 'id'), 1);
    expect(pvs[0]!.v).toMatch(/^[A-Za-z0-9_-]{10,40}$/);
    expect(pvs[1]!.v).toBe(pvs[0]!.v);
    expect(id).toMatchObject({ uid: 'user-42', tr: { plan: 'pro' }, v: pvs[0]!.v });
  });

  it('when the site runs cookieless, then no visitor id is sent, identify is ignored and nothing is stored', async () => {
    const page = await open(context, server.page('/cookieless', trackerPage({})));
    await page.evaluate(`clickpath('identify', 'user-42'); clickpath('event', 'done')`);
    await server.waitFor(on('/cookieless', 'ev'), 1);
    await barrier(page);
    const evs = server.events().filter(on('/cookieless'));
    expect(evs.map((e) => e.k).sort()).toEqual(['ev', 'pv']);
    expect(evs.every((e) => !('v' in e))).toBe(true);
    expect(await page.evaluate('localStorage.length')).toBe(0);
  });

  it('then every captured event passes the collector schema and has a unique id', () => {
    const bodies = server.captured.map((c) => c.body as Ev).filter((b) => !('barrier' in b));
    expect(bodies.length).toBeGreaterThan(15);
    for (const body of bodies) {
      const parsed = CollectBody.safeParse(body);
      if (!parsed.success) throw new Error(`${JSON.stringify(body)}: ${parsed.error.message}`);
    }
    const ids = bodies.flatMap((b) => (Array.isArray(b) ? b : [b])).map((e) => e.i);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
