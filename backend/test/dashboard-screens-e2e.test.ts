import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';

import { Types } from 'mongoose';
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';

import { processPendingEvents } from '../src/aggregate/aggregator';
import { REPO_ROOT } from '../src/lib/embedded-db';
import { addMember, createSite, nextIp, signUp, startTestApp, type TestApp, type TestUser } from './support/app';
import { DESKTOP_UA, eventId, listen } from './support/collect';
import { CHROMIUM, CHROMIUM_ARGS } from './tracker/harness';

/**
 * Every screen of the standalone dashboard, signed out and signed in, with seeded data so no
 * screen is empty: each is shown at 1280×800 and 390×844 (the main ones also in the dark theme),
 * photographed, audited by axe-core (WCAG 2.1 A/AA, 0 violations) and checked sideways: the page
 * no wider than the window, nothing spilling over the edge of its card, nothing cut off in a box
 * that was not meant to scroll sideways. Screenshots land in
 * test-artifacts/screenshots/dashboard-screens/. The route and report-section lists are read
 * from admin-ui's source, so a screen added there and not visited here fails the last test.
 */

const DASHBOARD_BUILD = path.join(REPO_ROOT, 'admin-ui', 'build', 'dashboard', 'index.html');
const SCREENSHOTS = path.join(REPO_ROOT, 'test-artifacts', 'screenshots', 'dashboard-screens');
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };
type Viewports = ReadonlyArray<readonly [label: string, size: { width: number; height: number }]>;
const VIEWPORTS: Viewports = [
  ['desktop', DESKTOP],
  ['phone', PHONE],
];
const ZONE = 'Europe/Amsterdam';
const DOMAIN = 'shop.example';
const DAY_MS = 86_400_000;

const UA = {
  windowsChrome: DESKTOP_UA,
  macFirefox: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14.5; rv:128.0) Gecko/20100101 Firefox/128.0',
  iphone:
    'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
  android:
    'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36',
  macSafari:
    'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15',
};

let t: TestApp;
let server: Awaited<ReturnType<typeof listen>>;
let browser: Browser;
let context: BrowserContext;
let page: Page;
/** The collector's clock: seeded visits are collected as if they happened days ago. */
let clock: Date | null = null;
/** Console errors, page errors, failed requests and 4xx/5xx answers since the test began. */
const problems: string[] = [];
/** Route names (`#/<route>`) and report views each screen was seen on. */
const visitedRoutes = new Set<string>();
const visitedViews = new Set<string>();

const seed = {} as {
  ada: TestUser;
  fred: TestUser;
  shop: string;
  blog: string;
  tokens: { reset: string; verify: string; invitationNewAccount: string; invitationExistingAccount: string };
};

// ---- what the dashboard has: read from its source ----------------------------------------

/** The `name`s of admin-ui's `Route` union (admin-ui/src/dashboard/types.ts). */
function dashboardRoutes(): string[] {
  const source = readFileSync(path.join(REPO_ROOT, 'admin-ui', 'src', 'dashboard', 'types.ts'), 'utf8');
  const union = /export type Route =((?:\s*\|[^\n]*)+)/.exec(source)?.[1] ?? '';
  return [...union.matchAll(/name: '([a-z-]+)'/g)].map((m) => m[1]!);
}

/** The report's sections (`REPORT_VIEWS` in admin-ui/src/report/filters.ts). */
function reportViews(): string[] {
  const source = readFileSync(path.join(REPO_ROOT, 'admin-ui', 'src', 'report', 'filters.ts'), 'utf8');
  const list = /export const REPORT_VIEWS = \[([^\]]+)\]/.exec(source)?.[1] ?? '';
  return [...list.matchAll(/'([a-z]+)'/g)].map((m) => m[1]!);
}

/** The route a dashboard URL shows, named as admin-ui's `parseHash` names it. */
function routeOf(url: string): { route: string; view: string | null } {
  const [hashPath = '', query = ''] = new URL(url).hash.replace(/^#\/?/, '').split('?');
  const [first = '', id, sub] = hashPath.split('/');
  if (first === 'sites' && id) {
    return sub === 'settings'
      ? { route: 'site-settings', view: null }
      : { route: 'report', view: new URLSearchParams(query).get('view') ?? 'overview' };
  }
  return { route: first || 'sites', view: null };
}

// ---- the browser ------------------------------------------------------------------------------

beforeAll(async () => {
  if (!existsSync(DASHBOARD_BUILD)) {
    throw new Error(`${DASHBOARD_BUILD} is missing: run \`npm run build -w admin-ui\` at the repository root first.`);
  }
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: install Debian's chromium package.`);
  rmSync(SCREENSHOTS, { recursive: true, force: true });
  mkdirSync(SCREENSHOTS, { recursive: true });
  t = await startTestApp({}, () => clock ?? new Date());
  server = await listen(t.handler);
  await seedData();
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  context = await browser.newContext({ viewport: DESKTOP, locale: 'en-US', timezoneId: ZONE });
  page = await context.newPage();
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console error: ${message.text()} (${message.location().url})`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('requestfailed', (request) => {
    // ERR_ABORTED is the page cancelling a request it no longer needs (a view change aborts its fetches).
    const reason = request.failure()?.errorText ?? '';
    if (!reason.includes('ERR_ABORTED'))
      problems.push(`request failed: ${request.method()} ${request.url()} ${reason}`);
  });
  page.on('response', (response) => {
    if (response.status() >= 400)
      problems.push(`HTTP ${response.status()}: ${response.request().method()} ${response.url()}`);
  });
  page.on('dialog', (dialog) => {
    problems.push(`a dialog opened: ${dialog.message()}`);
    void dialog.dismiss();
  });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await t?.close();
});

beforeEach(() => {
  problems.length = 0;
});

/** Retries `check` (jest assertions allowed) until it passes; the UI renders asynchronously. */
async function eventually<T>(check: () => Promise<T>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

/** Waits until no part of the page is still loading (a "Loading…" status). */
async function settled(): Promise<void> {
  await eventually(async () =>
    expect(
      await page
        .getByRole('status')
        .filter({ hasText: /^(Loading|Confirming)/ })
        .count(),
    ).toBe(0),
  );
}

/** WCAG 2.0/2.1 A and AA violations axe-core finds on the whole page. */
async function accessibilityViolations(): Promise<string[]> {
  if ((await page.evaluate('typeof window.axe')) !== 'object') await page.evaluate(AXE_SOURCE);
  const results = (await page.evaluate(
    "axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } })",
  )) as {
    passes: unknown[];
    violations: Array<{ id: string; help: string; nodes: Array<{ target: unknown[]; failureSummary?: string }> }>;
  };
  // An audit that checked nothing would pass anything.
  expect(results.passes.length).toBeGreaterThan(5);
  return results.violations.map(
    (v) =>
      `${v.id}: ${v.help} (${v.nodes.map((n) => `${JSON.stringify(n.target)}: ${n.failureSummary ?? ''}`).join('; ')})`,
  );
}

/** In-page: an element as `tag.class.class "text…"`, for failure messages. */
const describeElement = `((el) =>
  el.tagName.toLowerCase() + [...el.classList].slice(0, 2).map((c) => '.' + c).join('') +
  ' "' + (el.textContent || '').trim().slice(0, 30) + '"')`;

/**
 * Null when the page is no wider than the window; otherwise the widths and the outermost
 * elements that stick out (those not inside a box that scrolls or clips them).
 */
async function horizontalOverflow(): Promise<string | null> {
  return (await page.evaluate(`(() => {
    const width = window.innerWidth;
    const scrollWidth = document.scrollingElement.scrollWidth;
    if (scrollWidth <= width) return null;
    const clipped = (el) => {
      for (let node = el.parentElement; node && node !== document.body; node = node.parentElement) {
        if (getComputedStyle(node).overflowX !== 'visible') return true;
      }
      return false;
    };
    const sticksOut = (el) => el.getBoundingClientRect().right > width + 0.5;
    const culprits = [...document.body.querySelectorAll('*')]
      .filter((el) => sticksOut(el) && !clipped(el) && !(el.parentElement && sticksOut(el.parentElement)))
      .slice(0, 8)
      .map((el) => ${describeElement}(el) + ' reaches ' + Math.round(el.getBoundingClientRect().right) + ' px');
    return scrollWidth + ' px wide in a ' + width + ' px window: ' + culprits.join(', ');
  })()`)) as string | null;
}

/**
 * What sticks out sideways of the card (or the main column) it is drawn in without widening the
 * page: a table wider than its card spills over the card's edge. Content inside a box that
 * scrolls or clips (a scrolling table, a tab row) is that box's business, and so are visually
 * hidden elements. Only the outermost offender of each kind is named.
 */
async function outsideItsCard(): Promise<string[]> {
  return (await page.evaluate(`(() => {
    const hidden = (el) => {
      for (let node = el; node; node = node.parentElement) {
        const style = getComputedStyle(node);
        if (style.clip !== 'auto' || style.visibility === 'hidden') return true;
      }
      return false;
    };
    // The nearest card or main column, unless a box that scrolls or clips comes first.
    const frameOf = (el) => {
      for (let node = el.parentElement; node && node !== document.body; node = node.parentElement) {
        if (getComputedStyle(node).overflowX !== 'visible') return null;
        if (node.matches('.components-card, main')) return node;
      }
      return null;
    };
    const outside = (el, frame) => {
      const box = el.getBoundingClientRect();
      const edge = frame.getBoundingClientRect();
      return box.width > 0 && box.height > 0 && (box.right > edge.right + 0.5 || box.left < edge.left - 0.5);
    };
    const found = [];
    for (const el of document.body.querySelectorAll('*')) {
      const frame = frameOf(el);
      if (!frame || !outside(el, frame) || hidden(el)) continue;
      if (el.parentElement !== frame && frameOf(el.parentElement) === frame && outside(el.parentElement, frame)) continue;
      const box = el.getBoundingClientRect();
      const edge = frame.getBoundingClientRect();
      found.push(
        ${describeElement}(el) + ' spans ' + Math.round(box.left) + '–' + Math.round(box.right) + ' px in ' +
          ${describeElement}(frame) + ' at ' + Math.round(edge.left) + '–' + Math.round(edge.right) + ' px',
      );
    }
    return found.slice(0, 8);
  })()`)) as string[];
}

/**
 * Boxes whose content runs off to the side where nobody meant it to scroll: a list that scrolls
 * up and down (which makes the browser scroll it sideways too) with a line too long for it.
 * Sideways scrolling is meant only for labelled regions that take focus (wide tables), rows of
 * tabs, the site links and the sticky row of filter chips on a phone (each chip's button takes
 * focus and brings it into view); text fields scroll their own text.
 */
async function cutOffSideways(): Promise<string[]> {
  return (await page.evaluate(`(() => {
    const meant = '[role="region"][tabindex], [role="tablist"], nav, .clickpath-report__segmented, ' +
      '.clickpath-report__filters, input, textarea, select';
    return [...document.body.querySelectorAll('*')]
      .filter((el) => {
        const style = getComputedStyle(el);
        if (style.overflowX !== 'auto' && style.overflowX !== 'scroll' && style.overflowX !== 'hidden') return false;
        return el.scrollWidth > el.clientWidth + 1 && !el.matches(meant) && el.getClientRects().length > 0;
      })
      // Visually hidden text (screen-reader announcements) is a 1 px box by design.
      .filter((el) => el.clientWidth > 1)
      .slice(0, 8)
      .map((el) => ${describeElement}(el) + ' holds ' + el.scrollWidth + ' px in ' + el.clientWidth + ' px');
  })()`)) as string[];
}

/**
 * Tables a reader has to scroll sideways to see all of (a column that does not fit its card):
 * on a phone every table must show its columns, or stack its rows, within the screen. Tables
 * only for screen readers (the chart's data, in a visually hidden box) are not read this way.
 */
async function tablesScrollingSideways(): Promise<string[]> {
  return (await page.evaluate(`(() =>
    [...document.querySelectorAll('table')]
      .filter((table) => table.getClientRects().length > 0)
      .map((table) => {
        for (let node = table.parentElement; node && node !== document.body; node = node.parentElement) {
          if (getComputedStyle(node).clip !== 'auto') return null;
          if (node.scrollWidth > node.clientWidth + 1 && getComputedStyle(node).overflowX !== 'visible')
            return (node.getAttribute('aria-label') || ${describeElement}(table)) + ': ' + node.scrollWidth +
              ' px of table in ' + node.clientWidth + ' px';
        }
        return null;
      })
      .filter(Boolean))()`)) as string[];
}

/**
 * One screen at each of `viewports` (desktop and phone): waits for `ready` and for loading to
 * end, saves a screenshot, and expects nothing to stick out or be cut off sideways, no table to
 * need sideways scrolling on a phone, and no axe violation. Ends at desktop width.
 */
async function checkScreen(name: string, ready: Locator, viewports = VIEWPORTS): Promise<void> {
  const { route, view } = routeOf(page.url());
  visitedRoutes.add(route);
  if (view) visitedViews.add(view);
  for (const [label, size] of viewports) {
    await page.setViewportSize(size);
    await ready.waitFor();
    await settled();
    // A dialog is drawn over the window, not the page: a full-page picture would show it off to one side.
    const fullPage = (await page.getByRole('dialog').count()) === 0;
    await page.screenshot({ path: path.join(SCREENSHOTS, `${name}-${label}.png`), fullPage });
    const where = `${name}, ${label} ${size.width}×${size.height}`;
    expect({ [where]: await horizontalOverflow() }).toEqual({ [where]: null });
    expect({ [where]: await outsideItsCard() }).toEqual({ [where]: [] });
    expect({ [where]: await cutOffSideways() }).toEqual({ [where]: [] });
    if (size.width <= PHONE.width) expect({ [where]: await tablesScrollingSideways() }).toEqual({ [where]: [] });
    expect({ [where]: await accessibilityViolations() }).toEqual({ [where]: [] });
  }
  await page.setViewportSize(DESKTOP);
}

/** Loads the dashboard afresh at `hash` (a new document, so the session is read again). */
async function open(hash: string): Promise<void> {
  await page.goto('about:blank');
  await page.goto(`${server.origin}/${hash}`);
}

/** Logs in through the API and hands the session cookie to the browser. */
async function signInAs(user: Pick<TestUser, 'email' | 'password'>): Promise<void> {
  await context.clearCookies();
  const res = await fetch(`${server.origin}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Origin: server.origin, 'X-Forwarded-For': nextIp() },
    body: JSON.stringify({ email: user.email, password: user.password }),
  });
  expect(res.status).toBe(200);
  const value = /clickpath_session=([^;]+)/.exec(res.headers.get('set-cookie') ?? '')?.[1];
  expect(value).toBeTruthy();
  await context.addCookies([{ name: 'clickpath_session', value: value!, url: server.origin }]);
}

/** The report's sticky bars that are stuck to the top of the window now, with their edges. */
async function stuckBars(): Promise<Array<{ bar: string; top: number; bottom: number }>> {
  return (await page.evaluate(`(() =>
    [...document.querySelectorAll('.clickpath-report *')]
      .filter((el) => getComputedStyle(el).position === 'sticky' && el.getClientRects().length > 0)
      .map((el) => ({ bar: ${describeElement}(el), top: el.getBoundingClientRect().top, bottom: el.getBoundingClientRect().bottom }))
      .filter((bar) => bar.top >= -0.5 && bar.top <= 0.5))()`)) as Array<{ bar: string; top: number; bottom: number }>;
}

/** Whether a click at the middle of `button` (brought into view first) lands on it, not on something over it. */
async function reachable(button: Locator): Promise<boolean> {
  await button.scrollIntoViewIfNeeded();
  const box = await button.boundingBox();
  if (!box || box.x < 0 || box.x + box.width > page.viewportSize()!.width) return false;
  const hit = await page.evaluate(
    `document.elementFromPoint(${box.x + box.width / 2}, ${box.y + box.height / 2})?.closest('button')?.outerHTML`,
  );
  return hit === (await button.evaluate((el) => el.outerHTML));
}

/** The site's calendar day of an instant (YYYY-MM-DD) and its time of day on the 24-hour clock. */
const siteDay = (at: Date) => new Intl.DateTimeFormat('en-CA', { timeZone: ZONE }).format(at);
const siteClock = (at: Date, seconds: boolean) =>
  new Intl.DateTimeFormat('en-US', {
    timeZone: ZONE,
    hourCycle: 'h23',
    hour: '2-digit',
    minute: '2-digit',
    ...(seconds ? { second: '2-digit' } : {}),
  }).format(at);

// ---- seeded data ----------------------------------------------------------------------------------

interface Visitor {
  ip: string;
  ua: string;
  /** navigator.language and the screen width the tracker sends. */
  l: string;
  w: number;
  /** The first-party id the tracker keeps in first-party mode. */
  v: string;
}

type Step =
  | { page: string; title: string }
  | { event: string; props?: Record<string, string> }
  | { engaged: number }
  | { identify: string; traits?: Record<string, string> };

interface Visit {
  visitor: Visitor;
  /** When the visit began, before now. */
  ago: { days: number; minutes?: number };
  referrer?: string;
  steps: Step[];
}

const person = (ip: string, ua: string, l: string, w: number, v: string): Visitor => ({ ip, ua, l, w, v });
const VISITORS = {
  ada: person('194.109.6.66', UA.windowsChrome, 'nl-NL', 1440, 'fp-visitor-ada-0001'),
  bob: person('8.8.8.8', UA.macFirefox, 'en-US', 1680, 'fp-visitor-bob-0002'),
  cleo: person('85.214.132.117', UA.iphone, 'de-DE', 390, 'fp-visitor-cleo-0003'),
  dan: person('81.2.69.142', UA.android, 'en-GB', 412, 'fp-visitor-dan-00004'),
  eva: person('133.11.0.1', UA.macSafari, 'ja-JP', 1280, 'fp-visitor-eva-00005'),
  gus: person('200.160.2.3', UA.windowsChrome, 'pt-BR', 1366, 'fp-visitor-gus-00006'),
};

/** A month of a small shop: search, social, a newsletter campaign, sign-ups, an identified customer, and visits right now. */
const VISITS: Visit[] = [
  {
    visitor: VISITORS.ada,
    ago: { days: 12 },
    // A long referrer with no place to break a line must wrap in the profile, not widen it.
    referrer:
      'https://www.reddit.com/r/privacy/comments/1h2k3l4/cookieless_analytics_that_needs_no_consent_banner_for_small_online_shops/',
    steps: [
      { page: '/?utm_source=google&utm_medium=cpc&utm_campaign=privacy-first-analytics-winter-2026', title: 'Home' },
      { page: '/pricing', title: 'Pricing' },
      { engaged: 42_000 },
      { page: '/signup', title: 'Sign up' },
      { identify: 'customer-42', traits: { plan: 'pro' } },
    ],
  },
  { visitor: VISITORS.bob, ago: { days: 9 }, steps: [{ page: '/', title: 'Home' }] },
  {
    visitor: VISITORS.cleo,
    ago: { days: 6 },
    referrer: 'https://t.co/abc',
    steps: [
      { page: '/blog/hello', title: 'Hello, world: why we built a privacy-first shop' },
      { page: '/', title: 'Home' },
    ],
  },
  {
    visitor: VISITORS.dan,
    ago: { days: 3 },
    steps: [
      { page: '/?utm_source=newsletter&utm_medium=email&utm_campaign=spring-sale', title: 'Home' },
      { page: '/pricing', title: 'Pricing' },
      { event: 'newsletter', props: { plan: 'pro' } },
      { page: '/signup', title: 'Sign up' },
    ],
  },
  {
    visitor: VISITORS.eva,
    ago: { days: 2 },
    referrer: 'https://news.ycombinator.com/item?id=1',
    steps: [
      { page: '/blog/a-very-long-article-slug-about-cookieless-analytics-and-why-it-matters', title: 'Cookieless' },
      { event: 'outbound', props: { url: 'https://github.com/example/clickpath' } },
    ],
  },
  {
    visitor: VISITORS.ada,
    ago: { days: 1 },
    steps: [
      { page: '/', title: 'Home' },
      { page: '/blog/launch', title: 'Launch' },
    ],
  },
  {
    visitor: VISITORS.gus,
    ago: { days: 0, minutes: 12 },
    referrer: 'https://duckduckgo.com/',
    steps: [
      { page: '/docs/getting_started_with_the_tracker_on_a_static_site_generator', title: 'Getting started' },
      { page: '/pricing', title: 'Pricing' },
    ],
  },
  {
    visitor: VISITORS.bob,
    ago: { days: 0, minutes: 4 },
    steps: [
      { page: '/', title: 'Home' },
      { event: 'newsletter', props: { plan: 'free' } },
    ],
  },
];

/** Sends every step of `visits` through the real collector, a minute apart, on the collector's clock. */
async function collectVisits(publicId: string, visits: Visit[]): Promise<void> {
  const hits: Array<{ at: number; visitor: Visitor; body: Record<string, unknown> }> = [];
  const now = Date.now();
  for (const visit of visits) {
    const start = now - visit.ago.days * DAY_MS - (visit.ago.minutes ?? 0) * 60_000;
    let url = '';
    let referrer = visit.referrer ?? '';
    visit.steps.forEach((step, i) => {
      const base = { s: publicId, i: eventId(), l: visit.visitor.l, w: visit.visitor.w, v: visit.visitor.v };
      let body: Record<string, unknown>;
      if ('page' in step) {
        url = `https://${DOMAIN}${step.page}`;
        body = { ...base, k: 'pv', u: url, r: referrer, t: step.title };
        referrer = url;
      } else if ('event' in step) {
        body = { ...base, k: 'ev', u: url, n: step.event, ...(step.props ? { p: step.props } : {}) };
      } else if ('engaged' in step) {
        body = { ...base, k: 'en', u: url, e: step.engaged };
      } else {
        body = { ...base, k: 'id', u: url, uid: step.identify, ...(step.traits ? { tr: step.traits } : {}) };
      }
      hits.push({ at: start + i * 60_000, visitor: visit.visitor, body });
    });
  }
  hits.sort((a, b) => a.at - b.at);
  try {
    for (const hit of hits) {
      clock = new Date(hit.at);
      const res = await fetch(`${server.origin}/api/event`, {
        method: 'POST',
        headers: { 'Content-Type': 'text/plain', 'User-Agent': hit.visitor.ua, 'X-Forwarded-For': hit.visitor.ip },
        body: JSON.stringify(hit.body),
      });
      expect({ status: res.status, body: await res.json() }).toEqual({ status: 202, body: { accepted: 1 } });
    }
  } finally {
    clock = null;
  }
  await processPendingEvents();
}

/** The token in the newest kept mail of `kind` to `to` (no SMTP_URL: mail waits in the outbox). */
async function mailedToken(to: string, kind: string): Promise<string> {
  await t.mailer.idle();
  const [mail] = await t.db.collection('outbox').find({ to, kind }).sort({ _id: -1 }).limit(1).toArray();
  const token = /token=([A-Za-z0-9_-]+)/.exec(String(mail?.text ?? ''))?.[1];
  if (!token) throw new Error(`no ${kind} mail with a token to ${to}`);
  return token;
}

/**
 * The owner (Ada, the instance's first account and so its operator) with two sites, one full of
 * traffic, goals, a funnel, a note, keys, members and pending invitations; an invitation to her
 * from another owner; accounts whose mailed links the signed-out pages open.
 */
async function seedData(): Promise<void> {
  const ada = await signUp(t.app, {
    email: 'ada@example.com',
    name: 'Ada Lovelace',
    password: 'analytical engine 1843',
  });
  const bob = await signUp(t.app, { email: 'bob@example.com', name: 'Bob Babbage' });
  const carl = await signUp(t.app, { email: 'carl@example.com', name: 'Carl Gauss' });
  const eve = await signUp(t.app, { email: 'eve@example.com', name: 'Eve Noether' });
  await signUp(t.app, { email: 'cleo@example.com', name: 'Cleo', verified: false });
  const fred = await signUp(t.app, { email: 'fred@example.com', name: 'Fred', verified: false });

  const shop = await createSite(ada, { name: 'Shop', domain: DOMAIN, timezone: ZONE });
  const blog = await createSite(ada, { name: 'Blog', domain: 'blog.example.com', timezone: ZONE });
  const ok = async (call: PromiseLike<{ status: number; body: { id?: string } }>, status = 201) => {
    const res = await call;
    expect(res.status).toBe(status);
    return res.body;
  };
  await ok(ada.agent.patch(`/api/v1/sites/${shop.id}`).send({ settings: { identityMode: 'first-party' } }), 200);

  // Keys: one in use, one revoked.
  await ok(ada.agent.post(`/api/v1/sites/${shop.id}/keys`).send({ name: 'WordPress', scopes: ['stats:read'] }));
  const old = await ok(
    ada.agent.post(`/api/v1/sites/${shop.id}/keys`).send({ name: 'Old CI', scopes: ['stats:read', 'sites:manage'] }),
  );
  await ok(ada.agent.post(`/api/v1/sites/${shop.id}/keys/${old.id}/revoke`), 200);

  // People: an admin, a viewer, an invitation to someone new and one to someone with an account.
  await addMember(ada, shop.id, bob, 'admin');
  await addMember(ada, shop.id, carl, 'viewer');
  await ok(ada.agent.post(`/api/v1/sites/${shop.id}/members`).send({ email: 'dora@example.com', role: 'viewer' }), 202);
  await ok(ada.agent.post(`/api/v1/sites/${blog.id}/members`).send({ email: eve.email, role: 'admin' }), 202);
  const docs = await createSite(eve, { name: 'Docs', domain: 'docs.example.org', timezone: 'UTC' });
  await ok(eve.agent.post(`/api/v1/sites/${docs.id}/members`).send({ email: ada.email, role: 'viewer' }), 202);

  // Goals, a funnel through three of them, and a note on the chart.
  const goal = (body: Record<string, string>) => ok(ada.agent.post(`/api/v1/sites/${shop.id}/goals`).send(body));
  const blogGoal = await goal({ name: 'Read the blog', kind: 'page', match: '/blog/*' });
  const pricing = await goal({ name: 'Saw pricing', kind: 'page', match: '/pricing' });
  const signup = await goal({ name: 'Signed up', kind: 'page', match: '/signup' });
  await goal({ name: 'Newsletter (pro)', kind: 'event', match: 'newsletter', propKey: 'plan', propValue: 'pro' });
  await ok(
    ada.agent
      .post(`/api/v1/sites/${shop.id}/funnels`)
      .send({ name: 'Pricing to sign-up', steps: [pricing.id, signup.id] }),
  );
  await ok(
    ada.agent
      .post(`/api/v1/sites/${shop.id}/funnels`)
      .send({ name: 'Blog to sign-up', steps: [blogGoal.id, pricing.id, signup.id] }),
  );
  const noteDay = new Intl.DateTimeFormat('en-CA', { timeZone: ZONE }).format(new Date(Date.now() - 3 * DAY_MS));
  await ok(
    ada.agent.post(`/api/v1/sites/${shop.id}/annotations`).send({ day: noteDay, text: 'Spring newsletter sent' }),
  );

  // Alerts on, two that fired; a webhook with a delivery that needed a second attempt.
  await ok(
    ada.agent.put(`/api/v1/sites/${shop.id}/alerts`).send({
      spike: { enabled: true, threshold: 250 },
      drop: { enabled: true, percent: 50 },
      email: true,
      recipients: [bob.id],
    }),
    200,
  );
  const siteId = new Types.ObjectId(shop.id);
  const alertAt = new Date(Date.now() - DAY_MS);
  await t.db.collection<{ _id: string; [field: string]: unknown }>('alert_events').insertMany([
    {
      _id: `${shop.id}:spike:2026-03-10T14:00:00+01:00`,
      siteId,
      kind: 'spike',
      period: '2026-03-10T14:00:00+01:00',
      at: alertAt,
      data: { hour: '2026-03-10T14:00:00+01:00', timezone: ZONE, visitors: 312, threshold: 250 },
      expiresAt: new Date(Date.now() + 30 * DAY_MS),
    },
    {
      _id: `${shop.id}:drop:2026-03-09`,
      siteId,
      kind: 'drop',
      period: '2026-03-09',
      at: alertAt,
      data: { day: '2026-03-09', timezone: ZONE, visitors: 41, usual: 120, percent: 50, sameWeekdays: [] },
      expiresAt: new Date(Date.now() + 30 * DAY_MS),
    },
  ]);
  const hook = await ok(
    ada.agent.post(`/api/v1/sites/${shop.id}/webhooks`).send({
      url: 'https://93.184.215.14/hooks/clickpath/a-rather-long-path-that-must-wrap-on-a-phone?channel=analytics-alerts',
      events: ['alert.traffic_spike', 'alert.traffic_drop', 'summary.weekly'],
      description: 'Slack relay',
    }),
  );
  const attempt = (n: number, statusCode: number, outcome: string, minutesAgo: number) => ({
    siteId,
    webhookId: new Types.ObjectId(hook.id),
    deliveryId: `${shop.id}:seeded`,
    event: 'alert.traffic_spike',
    attempt: n,
    at: new Date(Date.now() - minutesAgo * 60_000),
    statusCode,
    error: null,
    durationMs: 84,
    outcome,
    nextAttemptAt: outcome === 'retrying' ? new Date(Date.now() - (minutesAgo - 1) * 60_000) : null,
    response: outcome === 'retrying' ? 'upstream unavailable' : 'ok',
  });
  await t.db.collection('webhook_log').insertMany([attempt(1, 503, 'retrying', 30), attempt(2, 200, 'delivered', 29)]);

  await collectVisits(shop.publicId, VISITS);

  // Mailed links for the signed-out pages.
  await ok(eve.agent.post('/api/v1/auth/password-reset').send({ email: eve.email }), 202);
  seed.ada = ada;
  seed.fred = fred;
  seed.shop = shop.id;
  seed.blog = blog.id;
  seed.tokens = {
    reset: await mailedToken(eve.email, 'password-reset'),
    verify: await mailedToken('cleo@example.com', 'verify-email'),
    invitationNewAccount: await mailedToken('dora@example.com', 'invitation'),
    invitationExistingAccount: await mailedToken(eve.email, 'invitation'),
  };
}

// ---- the screens ------------------------------------------------------------------------------------

describe('every screen of the standalone dashboard at desktop and phone width', () => {
  it('when signed out, then the log-in, sign-up, password, confirmation and invitation pages fit a phone and pass axe', async () => {
    await context.clearCookies();
    await open('#/login');
    await checkScreen('login', page.getByRole('button', { name: 'Log in' }));

    await open('#/signup');
    await checkScreen('signup', page.getByRole('button', { name: 'Sign up' }));

    await open('#/forgot-password');
    await checkScreen('forgot-password', page.getByRole('button', { name: 'Send me a link' }));
    await page.getByLabel('Email').fill('nobody@example.com');
    await page.getByRole('button', { name: 'Send me a link' }).click();
    await checkScreen('forgot-password-sent', page.getByText('Back to log in'));
    expect(await page.getByRole('button', { name: 'Send me a link' }).count()).toBe(0);

    await open(`#/reset-password?token=${seed.tokens.reset}`);
    await checkScreen('reset-password', page.getByLabel('New password'));

    await open(`#/verify-email?token=${seed.tokens.verify}`);
    await checkScreen('verify-email', page.getByRole('main').getByText('cleo@example.com is confirmed. Thank you!'));

    await open(`#/invitation?token=${seed.tokens.invitationNewAccount}`);
    await checkScreen(
      'invitation-new-account',
      page.getByRole('heading', { name: 'Create your account as dora@example.com' }),
    );

    await open(`#/invitation?token=${seed.tokens.invitationExistingAccount}`);
    await checkScreen('invitation-existing-account', page.getByRole('button', { name: 'Log in to accept' }));

    expect(problems).toEqual([]);
  }, 120_000);

  it('when the owner manages their sites and account, then every administration screen fits a phone and passes axe', async () => {
    await signInAs(seed.ada);

    await open('#/sites');
    await checkScreen('sites', page.getByRole('button', { name: 'Accept Docs' }));

    await open('#/account');
    await checkScreen('account', page.getByRole('heading', { name: 'Your account' }));
    await page.getByRole('button', { name: 'Delete my account…' }).click();
    await checkScreen('account-delete-dialog', page.getByRole('dialog', { name: 'Delete your account?' }));
    await page.getByRole('dialog').getByRole('button', { name: 'Cancel' }).click();

    await open('#/outbox');
    await checkScreen('outbox', page.getByRole('heading', { name: 'Choose a new Clickpath password' }));

    await open(`#/sites/${seed.shop}/settings`);
    const settingsReady = page.getByRole('button', { name: 'Revoke the invitation to dora@example.com' });
    await checkScreen('site-settings', settingsReady);
    expect(await page.getByRole('rowheader', { name: /^Old CI/ }).count()).toBe(1);

    await page.getByLabel('Key name').fill('Zapier export with a long name');
    await page.getByRole('button', { name: 'Create key' }).click();
    await checkScreen('site-settings-new-key', page.getByLabel('Secret key'));

    await page.getByRole('button', { name: /^Show deliveries to https:\/\/93\.184\.215\.14\// }).click();
    await checkScreen(
      'site-settings-webhook-deliveries',
      page.getByRole('region', { name: /^Deliveries to https:\/\/93\.184\.215\.14\// }),
    );
    expect(await page.getByText(/^Spike: 312 visitors in the hour from/).count()).toBe(1);

    await page.getByLabel('URL').fill('https://93.184.215.14/hooks/another');
    await page.getByRole('button', { name: 'Add webhook' }).click();
    await checkScreen('site-settings-new-webhook', page.getByLabel('Signing secret'));

    await page.getByRole('button', { name: 'Make Bob Babbage the owner…' }).click();
    await checkScreen('site-settings-transfer-dialog', page.getByRole('dialog', { name: 'Hand over this site?' }));
    await page.getByRole('dialog').getByRole('button', { name: 'Cancel' }).click();

    await open('#/sites/000000000000000000000000');
    await checkScreen(
      'site-missing',
      page.getByRole('main').getByText('This site does not exist or you have no access to it.'),
    );

    await open(`#/sites/${seed.blog}/settings`);
    await checkScreen('site-settings-no-data', page.getByRole('heading', { name: 'Blog — settings' }));

    expect(problems).toEqual([]);
  }, 120_000);

  it('when the owner reads a site with traffic, then every report section fits a phone and passes axe', async () => {
    await signInAs(seed.ada);
    const report = (query = '') => open(`#/sites/${seed.shop}${query}`);

    await report();
    const countries = page.getByRole('table', { name: /^Top Country/ });
    await countries.getByRole('button', { name: 'Netherlands' }).waitFor();
    await page.getByRole('list', { name: 'Latest events, newest first' }).waitFor();
    await page.getByRole('list', { name: 'Notes' }).waitFor();
    await checkScreen('report-overview', countries);

    // "Right now" on the site's clock, newest first: today's events by their time of day, the day
    // before's as "Yesterday 02:23", so yesterday's do not look out of order among today's.
    const live = await page
      .getByRole('list', { name: 'Latest events, newest first' })
      .locator('time')
      .evaluateAll((times) =>
        times.map((time) => ({ at: time.getAttribute('datetime') ?? '', label: time.textContent })),
      );
    const today = siteDay(new Date());
    const yesterday = siteDay(new Date(Date.now() - DAY_MS));
    expect(live.map((event) => event.label)).toEqual(
      live.map(({ at }) => {
        const day = siteDay(new Date(at));
        if (day === today) return siteClock(new Date(at), true);
        return day === yesterday ? `Yesterday ${siteClock(new Date(at), false)}` : `not today or yesterday: ${at}`;
      }),
    );
    expect(live.filter((event) => event.label?.startsWith('Yesterday ')).length).toBeGreaterThan(0);
    expect(live.map((event) => event.at)).toEqual(
      live
        .map((event) => event.at)
        .sort()
        .reverse(),
    );

    // Every other tab of every breakdown card (Entry pages, Channels, Regions, OS…).
    for (let tab = 1; tab < 5; tab += 1) {
      for (const card of await page.locator('.clickpath-report__card--breakdown').all()) {
        const tabs = card.getByRole('tab');
        if ((await tabs.count()) > tab) await tabs.nth(tab).click();
      }
      await checkScreen(`report-overview-tab-${tab + 1}`, page.getByRole('tab', { selected: true }).first());
    }

    await report();
    await page.getByRole('button', { name: 'Show the data as a table' }).click();
    await page.getByRole('button', { name: 'Add a note to the chart' }).click();
    await checkScreen('report-chart-table-and-note-form', page.getByRole('button', { name: 'Add note' }));

    const day = (daysAgo: number) =>
      new Intl.DateTimeFormat('en-CA', { timeZone: ZONE }).format(new Date(Date.now() - daysAgo * DAY_MS));
    await report(`?period=custom&from=${day(20)}&to=${day(0)}&filter=country:is:NL&filter=device:is:desktop`);
    await checkScreen('report-custom-range-filtered', page.getByRole('group', { name: 'Active filters' }));

    // Scrolled down the report, the range and both chips stay in the bar, and on a phone, upright
    // or on its side, the bar (the range in a line, a row of chips) covers at most a fifth of the screen.
    const chips = ['Remove filter: Country is Netherlands', 'Remove filter: Device is Desktop'] as const;
    const customRange = new Intl.DateTimeFormat('en-US', { day: 'numeric', month: 'short', year: 'numeric' })
      .formatRange(new Date(`${day(20)}T12:00:00Z`), new Date(`${day(0)}T12:00:00Z`))
      .replace(/\s/g, ' ');
    const phoneOnItsSide: Viewports = [['phone-landscape', { width: PHONE.height, height: PHONE.width }]];
    for (const [label, size] of [...VIEWPORTS, ...phoneOnItsSide]) {
      await page.setViewportSize(size);
      await page.evaluate('window.scrollTo(0, 1500)');
      const where = `report-custom-range-filtered, ${label} ${size.width}×${size.height}, scrolled`;
      const stuck = await stuckBars();
      expect({ [where]: stuck.length }).toEqual({ [where]: 1 });
      await page.screenshot({ path: path.join(SCREENSHOTS, `report-custom-range-filtered-scrolled-${label}.png`) });
      for (const name of chips)
        expect({ [where]: [name, await reachable(page.getByRole('button', { name }))] }).toEqual({
          [where]: [name, true],
        });
      if (size !== DESKTOP) {
        expect({ [where]: stuck[0]!.bottom <= size.height * 0.2 }).toEqual({ [where]: true });
        const summary = page.getByRole('button', { name: /^Change the date range:/ });
        expect((await summary.innerText()).replace(/\s/g, ' ')).toBe(`Change the date range: ${customRange}`);
        expect(await reachable(summary)).toBe(true);
      }
    }
    // A chip removed from the bar down the page takes its filter out of the report.
    await page.setViewportSize(PHONE);
    await page.getByRole('button', { name: chips[1] }).click();
    await eventually(async () => expect(new URL(page.url()).hash).not.toContain('device'));
    expect(await page.getByRole('group', { name: 'Active filters' }).getByRole('listitem').count()).toBe(1);
    expect((await stuckBars()).length).toBe(1);
    await page.setViewportSize(DESKTOP);

    await report('?view=visitors');
    const visitors = page.getByRole('table', { name: /^Visitors/ });
    await checkScreen('report-visitors', visitors.getByRole('rowheader', { name: 'customer-42' }));

    // A table of seven columns at desktop width; on a phone a stack of rows, each visitor's facts
    // (who, when, visits and pageviews, country, device, source) on screen without scrolling sideways.
    const customer = visitors.getByRole('row', { name: /customer-42/ });
    const cells = () =>
      customer.locator('th, td').evaluateAll((all) =>
        all.map((cell) => {
          const box = cell.getBoundingClientRect();
          return {
            text: (cell as unknown as { innerText: string }).innerText.trim(),
            left: box.left,
            right: box.right,
          };
        }),
      );
    expect(await visitors.getByRole('columnheader').allInnerTexts()).toEqual([
      'Visitor',
      'Last seen',
      'Visits',
      'Pageviews',
      'Country',
      'Device',
      'Source',
    ]);
    await page.setViewportSize(PHONE);
    const facts = await cells();
    expect(facts.map((cell) => cell.text)).toEqual([
      'customer-42',
      expect.stringMatching(/^[A-Z][a-z]{2} \d{1,2}, \d{4}, \d\d:\d\d$/),
      '2 visits',
      expect.stringMatching(/^\d+ pageviews?$/),
      'Netherlands',
      'Desktop',
      expect.stringMatching(/./),
    ]);
    // Every visitor's every fact, not only this one's.
    const offScreen = await visitors
      .locator('tbody th, tbody td')
      .evaluateAll(
        (all, width) =>
          all
            .filter((cell) => cell.getBoundingClientRect().left < 0 || cell.getBoundingClientRect().right > width)
            .map((cell) => (cell as unknown as { innerText: string }).innerText),
        PHONE.width,
      );
    expect(offScreen).toEqual([]);
    expect(facts.every((cell) => cell.left >= 0 && cell.right <= PHONE.width)).toBe(true);
    // Stacked by CSS, still a table to a screen reader: Chromium's own accessibility tree, not Playwright's reading of the DOM.
    const cdp = await context.newCDPSession(page);
    const { nodes } = (await cdp.send('Accessibility.getFullAXTree')) as {
      nodes: Array<{ ignored: boolean; role?: { value: string }; name?: { value: string } }>;
    };
    await cdp.detach();
    const named = (role: string) =>
      nodes.filter((node) => !node.ignored && node.role?.value === role).map((node) => node.name?.value);
    expect(named('columnheader')).toEqual([
      'Visitor',
      'Last seen',
      'Visits',
      'Pageviews',
      'Country',
      'Device',
      'Source',
    ]);
    expect(named('rowheader')).toContain('customer-42');
    await page.setViewportSize(DESKTOP);

    await visitors.getByRole('button', { name: 'customer-42' }).click();
    await checkScreen('report-visitor-profile', page.getByRole('list', { name: /^Pages and events of visit 1/ }));
    expect(await page.getByRole('button', { name: 'Erase everyone with this user ID' }).count()).toBe(1);

    await report('?view=goals');
    await checkScreen('report-goals', page.getByRole('button', { name: 'Edit goal Newsletter (pro)' }));
    await page.getByRole('button', { name: 'Edit goal Newsletter (pro)' }).click();
    await checkScreen('report-goal-edit', page.getByRole('button', { name: 'Save goal' }));

    await report('?view=funnels');
    await checkScreen('report-funnels', page.getByRole('button', { name: /^Delete funnel/ }));

    await open(`#/sites/${seed.blog}`);
    await checkScreen('report-no-data-yet', page.getByText('Add this to the <head> of every page', { exact: false }));

    expect(problems).toEqual([]);
  }, 300_000);

  it('when an account has not confirmed its address, then its sites page with the reminder fits a phone and passes axe', async () => {
    await signInAs(seed.fred);
    await open('#/sites');
    await checkScreen('sites-unconfirmed-address', page.getByRole('button', { name: 'Send a new link' }));
    expect(problems).toEqual([]);
  }, 60_000);

  it('when the system asks for a dark theme, then the pages pass axe and fit a phone in it too', async () => {
    const DARK: Viewports = [['dark-phone', PHONE]];
    await page.emulateMedia({ colorScheme: 'dark' });
    try {
      await context.clearCookies();
      await open('#/login');
      await checkScreen('login', page.getByRole('button', { name: 'Log in' }), DARK);
      // The theme is on: the page's own background, not the light one.
      expect(await page.evaluate('getComputedStyle(document.body).backgroundColor')).toBe('rgb(16, 21, 31)');
      await open(`#/reset-password?token=${seed.tokens.reset}`);
      await checkScreen('reset-password', page.getByLabel('New password'), DARK);
      await open(`#/invitation?token=${seed.tokens.invitationNewAccount}`);
      await checkScreen('invitation-new-account', page.getByRole('button', { name: 'Create account and join' }), DARK);

      await signInAs(seed.ada);
      await open('#/sites');
      await checkScreen('sites', page.getByRole('button', { name: 'Accept Docs' }), DARK);
      await open('#/account');
      await checkScreen('account', page.getByRole('heading', { name: 'Your account' }), DARK);
      await open('#/outbox');
      await checkScreen('outbox', page.getByRole('heading', { name: 'Choose a new Clickpath password' }), DARK);
      await open(`#/sites/${seed.shop}/settings`);
      await checkScreen(
        'site-settings',
        page.getByRole('button', { name: 'Revoke the invitation to dora@example.com' }),
        DARK,
      );
      await open(`#/sites/${seed.shop}`);
      await checkScreen('report-overview', page.getByRole('list', { name: 'Latest events, newest first' }), DARK);
      await open(`#/sites/${seed.shop}?view=visitors`);
      await page.getByRole('button', { name: 'customer-42' }).click();
      await checkScreen(
        'report-visitor-profile',
        page.getByRole('list', { name: /^Pages and events of visit 1/ }),
        DARK,
      );
      await open(`#/sites/${seed.shop}?view=goals`);
      await checkScreen('report-goals', page.getByRole('button', { name: 'Edit goal Newsletter (pro)' }), DARK);
      await open(`#/sites/${seed.shop}?view=funnels`);
      await checkScreen('report-funnels', page.getByRole('button', { name: /^Delete funnel/ }), DARK);
    } finally {
      await page.emulateMedia({ colorScheme: 'light' });
    }
    expect(problems).toEqual([]);
  }, 120_000);

  it('then every route and report section of the dashboard was among the screens', () => {
    expect([...visitedRoutes].sort()).toEqual([...new Set(dashboardRoutes())].sort());
    expect([...visitedViews].sort()).toEqual([...reportViews()].sort());
  });
});
