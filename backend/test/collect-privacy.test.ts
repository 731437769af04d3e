import pino from 'pino';
import request from 'supertest';

import { createServer } from '../src/app';
import { getVisitor } from '../src/aggregate/service';
import { processPendingEvents } from '../src/aggregate/aggregator';
import { pruneSalts, storedSalt } from '../src/collect/identity';
import {
  createSite,
  signUp,
  startTestApp,
  TEST_ORIGIN,
  type TestApp,
  type TestSite,
  type TestUser,
} from './support/app';
import { dumpDatabase } from './support/assert';
import { DESKTOP_UA, pageview, postEvent, storedEvents } from './support/collect';

/**
 * Privacy guarantees of collection: raw IPs are stored and logged nowhere, cookieless
 * ids rotate daily and cannot be recomputed once the salts are pruned, and first-party
 * ids stay stable across days.
 */

const DAY_1 = new Date('2026-03-10T10:00:00.000Z');
const DAY_1_EVENING = new Date('2026-03-10T20:00:00.000Z');
const DAY_2 = new Date('2026-03-11T10:00:00.000Z');
const DAY_3 = new Date('2026-03-12T10:00:00.000Z');
const DAY_4_LATE = new Date('2026-03-13T11:00:00.000Z');

/** Test addresses and the forms they could be written in. */
const CLIENTS = [
  { ip: '203.0.113.77', forms: ['203.0.113.77', '203.000.113.077', 'cb00:714d', 'cb00714d'] },
  {
    ip: '2001:db8:1234:5678:9abc:def0:1234:5678',
    forms: ['2001:db8:1234:5678:9abc:def0:1234:5678', '2001:0db8:1234:5678:9abc:def0:1234:5678', '9abc:def0:1234:5678'],
  },
  {
    ip: '::ffff:198.51.100.99',
    forms: ['::ffff:198.51.100.99', '198.51.100.99', '::ffff:c633:6463', '0:0:0:0:0:ffff:c633:6463'],
  },
];

let currentTime = DAY_1;
let t: TestApp;
let owner: TestUser;
let site: TestSite;
let firstParty: TestSite;

beforeAll(async () => {
  t = await startTestApp({}, () => currentTime);
  owner = await signUp(t.app);
  site = await createSite(owner, { timezone: 'UTC' });
  firstParty = await createSite(owner, {
    name: 'Shop',
    domain: 'shop.example.com',
    timezone: 'UTC',
    settings: { identityMode: 'first-party' },
  });
});

afterAll(async () => {
  await t?.close();
});

async function vidOf(target: TestSite, ip: string, overrides: Record<string, unknown> = {}): Promise<string> {
  const event = pageview(target.publicId, {
    u: target === firstParty ? 'https://shop.example.com/' : 'https://blog.example.com/',
    ...overrides,
  });
  const res = await postEvent(t.handler, event, { ip });
  expect(res.status).toBe(202);
  const [doc] = await storedEvents(t.db, { _id: `${target.id}:${String(event.i)}` });
  return String(doc?.vid);
}

describe('IP addresses', () => {
  it('when events come from an IPv4, an IPv6 and an IPv4-mapped IPv6 client, then no form of those IPs is stored in any collection', async () => {
    for (const { ip } of CLIENTS) {
      const res = await postEvent(t.handler, [pageview(site.publicId), pageview(site.publicId, { k: 'ev', n: 'x' })], {
        ip,
      });
      expect(res.status).toBe(202);
      // The first-party site and the dashboard API see the same address.
      await vidOf(firstParty, ip, { v: 'visitor_ip_check' });
      await request(t.handler).get('/api/v1/sites').set('X-Forwarded-For', ip).set('Origin', TEST_ORIGIN);
    }
    expect(await storedEvents(t.db, { siteId: { $exists: true } })).not.toHaveLength(0);
    const dump = (await dumpDatabase(t.db)).toLowerCase();
    for (const { forms } of CLIENTS)
      for (const form of forms) expect({ form, found: dump.includes(form) }).toEqual({ form, found: false });
  });

  it('when requests are logged at trace level without redaction, then no client IP appears in the log', async () => {
    const lines: string[] = [];
    // No redaction here on purpose: the request serializers alone must keep IPs out.
    const logger = pino({ level: 'trace' }, { write: (line: string) => void lines.push(line) });
    const { listener } = createServer({ config: t.config, logger, now: () => currentTime });
    const [v4, v6, mapped] = CLIENTS.map((c) => c.ip) as [string, string, string];

    await postEvent(listener, pageview(site.publicId), { ip: v4 });
    await postEvent(listener, pageview(site.publicId, { w: -1 }), { ip: v6 });
    await postEvent(listener, pageview('nosuchsite123'), { ip: mapped });
    await request(listener).get('/js/clickpath.js').set('X-Forwarded-For', v4);
    await request(listener).get('/no/such/route').set('X-Forwarded-For', v6);
    await request(listener)
      .post('/api/v1/auth/login')
      .set('X-Forwarded-For', mapped)
      .set('Origin', TEST_ORIGIN)
      .send({ email: owner.email, password: 'wrong password here' });
    await request(listener)
      .get('/api/v1/sites')
      .set('X-Forwarded-For', v4)
      .set('Origin', TEST_ORIGIN)
      .set('Cookie', 'clickpath_session=forged');

    const log = lines.join('').toLowerCase();
    expect(lines.length).toBeGreaterThan(0);
    expect(log).toContain('/api/v1/sites');
    for (const { forms } of CLIENTS)
      for (const form of forms) expect({ form, found: log.includes(form) }).toEqual({ form, found: false });
    expect(log).not.toContain('127.0.0.1');
    expect(log).not.toContain('x-forwarded-for');
  });
});

describe('cookieless visitor ids', () => {
  it('when the same IP and user agent return the same day, then the id is the same; the next day it differs', async () => {
    const ip = '192.0.2.10';
    currentTime = DAY_1;
    const morning = await vidOf(site, ip);
    currentTime = DAY_1_EVENING;
    const evening = await vidOf(site, ip);
    currentTime = DAY_2;
    const nextDay = await vidOf(site, ip);

    expect(morning).toMatch(/^c:/);
    expect(evening).toBe(morning);
    expect(nextDay).not.toBe(morning);
    // Another user agent or another site on the same day is another visitor.
    currentTime = DAY_1_EVENING;
    const otherEvent = pageview(site.publicId);
    await postEvent(t.handler, otherEvent, { ip, userAgent: DESKTOP_UA.replace('126.0', '125.0') });
    const [other] = await storedEvents(t.db, { _id: `${site.id}:${String(otherEvent.i)}` });
    expect(other?.vid).not.toBe(morning);
  });

  it('when salts are pruned two days later, then only the salts younger than 48 hours remain', async () => {
    currentTime = DAY_3;
    await vidOf(site, '192.0.2.11');
    const salts = t.db.collection<{ _id: string; value: string }>('salts');
    expect((await salts.find().sort({ _id: 1 }).toArray()).map((s) => s._id)).toEqual([
      '2026-03-10',
      '2026-03-11',
      '2026-03-12',
    ]);

    expect(await pruneSalts(DAY_4_LATE)).toBe(2);
    expect((await salts.find().toArray()).map((s) => s._id)).toEqual(['2026-03-12']);
  });

  it("when four replicas create a day's salt at the same moment, then all four get the one that was stored", async () => {
    const day = '2026-04-01';
    const values = await Promise.all([0, 1, 2, 3].map(() => storedSalt(day, new Date(`${day}T00:00:00Z`))));
    const stored = await t.db.collection<{ _id: string; value: string }>('salts').find({ _id: day }).toArray();
    expect(stored).toHaveLength(1);
    expect(values).toEqual([0, 1, 2, 3].map(() => stored[0]!.value));
  });
});

describe('first-party visitor ids', () => {
  it('when the same v arrives on two days, then the visitor id is the same and the visitor has two visits', async () => {
    currentTime = DAY_1;
    const first = await vidOf(firstParty, '192.0.2.20', { v: 'returning_visitor_1' });
    currentTime = DAY_2;
    const second = await vidOf(firstParty, '192.0.2.99', { v: 'returning_visitor_1' });
    expect(first).toBe('f:returning_visitor_1');
    expect(second).toBe(first);

    await processPendingEvents({ waitForLeaseMs: 10_000 });
    expect(await getVisitor(firstParty.id, 'f:returning_visitor_1')).toMatchObject({ visits: 2 });
  });
});
