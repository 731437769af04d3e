import request from 'supertest';

import { processPendingEvents } from '../src/aggregate/aggregator';
import { createKey, createSite, signUp, startTestApp, type TestApp, type TestUser } from './support/app';
import { getJson, insertRaw, qs, stored, type RawInput } from './support/reports';

/**
 * Realtime, visitor lists and profiles (clickpaths), goals and conversions,
 * funnels, annotations and exports, on small hand-written traffic whose answers
 * can be read off the fixture.
 */

let t: TestApp;
let owner: TestUser;
let site: { id: string; publicId: string };
let other: { id: string; publicId: string };
let secret: string;
const goals: Record<string, string> = {};

const ZONE = 'UTC';
const at = (iso: string) => new Date(iso);
const ev = (input: RawInput) => stored(site.id, ZONE, input);

const post = (url: string, body: object) =>
  request(t.app).post(url).set('Authorization', `Bearer ${secret}`).send(body);

beforeAll(async () => {
  t = await startTestApp();
  owner = await signUp(t.app);
  site = await createSite(owner, {
    name: 'Features',
    domain: 'features.example',
    timezone: ZONE,
    settings: { identityMode: 'first-party' },
  });
  other = await createSite(owner, { name: 'Other shop', domain: 'other-shop.example', timezone: ZONE });
  secret = (await createKey(owner, site.id, ['stats:read', 'sites:manage'])).secret;
  const alice = 'f:alice0000001';
  const bob = 'f:bob00000001';
  const carol = 'f:carol0000001';
  const dave = 'f:dave00000001';
  await insertRaw([
    // Alice: two visits on day 1 (identified in the second), one on day 2.
    ev({ ts: at('2026-03-10T10:00:00Z'), vid: alice, path: '/', id: 'a1', country: 'NL', source: 'Google' }),
    ev({ ts: at('2026-03-10T10:01:00Z'), vid: alice, kind: 'ev', name: 'signup', props: { plan: 'pro' }, id: 'a2' }),
    ev({ ts: at('2026-03-10T10:03:30Z'), vid: alice, path: '/blog/a', id: 'a3' }),
    ev({ ts: at('2026-03-10T12:00:00Z'), vid: alice, path: '/pricing', id: 'a4' }),
    ev({ ts: at('2026-03-10T12:01:00Z'), vid: alice, kind: 'id', userId: 'alice@example.com', id: 'a5' }),
    ev({ ts: at('2026-03-11T09:00:00Z'), vid: alice, path: '/blog/b', id: 'a6' }),
    // Bob: blog first (does not count for the funnel), then the funnel in order up to step 2.
    ev({ ts: at('2026-03-10T11:00:00Z'), vid: bob, path: '/blog/x', id: 'b1', country: 'US', device: 'mobile' }),
    ev({ ts: at('2026-03-10T11:01:00Z'), vid: bob, path: '/', id: 'b2', country: 'US', device: 'mobile' }),
    ev({ ts: at('2026-03-10T11:02:00Z'), vid: bob, kind: 'ev', name: 'signup', props: { plan: 'free' }, id: 'b3' }),
    // Carol: signs up before the landing page, so only step 1 counts.
    ev({ ts: at('2026-03-10T13:00:00Z'), vid: carol, kind: 'ev', name: 'signup', props: { plan: 'pro' }, id: 'c1' }),
    ev({ ts: at('2026-03-10T13:01:00Z'), vid: carol, path: '/', id: 'c2' }),
    // Dave: hostile event names that spreadsheets would run as formulas.
    ev({ ts: at('2026-03-11T08:00:00Z'), vid: dave, path: '/pricing', id: 'd1', country: 'DE' }),
    ...['=HYPERLINK("http://evil.example","x")', '+1', '-2', '@x'].map((name, i) =>
      ev({ ts: at(`2026-03-11T08:0${i + 1}:00Z`), vid: dave, kind: 'ev', name, id: `d${i + 2}` }),
    ),
    stored(other.id, ZONE, { ts: at('2026-03-10T10:00:00Z'), vid: 'c:othervisitor1', path: '/other-secret-page' }),
  ]);
  await processPendingEvents();
  for (const [name, body] of Object.entries({
    landing: { name: 'Landing', kind: 'page', match: '/' },
    proSignup: { name: 'Pro signup', kind: 'event', match: 'signup', propKey: 'plan', propValue: 'pro' },
    signup: { name: 'Any signup', kind: 'event', match: 'signup' },
    blog: { name: 'Blog', kind: 'page', match: '/blog/*' },
  })) {
    const res = await post(`/api/v1/sites/${site.id}/goals`, body);
    expect(res.status).toBe(201);
    goals[name] = res.body.id;
  }
}, 120_000);
afterAll(() => t.close());

const base = () => `/api/v1/sites/${site.id}`;
const range = { from: '2026-03-10', to: '2026-03-11' };

describe('realtime', () => {
  it('when events arrived in the last five minutes, then visitors, current pages and a cursor for newer events are returned', async () => {
    const now = Date.now();
    await insertRaw([
      ev({ ts: new Date(now - 10 * 60_000), vid: 'c:realtime00001', path: '/old' }),
      ev({ ts: new Date(now - 2 * 60_000), vid: 'c:realtime00001', path: '/now-a' }),
      ev({ ts: new Date(now - 60_000), vid: 'c:realtime00002', path: '/now-b' }),
      ev({ ts: new Date(now - 30_000), vid: 'c:realtime00002', kind: 'ev', name: 'click', path: '/now-b' }),
    ]);
    // Realtime reads stored events: the aggregator's loop stores them within a second.
    await processPendingEvents();
    const first = await getJson(t, secret, `${base()}/stats/realtime`);
    expect(first.visitorsNow).toBe(2);
    expect(first.pages).toEqual(
      expect.arrayContaining([
        { path: '/now-a', visitors: 1 },
        { path: '/now-b', visitors: 1 },
      ]),
    );
    expect(first.pages).toHaveLength(2);
    expect(first.events[0]).toMatchObject({ kind: 'ev', name: 'click' });
    expect(typeof first.cursor).toBe('string');

    const quiet = await getJson(t, secret, `${base()}/stats/realtime?${qs({ after: first.cursor })}`);
    expect(quiet.events).toEqual([]);
    expect(quiet.cursor).toBe(first.cursor);

    await insertRaw([ev({ ts: new Date(Date.now()), vid: 'c:realtime00003', path: '/newest', id: 'rt-new' })]);
    await processPendingEvents();
    const next = await getJson(t, secret, `${base()}/stats/realtime?${qs({ after: first.cursor })}`);
    expect(next.events.map((e: { id: string }) => e.id)).toEqual(['rt-new']);
    expect(next.visitorsNow).toBe(3);
  });

  it('when a visit from Google goes on to its own pages, then every hit of it is labelled Google, not Direct', async () => {
    const now = Date.now();
    const vid = 'c:realtime00009';
    const entry = { ts: new Date(now - 10 * 60_000), vid, path: '/landing', id: 'rt-g1' };
    await insertRaw([ev({ ...entry, source: 'Google', referrerHost: 'google.com', channel: 'Organic Search' })]);
    await processPendingEvents();
    // A later batch: the entry is no longer among the recent chunks, so the (open) visit names the source.
    await insertRaw([ev({ ts: new Date(now - 60_000), vid, path: '/pricing', id: 'rt-g2', source: 'Direct' })]);
    await processPendingEvents();
    const live = await getJson(t, secret, `${base()}/stats/realtime`);
    const hits = live.events.filter((e: { visitorId: string }) => e.visitorId === vid);
    expect(hits.map((e: { id: string; source: string }) => [e.id, e.source])).toEqual([
      ['rt-g2', 'Google'],
      ['rt-g1', 'Google'],
    ]);
    const after = `${entry.ts.getTime()}:${site.id}:rt-g1`;
    const newer = await getJson(t, secret, `${base()}/stats/realtime?${qs({ after })}`);
    expect(
      newer.events
        .filter((e: { visitorId: string }) => e.visitorId === vid)
        .map((e: { id: string; source: string }) => [e.id, e.source]),
    ).toEqual([['rt-g2', 'Google']]);
  });
});

describe('visitors and clickpaths', () => {
  it('when visitors are listed, then they page and filter', async () => {
    const all = await getJson(t, secret, `${base()}/visitors?${qs(range)}`);
    expect(all.total).toBe(4);
    expect(all.visitors.map((v: { id: string }) => v.id)).toEqual([
      'f:alice0000001',
      'f:dave00000001',
      'f:carol0000001',
      'f:bob00000001',
    ]);
    const page2 = await getJson(t, secret, `${base()}/visitors?${qs({ ...range, limit: 1, page: 2 })}`);
    expect(page2).toMatchObject({ total: 4, page: 2, limit: 1, visitors: [{ id: 'f:dave00000001' }] });
    const us = await getJson(t, secret, `${base()}/visitors?${qs(range, ['country:is:US'])}`);
    expect(us.visitors.map((v: { id: string }) => v.id)).toEqual(['f:bob00000001']);
    const notUs = await getJson(
      t,
      secret,
      `${base()}/visitors?${qs(range, ['country:is_not:US', 'device:is:desktop'])}`,
    );
    expect(notUs.total).toBe(3);
    // A visitor is listed on every day they visited, with that day's visits: alice came back on the 11th.
    const day1 = await getJson(t, secret, `${base()}/visitors?${qs({ from: '2026-03-10', to: '2026-03-10' })}`);
    expect(day1.visitors.map((v: { id: string }) => v.id).sort()).toEqual([
      'f:alice0000001',
      'f:bob00000001',
      'f:carol0000001',
    ]);
    expect(day1.visitors.find((v: { id: string }) => v.id === 'f:alice0000001')).toMatchObject({ visits: 2 });
  });

  it('when a first-party visitor is opened, then the clickpath of the 90 days up to `to` lists visits across days in order with timings and the user id', async () => {
    const profile = await getJson(t, secret, `${base()}/visitors/f:alice0000001?to=2026-03-31`);
    expect(profile.visitor).toMatchObject({ id: 'f:alice0000001', visits: 3, pageviews: 4, events: 1, lifetime: true });
    expect(profile.visitor.userId).toBe('alice@example.com');
    expect(profile.visits.map((v: { start: string }) => v.start)).toEqual([
      '2026-03-10T10:00:00.000Z',
      '2026-03-10T12:00:00.000Z',
      '2026-03-11T09:00:00.000Z',
    ]);
    const [first, second, third] = profile.visits;
    expect(
      first.clickstream.map((e: { id: string; sincePreviousSeconds: number }) => [e.id, e.sincePreviousSeconds]),
    ).toEqual([
      ['a1', 0],
      ['a2', 60],
      ['a3', 150],
    ]);
    expect(first).toMatchObject({ entryPage: '/', exitPage: '/blog/a', durationSeconds: 210, bounce: false });
    expect(second.clickstream.map((e: { id: string }) => e.id)).toEqual(['a4', 'a5']);
    expect(third).toMatchObject({ entryPage: '/blog/b', bounce: true });
    // What the visit came with and on: the profile shows OS, screen, language, referrer and UTM.
    expect(first).toMatchObject({
      os: 'Windows',
      osVersion: '11',
      screen: 'desktop',
      language: 'en',
      source: 'Google',
      referrerUrl: '',
      utm: { source: '', medium: '', campaign: '', term: '', content: '' },
    });
  });

  it('when the profile range ends before the visitor came or starts after, then their visits there are all it shows', async () => {
    const before = await request(t.app)
      .get(`${base()}/visitors/f:alice0000001?to=2026-03-09`)
      .set('Authorization', `Bearer ${secret}`);
    expect(before.status).toBe(404);
    const lastDay = await getJson(t, secret, `${base()}/visitors/f:alice0000001?from=2026-03-11&to=2026-03-11`);
    expect(lastDay.visitor).toMatchObject({ visits: 1, pageviews: 1 });
    // Without a range, the 90 days up to today: March 2026 is long gone from that window here.
    const today = await request(t.app)
      .get(`${base()}/visitors/f:alice0000001`)
      .set('Authorization', `Bearer ${secret}`);
    expect(today.status).toBe(Date.now() - Date.parse('2026-03-11') > 89 * 86_400_000 ? 404 : 200);
  });

  it('when the visitor is unknown, then 404', async () => {
    const res = await request(t.app).get(`${base()}/visitors/c:nobody000000`).set('Authorization', `Bearer ${secret}`);
    expect(res.status).toBe(404);
  });
});

describe('goals, conversions and funnels', () => {
  it('when goals exist, then the overview counts converting visits and the goal filter selects them', async () => {
    const overview = await getJson(t, secret, `${base()}/stats/overview?${qs({ ...range, compare: 'none' })}`);
    // Visits: alice ×3, bob, carol, dave; converting: alice's first (landing, signup, blog), alice's third (blog), bob, carol.
    expect(overview.metrics).toMatchObject({ visits: 6, conversions: 4, conversionRate: 66.7 });
    const pro = await getJson(
      t,
      secret,
      `${base()}/stats/overview?${qs({ ...range, compare: 'none' }, [`goal:is:${goals.proSignup}`])}`,
    );
    expect(pro.metrics).toMatchObject({ visits: 2, visitors: 2 });
    const blog = await getJson(
      t,
      secret,
      `${base()}/stats/overview?${qs({ ...range, compare: 'none' }, [`goal:is:${goals.blog}`])}`,
    );
    expect(blog.metrics).toMatchObject({ visits: 3 });
  });

  it('when a breakdown asks for a goal, then each row has its conversions and rate', async () => {
    const res = await getJson(
      t,
      secret,
      `${base()}/stats/breakdown/country?${qs({ ...range, goal: goals.proSignup })}`,
    );
    const rows = Object.fromEntries(res.rows.map((r: { key: string }) => [r.key, r]));
    expect(rows.NL).toMatchObject({ visits: 4, conversions: 2, conversionRate: 50 });
    expect(rows.US).toMatchObject({ visits: 1, conversions: 0, conversionRate: 0 });
  });

  it('when a goal is edited, then the page pattern with * applies', async () => {
    const res = await request(t.app)
      .patch(`${base()}/goals/${goals.blog}`)
      .set('Authorization', `Bearer ${secret}`)
      .send({ match: '/blog/a*' });
    expect(res.status).toBe(200);
    const blog = await getJson(
      t,
      secret,
      `${base()}/stats/overview?${qs({ ...range, compare: 'none' }, [`goal:is:${goals.blog}`])}`,
    );
    expect(blog.metrics.visits).toBe(1);
    await request(t.app)
      .patch(`${base()}/goals/${goals.blog}`)
      .set('Authorization', `Bearer ${secret}`)
      .send({ match: '/blog/*' });
  });

  it('when a funnel of 3 steps is reported, then a visit counts for a step only after the earlier steps, in order', async () => {
    const created = await post(`${base()}/funnels`, {
      name: 'Landing to blog',
      steps: [goals.landing, goals.signup, goals.blog],
    });
    expect(created.status).toBe(201);
    const report = await getJson(t, secret, `${base()}/funnels/${created.body.id}/report?${qs(range)}`);
    expect(report.steps.map((s: Record<string, number>) => [s.visits, s.dropOff, s.conversionRate])).toEqual([
      [3, 0, 100],
      [2, 1, 66.7],
      [1, 1, 33.3],
    ]);
    const listed = await getJson(t, secret, `${base()}/funnels`);
    expect(listed.funnels.map((f: { id: string }) => f.id)).toContain(created.body.id);
  });

  it('when a funnel has 8 steps (goals may repeat), then each step is reported', async () => {
    const ids = [goals.landing, goals.signup, goals.blog, goals.proSignup];
    const eight = await post(`${base()}/funnels`, { name: 'Eight', steps: [...ids, ...ids] });
    expect(eight.status).toBe(201);
    const report = await getJson(t, secret, `${base()}/funnels/${eight.body.id}/report?${qs(range)}`);
    expect(report.steps).toHaveLength(8);
  });
});

describe('annotations', () => {
  it('when a sites:manage key adds an annotation, then the author names the key and the series returns it in range', async () => {
    const res = await post(`${base()}/annotations`, { day: '2026-03-11', text: 'Launched the blog' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ day: '2026-03-11', text: 'Launched the blog', author: 'API key test key' });
    await post(`${base()}/annotations`, { day: '2026-04-01', text: 'Out of range' });
    const series = await getJson(t, secret, `${base()}/stats/timeseries?${qs(range)}`);
    expect(series.annotations.map((a: { text: string }) => a.text)).toEqual(['Launched the blog']);
    const listed = await getJson(t, secret, `${base()}/annotations?${qs(range)}`);
    expect(listed.annotations).toHaveLength(1);
  });
});

describe('exports', () => {
  it('when a breakdown is exported as CSV, then it has a header and rows, and formula-like keys start with a quote', async () => {
    const res = await request(t.app)
      .get(`${base()}/export/breakdown/event?${qs(range)}`)
      .set('Authorization', `Bearer ${secret}`);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/csv/);
    expect(res.headers['content-disposition']).toMatch(/attachment; filename=".*\.csv"/);
    const lines = res.text.trim().split('\n');
    // Event rows count visitors and events; visit columns would always be 0 and are left out.
    expect(lines[0]).toBe('key,visitors,events,share');
    const keys = lines.slice(1).map((l) => l.split(',')[0]);
    expect(keys).toEqual(expect.arrayContaining(['signup', "'+1", "'-2", "'@x"]));
    expect(res.text).toContain(`"'=HYPERLINK(""http://evil.example"",""x"")"`);
    expect(keys.some((k) => /^[=+\-@]/.test(k ?? ''))).toBe(false);
    expect(lines).toHaveLength(1 + 5);
  });

  it('when a breakdown is exported as JSON, then it is the full list of rows', async () => {
    const res = await request(t.app)
      .get(`${base()}/export/breakdown/page?${qs({ ...range, format: 'json' })}`)
      .set('Authorization', `Bearer ${secret}`);
    expect(res.status).toBe(200);
    const rows = JSON.parse(res.text);
    expect(rows.map((r: { key: string }) => r.key).sort()).toEqual(['/', '/blog/a', '/blog/b', '/blog/x', '/pricing']);
    expect(rows.find((r: { key: string }) => r.key === '/')).toEqual({
      key: '/',
      visitors: 3,
      pageviews: 3,
      share: expect.any(Number),
    });
  });

  it('when raw events are exported, then every event of the range is there as CSV and JSON', async () => {
    const csv = await request(t.app)
      .get(`${base()}/export/events?${qs({ from: '2026-03-10', to: '2026-03-10' })}`)
      .set('Authorization', `Bearer ${secret}`);
    expect(csv.status).toBe(200);
    const lines = csv.text.trim().split('\n');
    expect(lines[0]!.startsWith('id,ts,kind,visitorId,visitId,path')).toBe(true);
    expect(lines).toHaveLength(1 + 10);
    const json = await request(t.app)
      .get(`${base()}/export/events?${qs({ from: '2026-03-10', to: '2026-03-11', format: 'json' })}`)
      .set('Authorization', `Bearer ${secret}`);
    const events = JSON.parse(json.text);
    expect(events).toHaveLength(16);
    expect(events[0]).toMatchObject({ id: 'a1', kind: 'pv', visitorId: 'f:alice0000001', path: '/' });
    expect(json.text).not.toContain('/other-secret-page');
  });

  it('when the whole site is exported, then every section is present and no other site\u2019s data', async () => {
    const res = await request(t.app).get(`${base()}/export/site`).set('Authorization', `Bearer ${secret}`);
    expect(res.status).toBe(200);
    const body = JSON.parse(res.text);
    for (const section of ['site', 'goals', 'funnels', 'annotations', 'visitors', 'visits', 'events', 'rollups']) {
      expect(body).toHaveProperty(section);
    }
    expect(body.goals.length).toBe(4);
    expect(body.visitors.length).toBeGreaterThanOrEqual(4);
    expect(body.events.length).toBeGreaterThanOrEqual(16);
    expect(body.rollups.length).toBeGreaterThan(0);
    expect(res.text).not.toContain(other.id);
    expect(res.text).not.toContain('/other-secret-page');
    expect(res.text).not.toContain('other-shop.example');
    expect(res.text).not.toMatch(/passwordHash|secretHash/);
  });
});
