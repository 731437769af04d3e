import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';

import { processPendingEvents } from '../src/aggregate/aggregator';
import { REPO_ROOT } from '../src/lib/embedded-db';
import { startTestApp, type TestApp } from './support/app';
import { DESKTOP_UA, eventId, listen } from './support/collect';
import { CHROMIUM, CHROMIUM_ARGS } from './tracker/harness';
import { historyEvents } from './support/history';

/**
 * The standalone dashboard in headless Chromium against the real backend on a real
 * port: sign up, add a site, copy its snippet, create an API key, collect events
 * through the real collector, then read the report, filter it, open a visitor's
 * clickpath, export a CSV and log out. No console error and no failed request is
 * allowed anywhere along the way; screenshots land in test-artifacts/.
 */

const DASHBOARD_BUILD = path.join(REPO_ROOT, 'admin-ui', 'build', 'dashboard', 'index.html');
const SCREENSHOTS = path.join(REPO_ROOT, 'test-artifacts', 'screenshots', 'dashboard');
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };
const ZONE = 'Europe/Amsterdam';
const DOMAIN = 'shop.example';
const FIREFOX_MAC_UA = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14.5; rv:128.0) Gecko/20100101 Firefox/128.0';

let t: TestApp;
let server: Awaited<ReturnType<typeof listen>>;
let browser: Browser;
let context: BrowserContext;
let page: Page;
/** Everything that went wrong in the browser: console errors, page errors, failed requests, 4xx/5xx answers. */
const problems: string[] = [];

beforeAll(async () => {
  if (!existsSync(DASHBOARD_BUILD)) {
    throw new Error(`${DASHBOARD_BUILD} is missing: run \`npm run build -w admin-ui\` at the repository root first.`);
  }
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: install Debian's chromium package.`);
  mkdirSync(SCREENSHOTS, { recursive: true });
  t = await startTestApp();
  server = await listen(t.handler);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  context = await browser.newContext({
    viewport: DESKTOP,
    locale: 'en-US',
    timezoneId: ZONE,
    acceptDownloads: true,
  });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.origin });
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
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await t?.close();
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

/** The headline number under `label` in the report's "Totals" list. */
async function kpi(label: string): Promise<string> {
  const item = page
    .getByRole('list', { name: 'Totals' })
    .getByRole('listitem')
    .filter({ has: page.getByText(label, { exact: true }) });
  const text = (await item.textContent({ timeout: 10_000 })) ?? '';
  return text.slice(label.length).match(/^≈?[\d.,]+/)?.[0] ?? text;
}

async function expectTotals(totals: { Visitors: string; Visits: string; Pageviews: string }): Promise<void> {
  await eventually(async () =>
    expect({ Visitors: await kpi('Visitors'), Visits: await kpi('Visits'), Pageviews: await kpi('Pageviews') }).toEqual(
      totals,
    ),
  );
}

/**
 * Waits until no part of the page is still loading, so leaving it cancels no request in
 * flight (a cancelled fetch shows up as a failed request).
 */
async function settled(): Promise<void> {
  await eventually(async () =>
    expect(
      await page
        .getByRole('status')
        .filter({ hasText: /^Loading/ })
        .count(),
    ).toBe(0),
  );
}

/** Full-page screenshots at desktop and phone widths; returns to the desktop width. */
/**
 * WCAG 2 A and AA violations axe-core finds on the page (contrast, names, roles, keyboard
 * traps…). Evaluated through the browser's debugging protocol, which the page's CSP allows.
 */
async function accessibilityViolations(): Promise<string[]> {
  if ((await page.evaluate('typeof window.axe')) !== 'object') await page.evaluate(AXE_SOURCE);
  const results = (await page.evaluate(
    "axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } })",
  )) as { passes: unknown[]; violations: Array<{ id: string; help: string; nodes: Array<{ target: unknown[] }> }> };
  // An audit that checked nothing would pass anything.
  expect(results.passes.length).toBeGreaterThan(10);
  return results.violations.map(
    (v) => `${v.id}: ${v.help} (${v.nodes.map((n) => JSON.stringify(n.target)).join(', ')})`,
  );
}

async function screenshots(name: string, ready: Locator): Promise<void> {
  for (const [label, size] of [
    ['desktop', DESKTOP],
    ['phone', PHONE],
  ] as const) {
    await page.setViewportSize(size);
    await ready.waitFor();
    await page.screenshot({ path: path.join(SCREENSHOTS, `${name}-${label}.png`), fullPage: true });
    // Nothing may stick out sideways: at phone width a wide table or tab list would widen the whole page.
    expect({ [`${name} at ${label} width`]: await page.evaluate('document.documentElement.scrollWidth') }).toEqual({
      [`${name} at ${label} width`]: size.width,
    });
    expect({ [`${name} at ${label} width`]: await accessibilityViolations() }).toEqual({
      [`${name} at ${label} width`]: [],
    });
  }
  await page.setViewportSize(DESKTOP);
}

/** A select box's WCAG 2 contrast ratios; `colours` says what was seen (#rrggbb, /alpha if not opaque). */
type SelectContrast = { label: string; text: number; arrow: number; options: number; colours: string };

/**
 * For every visible select: its text and its arrow against what is behind them (backgrounds
 * composited down to an opaque one) with any positioned layer drawn over them (the input's border
 * backdrop) composited on top of both, and each option's text against the option's own
 * background, which the open list shows (a transparent one leaves the list to the browser's
 * default and counts as 0). Colours are read back through a canvas, so any CSS colour syntax works.
 */
async function selectContrasts(): Promise<SelectContrast[]> {
  return (await page.evaluate(`(() => {
    const canvas = document.createElement('canvas').getContext('2d', { willReadFrequently: true });
    const rgba = (value) => {
      canvas.clearRect(0, 0, 1, 1);
      canvas.fillStyle = 'transparent';
      canvas.fillStyle = value;
      canvas.fillRect(0, 0, 1, 1);
      const [r, g, b, a] = canvas.getImageData(0, 0, 1, 1).data;
      return { r, g, b, a: a / 255 };
    };
    const over = (top, bottom) => {
      const a = top.a + bottom.a * (1 - top.a);
      const mix = (k) => (a === 0 ? 0 : (top[k] * top.a + bottom[k] * bottom.a * (1 - top.a)) / a);
      return { r: mix('r'), g: mix('g'), b: mix('b'), a };
    };
    const background = (element) => {
      let colour = { r: 0, g: 0, b: 0, a: 0 };
      for (let node = element; node && colour.a < 1; node = node.parentElement) {
        colour = over(colour, rgba(getComputedStyle(node).backgroundColor));
      }
      return over(colour, { r: 255, g: 255, b: 255, a: 1 });
    };
    // Positioned elements later in the control that overlap the element are painted over it.
    const covered = (element, colour) => {
      const box = element.getBoundingClientRect();
      const scope = element.closest('.components-base-control') || element.parentElement;
      return [...scope.querySelectorAll('*')]
        .filter((layer) => {
          if (layer.contains(element) || element.contains(layer)) return false;
          if (!(element.compareDocumentPosition(layer) & Node.DOCUMENT_POSITION_FOLLOWING)) return false;
          if (getComputedStyle(layer).position === 'static') return false;
          const r = layer.getBoundingClientRect();
          return r.left < box.right && r.right > box.left && r.top < box.bottom && r.bottom > box.top;
        })
        .reduce((below, layer) => over(rgba(getComputedStyle(layer).backgroundColor), below), colour);
    };
    const luminance = ({ r, g, b }) => {
      const channel = (c) => ((c /= 255) <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
      return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
    };
    const ratio = (a, b) => {
      const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
      return Math.round(((hi + 0.05) / (lo + 0.05)) * 100) / 100;
    };
    const hex = (c) =>
      '#' + [c.r, c.g, c.b].map((v) => Math.round(v).toString(16).padStart(2, '0')).join('') +
      (c.a < 1 ? '/' + c.a.toFixed(2) : '');
    // What the eye sees: the foreground over its background, then the layers over both.
    const seen = (element, foreground) => {
      const behind = background(element);
      const shown = { fg: covered(element, over(foreground, behind)), bg: covered(element, behind) };
      return { ratio: ratio(shown.fg, shown.bg), colours: hex(shown.fg) + ' on ' + hex(shown.bg) };
    };
    return [...document.querySelectorAll('select')]
      .filter((select) => select.getClientRects().length > 0)
      .map((select) => {
        const control = select.closest('.components-base-control') || select.parentElement;
        const none = { ratio: 0, colours: 'none' };
        // The chevron: @wordpress/icons strokes it (fill: none).
        const arrow = control.querySelector('svg path') || control.querySelector('svg');
        const paint = arrow && getComputedStyle(arrow);
        const text = seen(select, rgba(getComputedStyle(select).color));
        const chevron = arrow ? seen(arrow, rgba(paint.fill !== 'none' ? paint.fill : paint.stroke)) : none;
        const options = [...select.options].map((option) => {
          const style = getComputedStyle(option);
          const fg = rgba(style.color);
          const bg = rgba(style.backgroundColor);
          return { ratio: bg.a < 1 ? 0 : ratio(over(fg, bg), bg), colours: hex(fg) + ' on ' + hex(bg) };
        });
        const worst = options.reduce((a, b) => (b.ratio < a.ratio ? b : a), options[0] || none);
        return {
          label: ((select.labels && select.labels[0] && select.labels[0].textContent) || select.id).trim(),
          text: text.ratio,
          arrow: chevron.ratio,
          options: worst.ratio,
          colours: 'text ' + text.colours + ', arrow ' + chevron.colours + ', options ' + worst.colours,
        };
      });
  })()`)) as SelectContrast[];
}

/** Whether the element's box is inside the viewport (sticky headers included). */
async function inViewport(locator: Locator): Promise<boolean> {
  const box = await locator.boundingBox();
  const size = page.viewportSize();
  return !!box && !!size && box.y >= 0 && box.y + box.height <= size.height;
}

/** Tab rows (report sections, breakdown tabs) keep one row at phone width and scroll sideways instead. */
async function expectTabsOnOneRow(): Promise<void> {
  await page.setViewportSize(PHONE);
  const rows =
    (await page.evaluate(`[...document.querySelectorAll('.clickpath-report__views, .components-tab-panel__tabs')].map((row) => {
    const tops = new Set([...row.children].map((child) => Math.round(child.getBoundingClientRect().top)));
    return { tops: tops.size, scrolls: row.scrollWidth > row.clientWidth };
  })`)) as Array<{ tops: number; scrolls: boolean }>;
  expect(rows.length).toBeGreaterThanOrEqual(6);
  expect(rows.map((r) => r.tops)).toEqual(rows.map(() => 1));
  // Devices has five tabs, wider than a phone: that row scrolls.
  expect(rows.some((r) => r.scrolls)).toBe(true);
  await page.setViewportSize(DESKTOP);
}

/** One tracker request to the real collector on the real port, from a given visitor's address and browser. */
async function collect(visitor: { ip: string; ua: string }, event: Record<string, unknown>): Promise<void> {
  const res = await fetch(`${server.origin}/api/event`, {
    method: 'POST',
    headers: { 'Content-Type': 'text/plain', 'User-Agent': visitor.ua, 'X-Forwarded-For': visitor.ip },
    body: JSON.stringify({ i: eventId(), k: 'pv', w: 1440, l: 'en-US', ...event }),
  });
  expect({ status: res.status, body: await res.json() }).toEqual({ status: 202, body: { accepted: 1 } });
}

/** A GET of the JSON API with the given session cookie. */
const apiWithCookie = (apiPath: string, cookie: string) =>
  fetch(`${server.origin}/api/v1${apiPath}`, { headers: { Cookie: `clickpath_session=${cookie}` } });

describe('standalone dashboard in a real browser', () => {
  it('when a new user signs up, adds a site, collects traffic and reads the report, then every step shows the real data', async () => {
    const origin = server.origin;

    // ---- sign up ----------------------------------------------------------------
    await page.goto(`${origin}/#/signup`);
    await page.getByRole('heading', { name: 'Create your Clickpath account' }).waitFor();
    await page.getByLabel('Name').fill('Ada Lovelace');
    await page.getByLabel('Email').fill('ada@example.com');
    await page.getByLabel('Password').fill('analytical engine 1843');
    await page.getByRole('button', { name: 'Sign up' }).click();
    await page.getByRole('heading', { name: 'Your sites' }).waitFor();
    expect(await page.getByText('No sites yet.', { exact: false }).isVisible()).toBe(true);

    // ---- create a site -----------------------------------------------------------
    await page.getByLabel('Name').fill('Shop');
    await page.getByLabel('Domain').fill(DOMAIN);
    const zone = page.getByLabel('Time zone (reports count days in it)');
    expect(await zone.inputValue()).toBe(ZONE);
    await page.getByRole('button', { name: 'Add site' }).click();
    await page.getByRole('heading', { name: 'Shop — settings' }).waitFor();
    const site = await t.db.collection('sites').findOne({ domain: DOMAIN });
    expect(site).toMatchObject({ name: 'Shop', timezone: ZONE });
    const siteId = String(site!._id);
    const publicId = String(site!.publicId);
    expect(page.url()).toBe(`${origin}/#/sites/${siteId}/settings`);
    await expect(
      page.getByRole('navigation', { name: 'Sites' }).getByRole('link', { name: 'Shop' }).count(),
    ).resolves.toBe(1);

    // ---- copy the tracking snippet -----------------------------------------------
    const snippet = `<script defer src="${origin}/js/clickpath.js" data-site="${publicId}"></script>`;
    expect(await page.getByText(snippet, { exact: true }).isVisible()).toBe(true);
    await page.getByRole('button', { name: 'Copy snippet' }).click();
    await page.getByRole('status').filter({ hasText: 'Copied to the clipboard.' }).waitFor();
    expect(await page.evaluate('navigator.clipboard.readText()')).toBe(snippet);
    const tracker = await fetch(`${origin}/js/clickpath.js`);
    expect(tracker.status).toBe(200);
    expect(tracker.headers.get('content-type')).toMatch(/^application\/javascript/);
    expect(await tracker.text()).toContain('/api/event');

    // ---- create an API key: its secret is shown once --------------------------------
    await page.getByLabel('Key name').fill('WordPress');
    expect(await page.getByRole('checkbox', { name: 'stats:read' }).isChecked()).toBe(true);
    await page.getByRole('button', { name: 'Create key' }).click();
    const secretField = page.getByLabel('Secret key');
    await secretField.waitFor();
    const secret = await secretField.inputValue();
    expect(secret).toMatch(/^cpk_[A-Za-z0-9_-]{43}$/);
    const keyRow = page.getByRole('row').filter({ has: page.getByRole('rowheader', { name: 'WordPress' }) });
    await keyRow.waitFor();
    expect(await keyRow.textContent()).toContain(`${secret.slice(0, 12)}…`);
    const withKey = await fetch(`${origin}/api/v1/sites/${siteId}/stats/overview?from=2026-01-01&to=2026-01-31`, {
      headers: { Authorization: `Bearer ${secret}` },
    });
    expect(withKey.status).toBe(200);
    await settled();
    await screenshots('site-settings', page.getByRole('heading', { name: 'API keys' }));
    await page.reload();
    await keyRow.waitFor();
    expect(await page.getByLabel('Secret key').count()).toBe(0);
    expect(await page.content()).not.toContain(secret);

    // ---- traffic through the real collector ----------------------------------------
    const ada = { ip: '194.109.6.66', ua: DESKTOP_UA }; // NL, from Google, three pages
    const bob = { ip: '8.8.8.8', ua: FIREFOX_MAC_UA }; // US, direct, one page
    const cleo = { ip: '85.214.132.117', ua: DESKTOP_UA }; // DE, from Twitter, two pages
    const url = (p: string) => `https://${DOMAIN}${p}`;
    await collect(ada, { s: publicId, u: url('/'), r: 'https://www.google.com/', t: 'Home' });
    await collect(bob, { s: publicId, u: url('/'), t: 'Home' });
    await collect(ada, { s: publicId, u: url('/pricing'), r: url('/'), t: 'Pricing' });
    await collect(cleo, { s: publicId, u: url('/blog/hello'), r: 'https://t.co/abc', t: 'Hello' });
    await collect(ada, { s: publicId, u: url('/signup'), r: url('/pricing'), t: 'Sign up' });
    await collect(cleo, { s: publicId, u: url('/'), r: url('/blog/hello'), t: 'Home' });
    await processPendingEvents();
    expect(await historyEvents(t.db, { siteId: site!._id })).toHaveLength(6);

    // ---- the report --------------------------------------------------------------------
    await page.getByRole('navigation', { name: 'Sites' }).getByRole('link', { name: 'Shop' }).click();
    await page.getByRole('heading', { name: 'Shop shop.example' }).waitFor();
    await expectTotals({ Visitors: '3', Visits: '3', Pageviews: '6' });
    const countries = page.getByRole('table', { name: /^Top Country/ });
    // Countries, devices and languages in words, not codes.
    await countries.getByRole('button', { name: 'Netherlands' }).waitFor();
    await page
      .getByRole('table', { name: /^Top Page/ })
      .getByRole('button', { name: '/blog/hello' })
      .waitFor();
    await settled();
    await screenshots('report', countries);
    await expectTabsOnOneRow();

    // ---- a KPI card switches the chart ----------------------------------------------------------
    const totals = page.getByRole('list', { name: 'Totals' });
    await totals.getByRole('button', { name: /^Pageviews/ }).click();
    await page
      .getByRole('paragraph')
      .filter({ hasText: /^Pageviews from .* 6 in total/ })
      .waitFor();
    expect(await totals.getByRole('button', { name: /^Pageviews/ }).getAttribute('aria-pressed')).toBe('true');
    expect(
      await page
        .getByRole('group', { name: 'Metric shown' })
        .getByRole('button', { name: 'Pageviews' })
        .getAttribute('aria-pressed'),
    ).toBe('true');
    await totals.getByRole('button', { name: /^Visitors/ }).click();

    // ---- filter by clicking a breakdown row far down the page: the chip is on screen at once ----
    await countries.scrollIntoViewIfNeeded();
    await countries.getByRole('button', { name: 'Netherlands' }).click();
    const chips = page.getByRole('group', { name: 'Active filters' });
    await chips.getByText('Country is Netherlands').waitFor();
    expect(await inViewport(chips)).toBe(true);
    expect(await page.evaluate('window.scrollY')).toBeGreaterThan(200);
    expect(await chips.getByRole('button', { name: 'Remove filter: Country is Netherlands' }).isVisible()).toBe(true);
    // The report's state is the query of the hash route (#/sites/<id>?filter=…).
    const viewParams = () => new URLSearchParams(new URL(page.url()).hash.split('?')[1] ?? '');
    expect(viewParams().getAll('filter')).toEqual(['country:is:NL']);
    await expectTotals({ Visitors: '1', Visits: '1', Pageviews: '3' });
    await eventually(async () =>
      expect(
        await page
          .getByRole('table', { name: /^Top Page/ })
          .getByRole('rowheader')
          .allTextContents(),
      ).toEqual(expect.arrayContaining(['/', '/pricing', '/signup'])),
    );
    expect(
      await page
        .getByRole('table', { name: /^Top Page/ })
        .getByRole('rowheader')
        .count(),
    ).toBe(3);

    // ---- a visitor's clickpath ------------------------------------------------------------
    await settled();
    const sections = page.getByRole('navigation', { name: 'Report sections' });
    await sections.getByRole('button', { name: 'Visitors' }).click();
    const visitors = page.getByRole('table', { name: /^Visitors/ });
    await visitors.waitFor();
    const rows = visitors.getByRole('row').filter({ has: page.getByRole('rowheader') });
    await eventually(async () => expect(await rows.count()).toBe(1));
    // What is on screen: each count cell also holds the phone layout's wording, hidden on a wide screen.
    expect(await rows.first().getByRole('cell').allInnerTexts()).toEqual([
      expect.any(String), // last seen
      '1', // visits
      '3', // pageviews
      'Netherlands',
      'Desktop',
      'Google',
    ]);
    // A visitor is a short name, not their id.
    expect(await rows.first().getByRole('rowheader').textContent()).toMatch(/^[A-Z][a-z]+ [A-Z][a-z]+ [0-9a-f]{4}$/);
    await rows.first().getByRole('button').click();
    const profile = page.getByRole('heading', { name: 'Visitor profile' });
    await profile.waitFor();
    const clickpath = page.getByRole('list', { name: /^Pages and events of visit 1/ });
    await clickpath.waitFor();
    expect(await clickpath.getByRole('listitem').allTextContents()).toEqual([
      expect.stringMatching(/Viewed \/ — Home$/),
      expect.stringMatching(/Viewed \/pricing — Pricing$/),
      expect.stringMatching(/Viewed \/signup — Sign up$/),
    ]);
    // The profile says what they use and where they came from.
    const fact = (term: string) => page.locator('dt', { hasText: term }).locator('xpath=following-sibling::dd[1]');
    expect(await fact('Operating system').textContent()).toMatch(/^\w+/);
    expect(await fact('Screen').textContent()).toBe('Desktop (1440 px and wider)');
    expect(await fact('Language').textContent()).toBe('English (United States)');
    expect(await fact('First came from').textContent()).toBe('Google · https://www.google.com/');
    await settled();
    await screenshots('visitor-profile', clickpath);

    // ---- the URL holds the view: reload keeps the profile, Back returns to the list ---------
    expect(viewParams().get('view')).toBe('visitors');
    expect(viewParams().get('visitor')).toBeTruthy();
    const profileUrl = page.url();
    await page.reload();
    await clickpath.waitFor();
    expect(await chips.getByText('Country is Netherlands').isVisible()).toBe(true);
    await settled();
    await page.goBack();
    await visitors.waitFor();
    expect(await profile.count()).toBe(0);
    expect(viewParams().has('visitor')).toBe(false);
    await settled();

    // ---- the dark theme follows the system setting ------------------------------------------------
    await sections.getByRole('button', { name: 'Overview' }).click();
    await page.emulateMedia({ colorScheme: 'dark' });
    await countries.getByRole('button', { name: 'Netherlands' }).waitFor();
    expect(await page.evaluate('getComputedStyle(document.body).backgroundColor')).toBe('rgb(16, 21, 31)');
    expect(
      await page.evaluate("getComputedStyle(document.querySelector('.clickpath-report__card')).backgroundColor"),
    ).toBe('rgb(26, 33, 49)');
    // The select boxes show their text, arrow and open list (WCAG AA: 4.5 for text, 3 for the arrow).
    const selects = await selectContrasts();
    expect(selects.map((s) => s.label)).toEqual(expect.arrayContaining(['Date range', 'Compare with', 'Show']));
    expect(selects.filter((s) => !(s.text >= 4.5 && s.options >= 4.5 && s.arrow >= 3))).toEqual([]);
    await settled();
    await screenshots('report-dark', countries);
    await page.emulateMedia({ colorScheme: 'light' });
    expect(await page.evaluate('getComputedStyle(document.body).backgroundColor')).toBe('rgb(244, 246, 250)');

    // ---- export the filtered pages breakdown as CSV -------------------------------------------
    const exportLink = page.getByRole('link', { name: 'Export Page as CSV' });
    await exportLink.waitFor();
    const [download] = await Promise.all([page.waitForEvent('download'), exportLink.click()]);
    expect(download.suggestedFilename()).toMatch(
      new RegExp(`^${DOMAIN}-page-\\d{4}-\\d{2}-\\d{2}-\\d{4}-\\d{2}-\\d{2}\\.csv$`),
    );
    const [header, ...lines] = readFileSync(await download.path(), 'utf8')
      .trim()
      .split(/\r?\n/);
    expect(header).toBe('key,visitors,pageviews,share');
    const columns = header!.split(',');
    const records = lines.map((line) => Object.fromEntries(line.split(',').map((cell, i) => [columns[i], cell])));
    expect(records.map(({ key, visitors, pageviews }) => ({ key, visitors, pageviews }))).toEqual(
      expect.arrayContaining([
        { key: '/', visitors: '1', pageviews: '1' },
        { key: '/pricing', visitors: '1', pageviews: '1' },
        { key: '/signup', visitors: '1', pageviews: '1' },
      ]),
    );
    expect(records).toHaveLength(3);
    await settled();

    // ---- log out ---------------------------------------------------------------------------------
    const cookie = (await context.cookies(origin)).find((c) => c.name === 'clickpath_session')?.value;
    expect(cookie).toBeTruthy();
    expect((await apiWithCookie('/me', cookie!)).status).toBe(200);
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByRole('heading', { name: 'Log in to Clickpath' }).waitFor();
    expect(page.url()).toMatch(/#\/login$/);
    expect(await page.getByRole('button', { name: 'Log in' }).isVisible()).toBe(true);
    expect((await apiWithCookie('/me', cookie!)).status).toBe(401);
    expect((await apiWithCookie(`/sites/${siteId}/stats/overview?from=2026-01-01&to=2026-01-31`, cookie!)).status).toBe(
      401,
    );

    // ---- a deep link while signed out: logging in lands on the profile it names ------------------
    await page.goto(profileUrl);
    await page.getByRole('heading', { name: 'Log in to Clickpath' }).waitFor();
    await page.getByLabel('Email').fill('ada@example.com');
    await page.getByLabel('Password').fill('analytical engine 1843');
    await page.getByRole('button', { name: 'Log in' }).click();
    await clickpath.waitFor();
    expect(page.url()).toBe(profileUrl);
    await settled();

    expect(problems).toEqual([]);
  }, 90_000);
});
