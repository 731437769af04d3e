import { Types } from 'mongoose';
import request from 'supertest';

import { expectError } from '../../test/support/assert';
import { createSite, signUp, startTestApp, type TestApp, type TestUser } from '../../test/support/app';

/**
 * Membership by consent (issue 17, item 6): adding someone stores a pending invitation
 * to their address, which they accept or decline in the dashboard; the answer never
 * tells whether the address has an account, and invitations are rate limited.
 */

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t.close());

const API = '/api/v1';
const members = (siteId: string) =>
  t.db
    .collection('members')
    .find({ siteId: new Types.ObjectId(siteId) })
    .toArray();
const invitations = (siteId: string) =>
  t.db
    .collection('invitations')
    .find({ siteId: new Types.ObjectId(siteId) })
    .toArray();
const siteIdsOf = async (user: TestUser) =>
  ((await user.agent.get(`${API}/sites`)).body.sites as Array<{ id: string }>).map((s) => s.id);
const invite = (owner: TestUser, siteId: string, email: string, role = 'viewer') =>
  owner.agent.post(`${API}/sites/${siteId}/members`).send({ email, role });

describe('inviting', () => {
  it('when the owner invites an address with an account and one without, then both get the same 202 and neither becomes a member', async () => {
    const owner = await signUp(t.app);
    const site = await createSite(owner);
    const registered = await signUp(t.app);
    const unknown = `nobody-${new Types.ObjectId().toHexString()}@example.com`;

    const a = await invite(owner, site.id, registered.email);
    const b = await invite(owner, site.id, unknown);

    for (const res of [a, b]) {
      expect(res.status).toBe(202);
      expect(Object.keys(res.body).sort()).toEqual(['createdAt', 'email', 'expiresAt', 'id', 'invitedBy', 'role']);
    }
    const shape = (body: Record<string, unknown>) => ({ ...body, id: 'x', email: 'x', createdAt: 'x', expiresAt: 'x' });
    expect(shape(a.body)).toEqual(shape(b.body));
    expect(a.body.email).toBe(registered.email);
    expect(b.body.email).toBe(unknown);
    expect(Object.keys(a.headers).sort()).toEqual(Object.keys(b.headers).sort());
    expect((await members(site.id)).map((m) => String(m.accountId))).toEqual([owner.id]);
    expect((await invitations(site.id)).map((i) => i.email).sort()).toEqual([registered.email, unknown].sort());
    expect(await siteIdsOf(registered)).toEqual([]);
  });

  it('when the same address is invited again, then one invitation stays, with the latest role', async () => {
    const owner = await signUp(t.app);
    const site = await createSite(owner);
    const invitee = await signUp(t.app);
    const first = await invite(owner, site.id, invitee.email, 'viewer');
    const second = await invite(owner, site.id, invitee.email.toUpperCase(), 'admin');
    expect(second.status).toBe(202);
    expect(second.body.id).toBe(first.body.id);
    expect((await invitations(site.id)).map((i) => [i.email, i.role])).toEqual([[invitee.email, 'admin']]);
  });

  it('when the address already belongs to a member, then 409 and nothing is stored', async () => {
    const owner = await signUp(t.app);
    const site = await createSite(owner);
    expectError(await invite(owner, site.id, owner.email), 409, 'conflict');
    expect(await invitations(site.id)).toEqual([]);
  });

  it('when an owner sends more than 20 invitations for one site within the hour, then 429 and no more are stored', async () => {
    const owner = await signUp(t.app);
    const site = await createSite(owner);
    for (let i = 0; i < 20; i += 1) {
      expect((await invite(owner, site.id, `flood-${i}@example.com`)).status).toBe(202);
    }
    const res = await invite(owner, site.id, 'flood-20@example.com');
    expectError(res, 429, 'rate_limited');
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    expect(await invitations(site.id)).toHaveLength(20);
  });
});

describe('answering an invitation', () => {
  let owner: TestUser;
  let siteId: string;
  beforeAll(async () => {
    owner = await signUp(t.app, { name: 'Olga Owner' });
    siteId = (await createSite(owner, { name: 'Shared shop', domain: 'shared.example' })).id;
  });

  it('when the invitee lists their invitations, then the pending one names the site, role and inviter, and the site is not theirs yet', async () => {
    const invitee = await signUp(t.app);
    const sent = await invite(owner, siteId, invitee.email, 'admin');

    const res = await invitee.agent.get(`${API}/invitations`);

    expect(res.status).toBe(200);
    expect(res.body.invitations).toEqual([
      {
        id: sent.body.id,
        site: { id: siteId, name: 'Shared shop', domain: 'shared.example' },
        role: 'admin',
        invitedBy: { name: 'Olga Owner', email: owner.email },
        createdAt: expect.any(String),
        expiresAt: expect.any(String),
      },
    ]);
    expect(await siteIdsOf(invitee)).toEqual([]);
    expectError(await invitee.agent.get(`${API}/sites/${siteId}`), 404, 'not_found');
  });

  it('when the invitee accepts, then they are a member with the invited role, the site is listed and the invitation is gone', async () => {
    const invitee = await signUp(t.app);
    const sent = await invite(owner, siteId, invitee.email, 'admin');

    const res = await invitee.agent.post(`${API}/invitations/${sent.body.id}/accept`);

    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: siteId, name: 'Shared shop', role: 'admin' });
    expect((await members(siteId)).find((m) => String(m.accountId) === invitee.id)?.role).toBe('admin');
    expect(await siteIdsOf(invitee)).toEqual([siteId]);
    expect((await invitee.agent.get(`${API}/invitations`)).body.invitations).toEqual([]);
    expect(await t.db.collection('invitations').countDocuments({ _id: new Types.ObjectId(sent.body.id) })).toBe(0);
  });

  it('when the invitee declines, then no membership is made and the invitation is gone', async () => {
    const invitee = await signUp(t.app);
    const sent = await invite(owner, siteId, invitee.email);

    const res = await invitee.agent.post(`${API}/invitations/${sent.body.id}/decline`);

    expect(res.status).toBe(204);
    expect((await members(siteId)).some((m) => String(m.accountId) === invitee.id)).toBe(false);
    expect(await t.db.collection('invitations').countDocuments({ _id: new Types.ObjectId(sent.body.id) })).toBe(0);
    expectError(await invitee.agent.post(`${API}/invitations/${sent.body.id}/accept`), 404, 'not_found');
  });

  // FerretDB lets racing conditional updates and findOneAndDelete all through; only a unique insert picks one.
  it('when the invitee accepts and declines at once, and the owner revokes, then one answer counts and the others get 404', async () => {
    for (let round = 0; round < 10; round += 1) {
      const invitee = await signUp(t.app);
      const id = (await invite(owner, siteId, invitee.email)).body.id as string;

      const results = await Promise.all([
        invitee.agent.post(`${API}/invitations/${id}/accept`),
        invitee.agent.post(`${API}/invitations/${id}/decline`),
        invitee.agent.post(`${API}/invitations/${id}/accept`),
        owner.agent.delete(`${API}/sites/${siteId}/invitations/${id}`),
      ]);

      expect(results.filter((r) => r.status < 300)).toHaveLength(1);
      results.filter((r) => r.status >= 300).forEach((r) => expectError(r, 404, 'not_found'));
      const accepted = results[0]!.status === 200 || results[2]!.status === 200;
      expect((await members(siteId)).some((m) => String(m.accountId) === invitee.id)).toBe(accepted);
      expect(await t.db.collection('invitations').countDocuments({ _id: new Types.ObjectId(id) })).toBe(0);
    }
  }, 60_000);

  it('when someone else answers an invitation addressed to another person, then 404 and nothing changes', async () => {
    const invitee = await signUp(t.app);
    const stranger = await signUp(t.app);
    const sent = await invite(owner, siteId, invitee.email);

    expectError(await stranger.agent.post(`${API}/invitations/${sent.body.id}/accept`), 404, 'not_found');
    expectError(await stranger.agent.post(`${API}/invitations/${sent.body.id}/decline`), 404, 'not_found');
    expectError(await owner.agent.post(`${API}/invitations/${sent.body.id}/accept`), 404, 'not_found');
    expect((await stranger.agent.get(`${API}/invitations`)).body.invitations).toEqual([]);
    expect(await t.db.collection('invitations').countDocuments({ _id: new Types.ObjectId(sent.body.id) })).toBe(1);
    expect(await siteIdsOf(stranger)).toEqual([]);
  });

  it('when an address without an account is invited and then signs up, then the invitation waits for them', async () => {
    const email = `later-${new Types.ObjectId().toHexString()}@example.com`;
    const sent = await invite(owner, siteId, email);
    const newcomer = await signUp(t.app, { email });

    const listed = await newcomer.agent.get(`${API}/invitations`);
    expect(listed.body.invitations.map((i: { id: string }) => i.id)).toEqual([sent.body.id]);
    expect((await newcomer.agent.post(`${API}/invitations/${sent.body.id}/accept`)).status).toBe(200);
    expect(await siteIdsOf(newcomer)).toEqual([siteId]);
  });

  it('when nobody is logged in, then the invitation list answers 401', async () => {
    expectError(await request(t.app).get(`${API}/invitations`), 401, 'unauthenticated');
  });
});

describe("the site's pending invitations", () => {
  it('when the owner lists and revokes a pending invitation, then it is gone and can no longer be accepted', async () => {
    const owner = await signUp(t.app);
    const site = await createSite(owner);
    const invitee = await signUp(t.app);
    const sent = await invite(owner, site.id, invitee.email, 'admin');

    const listed = await owner.agent.get(`${API}/sites/${site.id}/invitations`);
    expect(listed.status).toBe(200);
    expect(listed.body.invitations).toEqual([
      {
        id: sent.body.id,
        email: invitee.email,
        role: 'admin',
        invitedBy: { name: 'Test User', email: owner.email },
        createdAt: expect.any(String),
        expiresAt: expect.any(String),
      },
    ]);

    expect((await owner.agent.delete(`${API}/sites/${site.id}/invitations/${sent.body.id}`)).status).toBe(204);

    expect(await invitations(site.id)).toEqual([]);
    expect((await invitee.agent.get(`${API}/invitations`)).body.invitations).toEqual([]);
    expectError(await invitee.agent.post(`${API}/invitations/${sent.body.id}/accept`), 404, 'not_found');
    expect(await siteIdsOf(invitee)).toEqual([]);
  });

  it('when an admin lists invitations, then 200; when an admin or viewer revokes one, then 403 and it stays', async () => {
    const owner = await signUp(t.app);
    const site = await createSite(owner);
    const admin = await signUp(t.app);
    const viewer = await signUp(t.app);
    for (const [user, role] of [
      [admin, 'admin'],
      [viewer, 'viewer'],
    ] as const) {
      const sent = await invite(owner, site.id, user.email, role);
      await user.agent.post(`${API}/invitations/${sent.body.id}/accept`).expect(200);
    }
    const pending = await invite(owner, site.id, 'pending@example.com');

    expect((await admin.agent.get(`${API}/sites/${site.id}/invitations`)).status).toBe(200);
    expectError(await viewer.agent.get(`${API}/sites/${site.id}/invitations`), 403, 'forbidden');
    for (const user of [admin, viewer]) {
      expectError(await user.agent.delete(`${API}/sites/${site.id}/invitations/${pending.body.id}`), 403, 'forbidden');
    }
    expect(await invitations(site.id)).toHaveLength(1);
  });

  it('when the site is deleted, then its pending invitations go with it', async () => {
    const owner = await signUp(t.app);
    const site = await createSite(owner);
    const invitee = await signUp(t.app);
    await invite(owner, site.id, invitee.email);
    await owner.agent.delete(`${API}/sites/${site.id}`).expect(204);
    expect(await invitations(site.id)).toEqual([]);
    expect((await invitee.agent.get(`${API}/invitations`)).body.invitations).toEqual([]);
  });
});
