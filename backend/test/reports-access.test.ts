import request from 'supertest';

import { createKey, createSite, signUp, startTestApp, type TestApp, type TestUser } from './support/app';
import { expectError } from './support/assert';
import { qs } from './support/reports';

/**
 * Who may read and write reports, and what bad report input gets: another
 * tenant's session or key sees 404 on every report route; a stats:read key reads
 * but may not write goals, funnels, annotations or take the full export; every
 * malformed request is a 4xx in the error shape, never a 5xx.
 */

let t: TestApp;
let owner: TestUser;
let mallory: TestUser;
let siteA: string;
let siteB: string;
let readA: string;
let manageA: string;
let malloryKey: string;
let goalA: string;
let goalA2: string;
let goalB: string;
let funnelA: string;
let annotationA: string;

const R = { from: '2026-03-01', to: '2026-03-07' };

beforeAll(async () => {
  t = await startTestApp();
  owner = await signUp(t.app);
  mallory = await signUp(t.app);
  siteA = (await createSite(owner, { name: 'A', domain: 'a.example' })).id;
  siteB = (await createSite(owner, { name: 'B', domain: 'b.example' })).id;
  const malSite = (await createSite(mallory, { name: 'M', domain: 'm.example' })).id;
  readA = (await createKey(owner, siteA, ['stats:read'])).secret;
  manageA = (await createKey(owner, siteA, ['sites:manage'])).secret;
  malloryKey = (await createKey(mallory, malSite, ['stats:read', 'sites:manage'])).secret;
  const goal = (site: string, match: string) =>
    owner.agent.post(`/api/v1/sites/${site}/goals`).send({ name: match, kind: 'page', match });
  goalA = (await goal(siteA, '/a')).body.id;
  goalA2 = (await goal(siteA, '/b')).body.id;
  goalB = (await goal(siteB, '/b')).body.id;
  funnelA = (await owner.agent.post(`/api/v1/sites/${siteA}/funnels`).send({ name: 'F', steps: [goalA, goalA2] })).body
    .id;
  annotationA = (await owner.agent.post(`/api/v1/sites/${siteA}/annotations`).send({ day: '2026-03-02', text: 'x' }))
    .body.id;
}, 60_000);
afterAll(() => t.close());

type Method = 'get' | 'post' | 'patch' | 'delete';
/** Every report route with a request that would succeed for the owner. */
const routes = (site: string): Array<[Method, string, object?]> => [
  ['get', `/api/v1/sites/${site}/stats/overview?${qs(R)}`],
  ['get', `/api/v1/sites/${site}/stats/timeseries?${qs(R)}`],
  ['get', `/api/v1/sites/${site}/stats/breakdown/page?${qs(R)}`],
  ['get', `/api/v1/sites/${site}/stats/realtime`],
  ['get', `/api/v1/sites/${site}/visitors?${qs(R)}`],
  ['get', `/api/v1/sites/${site}/visitors/c:abcdefghijkl`],
  ['get', `/api/v1/sites/${site}/goals`],
  ['post', `/api/v1/sites/${site}/goals`, { name: 'g', kind: 'page', match: '/' }],
  ['patch', `/api/v1/sites/${site}/goals/${goalA}`, { name: 'renamed' }],
  ['delete', `/api/v1/sites/${site}/goals/${goalA2}`],
  ['get', `/api/v1/sites/${site}/funnels`],
  ['post', `/api/v1/sites/${site}/funnels`, { name: 'f', steps: [goalA, goalA2] }],
  ['get', `/api/v1/sites/${site}/funnels/${funnelA}/report?${qs(R)}`],
  ['delete', `/api/v1/sites/${site}/funnels/${funnelA}`],
  ['get', `/api/v1/sites/${site}/annotations?${qs(R)}`],
  ['post', `/api/v1/sites/${site}/annotations`, { day: '2026-03-01', text: 'n' }],
  ['delete', `/api/v1/sites/${site}/annotations/${annotationA}`],
  ['get', `/api/v1/sites/${site}/export/breakdown/page?${qs(R)}`],
  ['get', `/api/v1/sites/${site}/export/events?${qs(R)}`],
  ['get', `/api/v1/sites/${site}/export/site`],
];

async function counts() {
  const out: Record<string, number> = {};
  for (const name of ['goals', 'funnels', 'annotations']) out[name] = await t.db.collection(name).countDocuments();
  return out;
}

describe('report access', () => {
  it.each([
    ["another tenant's session", () => mallory.agent],
    ["another tenant's key", () => request.agent(t.app).set('Authorization', `Bearer ${malloryKey}`)],
    ["site A's read key on site B", () => request.agent(t.app).set('Authorization', `Bearer ${readA}`)],
    ["site A's manage key on site B", () => request.agent(t.app).set('Authorization', `Bearer ${manageA}`)],
  ])('when %s calls every report route of a site not theirs, then each is 404 and nothing changes', async (_l, who) => {
    const target = _l.includes('site B') ? siteB : siteA;
    const before = await counts();
    const failures: string[] = [];
    for (const [method, url, body] of routes(target)) {
      let req = who()[method](url);
      if (body) req = req.send(body);
      const res = await req;
      if (res.status !== 404 || res.body?.error?.code !== 'not_found') failures.push(`${method} ${url}: ${res.status}`);
    }
    expect(failures).toEqual([]);
    expect(await counts()).toEqual(before);
  });

  it("when site A's key names B's goal, funnel or annotation on site A, then 404", async () => {
    const as = (url: string) => request(t.app).patch(url).set('Authorization', `Bearer ${manageA}`);
    expectError(await as(`/api/v1/sites/${siteA}/goals/${goalB}`).send({ name: 'x' }), 404, 'not_found');
    const report = await request(t.app)
      .get(`/api/v1/sites/${siteB}/funnels/${funnelA}/report?${qs(R)}`)
      .set('Authorization', `Bearer ${manageA}`);
    expectError(report, 404, 'not_found');
    const crossFunnel = await request(t.app)
      .post(`/api/v1/sites/${siteA}/funnels`)
      .set('Authorization', `Bearer ${manageA}`)
      .send({ name: 'cross', steps: [goalA, goalB] });
    expectError(crossFunnel, 400, 'validation_failed');
  });

  it('when a stats:read key reads reports, then 200; when it writes goals, funnels, annotations or takes the site export, then 403', async () => {
    const failures: string[] = [];
    const before = await counts();
    for (const [method, url, body] of routes(siteA)) {
      let req = request(t.app)[method](url).set('Authorization', `Bearer ${readA}`);
      if (body) req = req.send(body);
      const res = await req;
      const write = method !== 'get' || url.endsWith('/export/site');
      const expected = write ? 403 : url.includes('/visitors/c:') ? 404 : 200;
      if (res.status !== expected) failures.push(`${method} ${url}: ${res.status}, expected ${expected}`);
      if (write && res.body?.error?.code !== 'forbidden') failures.push(`${method} ${url}: ${res.text}`);
    }
    expect(failures).toEqual([]);
    expect(await counts()).toEqual(before);
  });

  it('when a sites:manage key adds an annotation, then it is stored with the key as author', async () => {
    const res = await request(t.app)
      .post(`/api/v1/sites/${siteA}/annotations`)
      .set('Authorization', `Bearer ${manageA}`)
      .send({ day: '2026-03-03', text: 'Deployed from CI' });
    expect(res.status).toBe(201);
    expect(res.body.author).toBe('API key test key');
    const stored = await t.db.collection('annotations').findOne({ text: 'Deployed from CI' });
    expect(stored).toMatchObject({ author: 'API key test key', day: '2026-03-03' });
  });
});

describe('bad report input', () => {
  const get = (path: string) => owner.agent.get(`/api/v1/sites/${siteA}${path}`);
  const long = 'x'.repeat(600);
  const cases: Array<[string, string]> = [
    ['an inverted range', `/stats/overview?${qs({ from: '2026-03-07', to: '2026-03-01' })}`],
    ['a range of 733 days', `/stats/overview?${qs({ from: '2024-01-01', to: '2026-01-02' })}`],
    ['2026-02-30', `/stats/overview?${qs({ from: '2026-02-30', to: '2026-03-01' })}`],
    ['a non-date', `/stats/overview?${qs({ from: 'yesterday', to: '2026-03-01' })}`],
    ['a missing range', `/stats/overview`],
    ['an unknown filter dimension', `/stats/overview?${qs(R, ['planet:is:mars'])}`],
    ['an unknown filter operator', `/stats/overview?${qs(R, ['country:regex:.*'])}`],
    ['a malformed filter', `/stats/overview?${qs(R, ['country'])}`],
    ['a filter with one colon', `/stats/overview?${qs(R, ['country:is'])}`],
    ['a goal filter with contains', `/stats/overview?${qs(R, ['goal:contains:x'])}`],
    [
      '11 filters',
      `/stats/overview?${qs(
        R,
        Array.from({ length: 11 }, () => 'country:is:NL'),
      )}`,
    ],
    ['a filter value of 600 chars', `/stats/overview?${qs(R, [`country:is:${long}`])}`],
    ['a filter value of 501 chars', `/stats/overview?${qs(R, [`country:is:${'x'.repeat(501)}`])}`],
    ['filter[$ne]', `/stats/overview?${qs(R)}&filter[$ne]=x`],
    ['from[$gt]', `/stats/overview?from[$gt]=&to=2026-03-01`],
    ['an unknown query param', `/stats/overview?${qs({ ...R, $where: 'sleep(1)' })}`],
    ['compare=custom without dates', `/stats/overview?${qs({ ...R, compare: 'custom' })}`],
    ['an unknown dimension', `/stats/breakdown/planet?${qs(R)}`],
    ['a huge limit', `/stats/breakdown/page?${qs({ ...R, limit: 1_000_000 })}`],
    ['page=0', `/stats/breakdown/page?${qs({ ...R, page: 0 })}`],
    ['a fractional limit', `/stats/breakdown/page?${qs({ ...R, limit: 1.5 })}`],
    ['an unknown sort', `/stats/breakdown/page?${qs({ ...R, sort: '$natural' })}`],
    ['goal garbage', `/stats/breakdown/page?${qs({ ...R, goal: '{"$ne":1}' })}`],
    [
      'an hourly series over 33 days',
      `/stats/timeseries?${qs({ from: '2026-01-01', to: '2026-02-02', interval: 'hour' })}`,
    ],
    ['an unknown interval', `/stats/timeseries?${qs({ ...R, interval: 'minute' })}`],
    ['realtime after garbage', `/stats/realtime?${qs({ after: 'garbage' })}`],
    ['realtime after operator', `/stats/realtime?after[$gt]=0`],
    ['a visitor id that is garbage', `/visitors/${encodeURIComponent('{"$ne":null}')}`],
    ['a visitor id too short', `/visitors/c:abc`],
    ['a visitors filter on an unsupported dimension', `/visitors?${qs(R, ['page:is:/'])}`],
    ['visitors limit 201', `/visitors?${qs({ ...R, limit: 201 })}`],
    ['a funnel id that is not an id', `/funnels/xyz/report?${qs(R)}`],
    ['an export with an unknown format', `/export/events?${qs({ ...R, format: 'xml' })}`],
    ['an events export over 733 days', `/export/events?${qs({ from: '2024-01-01', to: '2026-01-02' })}`],
  ];

  it.each(cases)('when a report gets %s, then 4xx in the error shape', async (_label, path) => {
    const res = await get(path);
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expectError(res, res.status, res.body?.error?.code ?? 'missing');
  });

  it('when an hourly series spans exactly 32 days, then it is allowed', async () => {
    const res = await get(`/stats/timeseries?${qs({ from: '2026-01-01', to: '2026-02-01', interval: 'hour' })}`);
    expect(res.status).toBe(200);
    expect(res.body.points).toHaveLength(32 * 24);
  });

  const bodies: Array<[string, string, object]> = [
    ['a goal with a numeric name', 'goals', { name: 1, kind: 'page', match: '/' }],
    ['a goal of an unknown kind', 'goals', { name: 'g', kind: 'click', match: '/' }],
    ['a goal with an operator match', 'goals', { name: 'g', kind: 'page', match: { $ne: '' } }],
    ['a goal with an array propValue', 'goals', { name: 'g', kind: 'event', match: 'x', propValue: ['a'] }],
    ['a goal with an extra field', 'goals', { name: 'g', kind: 'page', match: '/', siteId: 'x' }],
    ['a funnel of 1 step', 'funnels', { name: 'f', steps: ['0'.repeat(24)] }],
    ['a funnel of 9 steps', 'funnels', { name: 'f', steps: Array.from({ length: 9 }, () => 'a'.repeat(24)) }],
    ['a funnel with a string for steps', 'funnels', { name: 'f', steps: 'abc' }],
    ['a funnel with an operator step', 'funnels', { name: 'f', steps: [{ $gt: '' }, { $gt: '' }] }],
    ['an annotation on 2026-02-30', 'annotations', { day: '2026-02-30', text: 'x' }],
    ['an annotation with a number text', 'annotations', { day: '2026-03-01', text: 5 }],
  ];
  it.each(bodies)('when POSTed %s, then 400 and nothing is stored', async (_label, what, body) => {
    const before = await counts();
    const res = await owner.agent.post(`/api/v1/sites/${siteA}/${what}`).send(body);
    expectError(res, 400, 'validation_failed');
    expect(await counts()).toEqual(before);
  });

  it('when a funnel names goals that do not exist or belong to another site, then 400', async () => {
    for (const steps of [
      [goalA, goalB],
      [goalA, 'f'.repeat(24)],
    ]) {
      const res = await owner.agent.post(`/api/v1/sites/${siteA}/funnels`).send({ name: 'f', steps });
      expectError(res, 400, 'validation_failed');
    }
  });

  it('when a goal edit has wrong types or nothing to change, then 400', async () => {
    for (const body of [{}, { name: 42 }, { match: null }, { kind: 'event' }]) {
      expectError(
        await owner.agent.patch(`/api/v1/sites/${siteA}/goals/${goalA}`).send(body),
        400,
        'validation_failed',
      );
    }
  });
});
