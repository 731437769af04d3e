#!/usr/bin/env node
// `npm test`: installs what the suites need when it is missing (FerretDB, Debian
// packages when run as root), then runs lint, type checks and every test suite.
// Any missing prerequisite or failure ends the run non-zero; nothing is skipped.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

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
if (!process.env.MONGODB_URI && !onPath('mongod')) {
  run('FerretDB (npm run setup:db)', process.execPath, [join(root, 'scripts', 'setup-db.mjs')]);
}
ensureDebianPackages([
  { what: 'Chromium (/usr/bin/chromium)', packages: ['chromium'], check: () => existsSync('/usr/bin/chromium') },
]);

// 2. Static checks.
run('lint (eslint + prettier)', 'npm', ['run', 'lint', '--silent']);
run('typecheck', 'npm', ['run', 'typecheck', '--silent']);

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
run('admin-ui build and size budgets', 'npm', ['run', 'build', '-w', 'admin-ui', '--silent']);
jestSuite('backend tests (jest, real database)', join(root, 'backend'), 'npx', ['jest']);

console.log(`\n${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
