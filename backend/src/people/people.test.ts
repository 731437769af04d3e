import { Types } from 'mongoose';
import request from 'supertest';

import { processPendingEvents } from '../aggregate/aggregator';
import { findVisits } from '../aggregate/service';
import { createKey, createSite, signUp, startTestApp, type TestApp } from '../../test/support/app';
import { insertRaw, stored } from '../../test/support/reports';
import { historyEvents } from '../../test/support/history';

/**
 * Data-subject requests: export and erasure of one identified person or one visitor,
 * as the WordPress plugin's personal-data exporter and eraser call them.
 */

let t: TestApp;
let siteId: string;
let otherSiteId: string;
let manageKey: string;
let readKey: string;
let otherKey: string;

const ZONE = 'UTC';
const ALICE_PHONE = 'f:alicephone01';
const ALICE_LAPTOP = 'f:alicelaptop1';
const BOB = 'f:bob00000001';

const counts = async (id: string) => {
  const site = new Types.ObjectId(id);
  const of = async (vid: string) => {
    const visits = await findVisits(site, { vids: [vid] });
    return {
      visitors: new Set(visits.map((v) => v.vid)).size,
      visits: visits.length,
      events: (await historyEvents(t.db, { siteId: site, vid })).length,
    };
  };
  return { alicePhone: await of(ALICE_PHONE), aliceLaptop: await of(ALICE_LAPTOP), bob: await of(BOB) };
};

beforeAll(async () => {
  t = await startTestApp();
  const owner = await signUp(t.app);
  const site = await createSite(owner, {
    name: 'People',
    domain: 'people.example',
    timezone: ZONE,
    settings: { identityMode: 'first-party' },
  });
  siteId = site.id;
  otherSiteId = (await createSite(owner, { name: 'Other', domain: 'other.example' })).id;
  manageKey = (await createKey(owner, siteId, ['stats:read', 'sites:manage'])).secret;
  readKey = (await createKey(owner, siteId, ['stats:read'])).secret;
  otherKey = (await createKey(owner, otherSiteId, ['stats:read', 'sites:manage'])).secret;
  const ev = (input: Parameters<typeof stored>[2]) => stored(siteId, ZONE, input);
  await insertRaw([
    ev({ ts: new Date('2026-03-10T10:00:00Z'), vid: ALICE_PHONE, path: '/', id: 'p1' }),
    ev({ ts: new Date('2026-03-10T10:00:05Z'), vid: ALICE_PHONE, kind: 'id', userId: 'wp-7f3a', id: 'p2' }),
    ev({ ts: new Date('2026-03-10T10:01:00Z'), vid: ALICE_PHONE, path: '/account', id: 'p3' }),
    ev({ ts: new Date('2026-03-11T08:00:00Z'), vid: ALICE_LAPTOP, path: '/pricing', id: 'l1' }),
    ev({ ts: new Date('2026-03-11T08:00:02Z'), vid: ALICE_LAPTOP, kind: 'id', userId: 'wp-7f3a', id: 'l2' }),
    ev({ ts: new Date('2026-03-10T11:00:00Z'), vid: BOB, path: '/', id: 'b1' }),
    ev({ ts: new Date('2026-03-10T11:02:00Z'), vid: BOB, kind: 'id', userId: 'wp-b0b', id: 'b2' }),
  ]);
  await processPendingEvents();
});
afterAll(() => t.close());

const people = (userId: string, site = siteId) => `/api/v1/sites/${site}/people/${encodeURIComponent(userId)}`;

describe('export of an identified person', () => {
  it('when a stats:read key asks for a user id, then every visitor linked to it comes back with its clickpath', async () => {
    const res = await request(t.app).get(people('wp-7f3a')).set('Authorization', `Bearer ${readKey}`);
    expect(res.status).toBe(200);
    expect(res.body.userId).toBe('wp-7f3a');
    const byId = Object.fromEntries(
      res.body.visitors.map((v: { visitor: { id: string }; visits: Array<{ clickstream: Array<{ id: string }> }> }) => [
        v.visitor.id,
        v.visits.flatMap((visit) => visit.clickstream.map((e) => e.id)),
      ]),
    );
    expect(byId).toEqual({ [ALICE_PHONE]: ['p1', 'p2', 'p3'], [ALICE_LAPTOP]: ['l1', 'l2'] });
  });

  it('when nobody has the user id, then the export is empty rather than an error', async () => {
    const res = await request(t.app).get(people('wp-nobody')).set('Authorization', `Bearer ${readKey}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ userId: 'wp-nobody', visitors: [] });
  });

  it.each([['a\u0007bell'], ['x'.repeat(129)]])('when the user id is %p, then 400', async (userId) => {
    const res = await request(t.app).get(people(userId)).set('Authorization', `Bearer ${readKey}`);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_failed');
  });
});

describe('erasure', () => {
  it('when a stats:read key tries to erase, then 403 and nothing is deleted', async () => {
    const before = await counts(siteId);
    const res = await request(t.app).delete(people('wp-7f3a')).set('Authorization', `Bearer ${readKey}`);
    expect(res.status).toBe(403);
    expect(await counts(siteId)).toEqual(before);
  });

  it("when another site's key tries to erase, then 404 and nothing is deleted", async () => {
    const before = await counts(siteId);
    const res = await request(t.app).delete(people('wp-7f3a')).set('Authorization', `Bearer ${otherKey}`);
    expect(res.status).toBe(404);
    expect(await counts(siteId)).toEqual(before);
  });

  it('when a sites:manage key erases a person, then all their visitors, visits and events are gone and nobody else is touched', async () => {
    const res = await request(t.app).delete(people('wp-7f3a')).set('Authorization', `Bearer ${manageKey}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ visitors: 2, visits: 2, events: 5, complete: true });
    expect(await counts(siteId)).toEqual({
      alicePhone: { visitors: 0, visits: 0, events: 0 },
      aliceLaptop: { visitors: 0, visits: 0, events: 0 },
      bob: { visitors: 1, visits: 1, events: 2 },
    });
    const again = await request(t.app).get(people('wp-7f3a')).set('Authorization', `Bearer ${readKey}`);
    expect(again.body.visitors).toEqual([]);
  });

  it('when the person has a visit still waiting in the inbox, then the erasure waits for it and erases it too', async () => {
    const ev = (input: Parameters<typeof stored>[2]) => stored(siteId, ZONE, input);
    await insertRaw([
      ev({ ts: new Date('2026-03-12T09:00:00Z'), vid: 'f:carolphone1', path: '/', id: 'c1' }),
      ev({ ts: new Date('2026-03-12T09:00:03Z'), vid: 'f:carolphone1', kind: 'id', userId: 'wp-ca401', id: 'c2' }),
    ]);
    // The aggregator gets to the chunk only after the erasure request arrived.
    const erasure = request(t.app).delete(people('wp-ca401')).set('Authorization', `Bearer ${manageKey}`);
    const aggregated = new Promise((resolve) => setTimeout(resolve, 500)).then(() => processPendingEvents());
    const [res] = await Promise.all([erasure, aggregated]);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ visitors: 1, visits: 1, events: 2, complete: true });
    expect(await historyEvents(t.db, { vid: 'f:carolphone1' })).toHaveLength(0);
  });

  it('when one visitor is erased by id, then only that visitor goes', async () => {
    const res = await request(t.app)
      .delete(`/api/v1/sites/${siteId}/visitors/${BOB}`)
      .set('Authorization', `Bearer ${manageKey}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ visitors: 1, visits: 1, events: 2, complete: true });
    expect((await counts(siteId)).bob).toEqual({ visitors: 0, visits: 0, events: 0 });
    const profile = await request(t.app)
      .get(`/api/v1/sites/${siteId}/visitors/${BOB}`)
      .set('Authorization', `Bearer ${readKey}`);
    expect(profile.status).toBe(404);
  });
});
