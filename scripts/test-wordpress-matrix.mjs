#!/usr/bin/env node
// The WordPress version matrix (issue 15): on each newer WordPress than Debian's 6.1 (6.5.5,
// 6.6-RC3, 6.7-alpha from @wp-playground/wordpress-builds, see scripts/wordpress.mjs), the plugin's
// PHPUnit suite, its multisite suite and the main end-to-end flow (plugin/tests/e2e/wordpress.e2e.mjs,
// WP_DEBUG + SCRIPT_DEBUG, failing on any plugin PHP notice or console warning). Debian's 6.1 runs
// the same three as their own steps of `npm test`.
//
//   node scripts/test-wordpress-matrix.mjs [--wp <version>]... [--parallel]
//
// Versions run one after another; with --parallel, all at once (each its own sites, databases,
// ports and backend). Each step's output is printed in one piece when it ends, every line
// prefixed with its version, then "✔/✖ <version> <step> (N s)". Every step runs even after a
// failure; the run fails when any did. Last line: "N passed, N failed".
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { DEFAULT_WORDPRESS_VERSION, WORDPRESS_VERSIONS, wordpressSourceFor } from './wordpress.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const chosen = argv.flatMap((arg, i) => (argv[i - 1] === '--wp' ? [arg] : []));
for (const version of chosen) {
  if (!WORDPRESS_VERSIONS.includes(version)) {
    console.error(`Unknown WordPress version ${version}; one of ${WORDPRESS_VERSIONS.join(', ')}`);
    process.exit(2);
  }
}
const versions = chosen.length > 0 ? chosen : WORDPRESS_VERSIONS.filter((v) => v !== DEFAULT_WORDPRESS_VERSION);
const parallel = argv.includes('--parallel');

/** The steps for one version, each a runner whose output shows its test counts. */
function stepsFor(version) {
  const plugin = join(root, 'scripts', 'test-plugin.mjs');
  return [
    { label: 'PHPUnit', args: [plugin, '--wp', version], counts: 'runner' },
    { label: 'PHPUnit multisite', args: [plugin, '--wp', version, '--multisite'], counts: 'runner' },
    {
      label: 'end to end (Chromium, WP_DEBUG + SCRIPT_DEBUG)',
      args: ['--test', '--test-reporter=tap', join(root, 'plugin', 'tests', 'e2e', 'wordpress.e2e.mjs')],
      env: { CLICKPATH_WP_VERSION: version },
      counts: 'tap',
    },
  ];
}

function runStep(version, step) {
  const started = Date.now();
  return new Promise((resolvePromise) => {
    const child = spawn(process.execPath, step.args, {
      cwd: root,
      env: { ...process.env, ...step.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const output = [];
    const stdout = [];
    child.stdout.on('data', (chunk) => output.push(chunk) && stdout.push(chunk));
    child.stderr.on('data', (chunk) => output.push(chunk));
    const finish = (code) => {
      const text = Buffer.concat(output).toString('utf8');
      const counted = Buffer.concat(stdout).toString('utf8');
      const count = (re) => Number(re.exec(counted)?.[1] ?? 0);
      const tap = (name) => count(new RegExp(`^# ${name} (\\d+)$`, 'm'));
      // A skipped or todo test proves nothing: it counts as failed.
      const [pass, fail] =
        step.counts === 'runner'
          ? [count(/(\d+) passed, \d+ failed\s*$/), count(/\d+ passed, (\d+) failed\s*$/)]
          : [tap('pass'), tap('fail') + tap('skipped') + tap('todo')];
      const ok = code === 0 && pass > 0 && fail === 0;
      resolvePromise({ version, label: step.label, ok, pass, fail, seconds: (Date.now() - started) / 1000, text });
    };
    child.on('error', (error) => {
      output.push(Buffer.from(`${error.message}\n`));
      finish(1);
    });
    child.on('close', (code) => finish(code ?? 1));
  });
}

function report(result) {
  const prefix = `[${result.version}] `;
  process.stdout.write(
    result.text
      .trimEnd()
      .split('\n')
      .map((line) => prefix + line)
      .join('\n') + '\n',
  );
  const mark = result.ok ? '✔' : '✖';
  console.log(`${mark} WordPress ${result.version} ${result.label} (${result.seconds.toFixed(1)} s)`);
}

async function runVersion(version) {
  const results = [];
  for (const step of stepsFor(version)) {
    const result = await runStep(version, step);
    report(result);
    results.push(result);
  }
  return results;
}

const started = Date.now();
// Fetch and extract every version first (once per machine): concurrent runs would race on the cache.
for (const version of versions) {
  try {
    wordpressSourceFor(version);
  } catch (error) {
    console.error(`✖ WordPress ${version}: ${error.message}`);
    console.log('0 passed, 1 failed');
    process.exit(1);
  }
}
const results = parallel
  ? (await Promise.all(versions.map(runVersion))).flat()
  : await versions.reduce(async (previous, version) => [...(await previous), ...(await runVersion(version))], []);

const failedSteps = results.filter((r) => !r.ok);
const passed = results.reduce((sum, r) => sum + r.pass, 0);
const failed = results.reduce((sum, r) => sum + r.fail, 0) + failedSteps.filter((r) => r.fail === 0).length;
console.log(`\nWordPress matrix (${versions.join(', ')}) in ${((Date.now() - started) / 1000).toFixed(1)} s:`);
for (const r of results) console.log(`  ${r.ok ? '✔' : '✖'} ${r.version} ${r.label}: ${r.seconds.toFixed(1)} s`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failedSteps.length > 0 ? 1 : 0);
