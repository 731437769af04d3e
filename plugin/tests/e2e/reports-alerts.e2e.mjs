// End to end: Settings → Clickpath → Reports & alerts on a real WordPress (WP_DEBUG, SCRIPT_DEBUG)
// against the real backend and FerretDB, in headless Chromium. An administrator connects a
// sites:manage key, sets a traffic spike alert and adds a weekly email report from WordPress, and
// the backend is asked what it stored; a preview goes out; the section passes axe and fits a phone.
// Then a stats:read key: the screen names the scope and shows the server's 403. No console error,
// no PHP warning. Screenshots: test-artifacts/screenshots/wordpress-reports-alerts/.
//
// Needs the plugin with its admin bundles (dist/clickpath.zip from `npm run build`, or a plugin
// folder holding build/ in CLICKPATH_E2E_PLUGIN_DIR) and a built backend (backend/dist, or the
// folder holding dist/server.js in CLICKPATH_E2E_BACKEND_DIR). Run: node --test <this file>.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, test } from 'node:test';

import { chromium } from 'playwright-core';

import {
  createWordPress,
  ensureWordPressPackages,
  getFreePort,
  installPluginFrom,
  phpWarnings,
  repoRoot,
  startWordPress,
} from '../../../scripts/wordpress.mjs';
import { signUp, startBackend } from './support/backend.mjs';

const SHOTS = join(repoRoot, 'test-artifacts', 'screenshots', 'wordpress-reports-alerts');
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const ZIP = join(repoRoot, 'dist', 'clickpath.zip');
const PLUGIN_DIR = process.env.CLICKPATH_E2E_PLUGIN_DIR ? resolve(process.env.CLICKPATH_E2E_PLUGIN_DIR) : null;
const BACKEND_DIR = resolve(process.env.CLICKPATH_E2E_BACKEND_DIR ?? join(repoRoot, 'backend'));
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };
/** WordPress 6.1 core logs this by itself under SCRIPT_DEBUG on every admin screen. */
const CORE_CONSOLE_NOISE = [/^JQMIGRATE: Migrate is installed/];

let wp;
let server;
let backend;
let backendUrl;
let dataDir;
let browser;
let owner;
let step = 0;

async function shot(page, name) {
  step += 1;
  await page.screenshot({ path: join(SHOTS, `${String(step).padStart(2, '0')}-${name}.png`), fullPage: true });
}

/** WCAG 2 A/AA violations inside `selector` (wp-admin's own markup is not ours to judge). */
async function accessibilityViolations(page, selector) {
  await page.waitForLoadState('networkidle');
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

/** Console errors and warnings, failed requests and HTTP errors of a page, into `sink`. */
function watch(page, sink) {
  page.on('console', (m) => {
    if ((m.type() === 'error' || m.type() === 'warning') && !CORE_CONSOLE_NOISE.some((re) => re.test(m.text())))
      sink.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => sink.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => {
    const reason = r.failure()?.errorText ?? '';
    if (!reason.includes('ERR_ABORTED')) sink.push(`request failed: ${r.url()} ${reason}`);
  });
  page.on('response', (r) => r.status() >= 400 && sink.push(`HTTP ${r.status()} ${r.url()}`));
}

/** The site's owner in the backend: signs up, logs in, creates the site and two keys. */
async function createOwner() {
  const session = await signUp(backend.url, {
    email: 'owner@reports.example',
    password: 'reports and alerts end to end',
  });
  const api = async (method, path, body) => {
    const res = await session.api(method, path, body);
    assert.ok(res.status < 300, `${method} ${path}: ${res.status} ${JSON.stringify(res.json)}`);
    return res.json;
  };
  const site = await api('POST', '/sites', { name: 'Reports Blog', domain: 'localhost', timezone: 'UTC' });
  const manage = await api('POST', `/sites/${site.id}/keys`, {
    name: 'WordPress',
    scopes: ['stats:read', 'sites:manage'],
  });
  const read = await api('POST', `/sites/${site.id}/keys`, { name: 'Read only', scopes: ['stats:read'] });
  return { site, api, manageKey: manage.secret, readKey: read.secret };
}

function installPlugin() {
  if (PLUGIN_DIR) return installPluginFrom(wp, PLUGIN_DIR);
  assert.ok(existsSync(ZIP), 'dist/clickpath.zip is missing: run npm run build (or set CLICKPATH_E2E_PLUGIN_DIR)');
  const plugins = join(wp.dir, 'wp-content', 'plugins');
  rmSync(join(plugins, 'clickpath'), { recursive: true, force: true });
  const unzip = spawnSync('unzip', ['-q', ZIP, '-d', plugins], { encoding: 'utf8' });
  assert.equal(unzip.status, 0, unzip.stderr);
  return join(plugins, 'clickpath');
}

before(async () => {
  ensureWordPressPackages({ phpunit: false });
  rmSync(SHOTS, { recursive: true, force: true });
  mkdirSync(SHOTS, { recursive: true });
  wp = await createWordPress({ name: 'e2e-reports-alerts', port: await getFreePort(), scriptDebug: true });
  const plugin = installPlugin();
  assert.ok(existsSync(join(plugin, 'build', 'settings.js')), `${plugin}/build/settings.js is missing`);
  await wp.php(
    "require_once ABSPATH . 'wp-admin/includes/plugin.php'; $r = activate_plugin( 'clickpath/clickpath.php' ); if ( is_wp_error( $r ) ) { echo $r->get_error_message(); exit( 1 ); } update_option( 'show_avatars', 0 );",
  );
  server = await startWordPress(wp);
  dataDir = mkdtempSync(join(tmpdir(), 'clickpath-e2e-ra-'));
  backend = await startBackend({ port: await getFreePort(), dataDir, backendDir: BACKEND_DIR });
  backendUrl = backend.url;
  owner = await createOwner();
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run'],
  });
});

after(async () => {
  await browser?.close();
  await server?.stop();
  await backend?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

/** Logs in straight to the settings screen (the dashboard's widget would ask for stats before Connect). */
async function logIn(page) {
  const settings = `${wp.url}/wp-admin/options-general.php?page=clickpath-settings`;
  await page.goto(`${wp.url}/wp-login.php?redirect_to=${encodeURIComponent(settings)}`);
  await page.fill('#user_login', wp.admin.user);
  await page.fill('#user_pass', wp.admin.password);
  await page.click('#wp-submit');
  await page.waitForURL(/options-general\.php\?page=clickpath-settings/);
  await page.locator('#clickpath-settings .clickpath-settings').waitFor();
}

async function connect(page, key) {
  const disconnect = page.getByRole('button', { name: 'Disconnect' });
  if (await disconnect.isVisible()) {
    await disconnect.click();
    await page.getByLabel('API key').waitFor();
  }
  await page.getByLabel('Clickpath server URL').fill(backendUrl);
  await page.getByLabel('API key').fill(key);
  await page.getByRole('button', { name: 'Connect' }).click();
  await page.locator('.clickpath-settings__status', { hasText: 'Connected to Reports Blog (localhost).' }).waitFor();
  // From a fresh page load, as an administrator opens the screen.
  await page.reload();
  await page.getByRole('heading', { name: 'Reports & alerts' }).waitFor();
}

test('an administrator sets an alert threshold and adds an email report from WordPress', async () => {
  const problems = [];
  const context = await browser.newContext({ viewport: DESKTOP });
  const page = await context.newPage();
  watch(page, problems);
  await logIn(page);
  await connect(page, owner.manageKey);
  const section = page.locator('.clickpath-settings__section');

  // Alerts: a spike above 250 visitors an hour, mailed to the owner and admins.
  await section.getByLabel('Traffic spike').check();
  await section.getByLabel('Alert when an hour has more visitors than').fill('250');
  await section.getByRole('button', { name: 'Save alerts' }).click();
  await section.locator('.components-notice__content', { hasText: 'Alerts saved.' }).waitFor();
  const alerts = await owner.api('GET', `/sites/${owner.site.id}/alerts`);
  assert.deepEqual(alerts.spike, { enabled: true, threshold: 250 });
  assert.equal(alerts.email, true);
  assert.deepEqual(alerts.recipients, []);
  assert.ok(await section.getByText('The mail goes to the site’s owner and admins.').isVisible());

  // Email reports: the administrator's own address, weekly on Wednesday.
  const email = section.getByLabel('Email address');
  assert.equal(await email.inputValue(), wp.admin.email);
  await section.getByLabel('Sent on').selectOption('3');
  await section.getByRole('button', { name: 'Add email report' }).click();
  await section
    .locator('.components-notice__content', { hasText: `${wp.admin.email} will get the weekly report.` })
    .waitFor();
  const { subscriptions } = await owner.api('GET', `/sites/${owner.site.id}/email-reports`);
  assert.equal(subscriptions.length, 1);
  assert.equal(subscriptions[0].email, wp.admin.email);
  assert.equal(subscriptions[0].frequency, 'weekly');
  assert.equal(subscriptions[0].weekday, 3);
  await section.getByRole('list', { name: 'Email reports' }).getByText('Weekly, on Wednesday · not sent yet').waitFor();

  // A preview goes out now (to the backend's local outbox here).
  const reports = section.locator('.clickpath-email-reports');
  await reports.getByRole('button', { name: `Send a preview to ${wp.admin.email}` }).click();
  const outcome = reports.locator('.components-notice__content', { hasText: /preview/ });
  await outcome.waitFor();
  assert.equal(await outcome.textContent(), `A preview is on its way to ${wp.admin.email}.`);

  // What the settings screen shows after a reload is what the backend stored.
  await page.reload();
  await page.getByRole('heading', { name: 'Reports & alerts' }).waitFor();
  assert.equal(await section.getByLabel('Alert when an hour has more visitors than').inputValue(), '250');
  await section.getByRole('list', { name: 'Email reports' }).getByText(wp.admin.email).waitFor();
  assert.deepEqual(await accessibilityViolations(page, '#clickpath-settings'), []);
  await shot(page, 'reports-and-alerts');

  await page.setViewportSize(PHONE);
  const width = await page.evaluate(() => document.scrollingElement.scrollWidth);
  assert.ok(width <= PHONE.width, `the settings screen is ${width} px wide in a ${PHONE.width} px window`);
  assert.deepEqual(await accessibilityViolations(page, '#clickpath-settings'), []);
  await shot(page, 'reports-and-alerts-phone');

  assert.deepEqual(problems, []);
  assert.deepEqual(phpWarnings(wp), []);
  await context.close();
});

test('with a key that may only read stats, the screen names the scope and shows the server’s reason', async () => {
  const context = await browser.newContext({ viewport: DESKTOP });
  const page = await context.newPage();
  const problems = [];
  watch(page, problems);
  await logIn(page);
  await connect(page, owner.readKey);
  const section = page.locator('.clickpath-settings__section');
  await section.getByText(/only an API key with the sites:manage scope read and change them/).waitFor();
  await section
    .locator('.components-notice__content', {
      hasText: 'Could not load the alerts: This API key lacks the sites:manage scope',
    })
    .waitFor();
  await section
    .locator('.components-notice__content', {
      hasText: 'Could not load the email reports: This API key lacks the sites:manage scope',
    })
    .waitFor();
  await shot(page, 'stats-read-key');
  // The two refusals are the point here; nothing else may fail.
  assert.deepEqual(
    problems.filter((p) => !/HTTP 403 .*clickpath\/v1\/(alerts|email-reports)/.test(p) && !/status of 403/.test(p)),
    [],
  );
  assert.deepEqual(phpWarnings(wp), []);
  await context.close();
});
