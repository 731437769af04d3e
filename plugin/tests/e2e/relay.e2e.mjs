// The first-party relay end to end (issue 15, point 3): a real WordPress with the plugin, the real
// backend and FerretDB, headless Chromium as the visitor. With the relay on, the tracker posts to
// relay.php on the site itself (never to the backend's host), the WP-Cron job forwards the spool,
// and the backend stores the hit with the visitor's user agent and country (the visitor's address
// comes through a reverse proxy the site trusts: CLICKPATH_RELAY_TRUSTED_PROXIES). Relay headers
// forged by anyone else are ignored; a backend outage loses nothing: hits wait in the spool and
// are sent once the backend is back. Run by `npm test` (scripts/test.mjs) with `node --test`.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

/** The visitor: an iPhone in London (DB-IP: 81.2.69.0/24 is GB, London). */
const VISITOR_IP = '81.2.69.142';
const VISITOR_UA =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1';

let wp;
let server;
let backend;
let backendPort;
let backendUrl;
let dataDir;
let browser;
let site;
let keySecret;
let api;

const startRelayBackend = async () => {
  backend = await startBackend({ port: backendPort, dataDir });
};
const stopBackend = () => backend?.stop();

/** Runs PHP in the WordPress (as the administrator) and returns what it printed as JSON. */
async function php(code) {
  const out = await wp.php(`wp_set_current_user( 1 );\n${code}`);
  return JSON.parse(out.trim().split('\n').pop());
}

/** A REST call to the plugin's own routes, in the WordPress process, as the administrator. */
const rest = (method, route, body) =>
  php(`$r = new WP_REST_Request( '${method}', '/clickpath/v1/${route}' );
$r->set_header( 'Content-Type', 'application/json' );
$r->set_body( ${JSON.stringify(JSON.stringify(body ?? {}))} );
$res = rest_do_request( $r );
echo wp_json_encode( array( 'status' => $res->get_status(), 'data' => $res->get_data() ) );`);

/** The WP-Cron job's work, run now (ignoring the backoff a failed run set): what it sent and what is left. */
const forward = () => php(`echo wp_json_encode( Clickpath\\Relay::run( true ) );`);

const today = () => new Date().toISOString().slice(0, 10);
const londonPageviews = (events) => events.filter((x) => x.kind === 'pv' && x.country === 'GB');

/** Events the backend stored for the site in the last five minutes, newest first. */
async function liveEvents() {
  const res = await api('GET', `/sites/${site.id}/stats/realtime`);
  assert.equal(res.status, 200, JSON.stringify(res.json));
  return res.json.events;
}

async function waitForEvents(predicate, what) {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const events = await liveEvents();
    if (predicate(events)) return events;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(events)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Visits `path` as the London iPhone through a proxy the site trusts; resolves with the relay's answer. */
async function visit(path) {
  const context = await browser.newContext({ userAgent: VISITOR_UA });
  const sentToBackend = [];
  const page = await context.newPage();
  page.on('request', (r) => r.url().startsWith(backendUrl) && sentToBackend.push(r.url()));
  // The reverse proxy in front of the site: it adds the visitor's address (php -S sees 127.0.0.1).
  await context.route('**/relay.php*', (route) =>
    route.continue({ headers: { ...route.request().headers(), 'x-forwarded-for': VISITOR_IP } }),
  );
  const relayed = page.waitForResponse((r) => r.url().includes('/relay.php') && r.request().method() === 'POST');
  await page.goto(`${wp.url}${path}`);
  const response = await relayed;
  await context.close();
  assert.deepEqual(sentToBackend, [], 'the browser talked to the backend host');
  return response.status();
}

before(async () => {
  ensureWordPressPackages({ phpunit: false });
  backendPort = await getFreePort();
  backendUrl = `http://127.0.0.1:${backendPort}`;
  dataDir = mkdtempSync(join(tmpdir(), 'clickpath-relay-e2e-'));
  wp = await createWordPress({ name: 'relay', port: await getFreePort() });
  writeFileSync(
    join(wp.dir, 'wp-content', 'mu-plugins', 'clickpath-relay-e2e.php'),
    // Loopback is ignored by the tracker unless told; php -S's "proxy" is 127.0.0.1.
    "<?php\nadd_filter( 'clickpath_tracker_attributes', static fn ( $a ) => $a + array( 'localhost' => '' ) );\n" +
      "define( 'CLICKPATH_RELAY_TRUSTED_PROXIES', '127.0.0.1' );\n",
  );
  installPluginFrom(wp, join(repoRoot, 'plugin'));
  await wp.php("activate_plugin( 'clickpath/clickpath.php' ); echo 'ok';");
  server = await startWordPress(wp);
  await startRelayBackend();
  ({ api } = await signUp(backendUrl, { email: 'relay@blog.example', password: 'relay end to end' }));
  site = (await api('POST', '/sites', { name: 'Relay Blog', domain: 'localhost', timezone: 'UTC' })).json;
  keySecret = (
    await api('POST', `/sites/${site.id}/keys`, { name: 'WordPress', scopes: ['stats:read', 'sites:manage'] })
  ).json.secret;

  const connected = await rest('POST', 'connect', { backendUrl, apiKey: keySecret });
  assert.equal(connected.status, 200, JSON.stringify(connected));
  const on = await rest('POST', 'settings', { relay: true });
  assert.equal(on.status, 200, JSON.stringify(on));
  assert.equal(on.data.relay, true);

  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run'],
  });
});

after(async () => {
  await browser?.close();
  await server?.stop();
  await stopBackend();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

test('the tag sends hits to relay.php on the site itself', async () => {
  const html = await (await fetch(`${wp.url}/`)).text();
  const tag = /<script[^>]*data-site="[^"]*"[^>]*>/.exec(html)?.[0] ?? '';
  assert.match(tag, new RegExp(`data-api="${wp.url}/wp-content/plugins/clickpath/relay\\.php"`));
  assert.doesNotMatch(html, new RegExp(backendUrl.replace(/\./g, '\\.')));
});

test('a hit through the relay arrives with the visitor’s country and user agent, and no IP is stored', async () => {
  assert.equal(await visit('/hello-world/'), 202);
  const result = await forward();
  assert.ok(result.sent >= 1, JSON.stringify(result));
  const events = await waitForEvents((e) => e.some((x) => x.kind === 'pv'), 'the relayed pageview');
  const pageview = events.find((x) => x.kind === 'pv');
  assert.equal(pageview.country, 'GB');
  assert.equal(pageview.device, 'mobile');
  const visitors = await api('GET', `/sites/${site.id}/visitors?from=${today()}&to=${today()}`);
  assert.equal(visitors.status, 200, JSON.stringify(visitors.json));
  assert.ok(
    visitors.json.visitors.some((v) => v.browser === 'Mobile Safari' && v.country === 'GB'),
    JSON.stringify(visitors.json),
  );
  const exported = await fetch(`${backendUrl}/api/v1/sites/${site.id}/export/site`, {
    headers: { Authorization: `Bearer ${keySecret}` },
  });
  assert.equal(exported.status, 200);
  const dump = await exported.text();
  assert.ok(!dump.includes(VISITOR_IP), 'the visitor’s IP was stored');
});

test('relay headers forged by anyone else are ignored: the connection is the visitor', async () => {
  const body = JSON.stringify({
    s: site.publicId,
    i: 'eforgedrelay1',
    k: 'pv',
    u: 'http://localhost/forged/',
    w: 1280,
  });
  const res = await fetch(`${backendUrl}/api/event`, {
    method: 'POST',
    headers: {
      'Content-Type': 'text/plain',
      'User-Agent':
        'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
      'X-Clickpath-Relay-Ip': VISITOR_IP,
      'X-Clickpath-Relay-Ua': VISITOR_UA,
      'X-Clickpath-Relay-Time': String(Math.floor(Date.now() / 1000)),
      'X-Clickpath-Relay-Signature': 'ab'.repeat(32),
    },
    body,
  });
  assert.equal(res.status, 202);
  assert.deepEqual(await res.json(), { accepted: 1, relay: 'ignored' });
  const events = await waitForEvents((e) => e.some((x) => x.path === '/forged/'), 'the forged hit');
  const forged = events.find((x) => x.path === '/forged/');
  assert.equal(forged.country, '', 'a loopback connection has no country');
  assert.equal(forged.device, 'desktop');
});

test('a backend outage loses nothing: hits wait in the spool and arrive once it is back', async () => {
  const before = londonPageviews(await liveEvents()).length;
  await stopBackend();
  for (const path of ['/sample-page/', '/hello-world/', '/']) {
    assert.equal(await visit(path), 202, 'the relay answers while the backend is down');
  }
  const failed = await forward();
  assert.equal(failed.sent, 0);
  assert.equal(failed.left, true, 'the spool kept the hits');
  const spooled = await php(
    `$d = Clickpath\\Relay::dir(); $c = Clickpath\\Relay_Spool::config( $d );
echo wp_json_encode( array( 'lines' => count( file( Clickpath\\Relay_Spool::spool_file( $d, $c ) ) ), 'state' => Clickpath\\Relay_Spool::state( $d, $c ) ) );`,
  );
  assert.ok(spooled.lines >= 3, JSON.stringify(spooled));
  assert.ok(spooled.state.retryAt > Date.now() / 1000, 'the forwarder backs off');
  assert.equal(spooled.state.dropped, 0);

  await startRelayBackend();
  const sent = await forward();
  assert.ok(sent.sent >= 3, JSON.stringify(sent));
  assert.equal(sent.left, false);
  assert.equal(sent.dropped, 0);
  const events = await waitForEvents(
    (e) => londonPageviews(e).length >= before + 3,
    'the three pageviews queued through the outage',
  );
  assert.deepEqual(
    londonPageviews(events)
      .slice(0, 3)
      .map((x) => x.path)
      .sort(),
    ['/', '/hello-world/', '/sample-page/'],
  );
  assert.deepEqual(phpWarnings(wp), []);
});
