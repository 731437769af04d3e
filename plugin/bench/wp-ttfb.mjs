#!/usr/bin/env node
// `npm run bench:wp`: what the Clickpath plugin costs a WordPress front page. On a fresh local
// WordPress (scripts/wordpress.mjs, name "bench") with the plugin configured as connected, measures
// the time to first byte of `/` for anonymous visitors with the plugin inactive vs active, in
// alternating blocks (off, on, on, off, ...) so drift cancels out, and the database queries it adds.
// Fails unless the tracker tag is on the page with the plugin active and absent without it.
// Prints human-readable lines, then one JSON line: {"ttfbOffMs","ttfbOnMs","deltaMs","queriesAdded"}.
//
// CLICKPATH_PLUGIN_DIR: the plugin folder to install (default plugin/); it must hold clickpath.php.
import { request } from 'node:http';
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
// ABBA order: a linear drift (machine load, caches filling) hits both states equally.
const BLOCKS = ['off', 'on', 'on', 'off', 'off', 'on', 'on', 'off'];
const INITIAL_WARMUP = 15; // per state, before any block: OPcache and every php -S worker warm
const WARMUP_PER_BLOCK = 5;
const TIMED_PER_BLOCK = 10; // 40 timed requests per state
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

  const setPlugin = async (on) => {
    const out = await wp.php(
      on
        ? `$result = activate_plugin('${PLUGIN_FILE}');
           if (is_wp_error($result)) { fwrite(STDERR, 'activate_plugin: ' . $result->get_error_message()); exit(1); }
           echo is_plugin_active('${PLUGIN_FILE}') ? 'active' : 'inactive';`
        : `deactivate_plugins('${PLUGIN_FILE}'); echo is_plugin_active('${PLUGIN_FILE}') ? 'active' : 'inactive';`,
    );
    const expected = on ? 'active' : 'inactive';
    if (!out.trim().endsWith(expected)) throw new Error(`Plugin should be ${expected}; PHP printed: ${out.trim()}`);
  };

  const samples = { off: [], on: [] };
  const queries = { off: [], on: [] };
  const check = (response, state, what) => {
    const on = state === 'on';
    if (response.status !== 200) throw new Error(`${what}: GET / answered ${response.status} with the plugin ${state}`);
    if (hasTracker(response.body) !== on) {
      throw new Error(
        `${what}: the tracker script (clickpath.js) is ${on ? 'missing from' : 'present in'} the home page ` +
          `with the plugin ${on ? 'active' : 'inactive'}; the benchmark would measure nothing`,
      );
    }
  };
  try {
    for (const state of ['on', 'off']) {
      await setPlugin(state === 'on');
      for (let i = 0; i < INITIAL_WARMUP; i++) check(await timedGet(`${wp.url}/`), state, 'initial warm-up');
    }
    for (const [index, state] of BLOCKS.entries()) {
      await setPlugin(state === 'on');
      for (let i = 0; i < WARMUP_PER_BLOCK; i++) check(await timedGet(`${wp.url}/`), state, 'warm-up');

      const counted = await timedGet(`${wp.url}/`, { 'X-Clickpath-Count-Queries': '1' });
      check(counted, state, 'query count');
      const match = /<!-- clickpath-queries: (\d+) -->/.exec(counted.body);
      if (!match) throw new Error('The query counter mu-plugin did not report (no "clickpath-queries" comment)');
      queries[state].push(Number(match[1]));

      const block = [];
      for (let i = 0; i < TIMED_PER_BLOCK; i++) {
        const response = await timedGet(`${wp.url}/`);
        check(response, state, 'timed request');
        block.push(response.ttfbMs);
      }
      samples[state].push(...block);
      console.log(
        `block ${index + 1}/${BLOCKS.length} plugin ${state.padEnd(3)}: median ${quantile(block, 0.5).toFixed(2)} ms, ` +
          `p90 ${quantile(block, 0.9).toFixed(2)} ms, ${match[1]} queries`,
      );
    }
  } finally {
    await server.stop();
  }

  for (const state of ['off', 'on']) {
    if (new Set(queries[state]).size > 1)
      console.log(`note: query count varied with the plugin ${state}: ${queries[state]}`);
  }
  const ttfbOffMs = round(quantile(samples.off, 0.5));
  const ttfbOnMs = round(quantile(samples.on, 0.5));
  const queriesAdded = Math.round(quantile(queries.on, 0.5) - quantile(queries.off, 0.5));
  console.log(
    `plugin off: median ${ttfbOffMs} ms, p90 ${round(quantile(samples.off, 0.9))} ms (${samples.off.length} requests)`,
  );
  console.log(
    `plugin on:  median ${ttfbOnMs} ms, p90 ${round(quantile(samples.on, 0.9))} ms (${samples.on.length} requests)`,
  );
  console.log(`added: ${round(ttfbOnMs - ttfbOffMs)} ms TTFB (median), ${queriesAdded} database queries per page view`);
  const warnings = phpWarnings(wp);
  if (warnings.length > 0) {
    console.log(`PHP warnings from the plugin (${warnings.length}, see ${wp.debugLog}):`);
    for (const warning of warnings.slice(0, 10)) console.log(`  ${warning.split('\n')[0]}`);
  }
  console.log(JSON.stringify({ ttfbOffMs, ttfbOnMs, deltaMs: round(ttfbOnMs - ttfbOffMs), queriesAdded }));
}

main().catch((error) => {
  console.error(`bench:wp failed: ${error.stack ?? error}`);
  process.exit(1);
});
