#!/usr/bin/env node
// `npm start`: makes sure there is a database (builds FerretDB when there is none),
// rebuilds only the outputs older than their sources, then runs the backend.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

import { ROOT, availableDatabase, findGo } from './lib/database.mjs';

const NO_GO = `npm start needs a database and found none. Install Go 1.24 or newer from https://go.dev/dl/ (Debian 12's golang packages are too old) so it can build FerretDB into .tools/bin, or set MONGODB_URI to a running MongoDB 6.0+.`;

/**
 * Builds `npm start` needs: each rebuilt when `output` is missing or older than any input,
 * or when the locked dependencies changed since it was built.
 */
const TARGETS = [
  {
    label: 'admin-ui (dashboard bundle)',
    output: 'admin-ui/build/dashboard/index.html',
    inputs: ['admin-ui/src', 'admin-ui/scripts', 'admin-ui/webpack.config.js', 'admin-ui/package.json'],
    command: ['npm', 'run', 'build', '--silent', '-w', 'admin-ui'],
  },
  {
    label: 'backend (tsc)',
    output: 'backend/dist/server.js',
    inputs: ['backend/src', 'backend/tsconfig.json', 'backend/tsconfig.build.json', 'tsconfig.json'],
    command: [process.execPath, 'node_modules/typescript/bin/tsc', '-p', 'backend/tsconfig.build.json'],
  },
  {
    label: 'tracker',
    output: 'backend/tracker/dist/clickpath.js',
    inputs: ['backend/tracker/src', 'backend/tracker/build.mjs'],
    command: [process.execPath, 'backend/tracker/build.mjs'],
  },
];

/** Newest modification time under `path`, tests aside (they are not part of any output). */
function newestMtime(path) {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const entry of readdirSync(path)) {
    if (/\.test\.[jt]sx?$/.test(entry)) continue;
    newest = Math.max(newest, newestMtime(join(path, entry)));
  }
  return newest;
}

// `npm install` rewrites package-lock.json even when nothing changed, so the lock counts
// by content: its hash when each output was last built is kept here.
const LOCK = join(ROOT, 'package-lock.json');
const STAMPS = join(ROOT, 'node_modules', '.cache', 'clickpath-start.json');
const lockHash = createHash('sha256').update(readFileSync(LOCK)).digest('hex');
const stamps = existsSync(STAMPS) ? JSON.parse(readFileSync(STAMPS, 'utf8')) : {};

function isStale({ output, inputs }) {
  const file = join(ROOT, output);
  if (!existsSync(file)) return true;
  const built = statSync(file).mtimeMs;
  // Without a stamp (built by `npm run build`), an output newer than the lock is taken as built from it.
  const lockChanged = output in stamps ? stamps[output] !== lockHash : statSync(LOCK).mtimeMs > built;
  return lockChanged || inputs.some((input) => newestMtime(join(ROOT, input)) > built);
}

function stamp(output) {
  if (stamps[output] === lockHash) return;
  stamps[output] = lockHash;
  mkdirSync(dirname(STAMPS), { recursive: true });
  writeFileSync(STAMPS, `${JSON.stringify(stamps, null, 2)}\n`);
}

/** Runs one step; its output is shown only when it fails, unless `quiet` is false. */
function run(label, [command, ...args], { quiet = true } = {}) {
  const started = Date.now();
  console.log(`▶ ${label}`);
  const result = spawnSync(command, args, { cwd: ROOT, stdio: quiet ? 'pipe' : 'inherit', encoding: 'utf8' });
  if (result.status !== 0) {
    if (quiet) process.stderr.write(`${result.stdout ?? ''}${result.stderr ?? ''}`);
    console.error(`✖ ${label} failed`);
    return false;
  }
  console.log(`✔ ${label} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  return true;
}

if (!availableDatabase()) {
  if (!findGo()) {
    console.error(NO_GO);
    process.exit(1);
  }
  // Shown as it goes: the first build takes minutes and prints what Go downloads.
  const setup = [process.execPath, 'scripts/setup-db.mjs'];
  if (!run('FerretDB (npm run setup:db)', setup, { quiet: false })) process.exit(1);
}

for (const target of TARGETS) {
  if (isStale(target) && !run(`build ${target.label}`, target.command)) {
    // tsc writes its output even when it reports errors: mark it stale so the next start rebuilds.
    if (existsSync(join(ROOT, target.output))) utimesSync(join(ROOT, target.output), 0, 0);
    process.exit(1);
  }
  stamp(target.output);
}

const backend = spawn(process.execPath, ['--enable-source-maps', join(ROOT, 'backend', 'dist', 'server.js')], {
  cwd: ROOT,
  stdio: 'inherit',
});
// The backend shuts down cleanly on these; this process waits for it and exits with its code.
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => backend.kill(signal));
backend.on('exit', (code, signal) => process.exit(code ?? (signal === 'SIGINT' ? 130 : 143)));
