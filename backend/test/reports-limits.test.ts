import { DateTime } from 'luxon';
import request from 'supertest';

import { createKey, createSite, signUp, startTestApp, type TestApp, type TestUser } from './support/app';
import { expectError } from './support/assert';
import { fillPath, listOperations, type OpenApiDocument, type Operation } from './support/openapi';
import { qs } from './support/reports';
import { insertEvents } from './support/events';
import { processPendingEvents } from '../src/aggregate/aggregator';

/**
 * Report ranges stay inside a window: 2000-01-01 to tomorrow in the site's time
 * zone. Every report route that takes `from` and `to` (found in the OpenAPI
 * document, so new ones are covered) refuses a range outside it with a 400 in
 * the error shape, and answers a range inside it. The far-future range that
 * used to hang the process is in attack-reports.test.ts, against a real server.
 */

let t: TestApp;
let doc: OpenApiDocument;
let ranged: Operation[];
let owner: TestUser;
/** Per site: its id, a stats:read key and the path values its routes need. */
const sites: Record<'utc' | 'ahead', { id: string; secret: string; ids: Record<string, string> }> = {} as never;

const VISITOR = 'c:rangevisitor1';
const localToday = (zone: string) => DateTime.now().setZone(zone).startOf('day');

beforeAll(async () => {
  t = await startTestApp();
  ({ doc, operations: ranged } = await listOperations(t.app));
  ranged = ranged.filter(
    (op) => op.method === 'get' && ['from', 'to'].every((name) => op.queryParams.some((p) => p.name === name)),
  );
  owner = await signUp(t.app);
  for (const [name, timezone] of [
    ['utc', 'UTC'],
    // UTC+14: its tomorrow is often the day after tomorrow in UTC.
    ['ahead', 'Pacific/Kiritimati'],
  ] as const) {
    const site = await createSite(owner, { name, domain: `${name}.example`, timezone });
    const goal = async (match: string) =>
      (await owner.agent.post(`/api/v1/sites/${site.id}/goals`).send({ name: match, kind: 'page', match })).body
        .id as string;
    const steps = [await goal('/pricing'), await goal('/signup')];
    const funnel = await owner.agent.post(`/api/v1/sites/${site.id}/funnels`).send({ name: 'F', steps });
    // A visitor seen now, so their profile has a visit in every range that ends today or tomorrow.
    await insertEvents(site.id, [{ ts: new Date(), vid: VISITOR, path: '/' }], timezone);
    sites[name] = {
      id: site.id,
      secret: (await createKey(owner, site.id, ['stats:read'])).secret,
      ids: { siteId: site.id, dimension: 'page', id: funnel.body.id as string, visitorId: VISITOR },
    };
  }
  await processPendingEvents();
}, 60_000);
afterAll(() => t.close());

const get = (site: (typeof sites)['utc'], op: Operation, query: Record<string, string>) =>
  request(t.app)
    .get(`${fillPath(op.path, site.ids)}?${qs(query)}`)
    .set('Authorization', `Bearer ${site.secret}`);

const label = (op: Operation) => op.path.replace('/api/v1/sites/{siteId}', '');

describe('report range window', () => {
  it('when the OpenAPI document is read, then every report route with a range is found and states the window', () => {
    expect(ranged.map(label).sort()).toEqual(
      expect.arrayContaining([
        '/annotations',
        '/export/breakdown/{dimension}',
        '/export/events',
        '/funnels/{id}/report',
        '/stats/breakdown/{dimension}',
        '/stats/overview',
        '/stats/timeseries',
        '/visitors',
      ]),
    );
    const params = Object.values(doc.paths)
      .flatMap((methods) => Object.values(methods))
      .flatMap(
        (op) => (op as { parameters?: Array<{ name: string; in: string; description?: string }> }).parameters ?? [],
      )
      .filter((p) => p.in === 'query' && ['from', 'to', 'compareFrom', 'compareTo'].includes(p.name));
    expect(params.length).toBeGreaterThanOrEqual(ranged.length * 2 + 2);
    for (const p of params) {
      expect({ name: p.name, description: p.description }).toEqual({
        name: p.name,
        description: expect.stringMatching(/2000-01-01.*tomorrow in the site's time zone/s),
      });
    }
    const from = params.find((p) => p.name === 'from');
    expect(from?.description).toContain('732 days');
  });

  it('when a range starts before 2000-01-01, then every report route answers 400 naming `from`', async () => {
    for (const op of ranged) {
      const res = await get(sites.utc, op, { from: '1999-12-31', to: '2000-01-06' });
      expectError(res, 400, 'validation_failed');
      expect({ route: label(op), details: res.body.error.details }).toEqual({
        route: label(op),
        details: [{ path: 'query.from', message: expect.stringContaining('2000-01-01') }],
      });
    }
  });

  it('when a range ends after tomorrow in the site’s zone, then every report route answers 400 naming `to`', async () => {
    for (const [site, zone] of [
      [sites.utc, 'UTC'],
      [sites.ahead, 'Pacific/Kiritimati'],
    ] as const) {
      const today = localToday(zone);
      for (const op of ranged) {
        const res = await get(site, op, { from: today.toISODate()!, to: today.plus({ days: 2 }).toISODate()! });
        expectError(res, 400, 'validation_failed');
        expect({ route: label(op), zone, details: res.body.error.details }).toEqual({
          route: label(op),
          zone,
          details: [{ path: 'query.to', message: expect.stringContaining('tomorrow') }],
        });
      }
    }
  });

  it('when a range ends tomorrow in the site’s zone, then every report route answers it', async () => {
    for (const [site, zone] of [
      [sites.utc, 'UTC'],
      [sites.ahead, 'Pacific/Kiritimati'],
    ] as const) {
      const today = localToday(zone);
      for (const op of ranged) {
        const res = await get(site, op, { from: today.minus({ days: 6 }).toISODate()!, to: today.toISODate()! });
        expect({ route: label(op), zone, status: res.status }).toEqual({ route: label(op), zone, status: 200 });
        const ahead = await get(site, op, { from: today.toISODate()!, to: today.plus({ days: 1 }).toISODate()! });
        expect({ route: label(op), zone, status: ahead.status }).toEqual({ route: label(op), zone, status: 200 });
      }
    }
  });

  it('when the comparison range is outside the window, then the overview answers 400 naming it', async () => {
    const overview = ranged.find((op) => label(op) === '/stats/overview')!;
    const today = localToday('UTC').toISODate()!;
    const res = await get(sites.utc, overview, {
      from: today,
      to: today,
      compare: 'custom',
      compareFrom: '1999-12-31',
      compareTo: '2000-01-01',
    });
    expectError(res, 400, 'validation_failed');
    expect(res.body.error.details).toEqual([{ path: 'query.compareFrom', message: expect.any(String) }]);
  });

  it('when a range starts on 2000-01-01, then it is answered and its comparison period before 2000 is empty', async () => {
    const overview = ranged.find((op) => label(op) === '/stats/overview')!;
    const res = await get(sites.utc, overview, { from: '2000-01-01', to: '2000-01-31' });
    expect(res.status).toBe(200);
    expect(res.body.compareRange).toEqual({ from: '1999-12-01', to: '1999-12-31' });
    expect(res.body.previous.visits).toBe(0);
  });
});
