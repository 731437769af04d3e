#!/usr/bin/env node
// The WordPress plugin's PHPUnit suite against a real WordPress (Debian's 6.1 + MariaDB):
// creates a fresh site (database clickpath_wp_phpunit), copies plugin/ into it with the query
// counter must-use plugin, starts `php -S`, runs phpunit with plugin/phpunit.xml.dist, stops the
// server and checks the JUnit report. Fails when phpunit failed, WordPress did not load (no
// report), no test ran, any test was skipped/incomplete/risky, or the site's debug.log holds a
// PHP warning/notice from the plugin's files. Last line: "N passed, N failed".
// With --multisite: the same on a subdirectory network (database clickpath_wp_phpunit_multisite),
// running plugin/phpunit-multisite.xml.dist (tests/multisite/) with the plugin network-activated.
// With --wp <version>: on that WordPress of the matrix (scripts/wordpress.mjs WORDPRESS_VERSIONS, e.g.
// 6.7-alpha) instead of Debian's 6.1, in its own site and database, with its own JUnit report.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import {
  createWordPress,
  ensureWordPressPackages,
  getFreePort,
  installPluginFrom,
  installQueryCounter,
  phpWarnings,
  startWordPress,
  DEFAULT_WORDPRESS_VERSION,
  wordpressVersionFromArgs,
} from './wordpress.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const multisite = process.argv.includes('--multisite');
const version = wordpressVersionFromArgs(process.argv);
const versionSuffix = version === DEFAULT_WORDPRESS_VERSION ? '' : `-wp${version}`;
const artifacts = join(root, 'test-artifacts');
const junitFile = join(artifacts, `${multisite ? 'phpunit-multisite' : 'phpunit'}${versionSuffix}.xml`);
const config = join(root, 'plugin', multisite ? 'phpunit-multisite.xml.dist' : 'phpunit.xml.dist');
const suite = `Plugin PHPUnit suite${multisite ? ' (multisite)' : ''} on WordPress ${version}`;
const started = Date.now();

function runPhpunit(env) {
  return new Promise((resolvePromise, reject) => {
    const output = [];
    const child = spawn(
      'phpunit',
      [
        '-c',
        config,
        '--log-junit',
        junitFile,
        '--fail-on-risky',
        '--fail-on-skipped',
        '--fail-on-incomplete',
        '--fail-on-warning',
      ],
      { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    for (const stream of [child.stdout, child.stderr]) {
      stream.on('data', (chunk) => {
        output.push(chunk);
        (stream === child.stdout ? process.stdout : process.stderr).write(chunk);
      });
    }
    child.on('error', reject);
    child.on('close', (code, signal) =>
      resolvePromise({ code: code ?? 1, signal, output: Buffer.concat(output).toString('utf8') }),
    );
  });
}

const attr = (tag, name) => {
  const match = new RegExp(`\\s${name}="([^"]*)"`).exec(tag);
  return match ? Number(match[1]) : 0;
};

/** Totals of a PHPUnit 9 JUnit report (its outermost <testsuite>) plus the <testcase> count. */
function readJunit(file) {
  const xml = readFileSync(file, 'utf8');
  const top = /<testsuite\b[^>]*>/.exec(xml);
  if (!top) return null;
  const totals = {
    tests: attr(top[0], 'tests'),
    failures: attr(top[0], 'failures'),
    errors: attr(top[0], 'errors'),
    warnings: attr(top[0], 'warnings'),
    skipped: attr(top[0], 'skipped'),
  };
  totals.testcases = (xml.match(/<testcase\b/g) ?? []).length;
  totals.skippedElements = (xml.match(/<skipped\b/g) ?? []).length;
  return totals;
}

let wp;
let server;
try {
  ensureWordPressPackages({ phpunit: true, chromium: false });
  mkdirSync(artifacts, { recursive: true });
  rmSync(junitFile, { force: true });
  const port = await getFreePort();
  wp = await createWordPress({ name: multisite ? 'phpunit-multisite' : 'phpunit', port, multisite, version });
  installPluginFrom(wp, join(root, 'plugin'));
  installQueryCounter(wp);
  server = await startWordPress(wp);
} catch (error) {
  console.error(`✖ Could not set up the WordPress for the plugin tests: ${error.message}`);
  console.log('0 passed, 1 failed');
  process.exit(1);
}
console.log(`WordPress ready at ${wp.url} in ${((Date.now() - started) / 1000).toFixed(1)} s (${wp.dir})`);

let result = { code: 1, signal: null, output: '' };
try {
  result = await runPhpunit({
    CLICKPATH_WP_DIR: wp.dir,
    CLICKPATH_WP_URL: wp.url,
    CLICKPATH_WP_ADMIN_USER: wp.admin.user,
    CLICKPATH_WP_ADMIN_PASSWORD: wp.admin.password,
  });
} catch (error) {
  console.error(`✖ Could not run phpunit: ${error.message}`);
} finally {
  await server.stop();
}

const problems = [];
if (result.code !== 0) problems.push(`phpunit exited with ${result.signal ?? result.code}`);
let totals = null;
if (!existsSync(junitFile))
  problems.push(`no JUnit report at ${junitFile}: WordPress or phpunit did not get to run the tests`);
else {
  totals = readJunit(junitFile);
  if (!totals) problems.push(`the JUnit report ${junitFile} has no <testsuite>`);
  else {
    if (totals.tests === 0 || totals.testcases === 0) problems.push('no test ran');
    if (totals.skipped > 0 || totals.skippedElements > 0) {
      problems.push(`${Math.max(totals.skipped, totals.skippedElements)} test(s) skipped or incomplete`);
    }
    if (totals.warnings > 0) problems.push(`${totals.warnings} test(s) with warnings`);
  }
}
// The JUnit log leaves risky tests out; phpunit's summary line names them.
const summary = /^(?:OK, but|Tests: \d+).*$/m.exec(result.output)?.[0] ?? '';
if (/Risky|Skipped|Incomplete/i.test(summary) || /OK, but incomplete, skipped, or risky/.test(result.output)) {
  problems.push(`phpunit reported risky, skipped or incomplete tests (${summary.trim()})`);
}
const warnings = phpWarnings(wp);
if (warnings.length > 0) {
  problems.push(
    `${warnings.length} PHP warning(s)/notice(s) from the plugin in ${wp.debugLog}:\n${warnings.join('\n')}`,
  );
}

const failed = totals ? totals.failures + totals.errors : 0;
const passed = totals ? Math.max(totals.tests - failed - totals.skipped - totals.warnings, 0) : 0;
const seconds = ((Date.now() - started) / 1000).toFixed(1);
if (problems.length > 0) {
  for (const problem of problems) console.error(`✖ ${problem}`);
  console.error(`${suite} failed (${seconds} s); report: ${junitFile}`);
  console.log(`${passed} passed, ${Math.max(failed, 1)} failed`);
  process.exit(1);
}
console.log(`${suite} passed in ${seconds} s (${totals.tests} tests); report: ${junitFile}`);
console.log(`${passed} passed, ${failed} failed`);
