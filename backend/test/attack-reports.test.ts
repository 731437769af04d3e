import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';

import { DateTime } from 'luxon';

import { processPendingEvents } from '../src/aggregate/aggregator';
import { createKey, createSite, signUp, startTestApp, type TestApp } from './support/app';
import { fillPath, listOperations, type Operation } from './support/openapi';
import { insertRaw, qs, stored } from './support/reports';

/**
 * Report requests that used to stop the whole process, sent to the real server
 * (dist/server.js) while a health probe polls it: a range in the year 9999 (the
 * day loop never ended) and a goal pattern of 249 stars (a backtracking regular
 * expression). Each request must be answered within a couple of seconds and
 * /healthz within 1 s throughout.
 */

const BACKEND_DIR = path.resolve(__dirname, '..');
const PATHOLOGICAL = '*a'.repeat(249) + 'b';
const LONG_MISS = '/' + 'a'.repeat(1023);
const LONG_HIT = '/' + 'a'.repeat(1022) + 'b';
/** Generous for a busy two-core machine; the attacks took minutes or forever. */
const ANSWER_MS = 3_000;

let t: TestApp;
let server: ChildProcess | undefined;
let origin = '';
let output = '';
let secret = '';
let ids: Record<string, string> = {};
let ranged: Operation[] = [];
const today = DateTime.utc().toISODate()!;

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

async function startServer(): Promise<void> {
  const port = await freePort();
  origin = `http://127.0.0.1:${port}`;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    MONGODB_URI: `${process.env.CLICKPATH_TEST_DB_BASE}/${t.db.databaseName}`,
    PORT: String(port),
    HOST: '127.0.0.1',
    RATE_LIMITS: 'false',
    LOG_LEVEL: 'warn',
  };
  delete env.NODE_ENV;
  output = '';
  server = spawn(process.execPath, ['dist/server.js'], { cwd: BACKEND_DIR, env, stdio: ['ignore', 'pipe', 'pipe'] });
  server.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  server.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const started = Date.now();
  while (Date.now() - started < 30_000) {
    if (server.exitCode !== null) throw new Error(`server exited with ${server.exitCode}:\n${output}`);
    const ready = await fetch(`${origin}/readyz`)
      .then((res) => res.status === 200)
      .catch(() => false);
    if (ready) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`server not ready within 30 s:\n${output}`);
}

interface Answer {
  url: string;
  status: number | string;
  ms: number;
  body: unknown;
}

async function timedGet(url: string, timeoutMs: number, auth = true): Promise<Answer> {
  const started = performance.now();
  try {
    const res = await fetch(`${origin}${url}`, {
      headers: auth ? { Authorization: `Bearer ${secret}` } : {},
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await res.text();
    let body: unknown = text.slice(0, 300);
    if (res.headers.get('content-type')?.startsWith('application/json')) body = JSON.parse(text);
    return { url, status: res.status, ms: Math.round(performance.now() - started), body };
  } catch (error) {
    return { url, status: (error as Error).name, ms: Math.round(performance.now() - started), body: null };
  }
}

/**
 * Sends the requests together while /healthz is polled every 100 ms; returns
 * their answers and every health probe slower than 1 s or not 200.
 */
async function underProbe(urls: string[]): Promise<{ answers: Answer[]; slowProbes: Answer[] }> {
  let done = false;
  const slowProbes: Answer[] = [];
  const probing = (async () => {
    while (!done) {
      const probe = await timedGet('/healthz', 1_000, false);
      if (probe.status !== 200 || probe.ms >= 1_000) slowProbes.push(probe);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();
  const answers = await Promise.all(urls.map((url) => timedGet(url, ANSWER_MS)));
  done = true;
  await probing;
  return { answers, slowProbes };
}

beforeAll(async () => {
  // tsc emits even when another work-in-progress file has a type error; only the output matters here.
  spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: BACKEND_DIR, stdio: 'ignore' });
  if (!existsSync(path.join(BACKEND_DIR, 'dist', 'server.js'))) throw new Error('build produced no dist/server.js');
  t = await startTestApp();
  ranged = (await listOperations(t.app)).operations.filter(
    (op) => op.method === 'get' && ['from', 'to'].every((name) => op.queryParams.some((p) => p.name === name)),
  );
  const owner = await signUp(t.app);
  const site = await createSite(owner, { timezone: 'UTC' });
  secret = (await createKey(owner, site.id, ['stats:read'])).secret;
  const goal = async (match: string) =>
    (await owner.agent.post(`/api/v1/sites/${site.id}/goals`).send({ name: 'Attack', kind: 'page', match })).body
      .id as string;
  const attack = await goal(PATHOLOGICAL);
  const landing = await goal('/');
  const funnel = await owner.agent
    .post(`/api/v1/sites/${site.id}/funnels`)
    .send({ name: 'F', steps: [landing, attack] });
  ids = { siteId: site.id, dimension: 'page', id: funnel.body.id as string, goal: attack };
  const now = Date.now();
  await insertRaw([
    stored(site.id, 'UTC', { ts: new Date(now - 110_000), vid: 'c:missvisitor01', path: LONG_MISS }),
    stored(site.id, 'UTC', { ts: new Date(now - 100_000), vid: 'c:hitvisitor001', path: '/' }),
    stored(site.id, 'UTC', { ts: new Date(now - 90_000), vid: 'c:hitvisitor001', path: LONG_HIT }),
  ]);
  await processPendingEvents();
}, 180_000);

// A server per test: one that an attack stopped must not fail the next test too.
beforeEach(() => startServer(), 40_000);
afterEach(() => {
  if (server && server.exitCode === null && server.signalCode === null) server.kill('SIGKILL');
});
afterAll(() => t?.close());

const base = () => `/api/v1/sites/${ids.siteId}`;

describe('report attacks against a running server', () => {
  it('when every report route is asked for a range in the year 9999, then each answers 400 at once and /healthz keeps answering', async () => {
    expect(ranged.length).toBeGreaterThanOrEqual(8);
    const urls = ranged.map((op) => `${fillPath(op.path, ids)}?${qs({ from: '9999-12-30', to: '9999-12-31' })}`);
    urls.push(
      `${base()}/stats/overview?${qs({ from: today, to: today, compare: 'custom', compareFrom: '9999-12-30', compareTo: '9999-12-31' })}`,
    );
    const { answers, slowProbes } = await underProbe(urls);
    expect(answers.filter((a) => a.status !== 400 || a.ms >= ANSWER_MS)).toEqual([]);
    for (const answer of answers) expect(answer.body).toMatchObject({ error: { code: 'validation_failed' } });
    expect(slowProbes).toEqual([]);
    expect((await timedGet('/healthz', 1_000, false)).status).toBe(200);
  }, 60_000);

  it('when a goal is a 499-character pattern of stars against 1,024-character paths, then every report using it answers in time and /healthz keeps answering', async () => {
    // The events are two minutes old: yesterday too, in case the run straddles midnight.
    const range = { from: DateTime.fromISO(today).minus({ days: 1 }).toISODate()!, to: today };
    const { answers, slowProbes } = await underProbe([
      `${base()}/stats/overview?${qs(range)}`,
      `${base()}/stats/overview?${qs(range, [`goal:is:${ids.goal}`])}`,
      `${base()}/stats/breakdown/device?${qs({ ...range, goal: ids.goal })}`,
      `${base()}/stats/timeseries?${qs(range, [`goal:is_not:${ids.goal}`])}`,
      `${base()}/funnels/${ids.id}/report?${qs(range)}`,
      `${base()}/stats/overview?${qs(range, [`page:contains:${PATHOLOGICAL}`])}`,
    ]);
    expect(answers.filter((a) => a.status !== 200 || a.ms >= ANSWER_MS)).toEqual([]);
    expect(slowProbes).toEqual([]);
    const [overview, filtered, breakdown, , funnel, contains] = answers.map((a) => a.body) as Array<
      Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any -- read as the API answers
    >;
    // Only the visit with the path ending in "b" reached a goal (the other never saw "/").
    expect(overview!.metrics).toMatchObject({ visits: 2, conversions: 1 });
    expect(filtered!.metrics).toMatchObject({ visits: 1, pageviews: 2 });
    expect(breakdown!.rows).toEqual([expect.objectContaining({ key: 'desktop', visits: 2, conversions: 1 })]);
    expect(funnel!.steps.map((s: { visits: number }) => s.visits)).toEqual([1, 1]);
    // `contains` is a plain substring test: the stars are literal and no path holds them.
    expect(contains!.metrics).toMatchObject({ visits: 0 });
  }, 60_000);
});
