import { randomBytes } from 'node:crypto';
import http from 'node:http';

import { createKey, createSite, signUp, startTestApp, type TestApp, type TestSite } from './support/app';
import { DESKTOP_UA, eventId, pageview } from './support/collect';
import { ATTACK_TIMEOUT_MS, RealServer, drained, type Answer } from './support/real-server';

/**
 * Collector and request-edge attacks sent to the real server (dist/server.js) while
 * /healthz is polled every 100 ms: it must answer within 1 s of the server's own time
 * throughout (test/support/real-server.ts), and events
 * stored before the attack (and every event answered 202) must be there after it.
 */

// Each attack may wait for the other suites' attacks to end (RealServer.underProbe).
jest.setTimeout(ATTACK_TIMEOUT_MS);

const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

let t: TestApp;
let server: RealServer;
let origin = '';
/** The flood's site: thousands of large events, so the single-event tests use `clean`. */
let site: TestSite;
let clean: TestSite;
let bystander: TestSite;
let secret = '';
let cleanSecret = '';
let bystanderSecret = '';
const bystanderIds: string[] = [];

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

beforeAll(async () => {
  t = await startTestApp();
  const owner = await signUp(t.app);
  site = await createSite(owner, { timezone: 'UTC' });
  clean = await createSite(owner, { name: 'Clean', timezone: 'UTC' });
  bystander = await createSite(owner, { name: 'Bystander', timezone: 'UTC' });
  secret = (await createKey(owner, site.id)).secret;
  cleanSecret = (await createKey(owner, clean.id)).secret;
  bystanderSecret = (await createKey(owner, bystander.id)).secret;
  // The login attack comes from many addresses, named by X-Forwarded-For as a proxy would.
  server = await RealServer.start(t.db, { TRUST_PROXY_HOPS: '1' });
  origin = server.origin;
  // What another tenant already had before any attack: it must survive every one of them.
  bystanderIds.push(...(await server.storeBefore(bystander, bystanderSecret)));
}, 180_000);

afterAll(async () => {
  server?.kill();
  await t?.close();
});

afterEach(async () => {
  // Nothing already stored is lost, and the server still answers at once.
  await server.expectStored(bystander, bystanderSecret, bystanderIds, 5_000);
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
    const { result: guesses, slowProbes } = await server.underProbe(async () => {
      // The login limits count per clock hour: the guesses and the checks after them must fall in one.
      const toNextHour = 3_600_000 - (Date.now() % 3_600_000);
      if (toNextHour < 60_000) await new Promise((resolve) => setTimeout(resolve, toNextHour + 100));
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
  });
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
    // The probe runs until the accepted events are aggregated too: 4,000 large events, batch by batch.
    const { result: answers, slowProbes } = await server.underProbe(async () => {
      const answers = await Promise.all(requests.map((body) => server.collect(body)));
      await drained(new Date(), 120_000);
      return answers;
    });
    const statuses = new Map<string, number>();
    for (const a of answers) statuses.set(String(a.status), (statuses.get(String(a.status)) ?? 0) + 1);
    expect([...statuses.keys()].filter((s) => s !== '202' && s !== '503')).toEqual([]);
    for (const a of answers.filter((a) => a.status === 503)) expect(Number(a.retryAfter)).toBeGreaterThan(0);
    expect(slowProbes).toEqual([]);
    const accepted = requests
      .filter((_, i) => answers[i]!.status === 202)
      .flatMap((batch) => batch.map((e) => String(e.i)));
    expect(accepted.length).toBeGreaterThan(0);
    await server.expectStored(site, secret, accepted);
  });

  it('when events carry control characters in every field a visitor controls, then none is stored', async () => {
    const event = pageview(clean.publicId, {
      k: 'ev',
      u: 'https://blog.example.com/p%01ath?utm_source=news%01letter&utm_medium=e%C2%85mail&utm_campaign=%00spring&utm_term=a%0Ab&utm_content=%7Fx',
      r: 'https://ref.example.org/x%01y',
      t: 'Title\u0000with\u0085controls',
      n: 'sign\u0007up',
      p: { 'plan\u0001': 'pro\u009f', note: 'line\r\nbreak' },
    });
    const { result, slowProbes } = await server.underProbe(() =>
      server.collect(event, { 'User-Agent': `${DESKTOP_UA} Model\u0085X` }),
    );
    expect(result.status).toBe(202);
    expect(slowProbes).toEqual([]);
    const id = String(event.i);
    await server.expectStored(clean, cleanSecret, [id]);
    const stored = (await server.storedEvents(clean, cleanSecret)).get(id);
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
  });

  it('when visitors send spreadsheet formulas in titles, names, properties and UTM tags, then the CSV export starts none of those cells with a formula sign', async () => {
    const event = pageview(clean.publicId, {
      k: 'ev',
      u: 'https://blog.example.com/csv?utm_source=%3D1%2B1&utm_campaign=%EF%BC%9DSUM(A1)',
      t: '=HYPERLINK("http://evil.example","click")',
      n: '＝cmd|calc',
      p: { a: '@SUM(A1)', b: '+1', c: '－1', d: ' =1+1' },
    });
    expect((await server.collect(event)).status).toBe(202);
    await server.expectStored(clean, cleanSecret, [String(event.i)]);
    const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
    const { result: res, slowProbes } = await server.underProbe(() =>
      fetch(`${origin}/api/v1/sites/${clean.id}/export/events?from=${day(-1)}&to=${day(0)}&format=csv`, {
        headers: { Authorization: `Bearer ${cleanSecret}` },
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
  });

  it('when a 1 MB body is sent chunked to the collector or the API, then each answers 413 in the error shape, not a dropped connection', async () => {
    const { result, slowProbes } = await server.underProbe(() =>
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
    expect((await server.collect(pageview(site.publicId, { i: eventId() }))).status).toBe(202);
  });
});
