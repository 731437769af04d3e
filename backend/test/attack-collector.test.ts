import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';

import { createKey, createSite, signUp, startTestApp, type TestApp, type TestSite } from './support/app';
import { DESKTOP_UA, eventId, pageview, waitUntil } from './support/collect';

/**
 * Collector and request-edge attacks sent to the real server (dist/server.js) while
 * /healthz is polled every 100 ms: it must answer within 1 s throughout, and events
 * stored before the attack (and every event answered 202) must be there after it.
 */

const BACKEND_DIR = path.resolve(__dirname, '..');
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

let t: TestApp;
let server: ChildProcess | undefined;
let origin = '';
let output = '';
let site: TestSite;
let bystander: TestSite;
let secret = '';
let bystanderSecret = '';
const bystanderIds: string[] = [];

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
    LOG_LEVEL: 'warn',
    // The login attack comes from many addresses, named by X-Forwarded-For as a proxy would.
    TRUST_PROXY_HOPS: '1',
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

/**
 * Polls /healthz every 100 ms from a process of its own (so the attack's own client work
 * cannot delay the probe) and prints every answer slower than 1 s or not 200.
 */
const PROBE = `
const url = process.argv[1];
let stop = false;
process.stdin.on('data', () => (stop = true));
(async () => {
  while (!stop) {
    const started = performance.now();
    const status = await fetch(url, { signal: AbortSignal.timeout(1000) }).then((r) => r.status, (e) => e.name);
    const ms = Math.round(performance.now() - started);
    if (status !== 200 || ms >= 1000) console.log(JSON.stringify({ status, ms }));
    await new Promise((r) => setTimeout(r, 100));
  }
  process.exit(0);
})();
`;

/** Runs `attack` while /healthz is probed; returns its result and every probe slower than 1 s or not 200. */
async function underProbe<T>(attack: () => Promise<T>): Promise<{ result: T; slowProbes: unknown[] }> {
  const probe = spawn(process.execPath, ['-e', PROBE, `${origin}/healthz`], { stdio: ['pipe', 'pipe', 'inherit'] });
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
    .map((line) => JSON.parse(line) as unknown);
  return { result, slowProbes };
}

interface Answer {
  status: number | string;
  retryAfter: string | null;
  body: string;
}

async function collect(body: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  try {
    const res = await fetch(`${origin}/api/event`, {
      method: 'POST',
      headers: { 'Content-Type': 'text/plain', 'User-Agent': DESKTOP_UA, ...headers },
      body: JSON.stringify(body),
    });
    return { status: res.status, retryAfter: res.headers.get('retry-after'), body: await res.text() };
  } catch (error) {
    return { status: (error as Error).message, retryAfter: null, body: '' };
  }
}

/** POSTs `total` bytes with Transfer-Encoding: chunked (no Content-Length), 16 KiB at a time. */
function chunkedPost(url: string, total: number, contentType: string): Promise<Answer> {
  return new Promise((resolve) => {
    const req = http.request(
      `${origin}${url}`,
      { method: 'POST', headers: { 'Content-Type': contentType, 'Transfer-Encoding': 'chunked', Origin: origin } },
      (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk.toString()));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'] ?? null, body }),
        );
      },
    );
    req.on('error', (error: NodeJS.ErrnoException) =>
      resolve({ status: error.code ?? error.message, retryAfter: null, body: '' }),
    );
    const chunk = Buffer.from('['.padEnd(16 * 1024, ' '));
    let sent = 0;
    const pump = (): void => {
      while (sent < total) {
        sent += chunk.length;
        if (!req.write(chunk)) {
          req.once('drain', pump);
          return;
        }
      }
      req.end();
    };
    pump();
  });
}

/** The site's events of yesterday and today (UTC) as the export API serves them, by client event id. */
async function storedEvents(target: TestSite, secret: string): Promise<Map<string, Record<string, unknown>>> {
  const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
  const res = await fetch(
    `${origin}/api/v1/sites/${target.id}/export/events?from=${day(-1)}&to=${day(0)}&format=json`,
    { headers: { Authorization: `Bearer ${secret}` } },
  );
  if (res.status !== 200) throw new Error(`export answered ${res.status}: ${await res.text()}`);
  const rows = (await res.json()) as Array<Record<string, unknown>>;
  return new Map(rows.map((row) => [String(row.id), row]));
}

/** Waits until the server's aggregator stored every one of `ids`. */
async function expectStored(target: TestSite, secret: string, ids: string[], timeoutMs = 120_000): Promise<void> {
  await waitUntil(
    async () => {
      const stored = await storedEvents(target, secret);
      return ids.every((id) => stored.has(id)) ? true : undefined;
    },
    timeoutMs,
    `${ids.length} events of site ${target.id} stored`,
  );
}

beforeAll(async () => {
  // tsc emits even when another work-in-progress file has a type error; only the output matters here.
  spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: BACKEND_DIR, stdio: 'ignore' });
  if (!existsSync(path.join(BACKEND_DIR, 'dist', 'server.js'))) throw new Error('build produced no dist/server.js');
  t = await startTestApp();
  const owner = await signUp(t.app);
  site = await createSite(owner, { timezone: 'UTC' });
  bystander = await createSite(owner, { name: 'Bystander', timezone: 'UTC' });
  secret = (await createKey(owner, site.id)).secret;
  bystanderSecret = (await createKey(owner, bystander.id)).secret;
  await startServer();
  // What another tenant already had before any attack: it must survive every one of them.
  for (let i = 0; i < 20; i++) {
    const event = pageview(bystander.publicId, { u: `https://blog.example.com/before/${i}` });
    expect((await collect(event)).status).toBe(202);
    bystanderIds.push(String(event.i));
  }
  await expectStored(bystander, bystanderSecret, bystanderIds, 60_000);
}, 180_000);

afterAll(async () => {
  if (server && server.exitCode === null && server.signalCode === null) server.kill('SIGKILL');
  await t?.close();
});

afterEach(async () => {
  // Nothing already stored is lost, and the server still answers at once.
  await expectStored(bystander, bystanderSecret, bystanderIds, 5_000);
});

async function login(ip: string, email: string, password: string): Promise<number> {
  const res = await fetch(`${origin}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Origin: origin, 'X-Forwarded-For': ip },
    body: JSON.stringify({ email, password }),
  });
  return res.status;
}

let address = 0;
const nextAddress = () => `203.0.${Math.floor(++address / 250)}.${(address % 250) + 1}`;

describe('login attacks against a running server', () => {
  it('when a botnet of 100 addresses guesses one password, then the owner at a new address still logs in after two typos', async () => {
    const email = `owner-${randomBytes(4).toString('hex')}@example.com`;
    const password = `correct horse ${randomBytes(4).toString('hex')}`;
    const signup = await fetch(`${origin}/api/v1/auth/signup`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Origin: origin, 'X-Forwarded-For': nextAddress() },
      body: JSON.stringify({ email, password, name: 'Owner' }),
    });
    expect(signup.status).toBeLessThan(300);
    const { result: guesses, slowProbes } = await underProbe(async () => {
      const statuses: number[] = [];
      for (let i = 0; i < 100; i += 10) {
        statuses.push(
          ...(await Promise.all(Array.from({ length: 10 }, (_, j) => login(nextAddress(), email, `guess ${i + j}`)))),
        );
      }
      return statuses;
    });
    expect(guesses.filter((s) => s !== 401)).toEqual([]);
    expect(slowProbes).toEqual([]);
    const travelling = nextAddress();
    expect(await login(travelling, email, 'typo one')).toBe(401);
    expect(await login(travelling, email, 'typo two')).toBe(401);
    expect(await login(travelling, email, password)).toBe(200);
    // Another botnet address is held to its few tries.
    const bot = nextAddress();
    for (let i = 0; i < 3; i++) expect(await login(bot, email, `more ${i}`)).toBe(401);
    expect(await login(bot, email, 'more 3')).toBe(429);
  }, 120_000);
});

describe('collector attacks against a running server', () => {
  it('when 1,000 requests of 59 KB arrive at once, then each is answered 202 or 503 with Retry-After, never 500, and every accepted event is stored', async () => {
    const requests = Array.from({ length: 1000 }, () =>
      Array.from({ length: 4 }, () =>
        pageview(site.publicId, {
          k: 'ev',
          n: 'flood',
          p: Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`p${i}`, randomBytes(360).toString('base64')])),
        }),
      ),
    );
    expect(JSON.stringify(requests[0]).length).toBeGreaterThan(58_000);
    const { result: answers, slowProbes } = await underProbe(() => Promise.all(requests.map((body) => collect(body))));
    const statuses = new Map<string, number>();
    for (const a of answers) statuses.set(String(a.status), (statuses.get(String(a.status)) ?? 0) + 1);
    expect([...statuses.keys()].filter((s) => s !== '202' && s !== '503')).toEqual([]);
    for (const a of answers.filter((a) => a.status === 503)) expect(Number(a.retryAfter)).toBeGreaterThan(0);
    expect(slowProbes).toEqual([]);
    const accepted = requests
      .filter((_, i) => answers[i]!.status === 202)
      .flatMap((batch) => batch.map((e) => String(e.i)));
    expect(accepted.length).toBeGreaterThan(0);
    await expectStored(site, secret, accepted);
  }, 240_000);

  it('when events carry control characters in every field a visitor controls, then none is stored', async () => {
    const event = pageview(site.publicId, {
      k: 'ev',
      u: 'https://blog.example.com/p%01ath?utm_source=news%01letter&utm_medium=e%C2%85mail&utm_campaign=%00spring&utm_term=a%0Ab&utm_content=%7Fx',
      r: 'https://ref.example.org/x%01y',
      t: 'Title\u0000with\u0085controls',
      n: 'sign\u0007up',
      p: { 'plan\u0001': 'pro\u009f', note: 'line\r\nbreak' },
    });
    const { result, slowProbes } = await underProbe(() =>
      collect(event, { 'User-Agent': `${DESKTOP_UA} Model\u0085X` }),
    );
    expect(result.status).toBe(202);
    expect(slowProbes).toEqual([]);
    const id = String(event.i);
    await expectStored(site, secret, [id]);
    const stored = (await storedEvents(site, secret)).get(id);
    const strings: string[] = [];
    const walk = (value: unknown, key = ''): void => {
      if (typeof value === 'string') strings.push(`${key}=${value}`);
      else if (value && typeof value === 'object' && !(value instanceof Date)) {
        for (const [k, v] of Object.entries(value)) {
          strings.push(k);
          walk(v, k);
        }
      }
    };
    walk(stored);
    expect(strings.filter((s) => CONTROL.test(s))).toEqual([]);
    expect(stored).toMatchObject({
      utmSource: 'news letter',
      utmMedium: 'e mail',
      utmCampaign: 'spring',
      name: 'sign up',
    });
  }, 60_000);

  it('when visitors send spreadsheet formulas in titles, names, properties and UTM tags, then the CSV export starts none of those cells with a formula sign', async () => {
    const event = pageview(site.publicId, {
      k: 'ev',
      u: 'https://blog.example.com/csv?utm_source=%3D1%2B1&utm_campaign=%EF%BC%9DSUM(A1)',
      t: '=HYPERLINK("http://evil.example","click")',
      n: '＝cmd|calc',
      p: { a: '@SUM(A1)', b: '+1', c: '－1', d: ' =1+1' },
    });
    expect((await collect(event)).status).toBe(202);
    await expectStored(site, secret, [String(event.i)]);
    const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
    const { result: res, slowProbes } = await underProbe(() =>
      fetch(`${origin}/api/v1/sites/${site.id}/export/events?from=${day(-1)}&to=${day(0)}&format=csv`, {
        headers: { Authorization: `Bearer ${secret}` },
      }),
    );
    expect(res.status).toBe(200);
    const csv = await res.text();
    const row = csv.split('\n').find((line) => line.includes(String(event.i)));
    expect(row).toBeDefined();
    expect(row).toContain(`'=HYPERLINK`);
    expect(row).toContain(`'＝cmd|calc`);
    // No cell (after a separator, optionally quoted) starts with a formula sign.
    expect(row!.match(/(?:^|,)"?[\s]*[=+\-@＝＋－＠]/g)).toBeNull();
    expect(slowProbes).toEqual([]);
  }, 60_000);

  it('when a 1 MB body is sent chunked to the collector or the API, then each answers 413 in the error shape, not a dropped connection', async () => {
    const { result, slowProbes } = await underProbe(() =>
      Promise.all([
        chunkedPost('/api/event', 1024 * 1024, 'text/plain'),
        chunkedPost('/api/v1/auth/login', 1024 * 1024, 'application/json'),
      ]),
    );
    for (const answer of result) {
      expect(answer.status).toBe(413);
      expect(JSON.parse(answer.body)).toMatchObject({ error: { code: 'payload_too_large' } });
    }
    expect(slowProbes).toEqual([]);
    // The connection handling survived: a normal event right after is accepted.
    expect((await collect(pageview(site.publicId, { i: eventId() }))).status).toBe(202);
  }, 60_000);
});
