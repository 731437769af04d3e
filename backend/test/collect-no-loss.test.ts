import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';

import mongoose from 'mongoose';

import { DESKTOP_UA, eventId, pageview, pool } from './support/collect';
import { historyEvents } from './support/history';
import { childPort } from './support/ports';

/**
 * No loss across a restart: the real server (dist/server.js) takes 3,000 events from
 * clients that retry the same ids on any failure, gets SIGTERM halfway, exits cleanly
 * and is started again on the same port. Every acknowledged event must be stored, every
 * event must end up acknowledged, and none may be stored twice.
 */

const BACKEND_DIR = path.resolve(__dirname, '..');
const N = 3000;
const IN_FLIGHT = 50;
const DEADLINE_MS = 90_000;

let port: number;
let origin: string;
let uri: string;
let client: mongoose.mongo.MongoClient;
const children: ChildProcess[] = [];
let output = '';

async function startServer(): Promise<ChildProcess> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    MONGODB_URI: uri,
    PORT: String(port),
    HOST: '127.0.0.1',
    RATE_LIMITS: 'false',
    LOG_LEVEL: 'info',
  };
  delete env.NODE_ENV;
  const child = spawn(process.execPath, ['dist/server.js'], {
    cwd: BACKEND_DIR,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  children.push(child);
  const started = Date.now();
  while (Date.now() - started < 30_000) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}:\n${output}`);
    const ready = await fetch(`${origin}/readyz`)
      .then((res) => res.status === 200)
      .catch(() => false);
    if (ready) return child;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`server not ready within 30 s:\n${output}`);
}

function waitForExit(child: ChildProcess, timeoutMs: number): Promise<number | null> {
  return new Promise((resolve, reject) => {
    if (child.exitCode !== null) return resolve(child.exitCode);
    const timer = setTimeout(
      () => reject(new Error(`server did not exit within ${timeoutMs} ms:\n${output}`)),
      timeoutMs,
    );
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

/** Signs up and creates a site over HTTP, as the dashboard would. */
async function createSiteOverHttp(): Promise<{ id: string; publicId: string }> {
  const headers = { 'Content-Type': 'application/json', Origin: origin, 'User-Agent': DESKTOP_UA };
  const credentials = {
    email: `noloss-${randomBytes(4).toString('hex')}@example.com`,
    password: `correct horse ${randomBytes(6).toString('hex')}`,
  };
  const signup = await fetch(`${origin}/api/v1/auth/signup`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ ...credentials, name: 'No Loss' }),
  });
  expect(signup.status).toBe(202);
  const login = await fetch(`${origin}/api/v1/auth/login`, {
    method: 'POST',
    headers,
    body: JSON.stringify(credentials),
  });
  expect(login.status).toBe(200);
  const cookie = login.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
  const site = await fetch(`${origin}/api/v1/sites`, {
    method: 'POST',
    headers: { ...headers, Cookie: cookie },
    body: JSON.stringify({ name: 'Blog', domain: 'blog.example.com', timezone: 'UTC' }),
  });
  expect(site.status).toBe(201);
  return (await site.json()) as { id: string; publicId: string };
}

beforeAll(async () => {
  // tsc emits even when another work-in-progress file has a type error; only the output matters here.
  spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: BACKEND_DIR, stdio: 'ignore' });
  if (!existsSync(path.join(BACKEND_DIR, 'dist', 'server.js'))) throw new Error('build produced no dist/server.js');
  port = await childPort();
  origin = `http://127.0.0.1:${port}`;
  uri = `${process.env.CLICKPATH_TEST_DB_BASE}/cp_noloss_${randomBytes(6).toString('hex')}`;
  client = new mongoose.mongo.MongoClient(uri);
  await client.connect();
}, 180_000);

afterAll(async () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await client?.db().dropDatabase();
  await client?.close();
});

describe('collector across a restart', () => {
  it(`when the server is restarted with SIGTERM halfway through ${N} retried events, then every event is stored exactly once`, async () => {
    let server = await startServer();
    const site = await createSiteOverHttp();

    const batches: string[][] = [];
    for (let left = N; left > 0;) {
      const size = Math.min(left, 1 + (batches.length % 5));
      batches.push(Array.from({ length: size }, () => eventId()));
      left -= size;
    }
    const acknowledged = new Set<string>();
    const statuses: Record<string, number> = {};
    let restart: Promise<void> | undefined;
    const deadline = Date.now() + DEADLINE_MS;

    const sendBatch = async (ids: string[]): Promise<void> => {
      const body = JSON.stringify(
        ids.map((i, n) => pageview(site.publicId, { i, u: `https://blog.example.com/page/${n}` })),
      );
      for (let attempt = 1; ; attempt++) {
        let outcome: string;
        try {
          const res = await fetch(`${origin}/api/event`, {
            method: 'POST',
            headers: { 'Content-Type': 'text/plain', 'User-Agent': DESKTOP_UA },
            body,
          });
          await res.arrayBuffer();
          outcome = String(res.status);
          if (res.ok) {
            statuses[outcome] = (statuses[outcome] ?? 0) + 1;
            ids.forEach((i) => acknowledged.add(i));
            break;
          }
        } catch (error) {
          outcome = ((error as Error).cause as { code?: string } | undefined)?.code ?? 'network error';
        }
        statuses[outcome] = (statuses[outcome] ?? 0) + 1;
        if (Date.now() > deadline || attempt >= 500) throw new Error(`gave up on a batch after ${attempt} attempts`);
        await new Promise((resolve) => setTimeout(resolve, Math.min(25 * attempt, 250)));
      }
      // Halfway: stop the server while ~50 requests are in flight, then start it again.
      if (!restart && acknowledged.size >= N / 2) {
        restart = (async () => {
          const old = server;
          old.kill('SIGTERM');
          expect(await waitForExit(old, 30_000)).toBe(0);
          server = await startServer();
        })();
      }
    };

    await pool(batches.length, IN_FLIGHT, (index) => sendBatch(batches[index]!));
    await restart;
    expect(restart).toBeDefined();
    expect(output).toMatch(/INFO: stopped$/m);

    // Accepted means durable in the inbox; the restarted server aggregates what it still holds, after
    // waiting out the old server's lease if that one could not hand it back in time (30 s): wait for that.
    let stored = await historyEvents(client.db());
    for (const until = Date.now() + 60_000; stored.length < acknowledged.size && Date.now() < until;) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      stored = await historyEvents(client.db());
    }
    const storedIds = new Set(stored.map((d) => d._id));
    const missing = [...acknowledged].filter((i) => !storedIds.has(`${site.id}:${i}`));

    expect({ missing: missing.slice(0, 5), missingCount: missing.length }).toEqual({ missing: [], missingCount: 0 });
    expect(acknowledged.size).toBe(N);
    expect(stored.length).toBe(N);
    expect(storedIds.size).toBe(N);
    // One document per (site, client id): the _id carries both, and every stored id is one we sent.
    const sent = new Set(batches.flat().map((i) => `${site.id}:${i}`));
    expect(stored.every((d) => sent.has(d._id) && String(d.siteId) === site.id)).toBe(true);
    // The restart really interrupted traffic: some sends failed and were retried.
    expect(Object.keys(statuses).some((s) => !/^2/.test(s))).toBe(true);
  }, 150_000);
});
