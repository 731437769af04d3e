import { Types } from 'mongoose';
import request from 'supertest';

import { processPendingEvents } from '../aggregate/aggregator';
import { allVisits } from '../aggregate/service';
import {
  addMember,
  createKey,
  createSite,
  signUp,
  startTestApp,
  type TestApp,
  type TestUser,
} from '../../test/support/app';
import { documentsNaming } from '../../test/support/documents';
import { historyEvents, historyPartitions } from '../../test/support/history';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t.close());

const DEFAULT_SETTINGS = {
  identityMode: 'cookieless',
  honorDoNotTrack: false,
  visitTimeoutMinutes: 30,
  excludedIps: [],
  rawEventRetentionDays: 760,
  trackOutbound: true,
  trackDownloads: true,
  trackEngagement: true,
};

const storedSite = (id: string) => t.db.collection('sites').findOne({ _id: new Types.ObjectId(id) });
const siteCount = () => t.db.collection('sites').countDocuments();

describe('creating a site', () => {
  let owner: TestUser;
  beforeAll(async () => {
    owner = await signUp(t.app);
  });

  it.each([
    ['https://WWW.Example.COM/blog', 'example.com'],
    ['shop.example.org:8080', 'shop.example.org'],
    ['https://Bücher.example/', 'xn--bcher-kva.example'],
    ['localhost', 'localhost'],
    ['http://localhost:3000/', 'localhost'],
    ['127.0.0.1', '127.0.0.1'],
    ['http://127.0.0.1:8080/shop', '127.0.0.1'],
    ['[::1]', '[::1]'],
  ])('when the domain is %s, then %s is stored', async (input, expected) => {
    const res = await owner.agent.post('/api/v1/sites').send({ name: 'Blog', domain: input });
    expect(res.status).toBe(201);
    expect(res.body.domain).toBe(expected);
    expect(await storedSite(res.body.id)).toMatchObject({ domain: expected, name: 'Blog' });
  });

  it.each([
    'not a domain',
    '1.2.3.4',
    '192.168.1.20',
    '[2001:db8::1]',
    'exa mple.com',
    '',
    'http://',
    '-bad-.example.com',
    'exa_mple.com',
  ])('when the domain is %j, then 400 and nothing is stored', async (domain) => {
    const before = await siteCount();
    const res = await owner.agent.post('/api/v1/sites').send({ name: 'Blog', domain });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_failed');
    expect(res.body.error.details).toEqual([
      {
        path: 'body.domain',
        message: domain === '' ? expect.any(String) : 'must be a domain name like example.com (or localhost)',
      },
    ]);
    expect(await siteCount()).toBe(before);
  });

  it('when the time zone is not an IANA zone, then 400 and nothing is stored', async () => {
    const before = await siteCount();
    const res = await owner.agent
      .post('/api/v1/sites')
      .send({ name: 'Blog', domain: 'example.com', timezone: 'Mars/Olympus' });
    expect(res.status).toBe(400);
    expect(res.body.error.details).toEqual([expect.objectContaining({ path: 'body.timezone' })]);
    expect(await siteCount()).toBe(before);
  });

  it('when only name and domain are given, then UTC, the default settings and the owner membership are stored', async () => {
    const res = await owner.agent.post('/api/v1/sites').send({ name: 'Defaults', domain: 'defaults.example' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ timezone: 'UTC', role: 'owner', settings: DEFAULT_SETTINGS });
    const site = await storedSite(res.body.id);
    expect(site).toMatchObject({
      name: 'Defaults',
      timezone: 'UTC',
      settings: DEFAULT_SETTINGS,
      ownerId: new Types.ObjectId(owner.id),
    });
    const members = await t.db
      .collection('members')
      .find({ siteId: new Types.ObjectId(res.body.id) })
      .toArray();
    expect(members).toEqual([expect.objectContaining({ accountId: new Types.ObjectId(owner.id), role: 'owner' })]);
  });

  it('when a valid IANA zone and some settings are given, then they are stored with the rest defaulted', async () => {
    const res = await owner.agent.post('/api/v1/sites').send({
      name: 'Zoned',
      domain: 'zoned.example',
      timezone: 'America/New_York',
      settings: { honorDoNotTrack: true },
    });
    expect(res.status).toBe(201);
    expect(await storedSite(res.body.id)).toMatchObject({
      timezone: 'America/New_York',
      settings: { ...DEFAULT_SETTINGS, honorDoNotTrack: true },
    });
  });

  it.each(['Asia/Kolkata', 'Europe/Kyiv', 'Asia/Kathmandu', 'Etc/UTC', 'Asia/Calcutta', 'America/Argentina/Salta'])(
    'when the time zone is %s (a canonical or a legacy IANA name), then it is stored as given',
    async (timezone) => {
      const res = await owner.agent.post('/api/v1/sites').send({ name: 'Zoned', domain: 'zoned.example', timezone });
      expect(res.status).toBe(201);
      expect(res.body.timezone).toBe(timezone);
      expect(await storedSite(res.body.id)).toMatchObject({ timezone });
    },
  );

  it.each(['+05:30', 'UTC+5', 'Asia/Kolkata ', 'localtime', ''])(
    'when the time zone is %j, then 400 and nothing is stored',
    async (timezone) => {
      const before = await siteCount();
      const res = await owner.agent.post('/api/v1/sites').send({ name: 'Blog', domain: 'example.com', timezone });
      expect(res.status).toBe(400);
      expect(res.body.error.details).toEqual([expect.objectContaining({ path: 'body.timezone' })]);
      expect(await siteCount()).toBe(before);
    },
  );

  it('when two sites have the same name and domain, then their publicIds are random, url-safe and differ', async () => {
    const body = { name: 'Twin', domain: 'twin.example' };
    const first = await owner.agent.post('/api/v1/sites').send(body);
    const second = await owner.agent.post('/api/v1/sites').send(body);
    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    for (const res of [first, second]) {
      expect(res.body.publicId).toMatch(/^[A-Za-z0-9_-]{16}$/);
      expect(res.body.publicId.toLowerCase()).not.toContain('twin');
      expect(res.body.publicId).not.toContain(res.body.id.slice(0, 8));
      expect(await storedSite(res.body.id)).toMatchObject({ publicId: res.body.publicId });
    }
    expect(first.body.publicId).not.toBe(second.body.publicId);
  });

  it('when an unknown field is sent, then 400 and nothing is stored', async () => {
    const before = await siteCount();
    const res = await owner.agent.post('/api/v1/sites').send({ name: 'X', domain: 'x.example', ownerId: owner.id });
    expect(res.status).toBe(400);
    expect(await siteCount()).toBe(before);
  });
});

describe('listing and reading sites', () => {
  let alice: TestUser;
  let bob: TestUser;
  let aliceSite: string;
  let sharedSite: string;
  let bobSite: string;

  beforeAll(async () => {
    alice = await signUp(t.app);
    bob = await signUp(t.app);
    aliceSite = (await createSite(alice, { name: 'Alice A', domain: 'alice.example' })).id;
    bobSite = (await createSite(bob, { name: 'Bob private', domain: 'bob-private.example' })).id;
    sharedSite = (await createSite(bob, { name: 'Bob shared', domain: 'bob-shared.example' })).id;
    await addMember(bob, sharedSite, alice, 'viewer');
  });

  it("when a user lists sites, then only the sites they belong to come back, each with the caller's role", async () => {
    const res = await alice.agent.get('/api/v1/sites');
    expect(res.status).toBe(200);
    expect(res.body.sites.map((s: { id: string; role: string }) => [s.id, s.role])).toEqual([
      [aliceSite, 'owner'],
      [sharedSite, 'viewer'],
    ]);
    expect(JSON.stringify(res.body)).not.toContain('bob-private.example');
    expect(JSON.stringify(res.body)).not.toContain(bobSite);
  });

  it('when a member reads a site, then the stored site comes back', async () => {
    const res = await alice.agent.get(`/api/v1/sites/${sharedSite}`);
    expect(res.status).toBe(200);
    const stored = await storedSite(sharedSite);
    expect(res.body).toEqual({
      id: sharedSite,
      name: stored?.name,
      domain: stored?.domain,
      timezone: stored?.timezone,
      publicId: stored?.publicId,
      role: 'viewer',
      settings: stored?.settings,
      requireTwoFactor: false,
      createdAt: (stored?.createdAt as Date).toISOString(),
      updatedAt: (stored?.updatedAt as Date).toISOString(),
    });
  });

  it('when a site id is given in upper-case hex, then it is the same site', async () => {
    const res = await alice.agent.get(`/api/v1/sites/${aliceSite.toUpperCase()}`);
    expect(res.status).toBe(200);
    expect(res.body.id).toBe(aliceSite);
  });

  it('when a non-member reads a site, then 404', async () => {
    const res = await alice.agent.get(`/api/v1/sites/${bobSite}`);
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ error: { code: 'not_found', message: 'Site not found' } });
  });

  it('when nobody is logged in, then listing sites is 401', async () => {
    const res = await request(t.app).get('/api/v1/sites');
    expect(res.status).toBe(401);
  });
});

describe('updating a site', () => {
  let owner: TestUser;
  let siteId: string;

  beforeAll(async () => {
    owner = await signUp(t.app);
    siteId = (await createSite(owner, { settings: { identityMode: 'first-party', visitTimeoutMinutes: 45 } })).id;
  });

  it('when one setting is patched, then the other settings are kept', async () => {
    const res = await owner.agent.patch(`/api/v1/sites/${siteId}`).send({ settings: { honorDoNotTrack: true } });
    expect(res.status).toBe(200);
    const expected = {
      ...DEFAULT_SETTINGS,
      identityMode: 'first-party',
      visitTimeoutMinutes: 45,
      honorDoNotTrack: true,
    };
    expect(res.body.settings).toEqual(expected);
    expect((await storedSite(siteId))?.settings).toEqual(expected);
  });

  it('when name, domain and time zone are patched, then they are stored normalised', async () => {
    const res = await owner.agent
      .patch(`/api/v1/sites/${siteId}`)
      .send({ name: '  Renamed  ', domain: 'HTTPS://www.Renamed.example/path', timezone: 'Asia/Tokyo' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ name: 'Renamed', domain: 'renamed.example', timezone: 'Asia/Tokyo' });
    expect(await storedSite(siteId)).toMatchObject({
      name: 'Renamed',
      domain: 'renamed.example',
      timezone: 'Asia/Tokyo',
    });
  });

  it('when the time zone is patched to a canonical name, then it is stored and reports answer in it', async () => {
    const res = await owner.agent.patch(`/api/v1/sites/${siteId}`).send({ timezone: 'Asia/Kathmandu' });
    expect(res.status).toBe(200);
    expect(res.body.timezone).toBe('Asia/Kathmandu');
    expect(await storedSite(siteId)).toMatchObject({ timezone: 'Asia/Kathmandu' });
    const overview = await owner.agent.get(`/api/v1/sites/${siteId}/stats/overview?from=2026-01-01&to=2026-01-31`);
    expect(overview.status).toBe(200);
  });

  it.each([
    ['an unknown identityMode', { settings: { identityMode: 'fingerprint' } }],
    ['visitTimeoutMinutes below range', { settings: { visitTimeoutMinutes: 4 } }],
    ['visitTimeoutMinutes above range', { settings: { visitTimeoutMinutes: 241 } }],
    ['a fractional visitTimeoutMinutes', { settings: { visitTimeoutMinutes: 30.5 } }],
    ['an unknown setting key', { settings: { trackEverything: true } }],
    ['a bad excluded IP', { settings: { excludedIps: ['10.0.0.300'] } }],
    ['a bad time zone', { timezone: 'Mars/Olympus' }],
    ['a bad domain', { domain: '1.2.3.4' }],
    ['an empty name', { name: '   ' }],
    ['nothing at all', {}],
    ['a read-only field', { publicId: 'aaaaaaaaaaaaaaaa' }],
  ])('when the patch has %s, then 400 and the site is unchanged', async (_label, body) => {
    const before = await storedSite(siteId);
    const res = await owner.agent.patch(`/api/v1/sites/${siteId}`).send(body);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_failed');
    expect(await storedSite(siteId)).toEqual(before);
  });
});

describe('deleting a site', () => {
  it('when the owner deletes a site, then 204 and the site, its members and its keys are gone', async () => {
    const owner = await signUp(t.app);
    const viewer = await signUp(t.app);
    const site = await createSite(owner);
    const other = await createSite(owner, { name: 'Keep me', domain: 'keep.example' });
    await addMember(owner, site.id, viewer, 'viewer');
    await createKey(owner, site.id);
    const otherKey = await createKey(owner, other.id);
    const siteOid = new Types.ObjectId(site.id);
    expect(await t.db.collection('members').countDocuments({ siteId: siteOid })).toBe(2);
    expect(await t.db.collection('apikeys').countDocuments({ siteId: siteOid })).toBe(1);

    const res = await owner.agent.delete(`/api/v1/sites/${site.id}`);
    expect(res.status).toBe(204);
    expect(res.text).toBe('');
    expect(await storedSite(site.id)).toBeNull();
    expect(await t.db.collection('members').countDocuments({ siteId: siteOid })).toBe(0);
    expect(await t.db.collection('apikeys').countDocuments({ siteId: siteOid })).toBe(0);
    expect((await owner.agent.get(`/api/v1/sites/${site.id}`)).status).toBe(404);

    expect(await storedSite(other.id)).not.toBeNull();
    expect(await t.db.collection('apikeys').countDocuments({ _id: new Types.ObjectId(otherKey.id) })).toBe(1);
  });

  it('when a site is deleted, then its events, visits, visitors, rollups, goals and annotations are gone too', async () => {
    const owner = await signUp(t.app);
    const site = await createSite(owner, { timezone: 'UTC' });
    const other = await createSite(owner, { name: 'Keep me', domain: 'keep.example', timezone: 'UTC' });
    const ua = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36';
    for (const [publicId, id] of [
      [site.publicId, 'deleteme0001'],
      [other.publicId, 'keepme000001'],
    ] as const) {
      await request(t.handler)
        .post('/api/event')
        .set('Content-Type', 'text/plain')
        .set('User-Agent', ua)
        .send(JSON.stringify({ s: publicId, i: id, k: 'pv', u: 'https://blog.example.com/' }))
        .expect(202);
    }
    await processPendingEvents();
    const today = new Date().toISOString().slice(0, 10);
    await owner.agent
      .post(`/api/v1/sites/${site.id}/goals`)
      .send({ name: 'Home', kind: 'page', match: '/' })
      .expect(201);
    await owner.agent.post(`/api/v1/sites/${site.id}/annotations`).send({ day: today, text: 'Launch' }).expect(201);
    const siteOid = new Types.ObjectId(site.id);
    // Today is an open day (decision 0007): its rollups are in the parts' open collections.
    const rollups = ['totals', 'hours', 'sketches', 'page', 'source'].map((part) => `rollup_${part}_open`);
    const collections = [...(await historyPartitions(t.db)), ...rollups, 'goals', 'annotations'];
    for (const name of collections.filter((c) => !c.startsWith('visits_'))) {
      expect({ name, stored: (await t.db.collection(name).countDocuments({ siteId: siteOid })) > 0 }).toEqual({
        name,
        stored: true,
      });
    }
    expect(await allVisits(site.id)).toHaveLength(1);

    await owner.agent.delete(`/api/v1/sites/${site.id}`).expect(204);

    expect(await documentsNaming(t.db, site.id)).toEqual([]);
    expect(await allVisits(site.id)).toEqual([]);
    expect(await historyEvents(t.db, { siteId: other.id })).toHaveLength(1);
  });

  it('when a site is deleted with events in the inbox and requests in flight, then no document names it afterwards', async () => {
    const owner = await signUp(t.app);
    const site = await createSite(owner, { timezone: 'UTC' });
    const other = await createSite(owner, { name: 'Keep me', domain: 'keep2.example', timezone: 'UTC' });
    const send = (publicId: string, id: string) =>
      request(t.handler)
        .post('/api/event')
        .set('Content-Type', 'text/plain')
        .set('User-Agent', UA)
        .send(JSON.stringify({ s: publicId, i: id, k: 'pv', u: 'https://blog.example.com/' }));
    // Aggregated history, then a backlog the aggregator has not seen.
    await send(site.publicId, 'before000001').expect(202);
    await processPendingEvents();
    for (let i = 0; i < 5; i += 1) await send(site.publicId, `backlog00000${i}`).expect(202);

    // Requests keep arriving while the deletion runs (the collector still knows the site from its cache).
    let sending = true;
    const inFlight = (async () => {
      const statuses: number[] = [];
      for (let i = 0; sending && i < 200; i += 1)
        statuses.push((await send(site.publicId, `flight${String(i).padStart(6, '0')}`)).status);
      return statuses;
    })();
    await owner.agent.delete(`/api/v1/sites/${site.id}`).expect(204);
    for (let i = 0; i < 3; i += 1) await send(site.publicId, `after00000${i}`);
    sending = false;
    expect((await inFlight).every((status) => status === 202 || status === 404)).toBe(true);
    await send(other.publicId, 'keepme000002').expect(202);
    await processPendingEvents();

    expect(await documentsNaming(t.db, site.id)).toEqual([]);
    expect(await historyEvents(t.db, { siteId: other.id })).toHaveLength(1);
  });
});

const UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36';
