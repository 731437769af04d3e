import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

import { Types } from 'mongoose';
import { generate } from 'otplib';
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';

import { REPO_ROOT } from '../src/lib/embedded-db';
import { addMember, createSite, signUp, startTestApp, type TestApp, type TestUser } from './support/app';
import { listen } from './support/collect';
import { CHROMIUM, CHROMIUM_ARGS } from './tracker/harness';

/**
 * Two-factor sign-in in the standalone dashboard, in headless Chromium against the real
 * backend: the owner turns it on (QR code and typed key, a first code from an authenticator
 * app computed here with otplib, recovery codes copied and downloaded), requires it of the
 * site's members, signs in again with a code and with a recovery code (no session cookie
 * before the second factor), and a member without it is shut out of the site until they enrol.
 * Every screen is photographed at desktop and phone widths and audited with axe-core; no
 * console error or failed request is allowed. Screenshots land in test-artifacts/.
 */

const DASHBOARD_BUILD = path.join(REPO_ROOT, 'admin-ui', 'build', 'dashboard', 'index.html');
const SCREENSHOTS = path.join(REPO_ROOT, 'test-artifacts', 'screenshots', 'dashboard');
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };
const PERIOD_MS = 30_000;

let t: TestApp;
let server: Awaited<ReturnType<typeof listen>>;
let browser: Browser;
let context: BrowserContext;
let page: Page;
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
  context = await browser.newContext({ viewport: DESKTOP, locale: 'en-US', acceptDownloads: true });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.origin });
  page = await context.newPage();
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console error: ${message.text()} (${message.location().url})`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('requestfailed', (request) => {
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

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * What the person's authenticator app shows: a code the server takes now and has not seen (newer
 * than `last`), away from a step's last seconds so it is still good when the form is sent.
 */
async function appCode(secret: string, last: number | null): Promise<{ code: string; step: number }> {
  for (;;) {
    const left = PERIOD_MS - (Date.now() % PERIOD_MS);
    if (left < 5_000) await sleep(left + 100);
    const now = Math.floor(Date.now() / PERIOD_MS);
    const step = last === null ? now : Math.max(now, last + 1);
    if (step <= now + 1) return { code: await generate({ secret, epoch: (step * PERIOD_MS) / 1000 }), step };
    await sleep(PERIOD_MS - (Date.now() % PERIOD_MS) + 100);
  }
}

async function accessibilityViolations(): Promise<string[]> {
  if ((await page.evaluate('typeof window.axe')) !== 'object') await page.evaluate(AXE_SOURCE);
  const results = (await page.evaluate(
    "axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } })",
  )) as { passes: unknown[]; violations: Array<{ id: string; help: string; nodes: Array<{ target: unknown[] }> }> };
  expect(results.passes.length).toBeGreaterThan(10);
  return results.violations.map(
    (v) => `${v.id}: ${v.help} (${v.nodes.map((n) => JSON.stringify(n.target)).join(', ')})`,
  );
}

/** Full-page screenshots at desktop and phone widths, each without sideways overflow or axe violations. */
async function screenshots(name: string, ready: Locator): Promise<void> {
  for (const [label, size] of [
    ['desktop', DESKTOP],
    ['phone', PHONE],
  ] as const) {
    await page.setViewportSize(size);
    await ready.waitFor();
    await page.screenshot({ path: path.join(SCREENSHOTS, `${name}-${label}.png`), fullPage: true });
    expect({ [`${name} at ${label} width`]: await page.evaluate('document.documentElement.scrollWidth') }).toEqual({
      [`${name} at ${label} width`]: size.width,
    });
    expect({ [`${name} at ${label} width`]: await accessibilityViolations() }).toEqual({
      [`${name} at ${label} width`]: [],
    });
  }
  await page.setViewportSize(DESKTOP);
}

const sessionCookie = async () =>
  (await context.cookies(server.origin)).find((c) => c.name === 'clickpath_session')?.value;

async function logInWithPassword(user: TestUser): Promise<void> {
  await page.goto(`${server.origin}/#/login`);
  await page.getByRole('heading', { name: 'Log in to Clickpath' }).waitFor();
  await page.getByLabel('Email').fill(user.email);
  await page.getByLabel('Password').fill(user.password);
  await page.getByRole('button', { name: 'Log in' }).click();
}

async function logOut(): Promise<void> {
  await page.getByRole('button', { name: 'Log out' }).click();
  await page.getByRole('heading', { name: 'Log in to Clickpath' }).waitFor();
}

/** Turns two-factor sign-in on from the account page; returns the key, the step used and the recovery codes. */
async function enrolInBrowser(user: TestUser, photograph: boolean) {
  await page.goto(`${server.origin}/#/account`);
  const card = page
    .locator('.components-card')
    .filter({ has: page.getByRole('heading', { name: 'Two-factor sign-in' }) });
  await card.getByLabel('Current password').fill(user.password);
  await card.getByRole('button', { name: 'Set up two-factor sign-in' }).click();
  const qr = page.getByRole('img', { name: 'QR code that adds Clickpath to an authenticator app' });
  await qr.waitFor();
  // The SVG in a data: URL draws under the dashboard's CSP (img-src 'self' data:).
  const drawn = await qr.evaluate((img) => {
    const { complete, naturalWidth } = img as unknown as { complete: boolean; naturalWidth: number };
    return complete && naturalWidth > 0;
  });
  expect(drawn).toBe(true);
  const secret = (await page.getByLabel('Key for the app').inputValue()).replace(/\s/g, '');
  expect(secret).toMatch(/^[A-Z2-7]{32}$/);
  const pending = await t.db.collection('accounts').findOne({ _id: new Types.ObjectId(user.id) });
  expect(pending?.totpPendingSecret).toBe(secret);
  if (photograph) await screenshots('two-factor-setup', qr);

  const { code, step } = await appCode(secret, null);
  await page.getByLabel('Code from the app').fill(code);
  await page.getByRole('button', { name: 'Turn on two-factor sign-in' }).click();
  const list = page.getByRole('list', { name: 'Recovery codes' });
  await list.waitFor();
  const recoveryCodes = (await list.getByRole('listitem').allTextContents()).map((c) => c.trim());
  expect(recoveryCodes).toHaveLength(10);
  return { secret, step, recoveryCodes, list };
}

describe('two-factor sign-in in the standalone dashboard', () => {
  it('when the owner turns it on and requires it of members, then signing in asks for a code, recovery codes work once, and a member without it is shut out until they enrol', async () => {
    const owner = await signUp(t.app, { name: 'Ada Lovelace' });
    const siteId = (await createSite(owner, { name: 'Shop', domain: 'shop.example' })).id;
    const member = await signUp(t.app, { name: 'Bob Member' });
    await addMember(owner, siteId, member, 'viewer');

    // ---- enrol: QR code, typed key, first code, recovery codes shown once -------------------------
    await logInWithPassword(owner);
    await page.getByRole('heading', { name: 'Your sites' }).waitFor();
    const { secret, step, recoveryCodes, list } = await enrolInBrowser(owner, true);
    await screenshots('two-factor-recovery-codes', list);
    await page.getByRole('button', { name: 'Copy codes' }).click();
    await page.getByRole('status').filter({ hasText: 'Copied to the clipboard.' }).waitFor();
    expect(await page.evaluate('navigator.clipboard.readText()')).toBe(recoveryCodes.join('\n'));
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: 'Download codes' }).click(),
    ]);
    expect(download.suggestedFilename()).toBe('clickpath-recovery-codes.txt');
    const file = readFileSync(await download.path(), 'utf8');
    recoveryCodes.forEach((c) => expect(file).toContain(c));
    await page.getByRole('button', { name: 'I have saved my recovery codes' }).click();
    // A notice's text is also announced through a live region: the first match is the notice.
    await page.getByText('Two-factor sign-in is on.', { exact: true }).first().waitFor();
    expect(await page.getByRole('list', { name: 'Recovery codes' }).count()).toBe(0);
    await screenshots('two-factor-on', page.getByText(/10 recovery codes left/));
    const stored = await t.db.collection('accounts').findOne({ _id: new Types.ObjectId(owner.id) });
    expect(stored).toMatchObject({ totpSecret: secret, totpEnabledAt: expect.any(Date), totpLastStep: step });

    // ---- require it of the site's members --------------------------------------------------------
    await page.goto(`${server.origin}/#/sites/${siteId}/settings`);
    const requirement = page.getByRole('checkbox', { name: 'Require two-factor sign-in for members' });
    await requirement.waitFor();
    await page.getByText('Without two-factor sign-in (they would be shut out): Bob Member.').waitFor();
    // Checked once the saved site comes back, not by the click itself.
    await requirement.click();
    await page.getByText('Shut out until they turn it on: Bob Member.').waitFor();
    expect(await requirement.isChecked()).toBe(true);
    expect((await t.db.collection('sites').findOne({ _id: new Types.ObjectId(siteId) }))?.requireTwoFactor).toBe(true);
    await screenshots('two-factor-site-policy', page.getByText('Shut out until they turn it on: Bob Member.'));

    // ---- sign in again: the password opens the code step, no session before the code -------------
    await logOut();
    await logInWithPassword(owner);
    await page.getByRole('heading', { name: 'Two-factor sign-in' }).waitFor();
    expect(await sessionCookie()).toBeUndefined();
    await screenshots('two-factor-sign-in', page.getByLabel('Code from your authenticator app'));
    const second = await appCode(secret, step);
    await page.getByLabel('Code from your authenticator app').fill(second.code);
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.getByRole('heading', { name: 'Your sites' }).waitFor();
    expect(await sessionCookie()).toBeTruthy();

    // ---- a recovery code signs in once -------------------------------------------------------------
    await logOut();
    await logInWithPassword(owner);
    await page.getByRole('button', { name: 'Lost your phone? Use a recovery code' }).click();
    await page.getByLabel('Recovery code').fill(recoveryCodes[0]!);
    await screenshots('two-factor-recovery-sign-in', page.getByLabel('Recovery code'));
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.getByRole('heading', { name: 'Your sites' }).waitFor();
    await page.goto(`${server.origin}/#/account`);
    await page.getByText(/9 recovery codes left/).waitFor();
    await logOut();

    // ---- a member without it is shut out of that site until they enrol ----------------------------
    await logInWithPassword(member);
    await page.getByRole('heading', { name: 'Your sites' }).waitFor();
    await page.goto(`${server.origin}/#/sites/${siteId}`);
    const shutOut = page
      .getByText('Shop requires two-factor sign-in of its members. Turn it on for your account to open the site.')
      .first();
    await shutOut.waitFor();
    await screenshots('two-factor-required', shutOut);
    await page.getByRole('link', { name: 'Set up two-factor sign-in' }).click();
    await page.getByRole('heading', { name: 'Your account' }).waitFor();
    await enrolInBrowser(member, false);
    await page.getByRole('button', { name: 'I have saved my recovery codes' }).click();
    await page.goto(`${server.origin}/#/sites/${siteId}`);
    await page.getByRole('heading', { name: 'Shop shop.example' }).waitFor();
    await page.getByText('No data yet', { exact: false }).first().waitFor();
    expect(await shutOut.count()).toBe(0);

    expect(problems).toEqual([]);
  }, 180_000);
});
