import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import type mongoose from 'mongoose';

import { hasChunksAcceptedBefore } from '../../src/aggregate/inbox';
import type { TestSite } from './app';
import { DESKTOP_UA, pageview } from './collect';
import { childPort } from './ports';

/**
 * The real server (dist/server.js) for the attack suites (test/attack-*.test.ts):
 * built once for as long as its sources do not change, started on a test file's
 * database, probed for liveness from a process of its own while an attack runs.
 */

const BACKEND_DIR = path.resolve(__dirname, '..', '..');
const DIST = path.join(BACKEND_DIR, 'dist');
/** Its mtime is when the last build started: sources changed after it need a new build. */
const STAMP = path.join(DIST, '.attack-build');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A timeout for an attack test: its own run plus waiting for the other suites' attacks (`underProbe`). */
export const ATTACK_TIMEOUT_MS = 240_000;

function newestSource(): number {
  let newest = 0;
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(file);
      else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts'))
        newest = Math.max(newest, statSync(file).mtimeMs);
    }
  };
  walk(path.join(BACKEND_DIR, 'src'));
  for (const config of ['tsconfig.json', 'tsconfig.build.json', '../tsconfig.json']) {
    newest = Math.max(newest, statSync(path.join(BACKEND_DIR, config)).mtimeMs);
  }
  return newest;
}

/**
 * Runs `work` while holding the lock folder `dist/<name>.lock`, which one process
 * at a time can create; a lock whose holder died is taken over.
 */
async function withLock<T>(name: string, work: () => Promise<T>, maxWaitMs = 300_000): Promise<T> {
  mkdirSync(DIST, { recursive: true });
  const lock = path.join(DIST, `${name}.lock`);
  const waitingSince = Date.now();
  for (;;) {
    try {
      mkdirSync(lock);
      writeFileSync(path.join(lock, 'pid'), String(process.pid));
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      if (!lockHeld(lock)) rmSync(lock, { recursive: true, force: true });
      if (Date.now() - waitingSince > maxWaitMs)
        throw new Error(`waited ${maxWaitMs} ms for ${lock}`, { cause: error });
      await sleep(100);
    }
  }
  try {
    return await work();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/** Whether the process that made the lock folder still runs (a folder without its pid yet is a few ms old). */
function lockHeld(lock: string): boolean {
  try {
    process.kill(Number(readFileSync(path.join(lock, 'pid'), 'utf8')), 0);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EPERM') return true;
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      return Date.now() - (statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? 0) < 5_000;
    }
    return false;
  }
}

/**
 * Compiles the backend into dist/ unless it was compiled since its sources last
 * changed. Suites in parallel workers take turns, so the second finds the build
 * done instead of rewriting files a started server is loading.
 */
export function buildServer(): Promise<void> {
  return withLock('.attack-build', async () => {
    const built = statSync(STAMP, { throwIfNoEntry: false })?.mtimeMs ?? 0;
    if (existsSync(path.join(DIST, 'server.js')) && newestSource() <= built) return;
    const started = new Date();
    // tsc emits even when another work-in-progress file has a type error; only the output matters here.
    spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: BACKEND_DIR, stdio: 'ignore' });
    if (!existsSync(path.join(DIST, 'server.js'))) throw new Error('build produced no dist/server.js');
    writeFileSync(STAMP, '');
    utimesSync(STAMP, started, started);
  });
}

/** How much of the server's own time a /healthz answer may take while an attack runs (docs/limits.md). */
const PROBE_SERVER_MS = 1_000;
/** How long a probe waits for any answer: a stall this long fails however busy the machine is. */
const PROBE_WALL_MS = 5_000;
/** The kernel's clock ticks per second, the unit of /proc/<pid>/stat's CPU times. */
const CLOCK_TICKS = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout?.trim()) || 100;

/**
 * Polls /healthz every 100 ms from a process of its own (so the attack's own client work
 * cannot delay the probe) and prints every probe that was not answered 200 within
 * PROBE_WALL_MS, or whose answer took the server PROBE_SERVER_MS of its own CPU time (user
 * and system, all its threads, from /proc/<pid>/stat): what the wait would have been with a
 * core to itself. CI runs these suites beside the WordPress matrix and other jest workers on
 * 2 cores, where a server that is runnable but not scheduled answers late through no fault of
 * its own; where /proc is missing the wall time stands in for the CPU time.
 */
const PROBE = `
const [url, pid, ticks, serverMs, wallMs] = process.argv.slice(1);
const { readFileSync } = require('node:fs');
const cpuMs = () => {
  try {
    const fields = readFileSync('/proc/' + pid + '/stat', 'utf8').split(') ')[1].split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / Number(ticks);
  } catch {
    return undefined;
  }
};
let stop = false;
process.stdin.on('data', () => (stop = true));
(async () => {
  while (!stop) {
    const started = performance.now();
    const cpuBefore = cpuMs();
    const status = await fetch(url, { signal: AbortSignal.timeout(Number(wallMs)) }).then((r) => r.status, (e) => e.name);
    const ms = Math.round(performance.now() - started);
    const cpuAfter = cpuMs();
    const serverCpuMs = cpuBefore === undefined || cpuAfter === undefined ? ms : Math.round(cpuAfter - cpuBefore);
    if (status !== 200 || serverCpuMs >= Number(serverMs)) console.log(JSON.stringify({ status, ms, serverCpuMs }));
    await new Promise((r) => setTimeout(r, 100));
  }
  process.exit(0);
})();
`;

export interface Answer {
  status: number | string;
  retryAfter: string | null;
  body: string;
}

export interface SlowProbe {
  status: number | string;
  ms: number;
  /** The server's CPU time while the probe waited. */
  serverCpuMs: number;
}

/** One dist/server.js process on a test database, with the client side of the attacks. */
export class RealServer {
  private output = '';

  private constructor(
    readonly origin: string,
    private readonly child: ChildProcess,
  ) {
    child.stdout?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
  }

  /**
   * Builds (when needed) and starts the server on `db`, the test file's database,
   * and resolves once /readyz answers. `env` adds to or overrides the environment.
   */
  static async start(db: mongoose.mongo.Db, env: Record<string, string> = {}): Promise<RealServer> {
    await buildServer();
    const port = await childPort();
    const childEnv: NodeJS.ProcessEnv = {
      ...process.env,
      MONGODB_URI: `${process.env.CLICKPATH_TEST_DB_BASE}/${db.databaseName}`,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      ...env,
    };
    delete childEnv.NODE_ENV;
    const child = spawn(process.execPath, ['dist/server.js'], {
      cwd: BACKEND_DIR,
      env: childEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const server = new RealServer(`http://127.0.0.1:${port}`, child);
    const started = Date.now();
    while (Date.now() - started < 30_000) {
      if (!server.running) throw new Error(`server exited with ${child.exitCode}:\n${server.output}`);
      const ready = await fetch(`${server.origin}/readyz`)
        .then((res) => res.status === 200)
        .catch(() => false);
      if (ready) return server;
      await sleep(100);
    }
    server.kill();
    throw new Error(`server not ready within 30 s:\n${server.output}`);
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** What the server printed (warnings and errors). */
  get log(): string {
    return this.output;
  }

  kill(): void {
    if (this.running) this.child.kill('SIGKILL');
  }

  /**
   * For a request that failed at the network level: when the server has exited
   * (its exit is reported a moment after its port closes), an error that says how
   * and what it printed, so a crash is not reported as a bare "fetch failed".
   */
  private async whyUnreachable(error: unknown): Promise<Error> {
    if (this.running) {
      await Promise.race([once(this.child, 'exit'), sleep(1_000)]);
    }
    if (this.running) return error as Error;
    return new Error(
      `the server exited (code ${this.child.exitCode}, signal ${this.child.signalCode}); it printed:\n${this.output}`,
      { cause: error },
    );
  }

  /**
   * Runs `attack` while /healthz is probed; returns its result and every probe that
   * took the server 1 s of its own time or was not answered 200 within 5 s (PROBE). Attacks of suites in parallel workers take turns
   * (a lock in dist/): on two cores, one suite's flood would otherwise slow the
   * other's server by more than its own attack does. Give a test time to wait
   * for its turn (ATTACK_TIMEOUT_MS).
   */
  underProbe<T>(attack: () => Promise<T>): Promise<{ result: T; slowProbes: SlowProbe[] }> {
    return withLock('.attack-probe', () => this.probing(attack), ATTACK_TIMEOUT_MS / 2);
  }

  private async probing<T>(attack: () => Promise<T>): Promise<{ result: T; slowProbes: SlowProbe[] }> {
    const args = [`${this.origin}/healthz`, this.child.pid, CLOCK_TICKS, PROBE_SERVER_MS, PROBE_WALL_MS].map(String);
    const probe = spawn(process.execPath, ['-e', PROBE, ...args], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    let printed = '';
    probe.stdout.on('data', (chunk: Buffer) => (printed += chunk.toString()));
    const exited = new Promise((resolve) => probe.once('exit', resolve));
    let result: T;
    try {
      result = await attack();
    } finally {
      probe.stdin.end('stop');
      await exited;
    }
    const slowProbes = printed
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as SlowProbe);
    return { result, slowProbes };
  }

  /** POSTs `body` to the collector as the tracker does; a network error becomes the status. */
  async collect(body: unknown, headers: Record<string, string> = {}): Promise<Answer> {
    try {
      const res = await fetch(`${this.origin}/api/event`, {
        method: 'POST',
        headers: { 'Content-Type': 'text/plain', 'User-Agent': DESKTOP_UA, ...headers },
        body: JSON.stringify(body),
      });
      return { status: res.status, retryAfter: res.headers.get('retry-after'), body: await res.text() };
    } catch (error) {
      // A refused connection from a live server is an answer the attacks assert on; from a dead one it is the failure.
      const reason = await this.whyUnreachable(error);
      if (reason !== error) throw reason;
      return { status: (error as Error).message, retryAfter: null, body: '' };
    }
  }

  /**
   * Like `collect`, but waits out a 503 (load shedding) as its Retry-After asks and
   * sends again, up to 5 times: for traffic whose arrival the test relies on.
   */
  async collectRetrying(body: unknown, headers: Record<string, string> = {}): Promise<Answer> {
    let answer = await this.collect(body, headers);
    for (let attempt = 0; attempt < 5 && answer.status === 503; attempt += 1) {
      await sleep(Math.min(Number(answer.retryAfter) || 1, 2) * 1000);
      answer = await this.collect(body, headers);
    }
    return answer;
  }

  /** GETs an API path with a key; the body parsed as JSON. */
  async get<T = unknown>(url: string, secret: string): Promise<{ status: number; body: T }> {
    const res = await fetch(`${this.origin}${url}`, { headers: { Authorization: `Bearer ${secret}` } }).catch(
      async (error: unknown) => {
        throw await this.whyUnreachable(error);
      },
    );
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
  }

  /** The site's events of yesterday and today (UTC) as the export API serves them, by client event id. */
  async storedEvents(site: TestSite, secret: string): Promise<Map<string, Record<string, unknown>>> {
    const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
    const res = await this.get<Array<Record<string, unknown>>>(
      `/api/v1/sites/${site.id}/export/events?from=${day(-1)}&to=${day(0)}&format=json`,
      secret,
    );
    if (res.status !== 200) throw new Error(`export answered ${res.status}: ${JSON.stringify(res.body)}`);
    return new Map(res.body.map((row) => [String(row.id), row]));
  }

  /**
   * What a tenant already had before any attack: `count` pageviews of `site`,
   * stored by the server's aggregator. Returns their ids, for `expectStored` after
   * each attack (nothing already stored is lost).
   */
  async storeBefore(site: TestSite, secret: string, count = 20): Promise<string[]> {
    const events = Array.from({ length: count }, (_, i) =>
      pageview(site.publicId, { u: `https://blog.example.com/before/${i}` }),
    );
    const answer = await this.collectRetrying(events);
    if (answer.status !== 202) throw new Error(`the collector answered ${answer.status}: ${answer.body}`);
    const ids = events.map((event) => String(event.i));
    await this.expectStored(site, secret, ids, 60_000);
    return ids;
  }

  /**
   * Expects every one of `ids` stored by the server's aggregator: waits until the
   * inbox holds nothing accepted before now (a cheap check, every 200 ms), then
   * reads the export, which must have them all (a second look after one more
   * drain for a batch that was being written).
   */
  async expectStored(site: TestSite, secret: string, ids: readonly string[], timeoutMs = 120_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (let look = 0; ; look += 1) {
      await drained(new Date(), deadline - Date.now());
      const stored = await this.storedEvents(site, secret);
      const missing = ids.filter((id) => !stored.has(id));
      if (missing.length === 0) return;
      if (look > 0 || Date.now() > deadline) {
        throw new Error(`${missing.length} of ${ids.length} events of site ${site.id} not stored: ${missing[0]} …`);
      }
      await sleep(500);
    }
  }
}

/** Waits until no event accepted before `acceptedBy` waits in the inbox (the server's aggregator consumed it). */
export async function drained(acceptedBy: Date, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (await hasChunksAcceptedBefore(acceptedBy)) {
    if (Date.now() > deadline) throw new Error(`the inbox still held events after ${timeoutMs} ms`);
    await sleep(200);
  }
}
