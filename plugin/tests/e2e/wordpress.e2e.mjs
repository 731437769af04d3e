// End to end on a real WordPress, the real backend and FerretDB, driven by headless
// Chromium: upload dist/clickpath.zip in wp-admin, connect it with a key created on
// the backend, visit the public site as an anonymous visitor, and find those visits
// in the dashboard widget, the stats page and the visitor's clickpath. Hostile titles,
// referrers and UTM values must stay inert in every admin view. WordPress runs with WP_DEBUG and
// SCRIPT_DEBUG (React's development build): any PHP notice from the plugin, and any console
// warning or error on the plugin's screens, fails the run. Every plugin screen is also checked at
// 390×844: no horizontal overflow and no axe violation. Then the settings screen's collection
// self-test: all checks pass on the working site, and it finds a tag stripped by a must-use plugin
// (an optimisation plugin gone wrong), a script an ad blocker blocks (route interception:
// ERR_BLOCKED_BY_CLIENT), a CSP without the server in connect-src, and a mistyped key. Run by
// `npm test` (scripts/test.mjs) with `node --test`; needs `npm run build` first.
// On Debian's WordPress 6.1 by default; CLICKPATH_WP_VERSION=<version> (or `--wp <version>` when run
// as `node plugin/tests/e2e/wordpress.e2e.mjs`) runs it on another WordPress of the matrix
// (scripts/wordpress.mjs WORDPRESS_VERSIONS), e.g. 6.7-alpha, with its own site and screenshots.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { chromium } from 'playwright-core';

import {
  createWordPress,
  DEFAULT_WORDPRESS_VERSION,
  ensureWordPressPackages,
  getFreePort,
  phpWarnings,
  repoRoot,
  startWordPress,
  wordpressVersionFromArgs,
} from '../../../scripts/wordpress.mjs';
import { signUp, startBackend } from './support/backend.mjs';

const VERSION = wordpressVersionFromArgs();
const SHOTS = join(
  repoRoot,
  'test-artifacts',
  'screenshots',
  VERSION === DEFAULT_WORDPRESS_VERSION ? 'wordpress' : `wordpress-${VERSION}`,
);
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const ZIP = join(repoRoot, 'dist', 'clickpath.zip');
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };
const DESKTOP_UA =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
/** Sets `window.__clickpathXss` if it ever runs; every admin view is checked for it. */
const XSS = '<img src=x onerror="window.__clickpathXss=1"><script>window.__clickpathXss=1</script>';

let wp;
let server;
let backend;
let backendUrl;
let dataDir;
let browser;
let admin;
let key;
const consoleErrors = [];
let step = 0;

/** WCAG 2 A/AA violations inside one of the plugin's containers (wp-admin's own markup is not ours to judge). */
async function accessibilityViolations(page, selector) {
  // Audit what the user ends up with, not a view still loading; bounded, because a settings screen that
  // ran the self-test was once seen keeping a request open past 30 s in CI (cause not found).
  await page.waitForLoadState('networkidle', { timeout: 10_000 }).catch(() => undefined);
  if ((await page.evaluate('typeof window.axe')) !== 'object') await page.evaluate(AXE_SOURCE);
  const results = await page.evaluate(
    (context) =>
      window.axe.run(context, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } }),
    selector,
  );
  assert.ok(results.passes.length > 5, `the accessibility audit of ${selector} checked nothing`);
  return results.violations.map(
    (v) => `${selector} ${v.id}: ${v.help} (${v.nodes.map((n) => `${n.target}: ${n.failureSummary}`).join('; ')})`,
  );
}

async function shot(page, name) {
  step += 1;
  await page.screenshot({ path: join(SHOTS, `${String(step).padStart(2, '0')}-${name}.png`), fullPage: true });
}

/**
 * The plugin screen `selector` at phone width (390×844) once `ready` shows: the page no wider
 * than the window, no axe violation inside the screen, and a screenshot; then back to desktop width.
 */
async function atPhoneWidth(page, name, selector, ready = page.locator(selector)) {
  await page.setViewportSize(PHONE);
  await ready.waitFor();
  const width = await page.evaluate(() => document.scrollingElement.scrollWidth);
  assert.ok(width <= PHONE.width, `${name}: the page is ${width} px wide in a ${PHONE.width} px window`);
  assert.deepEqual(await accessibilityViolations(page, selector), []);
  await shot(page, `${name}-phone`);
  await page.setViewportSize(DESKTOP);
}

/**
 * Console messages WordPress core logs by itself under SCRIPT_DEBUG, on every admin screen:
 * jQuery Migrate announcing itself (a log, listed for clarity); and from 6.6 on, React 18's
 * development build warning about core's own wp.element, which takes createRoot from react-dom
 * (on every screen that uses wp.element.createRoot, the plugin's included: core's doing, not ours).
 */
const CORE_CONSOLE_NOISE = [
  /^JQMIGRATE: Migrate is installed/,
  ...(Number.parseFloat(VERSION.replace(/^debian-/, '')) >= 6.6
    ? [
        /^Warning: You are importing createRoot from "react-dom" which is not supported\. You should instead import it from "react-dom\/client"\.$/,
      ]
    : []),
];

/**
 * Records console errors and warnings and failed requests of an admin page. With SCRIPT_DEBUG,
 * React's development build warns about unknown props and other misuse the minified build hides.
 */
function watch(page, label, sink = consoleErrors) {
  page.on('console', (m) => {
    if ((m.type() === 'error' || m.type() === 'warning') && !CORE_CONSOLE_NOISE.some((re) => re.test(m.text())))
      sink.push(`${label}: console ${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => sink.push(`${label}: page error: ${e.message}`));
  page.on('dialog', (d) => {
    sink.push(`${label}: a dialog opened: ${d.message()}`);
    void d.dismiss();
  });
  page.on('requestfailed', (r) => {
    // Requests cancelled by navigating away (ERR_ABORTED) are the test's doing, not failures.
    const reason = r.failure()?.errorText ?? '';
    if (!reason.includes('ERR_ABORTED')) sink.push(`${label}: request failed: ${r.url()} ${reason}`);
  });
  page.on('response', (r) => r.status() >= 400 && sink.push(`${label}: HTTP ${r.status()} ${r.url()}`));
}

/** Signs up on the backend and creates the site and a key for it, as a site owner would in its dashboard. */
async function createSiteAndKey() {
  const { api } = await signUp(backendUrl, { email: 'owner@blog.example', password: 'wordpress end to end' });
  const call = async (path, body) => {
    const res = await api('POST', path, body);
    assert.equal(res.status, 201, JSON.stringify(res.json));
    return res.json;
  };
  const site = await call('/sites', { name: 'E2E Blog', domain: 'localhost', timezone: 'UTC' });
  const created = await call(`/sites/${site.id}/keys`, { name: 'WordPress', scopes: ['stats:read', 'sites:manage'] });
  // Goals the visit below reaches, and a funnel through them, so the Goals and Funnels sections have rows.
  const hello = await call(`/sites/${site.id}/goals`, { name: 'Read hello', kind: 'page', match: '/hello-world/' });
  const sample = await call(`/sites/${site.id}/goals`, { name: 'Saw sample', kind: 'page', match: '/sample-page/' });
  await call(`/sites/${site.id}/funnels`, { name: 'Hello to sample', steps: [hello.id, sample.id] });
  return { site, secret: created.secret };
}

before(async () => {
  assert.ok(existsSync(ZIP), 'dist/clickpath.zip is missing: run npm run build');
  ensureWordPressPackages({ phpunit: false });
  rmSync(SHOTS, { recursive: true, force: true });
  mkdirSync(SHOTS, { recursive: true });
  wp = await createWordPress({ name: 'e2e', port: await getFreePort(), scriptDebug: true, version: VERSION });
  // The tracker ignores loopback hosts unless told otherwise; this WordPress runs on 127.0.0.1.
  writeFileSync(
    join(wp.dir, 'wp-content', 'mu-plugins', 'clickpath-e2e-localhost.php'),
    "<?php add_filter( 'clickpath_tracker_attributes', static fn ( $a ) => $a + array( 'localhost' => '' ) );\n",
  );
  await wp.php(
    `wp_insert_post( array( 'post_title' => ${JSON.stringify(`Evil ${XSS}`)}, 'post_name' => 'evil', 'post_status' => 'publish', 'post_content' => 'x' ) );`,
  );
  server = await startWordPress(wp);
  dataDir = mkdtempSync(join(tmpdir(), 'clickpath-e2e-'));
  backend = await startBackend({ port: await getFreePort(), dataDir });
  backendUrl = backend.url;
  key = await createSiteAndKey();
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      `--user-agent=${DESKTOP_UA}`,
    ],
  });
  admin = await browser.newContext({ viewport: DESKTOP });
});

after(async () => {
  await browser?.close();
  await server?.stop();
  await backend?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

test('install from a zip, connect with a key, track anonymous visits, and see them in wp-admin', async (t) => {
  const page = await admin.newPage();
  watch(page, 'wp-admin');

  await t.test('log in to wp-admin', async () => {
    await page.goto(`${wp.url}/wp-login.php`);
    await page.fill('#user_login', wp.admin.user);
    await page.fill('#user_pass', wp.admin.password);
    await page.click('#wp-submit');
    await page.waitForURL(/wp-admin/);
    await shot(page, 'logged-in');
  });

  await t.test('Plugins → Add New → Upload the zip → Activate', async () => {
    await page.goto(`${wp.url}/wp-admin/plugin-install.php?tab=upload`);
    await page.setInputFiles('#pluginzip', ZIP);
    await shot(page, 'upload');
    await page.click('#install-plugin-submit');
    await page.getByText('Plugin installed successfully.').waitFor();
    await shot(page, 'installed');
    await page.getByRole('link', { name: 'Activate Plugin' }).click();
    await page.getByText('Plugin activated.').waitFor();
    await shot(page, 'activated');
  });

  await t.test('Settings → Clickpath: paste the key, Connect shows the site', async () => {
    await page.goto(`${wp.url}/wp-admin/options-general.php?page=clickpath-settings`);
    await page.getByLabel('Clickpath server URL').fill(backendUrl);
    await page.getByLabel('API key').fill(key.secret);
    await page.getByRole('button', { name: 'Connect' }).click();
    await page.locator('.clickpath-settings__status', { hasText: 'Connected to E2E Blog (localhost).' }).waitFor();
    assert.ok(await page.getByText('stats:read, sites:manage').isVisible());
    const html = await page.content();
    assert.ok(!html.includes(key.secret), 'the key is in the settings page');
    await page.reload();
    await page.locator('.clickpath-settings__status', { hasText: 'Connected to E2E Blog' }).waitFor();
    assert.ok(!(await page.content()).includes(key.secret), 'the key is in the reloaded settings page');
    assert.deepEqual(await accessibilityViolations(page, '#clickpath-settings'), []);
    await shot(page, 'connected');
    await atPhoneWidth(page, 'connected', '#clickpath-settings');
  });

  await t.test('an anonymous visitor views three pages (and a hostile referrer and UTM value)', async () => {
    const visitor = await browser.newContext({ userAgent: DESKTOP_UA });
    const anon = await visitor.newPage();
    const sent = [];
    anon.on('request', (r) => r.url().startsWith(`${backendUrl}/api/event`) && sent.push(r.url()));
    await anon.goto(`${wp.url}/?utm_source=${encodeURIComponent(XSS)}`, { referer: `https://evil.example/${XSS}` });
    const tag = anon.locator('script[src*="clickpath.js"]');
    assert.equal(await tag.getAttribute('data-site'), key.site.publicId);
    assert.equal(await tag.getAttribute('defer'), '');
    assert.ok(!(await anon.content()).includes(key.secret));
    await anon.goto(`${wp.url}/hello-world/`);
    await anon.goto(`${wp.url}/evil/`);
    await anon.goto(`${wp.url}/sample-page/`);
    await shot(anon, 'public-page');
    await visitor.close();
    assert.ok(sent.length >= 4, `the tracker sent ${sent.length} requests`);
  });

  await t.test('the dashboard widget shows the visit and its pages', async () => {
    const deadline = Date.now() + 30_000;
    const widget = page.locator('#clickpath-widget');
    // The aggregator runs every second and the proxy caches today's reports for 10 s.
    for (;;) {
      await page.goto(`${wp.url}/wp-admin/`);
      await page.waitForLoadState('networkidle');
      if (await widget.getByText('/sample-page/').isVisible()) break;
      assert.ok(Date.now() < deadline, 'the widget did not show the visit within 30 s');
      await page.waitForTimeout(2000);
    }
    assert.match(await page.locator('.clickpath-widget__count').innerText(), /^1$/);
    assert.deepEqual(await accessibilityViolations(page, '#clickpath-widget'), []);
    await shot(page, 'dashboard-widget');
    await atPhoneWidth(page, 'dashboard-widget', '#clickpath-widget');
  });

  await t.test('the stats page lists the pages, and the visitor’s clickpath shows them in order', async () => {
    await page.goto(`${wp.url}/wp-admin/admin.php?page=clickpath&period=7d`);
    const pages = page.getByRole('table', { name: /^Top Page/ });
    await pages.getByRole('button', { name: '/hello-world/' }).waitFor({ timeout: 20_000 });
    await pages.getByRole('button', { name: '/evil/' }).waitFor();
    assert.deepEqual(await accessibilityViolations(page, '#clickpath-stats'), []);
    await shot(page, 'stats-page');
    // The custom range's date fields render on WordPress's own components (no React warnings).
    await page.getByLabel('Date range').selectOption('custom');
    await page.getByLabel('From', { exact: true }).waitFor();
    await page.getByLabel('To', { exact: true }).waitFor();
    await page.getByLabel('Date range').selectOption('7d');
    // A phone: nothing sticks out sideways, tab rows stay one row, and the range bar stays on screen.
    await page.setViewportSize(PHONE);
    await pages.getByRole('button', { name: '/hello-world/' }).waitFor();
    assert.equal(await page.evaluate(() => document.documentElement.scrollWidth), 390, 'the page is wider than 390 px');
    const tabRows = await page.evaluate(() =>
      [
        ...document.querySelectorAll(
          '#clickpath-stats .clickpath-report__views, #clickpath-stats .components-tab-panel__tabs',
        ),
      ].map((row) => new Set([...row.children].map((c) => Math.round(c.getBoundingClientRect().top))).size),
    );
    assert.ok(tabRows.length >= 6 && tabRows.every((n) => n === 1), `tab rows wrap: ${tabRows}`);
    await page.getByRole('table', { name: /^Top Country/ }).scrollIntoViewIfNeeded();
    // On a phone the range fields scroll away; the bar's last row (the range in a line, the chips) stays.
    const bar = await page.locator('.clickpath-report__sticky-row').boundingBox();
    assert.ok(bar && bar.y >= 0 && bar.y < 100, `the range bar scrolled away: ${JSON.stringify(bar)}`);
    assert.ok(bar.y + bar.height <= PHONE.height * 0.2, `the range bar covers ${bar.y + bar.height} px of 844`);
    assert.deepEqual(await accessibilityViolations(page, '#clickpath-stats'), []);
    await shot(page, 'stats-page-phone');
    await page.setViewportSize(DESKTOP);
    const sections = page.getByRole('navigation', { name: 'Report sections' });
    await sections.getByRole('button', { name: 'Visitors' }).click();
    const visitors = page.getByRole('table', { name: /^Visitors/ });
    const rows = visitors.getByRole('row').filter({ has: page.getByRole('rowheader') });
    await rows.first().waitFor();
    assert.equal(await rows.count(), 1);
    await rows.first().getByRole('button').click();
    await page.getByRole('heading', { name: 'Visitor profile' }).waitFor();
    const clickpath = page.getByRole('list', { name: /^Pages and events of visit 1/ });
    await clickpath.getByRole('listitem').first().waitFor();
    const steps = (await clickpath.getByRole('listitem').allTextContents()).join(' | ');
    const order = ['/', '/hello-world/', '/evil/', '/sample-page/'].map((p) => steps.indexOf(p));
    assert.ok(
      order.every((i, n) => i >= 0 && (n === 0 || i > order[n - 1])),
      `clickpath out of order: ${steps}`,
    );
    assert.deepEqual(await accessibilityViolations(page, '#clickpath-stats'), []);
    await shot(page, 'visitor-clickpath');
    await atPhoneWidth(page, 'visitor-clickpath', '#clickpath-stats', clickpath);
  });

  await t.test('the Goals and Funnels sections show the visit’s conversions, at desktop and phone width', async () => {
    const sections = page.getByRole('navigation', { name: 'Report sections' });
    await sections.getByRole('button', { name: 'Goals' }).click();
    const goals = page.getByRole('table', { name: /^Goals and their conversions/ });
    const sample = goals.getByRole('row').filter({ has: page.getByRole('rowheader', { name: /^Saw sample/ }) });
    await sample.waitFor();
    // The one visit reached both goals.
    assert.deepEqual((await sample.getByRole('cell').allInnerTexts()).slice(0, 2), ['1', '100%']);
    assert.deepEqual(await accessibilityViolations(page, '#clickpath-stats'), []);
    await shot(page, 'goals');
    await atPhoneWidth(page, 'goals', '#clickpath-stats', goals);
    await sections.getByRole('button', { name: 'Funnels' }).click();
    const deleteFunnel = page.getByRole('button', { name: 'Delete funnel Hello to sample' });
    await deleteFunnel.waitFor();
    assert.deepEqual(await accessibilityViolations(page, '#clickpath-stats'), []);
    await shot(page, 'funnels');
    await atPhoneWidth(page, 'funnels', '#clickpath-stats', deleteFunnel);
  });

  await t.test('hostile titles, referrers and UTM values stay inert in every admin view', async () => {
    for (const path of [
      '/wp-admin/',
      '/wp-admin/admin.php?page=clickpath&period=7d',
      '/wp-admin/admin.php?page=clickpath&period=7d&filter=utm_source:contains:img',
      '/wp-admin/edit.php',
      '/wp-admin/options-general.php?page=clickpath-settings',
    ]) {
      await page.goto(`${wp.url}${path}`);
      await page.waitForLoadState('networkidle');
      assert.equal(await page.evaluate(() => window.__clickpathXss), undefined, `a payload ran on ${path}`);
    }
    // The payload is on screen as text (the UTM source is the visit's source), not as markup.
    await page.goto(`${wp.url}/wp-admin/admin.php?page=clickpath&period=7d`);
    await page.getByText('onerror="window.__clickpathXss=1"', { exact: false }).first().waitFor();
    assert.equal(await page.evaluate(() => window.__clickpathXss), undefined);
    await page.goto(`${wp.url}/wp-admin/edit.php`);
    const views = page.locator('td.column-clickpath_views a').first();
    await views.waitFor();
    await shot(page, 'posts-list');
  });

  await page.close();
  assert.deepEqual(consoleErrors, [], 'console errors or failed requests in wp-admin');
  assert.deepEqual(phpWarnings(wp), [], 'PHP warnings from the plugin');
});

/**
 * Settings → Clickpath → Run the self-test, on a fresh page; resolves with the checks' statuses
 * once the summary shows. `prepare` may intercept the page's requests first (an ad blocker).
 */
async function runSelfTest(name, prepare = async () => {}) {
  const page = await admin.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
  await prepare(page);
  await page.goto(`${wp.url}/wp-admin/options-general.php?page=clickpath-settings`);
  await page.getByRole('button', { name: 'Run the self-test' }).click();
  const summary = page.locator('.clickpath-self-test__summary');
  // The realtime check waits up to 30 s for the aggregator.
  await summary.filter({ hasText: /\S/ }).waitFor({ timeout: 60_000 });
  const checks = page.getByRole('list', { name: 'Self-test checks' }).getByRole('listitem');
  const rows = [];
  for (const row of await checks.all()) {
    rows.push({
      title: await row.locator('h3').innerText(),
      status: await row.locator('.clickpath-self-test__status').innerText(),
      text: await row.innerText(),
    });
  }
  await shot(page, name);
  assert.deepEqual(errors, [], `${name}: the settings screen threw`);
  return { page, rows, summary: await summary.innerText() };
}

const statuses = (rows) => rows.map((r) => `${r.title}: ${r.status}`);
const SELF_TEST_CHECKS = [
  'Connection to the Clickpath server',
  'Tracker tag on the front page',
  'Tracker script loads',
  'Test event reaches the server',
  'Test event shows in Realtime',
];
const expectStatuses = (rows, ...list) =>
  assert.deepEqual(
    statuses(rows),
    SELF_TEST_CHECKS.map((title, i) => `${title}: ${list[i]}`),
  );

test('the collection self-test passes, then finds a stripped tag, a blocked script, a blocking policy and a wrong key', async (t) => {
  const muPlugin = (name) => join(wp.dir, 'wp-content', 'mu-plugins', name);

  await t.test('every check passes on a working site, with no console error', async () => {
    const errors = [];
    const { page, rows, summary } = await runSelfTest('self-test-pass', async (p) => watch(p, 'self-test', errors));
    expectStatuses(rows, 'Passed', 'Passed', 'Passed', 'Passed', 'Passed');
    assert.equal(summary, 'Every check passed: visits to this site are counted.');
    assert.match(rows[4].text, /The test event showed in Realtime after \d+ seconds?\./);
    assert.deepEqual(await accessibilityViolations(page, '#clickpath-settings'), []);
    await atPhoneWidth(page, 'self-test-pass', '#clickpath-settings');
    assert.deepEqual(errors, [], 'console errors or failed requests during a passing self-test');
    await page.close();
  });

  await t.test('a tag stripped from the page by an "optimisation plugin" fails the tag check', async () => {
    writeFileSync(
      muPlugin('clickpath-e2e-strip.php'),
      `<?php
// An optimisation plugin gone wrong: drops the tracker's tag from every public page it outputs.
add_action( 'template_redirect', static function () {
	ob_start( static fn ( $html ) => preg_replace( '#<script[^>]*clickpath\\.js[^>]*></script>\\s*#', '', $html ) );
} );
`,
    );
    try {
      const { page, rows, summary } = await runSelfTest('self-test-stripped-tag');
      expectStatuses(rows, 'Passed', 'Failed', 'Passed', 'Passed', 'Passed');
      assert.match(rows[1].text, /has no Clickpath tracker tag/);
      assert.match(
        rows[1].text,
        /How to fix: Exclude clickpath\.js from the “combine”, “minify” and “delay JavaScript” options/,
      );
      assert.equal(summary, '1 check failed: see below how to fix it.');
      await page.close();
    } finally {
      rmSync(muPlugin('clickpath-e2e-strip.php'));
    }
  });

  await t.test('a script an ad blocker blocks fails the script check', async () => {
    const { page, rows } = await runSelfTest('self-test-blocked-script', (p) =>
      // What an ad blocker does to a request it blocks: net::ERR_BLOCKED_BY_CLIENT.
      p.route('**/assets/clickpath.js*', (route) => route.abort('blockedbyclient')),
    );
    expectStatuses(rows, 'Passed', 'Passed', 'Failed', 'Passed', 'Passed');
    assert.match(
      rows[2].text,
      /did not load http:\/\/127\.0\.0\.1:\d+\/wp-content\/plugins\/clickpath\/assets\/clickpath\.js/,
    );
    assert.match(rows[2].text, /ad or tracker blocker in this browser/);
    assert.match(rows[2].text, /How to fix: /);
    await page.close();
  });

  await t.test('a Content Security Policy without the server in connect-src fails the event check', async () => {
    writeFileSync(
      muPlugin('clickpath-e2e-csp.php'),
      `<?php
// A security plugin's policy for public pages that forgot the analytics server.
add_action( 'send_headers', static fn () => header( "Content-Security-Policy: connect-src 'self'; frame-ancestors 'self'" ) );
`,
    );
    try {
      const { page, rows } = await runSelfTest('self-test-csp');
      expectStatuses(rows, 'Passed', 'Passed', 'Passed', 'Failed', 'Not run');
      assert.match(rows[2].text, /runs under the front page’s Content Security Policy/);
      assert.match(
        rows[3].text,
        new RegExp(`\\(connect-src\\) does not allow sending to ${backendUrl.replace(/\./g, '\\.')}`),
      );
      assert.match(
        rows[3].text,
        new RegExp(`How to fix: Add ${backendUrl.replace(/\./g, '\\.')} to the connect-src directive`),
      );
      await page.close();
    } finally {
      rmSync(muPlugin('clickpath-e2e-csp.php'));
    }
  });

  await t.test('a wrong API key fails the connection check, and Realtime is not read', async () => {
    await wp.php("update_option( 'clickpath_api_key', 'cp_live_mistyped_0000000000000000', false );");
    try {
      const { page, rows } = await runSelfTest('self-test-wrong-key');
      expectStatuses(rows, 'Failed', 'Passed', 'Passed', 'Passed', 'Not run');
      assert.match(rows[0].text, /refused the API key: it was revoked, rotated or mistyped/);
      assert.match(
        rows[0].text,
        /How to fix: Create a new API key for this site in the Clickpath dashboard \(Sites → API keys\), click Disconnect above, and connect with the new key\./,
      );
      assert.ok(!(await page.content()).includes('cp_live_mistyped'), 'the stored key is on the page');
      await page.close();
    } finally {
      await wp.php(`update_option( 'clickpath_api_key', ${JSON.stringify(key.secret)}, false );`);
    }
  });

  assert.deepEqual(phpWarnings(wp), [], 'PHP warnings from the plugin');
});
