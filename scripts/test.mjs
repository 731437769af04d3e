#!/usr/bin/env node
// `npm test`: installs what the suites need when it is missing (FerretDB, Debian
// packages when run as root), then runs lint, type checks and every test suite.
// Any missing prerequisite or failure ends the run non-zero; nothing is skipped.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { availableDatabase } from './lib/database.mjs';
import { MAILPIT_VERSION, mailpitVersion } from './lib/mailpit.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const artifacts = join(root, 'test-artifacts');
mkdirSync(artifacts, { recursive: true });

function run(label, command, args, options = {}) {
  const started = Date.now();
  console.log(`\n▶ ${label}`);
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', ...options });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (result.status !== 0) {
    console.error(`✖ ${label} failed (${seconds} s)`);
    process.exit(result.status ?? 1);
  }
  console.log(`✔ ${label} (${seconds} s)`);
}

function onPath(binary) {
  return spawnSync('sh', ['-c', `command -v ${binary}`], { stdio: 'ignore' }).status === 0;
}

/** Installs Debian packages when running as root; otherwise names exactly what is missing. */
function ensureDebianPackages(needs) {
  const missing = needs.filter(({ check }) => !check());
  if (missing.length === 0) return;
  const packages = [...new Set(missing.flatMap((m) => m.packages))];
  if (process.getuid?.() !== 0) {
    console.error(
      `Missing: ${missing.map((m) => m.what).join(', ')}. Install with: sudo apt-get install -y ${packages.join(' ')}`,
    );
    process.exit(1);
  }
  run(`apt-get install ${packages.join(' ')}`, 'sh', [
    '-c',
    `apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ${packages.join(' ')} >/dev/null`,
  ]);
}

// 1. Prerequisites.
if (!availableDatabase()) {
  run('FerretDB (npm run setup:db)', process.execPath, [join(root, 'scripts', 'setup-db.mjs')]);
}
// The SMTP server the email tests deliver to (backend/test/support/mailpit.ts starts it).
if (mailpitVersion() !== MAILPIT_VERSION) {
  run('Mailpit (npm run setup:mail)', process.execPath, [join(root, 'scripts', 'setup-mail.mjs')]);
}
ensureDebianPackages([
  { what: 'Chromium (/usr/bin/chromium)', packages: ['chromium'], check: () => existsSync('/usr/bin/chromium') },
  {
    what: 'PHP with mysqli, xml, mbstring and curl',
    packages: ['php-cli', 'php-mysql', 'php-xml', 'php-mbstring', 'php-curl'],
    check: () =>
      onPath('php') &&
      spawnSync('php', ['-r', 'exit(extension_loaded("mysqli") && extension_loaded("mbstring") ? 0 : 1);']).status ===
        0,
  },
  {
    what: 'WordPress 6.1 (/usr/share/wordpress)',
    packages: ['wordpress'],
    check: () => existsSync('/usr/share/wordpress'),
  },
  { what: 'PHPUnit', packages: ['phpunit'], check: () => onPath('phpunit') },
  { what: 'PHP_CodeSniffer (the plugin ruleset)', packages: ['php-codesniffer'], check: () => onPath('phpcs') },
  { what: 'xgettext (the plugin .pot)', packages: ['gettext'], check: () => onPath('xgettext') },
  { what: 'unzip (the newer WordPress versions)', packages: ['unzip'], check: () => onPath('unzip') },
]);

// 2. Static checks.
run('lint (eslint + prettier)', 'npm', ['run', 'lint', '--silent']);
run('typecheck', 'npm', ['run', 'typecheck', '--silent']);
// Before the build, which regenerates them: the committed contract files must already be current.
run('generated contract files are current (npm run contract)', process.execPath, [
  join(root, 'scripts', 'contract.mjs'),
  '--check',
]);
run('plugin PHP checks (php -l, phpcs with the WordPress standard)', process.execPath, [
  join(root, 'plugin', 'scripts', 'phpcs.mjs'),
]);

// 3. Test suites. Each writes a jest JSON report; a suite that ran no test fails the run.
let passed = 0;
let failed = 0;
function jestSuite(label, cwd, command, args) {
  const report = join(artifacts, `${label.replace(/\W+/g, '-')}.json`);
  rmSync(report, { force: true });
  run(label, command, [...args, '--ci', '--json', `--outputFile=${report}`], { cwd });
  const results = JSON.parse(readFileSync(report, 'utf8'));
  if (results.numTotalTests === 0) {
    console.error(`✖ ${label}: no test ran`);
    process.exit(1);
  }
  if (results.numPendingTests > 0 || results.numTodoTests > 0) {
    console.error(`✖ ${label}: ${results.numPendingTests} skipped test(s); a skipped test proves nothing`);
    process.exit(1);
  }
  passed += results.numPassedTests;
  failed += results.numFailedTests + results.numRuntimeErrorTestSuites;
  console.log(`${label}: ${results.numPassedTests} passed, ${results.numFailedTests} failed`);
}

jestSuite('admin-ui tests (jest via wp-scripts)', join(root, 'admin-ui'), 'npx', [
  'wp-scripts',
  'test-unit-js',
  '--config',
  'jest.config.js',
]);
// admin-ui (with its size budgets), the backend, the tracker and dist/clickpath.zip.
run('build (admin-ui budgets, backend, plugin zip)', 'npm', ['run', 'build', '--silent']);

/**
 * Starts a runner that ends its output with `N passed, N failed` without waiting for it; its output
 * goes to test-artifacts/<label>.log, printed by finishBackground().
 */
function startInBackground(label, command, args) {
  const log = join(artifacts, `${label.replace(/\W+/g, '-').slice(0, 60)}.log`);
  const fd = openSync(log, 'w');
  // Its own process group, so an early exit of this run (a failed step) stops it and its runners
  // (a `php -S` a runner started sits in a group of its own and may outlive them).
  const child = spawn(command, args, { cwd: root, stdio: ['ignore', fd, fd], detached: true });
  closeSync(fd);
  const stop = () => {
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {
      // already gone
    }
  };
  process.on('exit', stop);
  const exited = new Promise((resolvePromise) => child.on('close', (code) => resolvePromise(code ?? 1)));
  console.log(`\n▶ ${label} (started in the background; output in ${log})`);
  return { label, log, exited, stop, started: Date.now() };
}

async function finishBackground({ label, log, exited, stop, started }) {
  const waitStarted = Date.now();
  const code = await exited;
  process.removeListener('exit', stop);
  const output = readFileSync(log, 'utf8');
  console.log(`\n▶ ${label} (output of the background run)`);
  process.stdout.write(output);
  const counts = /(\d+) passed, (\d+) failed\s*$/.exec(output);
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  const waited = ((Date.now() - waitStarted) / 1000).toFixed(1);
  if (code !== 0 || !counts || Number(counts[1]) === 0) {
    console.error(`✖ ${label} failed (${seconds} s)${counts ? '' : ': no test counts in its output'}`);
    process.exit(code || 1);
  }
  passed += Number(counts[1]);
  failed += Number(counts[2]);
  console.log(`✔ ${label} (${seconds} s, of which ${waited} s after the steps it ran alongside)`);
}

// The WordPress version matrix uses MariaDB, PHP and Chromium, the backend tests FerretDB: it runs
// alongside them (Debian's 6.1 has its own steps below).
const wordpressMatrix = startInBackground(
  'WordPress version matrix (6.5.5, 6.6-RC3, 6.7-alpha: PHPUnit, multisite, end to end)',
  process.execPath,
  [join(root, 'scripts', 'test-wordpress-matrix.mjs')],
);
jestSuite('backend tests (jest, real database)', join(root, 'backend'), 'npx', ['jest']);
await finishBackground(wordpressMatrix);

/** Runs a runner that ends its output with `N passed, N failed`, and adds those counts. */
function countedSuite(label, command, args) {
  const started = Date.now();
  console.log(`\n▶ ${label}`);
  const result = spawnSync(command, args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  process.stdout.write(result.stdout ?? '');
  const counts = /(\d+) passed, (\d+) failed\s*$/.exec(result.stdout ?? '');
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (result.status !== 0 || !counts || Number(counts[1]) === 0) {
    console.error(`✖ ${label} failed (${seconds} s)${counts ? '' : ': no test counts in its output'}`);
    process.exit(result.status || 1);
  }
  passed += Number(counts[1]);
  failed += Number(counts[2]);
  console.log(`✔ ${label} (${seconds} s)`);
}

/** A `node --test` file: its TAP summary must show tests that passed and none skipped. */
function nodeTestSuite(label, file) {
  const started = Date.now();
  console.log(`\n▶ ${label}`);
  const result = spawnSync(process.execPath, ['--test', '--test-reporter=tap', file], {
    cwd: root,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  process.stdout.write(result.stdout ?? '');
  const count = (name) => Number(new RegExp(`^# ${name} (\\d+)$`, 'm').exec(result.stdout ?? '')?.[1] ?? NaN);
  const [pass, fail, skipped, todo] = ['pass', 'fail', 'skipped', 'todo'].map(count);
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (result.status !== 0 || !(pass > 0) || skipped > 0 || todo > 0) {
    console.error(`✖ ${label} failed (${seconds} s): ${pass} passed, ${fail} failed, ${skipped} skipped`);
    process.exit(result.status || 1);
  }
  passed += pass;
  console.log(`✔ ${label} (${seconds} s): ${pass} passed`);
}

nodeTestSuite(
  'npm start from a fresh clone (npm ci, FerretDB build, dashboard; second start within 5 s)',
  join(root, 'test', 'fresh-clone-start.test.mjs'),
);
countedSuite('plugin tests (PHPUnit on WordPress 6.1 + MariaDB)', process.execPath, [
  join(root, 'scripts', 'test-plugin.mjs'),
]);
countedSuite('plugin multisite tests (PHPUnit on a WordPress 6.1 subdirectory network)', process.execPath, [
  join(root, 'scripts', 'test-plugin.mjs'),
  '--multisite',
]);
nodeTestSuite(
  'WordPress end to end (Chromium, wp-admin, real backend)',
  join(root, 'plugin', 'tests', 'e2e', 'wordpress.e2e.mjs'),
);
nodeTestSuite(
  'WordPress Reports & alerts end to end (Chromium, settings screen, real backend)',
  join(root, 'plugin', 'tests', 'e2e', 'reports-alerts.e2e.mjs'),
);
nodeTestSuite(
  'WordPress first-party relay end to end (Chromium, relay.php, real backend, an outage)',
  join(root, 'plugin', 'tests', 'e2e', 'relay.e2e.mjs'),
);

console.log(`\n${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
