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
    console.error(`Missing: ${missing.map((m) => m.what).join(', ')}. Install with: sudo apt-get install -y ${packages.join(' ')}`);
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
ensureDebianPackages([{ what: 'Chromium (/usr/bin/chromium)', packages: ['chromium'], check: () => existsSync('/usr/bin/chromium') }]);

// 2. Static checks.
run('lint (eslint + prettier)', 'npm', ['run', 'lint', '--silent']);
run('typecheck', 'npm', ['run', 'typecheck', '--silent']);

// 3. Backend suites against a real database.
const report = join(artifacts, 'backend-jest.json');
rmSync(report, { force: true });
run('backend tests (jest, real database)', 'npx', ['jest', '--ci', '--json', `--outputFile=${report}`], {
  cwd: join(root, 'backend'),
});
const results = JSON.parse(readFileSync(report, 'utf8'));
if (results.numTotalTests === 0) {
  console.error('✖ no backend test ran');
  process.exit(1);
}
const passed = results.numPassedTests;
const failed = results.numFailedTests + results.numRuntimeErrorTestSuites;
console.log(`\nbackend: ${passed} passed, ${failed} failed, ${results.numPendingTests} skipped`);
if (failed > 0 || results.numPendingTests > 0) process.exit(1);
console.log(`${passed} passed, ${failed} failed`);
