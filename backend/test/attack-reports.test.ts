import { DateTime } from 'luxon';

import { processPendingEvents } from '../src/aggregate/aggregator';
import { createKey, createSite, signUp, startTestApp, type TestApp } from './support/app';
import { fillPath, listOperations, type Operation } from './support/openapi';
import { ATTACK_TIMEOUT_MS, RealServer } from './support/real-server';
import { insertRaw, qs, stored } from './support/reports';

/**
 * Report requests that used to stop the whole process, sent to the real server
 * (dist/server.js) while a health probe polls it: a range in the year 9999 (the
 * day loop never ended) and a goal pattern of 249 stars (a backtracking regular
 * expression). Each request must be answered within a couple of seconds and
 * /healthz within 1 s of the server's own time throughout.
 */

// Each attack may wait for the other suites' attacks to end (RealServer.underProbe).
jest.setTimeout(ATTACK_TIMEOUT_MS);

const PATHOLOGICAL = '*a'.repeat(249) + 'b';
const LONG_MISS = '/' + 'a'.repeat(1023);
const LONG_HIT = '/' + 'a'.repeat(1022) + 'b';
/** Generous for a busy two-core machine; the attacks took minutes or forever. */
const ANSWER_MS = 3_000;

let t: TestApp;
let server: RealServer | undefined;
let secret = '';
let ids: Record<string, string> = {};
let ranged: Operation[] = [];
const today = DateTime.utc().toISODate()!;

interface Answer {
  url: string;
  status: number | string;
  ms: number;
  body: unknown;
}

async function timedGet(url: string, timeoutMs: number, auth = true): Promise<Answer> {
  const started = performance.now();
  try {
    const res = await fetch(`${server!.origin}${url}`, {
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
 * Sends the requests together while /healthz is polled every 100 ms from a
 * process of its own; returns their answers and every health probe that took
 * the server 1 s of its own time or was not answered 200 (real-server.ts).
 */
async function underProbe(urls: string[]) {
  const { result: answers, slowProbes } = await server!.underProbe(() =>
    Promise.all(urls.map((url) => timedGet(url, ANSWER_MS))),
  );
  return { answers, slowProbes };
}

beforeAll(async () => {
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
  ids = {
    siteId: site.id,
    dimension: 'page',
    id: funnel.body.id as string,
    goal: attack,
    visitorId: 'c:hitvisitor001',
  };
  const now = Date.now();
  await insertRaw([
    stored(site.id, 'UTC', { ts: new Date(now - 110_000), vid: 'c:missvisitor01', path: LONG_MISS }),
    stored(site.id, 'UTC', { ts: new Date(now - 100_000), vid: 'c:hitvisitor001', path: '/' }),
    stored(site.id, 'UTC', { ts: new Date(now - 90_000), vid: 'c:hitvisitor001', path: LONG_HIT }),
  ]);
  await processPendingEvents();
  server = await startServer();
}, 180_000);

const startServer = () => RealServer.start(t.db, { RATE_LIMITS: 'false' });

// One server for the file; one that an attack stopped is replaced, so it fails only that test.
beforeEach(async () => {
  if (!server?.running) server = await startServer();
}, 60_000);
afterAll(async () => {
  server?.kill();
  await t?.close();
});

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
  });

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
  });
});
