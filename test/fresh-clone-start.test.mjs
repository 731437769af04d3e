// `npm install && npm start` as a new user runs it: a fresh clone of HEAD, `npm ci`, no
// FerretDB built and no database configured. It must reach /readyz (building FerretDB,
// the dashboard, the backend and the tracker) and print the dashboard URL; a second
// `npm install && npm start` with nothing changed must serve within 5 s, a changed source
// rebuilds only its output, and the data must be in <clone>/data.
// Go's module and build caches are the machine's (so FerretDB compiles from cache);
// everything else is the clone's own. Commit first: uncommitted changes are not cloned.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, utimesSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { findGo, findOnPath } from '../scripts/lib/database.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

function freePort() {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Runs `npm start` in its own process group; resolves once /readyz answers 200 and the dashboard line is out. */
async function npmStart(cwd, env, timeoutMs) {
  const started = Date.now();
  const child = spawn('npm', ['start'], { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  // 'close': every process holding the output pipes (npm, start.mjs, the backend) is gone.
  const run = { child, output: '', exited: new Promise((resolve) => child.once('close', resolve)) };
  child.stdout.on('data', (chunk) => (run.output += chunk));
  child.stderr.on('data', (chunk) => (run.output += chunk));
  while (Date.now() - started < timeoutMs && child.exitCode === null) {
    const ready = await fetch(`http://127.0.0.1:${env.PORT}/readyz`)
      .then((res) => res.status === 200)
      .catch(() => false);
    if (ready && /Dashboard: http:\/\//.test(run.output)) {
      run.seconds = (Date.now() - started) / 1000;
      return run;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  stop(run);
  assert.fail(`npm start did not serve within ${timeoutMs / 1000} s (exit ${child.exitCode}):\n${run.output}`);
}

/** SIGTERM to the whole group, as Ctrl-C reaches every process of a terminal's foreground job. */
function stop(run) {
  try {
    process.kill(-run.child.pid, 'SIGTERM');
  } catch {
    // already gone
  }
  return run.exited;
}

test('npm start on a fresh clone with no FerretDB built builds what it needs, serves the dashboard, and serves again within 5 s', async (t) => {
  const clone = mkdtempSync(join(tmpdir(), 'clickpath-clone-'));
  const runs = [];
  t.after(async () => {
    await Promise.all(runs.map(stop));
    rmSync(clone, { recursive: true, force: true });
  });
  execFileSync('git', ['clone', '--quiet', '--no-hardlinks', root, clone]);
  assert.equal(existsSync(join(clone, '.tools')), false);

  const go = findGo();
  assert.ok(go, 'Go 1.24+ is needed to build FerretDB');
  const goEnv = (name) => execFileSync(go, ['env', name], { encoding: 'utf8' }).trim();
  const env = {
    ...process.env,
    PORT: String(await freePort()),
    // The machine's Go caches, but not its $GOPATH/bin, where a ferretdb could already be.
    GOMODCACHE: goEnv('GOMODCACHE'),
    GOCACHE: goEnv('GOCACHE'),
    GOPATH: join(clone, '.gopath'),
    npm_config_audit: 'false',
    npm_config_fund: 'false',
  };
  for (const name of ['MONGODB_URI', 'FERRETDB_BIN', 'DATA_DIR', 'NODE_ENV', 'HOST', 'LOG_LEVEL']) delete env[name];

  const installStarted = Date.now();
  execFileSync('npm', ['ci', '--prefer-offline'], { cwd: clone, env, stdio: ['ignore', 'ignore', 'inherit'] });
  const installSeconds = (Date.now() - installStarted) / 1000;

  const first = await npmStart(clone, env, 15 * 60_000);
  runs.push(first);
  t.diagnostic(`npm ci ${installSeconds.toFixed(1)} s, first npm start ${first.seconds.toFixed(1)} s`);
  assert.match(first.output, new RegExp(`Dashboard: http://localhost:${env.PORT}/`));
  // A mongod on PATH is used as it is; otherwise FerretDB had to be built.
  const kind = findOnPath('mongod', env) ? 'mongod' : 'ferretdb';
  assert.match(first.output, new RegExp(`started embedded database .*"kind":"${kind}"`));
  if (kind === 'ferretdb') assert.ok(existsSync(join(clone, '.tools', 'bin', 'ferretdb')), 'FerretDB built');
  assert.equal((await fetch(`http://127.0.0.1:${env.PORT}/`)).status, 200);
  await stop(first);
  assert.match(first.output, /INFO: stopped/);

  // The quick start again: `npm install` rewrites package-lock.json, unchanged, which must not count as a change.
  execFileSync('npm', ['install', '--prefer-offline'], { cwd: clone, env, stdio: ['ignore', 'ignore', 'inherit'] });
  const second = await npmStart(clone, env, 30_000);
  runs.push(second);
  t.diagnostic(`second npm start ${second.seconds.toFixed(1)} s`);
  assert.doesNotMatch(second.output, /▶ (build|FerretDB)/, 'nothing was rebuilt');
  assert.ok(second.seconds < 5, `second start served after ${second.seconds} s`);
  await stop(second);

  // One source changed: only its output is rebuilt.
  const tracker = join(clone, 'backend', 'tracker', 'src', 'clickpath.ts');
  utimesSync(tracker, new Date(), new Date());
  const third = await npmStart(clone, env, 60_000);
  runs.push(third);
  assert.deepEqual(third.output.match(/▶ .*/g), ['▶ build tracker']);
  await stop(third);

  assert.ok(readdirSync(join(clone, 'data', 'db')).length > 0, 'data under <clone>/data');
  assert.equal(existsSync(join(clone, 'backend', 'data')), false);
});
