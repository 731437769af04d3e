import request from 'supertest';
import { Types } from 'mongoose';

import {
  addMember,
  createKey,
  createSite,
  signUp,
  startTestApp,
  type TestApp,
  type TestUser,
} from '../../test/support/app';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t.close());

const membersOf = (siteId: string) =>
  t.db
    .collection('members')
    .find({ siteId: new Types.ObjectId(siteId) }, { projection: { _id: 0, accountId: 1, role: 1 } })
    .toArray();
const roleOf = async (siteId: string, accountId: string) =>
  (
    await t.db
      .collection('members')
      .findOne({ siteId: new Types.ObjectId(siteId), accountId: new Types.ObjectId(accountId) })
  )?.role;
const storedSite = (id: string) => t.db.collection('sites').findOne({ _id: new Types.ObjectId(id) });

describe('inviting members', () => {
  let owner: TestUser;
  let siteId: string;
  beforeAll(async () => {
    owner = await signUp(t.app);
    siteId = (await createSite(owner)).id;
  });

  it.each(['viewer', 'admin'] as const)(
    'when the owner invites a registered user as %s and they accept, then the membership is stored with that role',
    async (role) => {
      const invitee = await signUp(t.app, { name: `New ${role}` });
      const res = await owner.agent
        .post(`/api/v1/sites/${siteId}/members`)
        .send({ email: `  ${invitee.email.toUpperCase()} `, role });
      expect(res.status).toBe(202);
      expect(res.body).toMatchObject({ email: invitee.email, role });
      expect(await roleOf(siteId, invitee.id)).toBeUndefined();
      await invitee.agent.post(`/api/v1/invitations/${res.body.id}/accept`).expect(200);
      expect(await roleOf(siteId, invitee.id)).toBe(role);
    },
  );

  it('when the user is already a member, then 409 and the role is unchanged', async () => {
    const invitee = await signUp(t.app);
    await addMember(owner, siteId, invitee, 'viewer');
    const res = await owner.agent.post(`/api/v1/sites/${siteId}/members`).send({ email: invitee.email, role: 'admin' });
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('conflict');
    expect(await roleOf(siteId, invitee.id)).toBe('viewer');
  });

  it('when the owner invites themselves, then 409 and they stay owner', async () => {
    const res = await owner.agent.post(`/api/v1/sites/${siteId}/members`).send({ email: owner.email, role: 'viewer' });
    expect(res.status).toBe(409);
    expect(await roleOf(siteId, owner.id)).toBe('owner');
  });

  it.each(['owner', 'superuser', ''])('when the role is %j, then 400 and nothing is stored', async (role) => {
    const invitee = await signUp(t.app);
    const res = await owner.agent.post(`/api/v1/sites/${siteId}/members`).send({ email: invitee.email, role });
    expect(res.status).toBe(400);
    expect(res.body.error.details).toEqual([expect.objectContaining({ path: 'body.role' })]);
    expect(await roleOf(siteId, invitee.id)).toBeUndefined();
    expect(await t.db.collection('invitations').countDocuments({ email: invitee.email })).toBe(0);
  });
});

describe('managing members', () => {
  let owner: TestUser;
  let member: TestUser;
  let siteId: string;
  beforeAll(async () => {
    owner = await signUp(t.app);
    member = await signUp(t.app, { name: 'Member' });
    siteId = (await createSite(owner)).id;
    await addMember(owner, siteId, member, 'viewer');
  });

  it('when the owner lists members, then everyone comes back with their role, owner first', async () => {
    const res = await owner.agent.get(`/api/v1/sites/${siteId}/members`);
    expect(res.status).toBe(200);
    expect(res.body.members).toEqual([
      expect.objectContaining({ accountId: owner.id, email: owner.email, role: 'owner' }),
      expect.objectContaining({ accountId: member.id, email: member.email, name: 'Member', role: 'viewer' }),
    ]);
    expect(await membersOf(siteId)).toHaveLength(2);
  });

  it("when the owner changes a member's role, then 204 and the new role is stored", async () => {
    const res = await owner.agent.patch(`/api/v1/sites/${siteId}/members/${member.id}`).send({ role: 'admin' });
    expect(res.status).toBe(204);
    expect(await roleOf(siteId, member.id)).toBe('admin');
  });

  it('when the role change asks for owner, then 400 and the role is unchanged', async () => {
    const before = await roleOf(siteId, member.id);
    const res = await owner.agent.patch(`/api/v1/sites/${siteId}/members/${member.id}`).send({ role: 'owner' });
    expect(res.status).toBe(400);
    expect(await roleOf(siteId, member.id)).toBe(before);
    expect(await roleOf(siteId, owner.id)).toBe('owner');
  });

  it('when the owner is demoted or removed, then 403 and the owner stays owner', async () => {
    const demote = await owner.agent.patch(`/api/v1/sites/${siteId}/members/${owner.id}`).send({ role: 'viewer' });
    expect(demote.status).toBe(403);
    expect(demote.body.error.code).toBe('forbidden');
    const remove = await owner.agent.delete(`/api/v1/sites/${siteId}/members/${owner.id}`);
    expect(remove.status).toBe(403);
    expect(await roleOf(siteId, owner.id)).toBe('owner');
  });

  it('when the account is not a member, then changing or removing it is 404', async () => {
    const stranger = await signUp(t.app);
    const change = await owner.agent.patch(`/api/v1/sites/${siteId}/members/${stranger.id}`).send({ role: 'admin' });
    expect(change.status).toBe(404);
    expect((await owner.agent.delete(`/api/v1/sites/${siteId}/members/${stranger.id}`)).status).toBe(404);
    expect(await roleOf(siteId, stranger.id)).toBeUndefined();
  });

  it('when the owner removes a member, then 204, the membership is gone and the site is no longer visible to them', async () => {
    const res = await owner.agent.delete(`/api/v1/sites/${siteId}/members/${member.id}`);
    expect(res.status).toBe(204);
    expect(await roleOf(siteId, member.id)).toBeUndefined();
    expect((await member.agent.get(`/api/v1/sites/${siteId}`)).status).toBe(404);
    expect(await t.db.collection('accounts').countDocuments({ _id: new Types.ObjectId(member.id) })).toBe(1);
  });
});

describe('what each role may do', () => {
  let owner: TestUser;
  let admin: TestUser;
  let viewer: TestUser;
  let third: TestUser;
  let siteId: string;
  let keyId: string;

  beforeAll(async () => {
    owner = await signUp(t.app);
    admin = await signUp(t.app);
    viewer = await signUp(t.app);
    third = await signUp(t.app);
    siteId = (await createSite(owner)).id;
    for (const [user, role] of [
      [admin, 'admin'],
      [viewer, 'viewer'],
      [third, 'viewer'],
    ] as const) {
      await addMember(owner, siteId, user, role);
    }
    keyId = (await createKey(owner, siteId)).id;
  });

  const snapshot = async () => ({
    site: await storedSite(siteId),
    members: await membersOf(siteId),
    keys: await t.db
      .collection('apikeys')
      .find({ siteId: new Types.ObjectId(siteId) })
      .toArray(),
  });

  it('when a viewer reads the site, then 200 with role viewer', async () => {
    const res = await viewer.agent.get(`/api/v1/sites/${siteId}`);
    expect(res.status).toBe(200);
    expect(res.body.role).toBe('viewer');
  });

  it('when a viewer tries to change anything, then 403 every time and nothing changes', async () => {
    const before = await snapshot();
    const attempts = [
      viewer.agent.patch(`/api/v1/sites/${siteId}`).send({ name: 'Hijacked' }),
      viewer.agent.delete(`/api/v1/sites/${siteId}`),
      viewer.agent.get(`/api/v1/sites/${siteId}/keys`),
      viewer.agent.post(`/api/v1/sites/${siteId}/keys`).send({ name: 'mine' }),
      viewer.agent.post(`/api/v1/sites/${siteId}/keys/${keyId}/revoke`),
      viewer.agent.post(`/api/v1/sites/${siteId}/keys/${keyId}/rotate`),
      viewer.agent.get(`/api/v1/sites/${siteId}/members`),
      viewer.agent.post(`/api/v1/sites/${siteId}/members`).send({ email: admin.email, role: 'viewer' }),
      viewer.agent.patch(`/api/v1/sites/${siteId}/members/${third.id}`).send({ role: 'admin' }),
      viewer.agent.delete(`/api/v1/sites/${siteId}/members/${third.id}`),
    ];
    for (const res of await Promise.all(attempts)) {
      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe('forbidden');
    }
    expect(await snapshot()).toEqual(before);
  });

  it('when an admin patches settings, then 200 and the change is stored', async () => {
    const res = await admin.agent.patch(`/api/v1/sites/${siteId}`).send({ settings: { visitTimeoutMinutes: 60 } });
    expect(res.status).toBe(200);
    expect(res.body.role).toBe('admin');
    expect((await storedSite(siteId))?.settings).toMatchObject({ visitTimeoutMinutes: 60 });
  });

  it('when an admin manages keys, then create, list, rotate and revoke work and are stored', async () => {
    const created = await admin.agent.post(`/api/v1/sites/${siteId}/keys`).send({ name: 'admin key' });
    expect(created.status).toBe(201);
    const stored = await t.db.collection('apikeys').findOne({ _id: new Types.ObjectId(created.body.id) });
    expect(stored).toMatchObject({ name: 'admin key', createdBy: new Types.ObjectId(admin.id) });
    expect((await admin.agent.get(`/api/v1/sites/${siteId}/keys`)).status).toBe(200);
    const rotated = await admin.agent.post(`/api/v1/sites/${siteId}/keys/${created.body.id}/rotate`);
    expect(rotated.status).toBe(201);
    const revoked = await admin.agent.post(`/api/v1/sites/${siteId}/keys/${created.body.id}/revoke`);
    expect(revoked.status).toBe(200);
    expect(
      (await t.db.collection('apikeys').findOne({ _id: new Types.ObjectId(created.body.id) }))?.revokedAt,
    ).toBeInstanceOf(Date);
  });

  it('when an admin lists members, then 200', async () => {
    const res = await admin.agent.get(`/api/v1/sites/${siteId}/members`);
    expect(res.status).toBe(200);
    expect(res.body.members).toHaveLength(4);
  });

  it('when an admin tries to manage members or delete the site, then 403 and nothing changes', async () => {
    const outsider = await signUp(t.app);
    const before = await snapshot();
    const attempts = [
      admin.agent.post(`/api/v1/sites/${siteId}/members`).send({ email: outsider.email, role: 'viewer' }),
      admin.agent.patch(`/api/v1/sites/${siteId}/members/${third.id}`).send({ role: 'admin' }),
      admin.agent.patch(`/api/v1/sites/${siteId}/members/${admin.id}`).send({ role: 'viewer' }),
      admin.agent.delete(`/api/v1/sites/${siteId}/members/${third.id}`),
      admin.agent.delete(`/api/v1/sites/${siteId}`),
    ];
    for (const res of await Promise.all(attempts)) {
      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe('forbidden');
    }
    expect(await snapshot()).toEqual(before);
  });
});

describe('keys of people who leave', () => {
  it('when an admin who created a key is removed, then that key stops working and the owner’s keys do not', async () => {
    const owner = await signUp(t.app);
    const admin = await signUp(t.app);
    const site = await createSite(owner);
    await addMember(owner, site.id, admin, 'admin');
    const adminKey = await createKey(admin, site.id);
    const ownerKey = await createKey(owner, site.id);

    await owner.agent.delete(`/api/v1/sites/${site.id}/members/${admin.id}`).expect(204);

    await request(t.app).get('/api/v1/me').set('Authorization', `Bearer ${adminKey.secret}`).expect(401);
    await request(t.app).get('/api/v1/me').set('Authorization', `Bearer ${ownerKey.secret}`).expect(200);
    const stored = await t.db.collection('apikeys').findOne({ _id: new Types.ObjectId(adminKey.id) });
    expect(stored?.revokedAt).toBeInstanceOf(Date);
  });

  it('when a member deletes their account, then the keys they created on other sites are revoked', async () => {
    const owner = await signUp(t.app);
    const admin = await signUp(t.app);
    const site = await createSite(owner);
    await addMember(owner, site.id, admin, 'admin');
    const adminKey = await createKey(admin, site.id);

    await admin.agent.delete('/api/v1/account').send({ password: admin.password }).expect(204);

    await request(t.app).get('/api/v1/me').set('Authorization', `Bearer ${adminKey.secret}`).expect(401);
    await owner.agent.get(`/api/v1/sites/${site.id}`).expect(200);
  });
});

describe('keys follow the role of the person who created them', () => {
  const asKey = (secret: string) => ({ Authorization: `Bearer ${secret}` });

  it('when an admin who created a sites:manage key is demoted to viewer, then the key loses admin power at once and keeps only reading', async () => {
    const owner = await signUp(t.app);
    const admin = await signUp(t.app);
    const site = await createSite(owner);
    await addMember(owner, site.id, admin, 'admin');
    const key = await createKey(admin, site.id, ['sites:manage']);
    await request(t.app).patch(`/api/v1/sites/${site.id}`).set(asKey(key.secret)).send({ name: 'Before' }).expect(200);

    await owner.agent.patch(`/api/v1/sites/${site.id}/members/${admin.id}`).send({ role: 'viewer' }).expect(204);

    const patch = await request(t.app)
      .patch(`/api/v1/sites/${site.id}`)
      .set(asKey(key.secret))
      .send({ name: 'After demotion', settings: { honorDoNotTrack: true } });
    expect(patch.status).toBe(403);
    expect(patch.body.error.code).toBe('forbidden');
    expect(await storedSite(site.id)).toMatchObject({ name: 'Before', settings: { honorDoNotTrack: false } });
    const read = await request(t.app).get(`/api/v1/sites/${site.id}`).set(asKey(key.secret));
    expect(read.status).toBe(200);
    expect(read.body.role).toBe('viewer');
    const me = await request(t.app).get('/api/v1/me').set(asKey(key.secret));
    expect(me.body).toMatchObject({ key: { scopes: ['stats:read'] }, site: { role: 'viewer' } });
    // The key itself is untouched: promoting the person back restores what it was made for.
    expect((await t.db.collection('apikeys').findOne({ _id: new Types.ObjectId(key.id) }))?.scopes).toEqual([
      'sites:manage',
    ]);
    await owner.agent.patch(`/api/v1/sites/${site.id}/members/${admin.id}`).send({ role: 'admin' }).expect(204);
    await request(t.app).patch(`/api/v1/sites/${site.id}`).set(asKey(key.secret)).send({ name: 'Again' }).expect(200);
  });

  it('when the creator is no longer a member but the key was never revoked (made while they were removed), then it answers 401', async () => {
    const owner = await signUp(t.app);
    const admin = await signUp(t.app);
    const site = await createSite(owner);
    await addMember(owner, site.id, admin, 'admin');
    const key = await createKey(admin, site.id, ['stats:read', 'sites:manage']);
    // Removal revokes the keys first and deletes the membership second: a key created between the two survives.
    await t.db
      .collection('members')
      .deleteOne({ siteId: new Types.ObjectId(site.id), accountId: new Types.ObjectId(admin.id) });

    for (const res of [
      await request(t.app).get('/api/v1/me').set(asKey(key.secret)),
      await request(t.app).get(`/api/v1/sites/${site.id}`).set(asKey(key.secret)),
      await request(t.app).patch(`/api/v1/sites/${site.id}`).set(asKey(key.secret)).send({ name: 'Ghost' }),
    ]) {
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe('unauthenticated');
    }
    expect((await storedSite(site.id))?.name).toBe('My blog');
  });

  it('when an admin is removed, then the keys they created answer 401 at once', async () => {
    const owner = await signUp(t.app);
    const admin = await signUp(t.app);
    const site = await createSite(owner);
    await addMember(owner, site.id, admin, 'admin');
    const key = await createKey(admin, site.id, ['stats:read', 'sites:manage']);
    await owner.agent.delete(`/api/v1/sites/${site.id}/members/${admin.id}`).expect(204);
    await request(t.app).get(`/api/v1/sites/${site.id}`).set(asKey(key.secret)).expect(401);
  });
});
