#!/usr/bin/env node
// `npm run bench:wp`: what the Clickpath plugin costs a WordPress front page. On a fresh local
// WordPress (scripts/wordpress.mjs, name "bench") with the plugin configured as connected, measures
// the time to first byte of `/` for anonymous visitors with the plugin loaded vs not, and the database
// queries it adds. The plugin stays active; a must-use plugin leaves it out of requests that carry
// `X-Clickpath-Bench-Off: 1`, so both states share one database and warm caches, and requests
// alternate on/off in pairs (ABBA order) so drift and the machine's jitter cancel out pair by pair.
// Fails unless the tracker tag is on the page with the plugin active and absent without it.
//
// Then the first-party relay, measured as Koko Analytics measures its endpoint (ab, one connection
// per request, -c 1): hits/s of relay.php on the same php -S, against a bare PHP file answering 202
// on that server in the same run (the baseline; 5 rounds of 1,000 each, alternating, medians), with the relay turned on through its real code path
// (a stand-in backend issues the secret and counts what is forwarded). Fails unless every hit ab
// sent is in the spool afterwards and the forwarder then delivers every one of them.
// Prints human-readable lines, then one JSON line: {"ttfbOffMs","ttfbOnMs","deltaMs","queriesAdded",
// "relayHitsPerSec","baselineHitsPerSec","relayRatio","relayForwarded"}.
//
// CLICKPATH_PLUGIN_DIR: the plugin folder to install (default plugin/); it must hold clickpath.php.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer, request } from 'node:http';
import { join, resolve } from 'node:path';
import {
  createWordPress,
  ensureWordPressPackages,
  getFreePort,
  installPluginFrom,
  installQueryCounter,
  phpWarnings,
  repoRoot,
  startWordPress,
} from '../../scripts/wordpress.mjs';

const PLUGIN_FILE = 'clickpath/clickpath.php';
const WARMUP = 30; // per state: OPcache and every php -S worker warm
const PAIRS = 300; // the delta sought (≤ 0.5 ms) is far below one request's jitter (several ms)
/** Leaves the plugin out of a request that asks for it, as if it were inactive. */
const BENCH_SWITCH_PHP = `<?php
if ( ( $_SERVER['HTTP_X_CLICKPATH_BENCH_OFF'] ?? '' ) === '1' ) {
\tadd_filter( 'option_active_plugins', static fn ( $plugins ) => array_values( array_diff( (array) $plugins, array( '${PLUGIN_FILE}' ) ) ) );
}
`;
const USER_AGENT = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36';

// The plugin's option contract for a connected site.
const CONNECTED_SETTINGS_PHP = `update_option('clickpath_settings', ['backendUrl' => 'http://127.0.0.1:8787', 'siteId' => '0123456789abcdef01234567', 'publicId' => 'abcdefghijkl', 'siteName' => 'Bench', 'siteDomain' => '127.0.0.1', 'scopes' => ['stats:read'], 'identityMode' => 'cookieless', 'excludedRoles' => ['administrator'], 'trackerSource' => 'plugin', 'track404' => true, 'identifyUsers' => false, 'autoAnnotations' => true, 'honorDoNotTrack' => false, 'trackOutbound' => true, 'trackDownloads' => true, 'trackEngagement' => true, 'retentionDays' => 760, 'statsRoles' => ['administrator'], 'identitySecret' => str_repeat('a', 64)], true); update_option('clickpath_api_key', 'cp_test_key', false);`;

/** GET with a fresh connection; ttfbMs = until the response headers arrived. */
function timedGet(url, headers = {}) {
  return new Promise((resolvePromise, reject) => {
    const started = process.hrtime.bigint();
    const req = request(url, { agent: false, headers: { 'User-Agent': USER_AGENT, ...headers } }, (res) => {
      const ttfbMs = Number(process.hrtime.bigint() - started) / 1e6;
      const chunks = [];
      res.on('data', (chunk) => chunks.push(chunk));
      res.on('end', () => resolvePromise({ ttfbMs, status: res.statusCode, body: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.setTimeout(30000, () => req.destroy(new Error(`GET ${url} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

function quantile(values, q) {
  const sorted = [...values].sort((a, b) => a - b);
  const position = (sorted.length - 1) * q;
  const low = Math.floor(position);
  const high = Math.ceil(position);
  return sorted[low] + (sorted[high] - sorted[low]) * (position - low);
}

const round = (ms) => Math.round(ms * 100) / 100;

const RELAY_HITS = 5000;
/** The hits go in rounds of 1,000 alternating with the baseline (ABBA), so load changes hit both alike. */
const RELAY_ROUNDS = 5;
const RELAY_WARMUP = 200;
const KOKO_HITS_PER_SEC = 4400; // Koko Analytics' optimized endpoint, ab -c 1, one PHP process

/**
 * A stand-in backend for the relay: issues the relay secret and answers 202 to every forwarded
 * hit, counting them.
 */
async function startRelaySink() {
  const sink = { forwarded: 0 };
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (req.url.endsWith('/relay-secret')) {
        res.writeHead(201, { 'Content-Type': 'application/json' }).end('{"secret":"bench-relay-secret"}');
        return;
      }
      if (req.url === '/api/event' && req.headers['x-clickpath-relay-signature']) sink.forwarded += 1;
      res.writeHead(202, { 'Content-Type': 'application/json' }).end('{"accepted":1,"relay":"verified"}');
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  sink.url = `http://127.0.0.1:${server.address().port}`;
  sink.close = () => new Promise((r) => server.close(r));
  return sink;
}

/** `ab -n <n> -c 1 -p <body>`: requests per second, failing on any failed or non-2xx request. */
function abPost(url, bodyFile, n) {
  const run = spawnSync('ab', ['-q', '-n', String(n), '-c', '1', '-p', bodyFile, '-T', 'text/plain', url], {
    encoding: 'utf8',
  });
  if (run.error || run.status !== 0) throw new Error(`ab failed: ${run.error?.message ?? run.stderr}`);
  const rate = /Requests per second:\s+([\d.]+)/.exec(run.stdout);
  const failed = Number(/Failed requests:\s+(\d+)/.exec(run.stdout)?.[1] ?? NaN);
  const non2xx = Number(/Non-2xx responses:\s+(\d+)/.exec(run.stdout)?.[1] ?? 0);
  if (!rate || failed !== 0 || non2xx !== 0) throw new Error(`ab against ${url}: ${run.stdout}`);
  return Number(rate[1]);
}

/** Turns the relay on through the plugin's own code and measures relay.php against a bare PHP file. */
async function benchRelay(wp) {
  const sink = await startRelaySink();
  try {
    const on = await wp.php(
      `$s = Clickpath\\Settings::get();
       $s['backendUrl'] = '${sink.url}';
       $s['scopes'] = array( 'stats:read', 'sites:manage' );
       $s['relay'] = true;
       Clickpath\\Settings::save( $s );
       $r = Clickpath\\Relay::apply( Clickpath\\Settings::get() );
       echo is_wp_error( $r ) ? 'error: ' . $r->get_error_message() : Clickpath\\Relay::endpoint();`,
    );
    const endpoint = on.trim().split('\n').pop();
    if (!endpoint.endsWith('/relay.php')) throw new Error(`the relay did not turn on: ${on.trim()}`);
    writeFileSync(join(wp.dir, 'bench-baseline.php'), '<?php\nhttp_response_code( 202 );\n');
    const bodyFile = join(wp.dir, 'bench-hit.json');
    writeFileSync(
      bodyFile,
      JSON.stringify({ s: 'abcdefghijkl', i: 'ebenchrelay01', k: 'pv', u: `${wp.url}/`, r: '', w: 1280, l: 'en-US' }),
    );
    const baselineUrl = `${wp.url}/bench-baseline.php`;
    abPost(endpoint, bodyFile, RELAY_WARMUP);
    abPost(baselineUrl, bodyFile, RELAY_WARMUP);
    const rates = { relay: [], baseline: [] };
    const perRound = RELAY_HITS / RELAY_ROUNDS;
    for (let round = 0; round < RELAY_ROUNDS; round++) {
      const order = round % 2 === 0 ? ['relay', 'baseline'] : ['baseline', 'relay'];
      for (const which of order) {
        rates[which].push(abPost(which === 'relay' ? endpoint : baselineUrl, bodyFile, perRound));
      }
    }
    const relayHitsPerSec = Math.round(quantile(rates.relay, 0.5));
    const baselineHitsPerSec = Math.round(quantile(rates.baseline, 0.5));

    // Durable: every hit is in the spool; then the forwarder (the WP-Cron job) delivers all of them.
    const expected = RELAY_WARMUP + RELAY_HITS;
    const drained = await wp.php(
      `$d = Clickpath\\Relay::dir(); $c = Clickpath\\Relay_Spool::config( $d );
       $spooled = count( file( Clickpath\\Relay_Spool::spool_file( $d, $c ) ) );
       $started = microtime( true );
       for ( $i = 0; $i < 100; $i++ ) { $r = Clickpath\\Relay::run( true ); if ( ! $r || ! $r['left'] ) break; }
       echo wp_json_encode( array( 'spooled' => $spooled, 'seconds' => microtime( true ) - $started, 'state' => Clickpath\\Relay_Spool::state( $d, $c ) ) );`,
    );
    const { spooled, seconds, state } = JSON.parse(drained.trim().split('\n').pop());
    if (spooled !== expected) throw new Error(`the spool holds ${spooled} hits; ab sent ${expected}`);
    if (sink.forwarded !== expected || state.dropped !== 0) {
      throw new Error(`forwarded ${sink.forwarded} of ${expected} hits (dropped ${state.dropped}, ${state.lastError})`);
    }
    return {
      relayHitsPerSec,
      baselineHitsPerSec,
      relayRatio: Math.round((relayHitsPerSec / baselineHitsPerSec) * 100) / 100,
      relayForwarded: sink.forwarded,
      forwardPerSec: Math.round(sink.forwarded / seconds),
    };
  } finally {
    await sink.close();
  }
}
const hasTracker = (html) => html.includes('clickpath.js');

async function main() {
  ensureWordPressPackages({ phpunit: false, chromium: false });
  const pluginDir = resolve(process.env.CLICKPATH_PLUGIN_DIR || join(repoRoot, 'plugin'));
  const port = await getFreePort();

  let started = Date.now();
  const wp = await createWordPress({ name: 'bench', port });
  installPluginFrom(wp, pluginDir);
  installQueryCounter(wp);
  await wp.php(CONNECTED_SETTINGS_PHP);
  console.log(`WordPress ${wp.url} created in ${Date.now() - started} ms (${wp.dir}); plugin from ${pluginDir}`);

  started = Date.now();
  const server = await startWordPress(wp);
  console.log(`php -S started in ${Date.now() - started} ms`);
  const interrupt = () => server.stop().then(() => process.exit(130));
  process.once('SIGINT', interrupt);
  process.once('SIGTERM', interrupt);

  const activate = await wp.php(
    `$result = activate_plugin('${PLUGIN_FILE}');
     if (is_wp_error($result)) { fwrite(STDERR, 'activate_plugin: ' . $result->get_error_message()); exit(1); }
     echo is_plugin_active('${PLUGIN_FILE}') ? 'active' : 'inactive';`,
  );
  if (!activate.trim().endsWith('active')) throw new Error(`The plugin did not activate: ${activate.trim()}`);
  writeFileSync(join(wp.dir, 'wp-content', 'mu-plugins', 'clickpath-bench-switch.php'), BENCH_SWITCH_PHP);

  const headersFor = (state, extra = {}) => (state === 'off' ? { 'X-Clickpath-Bench-Off': '1', ...extra } : extra);
  const get = async (state, extra) => {
    const response = await timedGet(`${wp.url}/`, headersFor(state, extra));
    const on = state === 'on';
    if (response.status !== 200) throw new Error(`GET / answered ${response.status} with the plugin ${state}`);
    if (hasTracker(response.body) !== on) {
      throw new Error(
        `the tracker script (clickpath.js) is ${on ? 'missing from' : 'present in'} the home page with the ` +
          `plugin ${state}; the benchmark would measure nothing`,
      );
    }
    return response;
  };
  const countQueries = async (state) => {
    const match = /<!-- clickpath-queries: (\d+) -->/.exec(
      (await get(state, { 'X-Clickpath-Count-Queries': '1' })).body,
    );
    if (!match) throw new Error('The query counter mu-plugin did not report (no "clickpath-queries" comment)');
    return Number(match[1]);
  };

  const samples = { off: [], on: [] };
  const differences = [];
  let queriesOff;
  let queriesOn;
  let relay;
  try {
    for (let i = 0; i < WARMUP; i++) for (const state of ['on', 'off']) await get(state);
    queriesOff = await countQueries('off');
    queriesOn = await countQueries('on');
    for (let i = 0; i < PAIRS; i++) {
      // ABBA: on-off, then off-on, so the second request of a pair (warmer connection path) favours neither.
      const order = i % 2 === 0 ? ['on', 'off'] : ['off', 'on'];
      const pair = {};
      for (const state of order) pair[state] = (await get(state)).ttfbMs;
      samples.on.push(pair.on);
      samples.off.push(pair.off);
      differences.push(pair.on - pair.off);
    }
    relay = await benchRelay(wp);
  } finally {
    await server.stop();
  }

  const ttfbOffMs = round(quantile(samples.off, 0.5));
  const ttfbOnMs = round(quantile(samples.on, 0.5));
  const deltaMs = round(quantile(differences, 0.5));
  const queriesAdded = queriesOn - queriesOff;
  console.log(`plugin off: median ${ttfbOffMs} ms, p90 ${round(quantile(samples.off, 0.9))} ms (${PAIRS} requests)`);
  console.log(`plugin on:  median ${ttfbOnMs} ms, p90 ${round(quantile(samples.on, 0.9))} ms (${PAIRS} requests)`);
  console.log(
    `added: ${deltaMs} ms TTFB (median of ${PAIRS} paired differences; interquartile range ` +
      `${round(quantile(differences, 0.25))} to ${round(quantile(differences, 0.75))} ms), ` +
      `${queriesAdded} database queries per page view (${queriesOff} → ${queriesOn})`,
  );
  const warnings = phpWarnings(wp);
  if (warnings.length > 0) {
    console.log(`PHP warnings from the plugin (${warnings.length}, see ${wp.debugLog}):`);
    for (const warning of warnings.slice(0, 10)) console.log(`  ${warning.split('\n')[0]}`);
  }
  console.log(
    `relay: ${relay.relayHitsPerSec} hits/s through relay.php, ${relay.baselineHitsPerSec}/s for a bare PHP file ` +
      `(ratio ${relay.relayRatio}; medians of ${RELAY_ROUNDS} rounds of ab -n ${RELAY_HITS / RELAY_ROUNDS} -c 1); Koko Analytics' 4.4k/s target at 50 %: ` +
      `${relay.relayHitsPerSec >= KOKO_HITS_PER_SEC / 2 ? 'met' : 'not met'}; all ${relay.relayForwarded} hits ` +
      `spooled and forwarded (${relay.forwardPerSec}/s by the cron job)`,
  );
  const { relayHitsPerSec, baselineHitsPerSec, relayRatio, relayForwarded } = relay;
  console.log(
    JSON.stringify({
      ttfbOffMs,
      ttfbOnMs,
      deltaMs,
      queriesAdded,
      relayHitsPerSec,
      baselineHitsPerSec,
      relayRatio,
      relayForwarded,
    }),
  );
}

main().catch((error) => {
  console.error(`bench:wp failed: ${error.stack ?? error}`);
  process.exit(1);
});
