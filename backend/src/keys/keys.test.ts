import { createHash } from 'node:crypto';

import { Types } from 'mongoose';
import request from 'supertest';

import {
  addMember,
  createKey,
  createSite,
  signUp,
  startTestApp,
  type TestApp,
  type TestUser,
} from '../../test/support/app';
import { dumpDatabase } from '../../test/support/assert';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t.close());

const storedKey = (id: string) => t.db.collection('apikeys').findOne({ _id: new Types.ObjectId(id) });
const storedSite = (id: string) => t.db.collection('sites').findOne({ _id: new Types.ObjectId(id) });
const bearer = (secret: string) => ({ Authorization: `Bearer ${secret}` });
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

describe('creating and listing keys', () => {
  let owner: TestUser;
  let siteId: string;
  beforeAll(async () => {
    owner = await signUp(t.app);
    siteId = (await createSite(owner)).id;
  });

  it('when a key is created, then 201 shows the secret once and only its hash and prefix are stored', async () => {
    const res = await owner.agent
      .post(`/api/v1/sites/${siteId}/keys`)
      .send({ name: 'Grafana', scopes: ['stats:read', 'sites:manage'] });
    expect(res.status).toBe(201);
    expect(res.headers['cache-control']).toBe('no-store');
    const secret: string = res.body.secret;
    expect(secret).toMatch(/^cpk_[A-Za-z0-9_-]{43}$/);
    expect(res.body).toEqual({
      id: expect.any(String),
      name: 'Grafana',
      prefix: secret.slice(0, 12),
      scopes: ['stats:read', 'sites:manage'],
      createdBy: { id: owner.id, name: 'Test User', email: owner.email },
      createdAt: expect.any(String),
      lastUsedAt: null,
      revokedAt: null,
      rotatedFrom: null,
      secret,
    });

    const stored = await storedKey(res.body.id);
    expect(stored).toMatchObject({
      siteId: new Types.ObjectId(siteId),
      name: 'Grafana',
      hash: sha256(secret),
      prefix: secret.slice(0, 12),
      scopes: ['stats:read', 'sites:manage'],
      createdBy: new Types.ObjectId(owner.id),
      revokedAt: null,
    });
    expect(stored?.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(stored?.prefix).toHaveLength(12);

    const dump = await dumpDatabase(t.db);
    expect(dump).toContain(sha256(secret));
    expect(dump).not.toContain(secret);
    expect(dump).not.toContain(secret.slice(12));
  });

  it('when the scopes are omitted, then the key gets stats:read; duplicates are stored once', async () => {
    const plain = await owner.agent.post(`/api/v1/sites/${siteId}/keys`).send({ name: 'Default' });
    expect(plain.status).toBe(201);
    expect((await storedKey(plain.body.id))?.scopes).toEqual(['stats:read']);
    const dup = await owner.agent
      .post(`/api/v1/sites/${siteId}/keys`)
      .send({ name: 'Dup', scopes: ['stats:read', 'stats:read'] });
    expect(dup.status).toBe(201);
    expect((await storedKey(dup.body.id))?.scopes).toEqual(['stats:read']);
  });

  it.each([
    ['an unknown scope', { name: 'x', scopes: ['admin'] }],
    ['no scopes', { name: 'x', scopes: [] }],
    ['no name', { scopes: ['stats:read'] }],
    ['a chosen secret', { name: 'x', secret: 'cpk_mine' }],
  ])('when the request has %s, then 400 and no key is stored', async (_label, body) => {
    const before = await t.db.collection('apikeys').countDocuments();
    const res = await owner.agent.post(`/api/v1/sites/${siteId}/keys`).send(body);
    expect(res.status).toBe(400);
    expect(await t.db.collection('apikeys').countDocuments()).toBe(before);
  });

  it('when keys are listed, then neither the secret nor the hash appears', async () => {
    const { secret } = await createKey(owner, siteId);
    const res = await owner.agent.get(`/api/v1/sites/${siteId}/keys`);
    expect(res.status).toBe(200);
    expect(res.body.keys.length).toBeGreaterThanOrEqual(1);
    for (const key of res.body.keys) {
      expect(Object.keys(key).sort()).toEqual(
        ['createdAt', 'createdBy', 'id', 'lastUsedAt', 'name', 'prefix', 'revokedAt', 'rotatedFrom', 'scopes'].sort(),
      );
    }
    expect(res.text).not.toContain(secret);
    expect(res.text).not.toContain(sha256(secret));
  });
});

describe('who created a key', () => {
  it('when keys made by the owner and by an admin are listed, then each names the person who created it', async () => {
    const owner = await signUp(t.app, { name: 'Olga Owner' });
    const admin = await signUp(t.app, { name: 'Adam Admin' });
    const siteId = (await createSite(owner)).id;
    await addMember(owner, siteId, admin, 'admin');
    const ownerKey = await createKey(owner, siteId);
    const created = await admin.agent.post(`/api/v1/sites/${siteId}/keys`).send({ name: 'by admin' });
    expect(created.status).toBe(201);
    expect(created.body.createdBy).toEqual({ id: admin.id, name: 'Adam Admin', email: admin.email });

    const res = await owner.agent.get(`/api/v1/sites/${siteId}/keys`);
    expect(res.status).toBe(200);
    const byId = new Map(res.body.keys.map((k: { id: string; createdBy: unknown }) => [k.id, k.createdBy]));
    expect(byId.get(ownerKey.id)).toEqual({ id: owner.id, name: 'Olga Owner', email: owner.email });
    expect(byId.get(created.body.id)).toEqual({ id: admin.id, name: 'Adam Admin', email: admin.email });
  });
});

describe('using a key', () => {
  let owner: TestUser;
  let siteId: string;
  beforeAll(async () => {
    owner = await signUp(t.app);
    siteId = (await createSite(owner, { name: 'Key site', domain: 'keys.example' })).id;
  });

  it('when a key calls /me, then it gets its site and scopes, and lastUsedAt is stored', async () => {
    const key = await createKey(owner, siteId, ['stats:read']);
    expect((await storedKey(key.id))?.lastUsedAt).toBeNull();
    const res = await request(t.app).get('/api/v1/me').set(bearer(key.secret));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      type: 'apiKey',
      key: { id: key.id, name: 'test key', prefix: key.secret.slice(0, 12), scopes: ['stats:read'] },
      site: { id: siteId, name: 'Key site', domain: 'keys.example', role: 'viewer' },
    });
    expect(res.text).not.toContain(key.secret);
    const lastUsedAt = (await storedKey(key.id))?.lastUsedAt as Date;
    expect(lastUsedAt).toBeInstanceOf(Date);
    expect(Date.now() - lastUsedAt.getTime()).toBeLessThan(60_000);
  });

  it('when a key reads its site and the site list, then both show only its site', async () => {
    await createSite(owner, { name: 'Other', domain: 'other.example' });
    const key = await createKey(owner, siteId);
    const one = await request(t.app).get(`/api/v1/sites/${siteId}`).set(bearer(key.secret));
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({ id: siteId, role: 'viewer' });
    const list = await request(t.app).get('/api/v1/sites').set(bearer(key.secret));
    expect(list.status).toBe(200);
    expect(list.body.sites.map((s: { id: string }) => s.id)).toEqual([siteId]);
  });

  it.each([
    ['an unknown key', `cpk_${'A'.repeat(43)}`],
    ['a malformed key', 'not-a-key'],
    ['a truncated key', 'cpk_abc'],
  ])('when the bearer is %s, then 401', async (_label, secret) => {
    const res = await request(t.app).get('/api/v1/me').set(bearer(secret));
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('unauthenticated');
  });

  it.each(['key', 'api_key', 'apikey', 'apiKey', 'access_token', 'token'])(
    'when a key is sent as ?%s=, then 400 and it is not used',
    async (param) => {
      const key = await createKey(owner, siteId);
      const res = await request(t.app).get(`/api/v1/me?${param}=${key.secret}`);
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('bad_request');
      expect((await storedKey(key.id))?.lastUsedAt).toBeNull();
    },
  );

  it('when a key is revoked, then its next request is 401 and revokedAt is stored', async () => {
    const key = await createKey(owner, siteId);
    expect((await request(t.app).get('/api/v1/me').set(bearer(key.secret))).status).toBe(200);
    const res = await owner.agent.post(`/api/v1/sites/${siteId}/keys/${key.id}/revoke`);
    expect(res.status).toBe(200);
    expect(res.body.revokedAt).toEqual(expect.any(String));
    expect((await storedKey(key.id))?.revokedAt).toBeInstanceOf(Date);
    const after = await request(t.app).get('/api/v1/me').set(bearer(key.secret));
    expect(after.status).toBe(401);
    expect((await request(t.app).get(`/api/v1/sites/${siteId}`).set(bearer(key.secret))).status).toBe(401);
  });

  it('when a revoked key is revoked again, then 200 and the first revocation time is kept', async () => {
    const key = await createKey(owner, siteId);
    const first = await owner.agent.post(`/api/v1/sites/${siteId}/keys/${key.id}/revoke`);
    const second = await owner.agent.post(`/api/v1/sites/${siteId}/keys/${key.id}/revoke`);
    expect(second.status).toBe(200);
    expect(second.body.revokedAt).toBe(first.body.revokedAt);
  });

  it('when a key is rotated, then the new key works and the old one keeps working until revoked', async () => {
    const old = await createKey(owner, siteId, ['stats:read', 'sites:manage']);
    const res = await owner.agent.post(`/api/v1/sites/${siteId}/keys/${old.id}/rotate`);
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ name: 'test key', scopes: ['stats:read', 'sites:manage'], rotatedFrom: old.id });
    expect(res.body.secret).toMatch(/^cpk_/);
    expect(res.body.secret).not.toBe(old.secret);
    expect(await storedKey(res.body.id)).toMatchObject({
      hash: sha256(res.body.secret),
      rotatedFrom: new Types.ObjectId(old.id),
      revokedAt: null,
    });

    expect((await request(t.app).get('/api/v1/me').set(bearer(res.body.secret))).status).toBe(200);
    expect((await request(t.app).get('/api/v1/me').set(bearer(old.secret))).status).toBe(200);

    await owner.agent.post(`/api/v1/sites/${siteId}/keys/${old.id}/revoke`);
    expect((await request(t.app).get('/api/v1/me').set(bearer(old.secret))).status).toBe(401);
    expect((await request(t.app).get('/api/v1/me').set(bearer(res.body.secret))).status).toBe(200);
  });

  it('when a revoked key is rotated, then 409 and no key is stored', async () => {
    const key = await createKey(owner, siteId);
    await owner.agent.post(`/api/v1/sites/${siteId}/keys/${key.id}/revoke`);
    const before = await t.db.collection('apikeys').countDocuments();
    const res = await owner.agent.post(`/api/v1/sites/${siteId}/keys/${key.id}/rotate`);
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('conflict');
    expect(await t.db.collection('apikeys').countDocuments()).toBe(before);
  });

  it('when the key id is unknown, then revoke and rotate are 404', async () => {
    const missing = new Types.ObjectId().toHexString();
    expect((await owner.agent.post(`/api/v1/sites/${siteId}/keys/${missing}/revoke`)).status).toBe(404);
    expect((await owner.agent.post(`/api/v1/sites/${siteId}/keys/${missing}/rotate`)).status).toBe(404);
  });
});

describe('what a key may do', () => {
  let owner: TestUser;
  let member: TestUser;
  let siteId: string;
  let readKey: { id: string; secret: string };
  let manageKey: { id: string; secret: string };

  beforeAll(async () => {
    owner = await signUp(t.app);
    member = await signUp(t.app);
    siteId = (await createSite(owner)).id;
    await addMember(owner, siteId, member, 'viewer');
    readKey = await createKey(owner, siteId, ['stats:read']);
    manageKey = await createKey(owner, siteId, ['sites:manage']);
  });

  const snapshot = async () => ({
    site: await storedSite(siteId),
    members: await t.db
      .collection('members')
      .find({ siteId: new Types.ObjectId(siteId) })
      .toArray(),
    keys: await t.db
      .collection('apikeys')
      .find({ siteId: new Types.ObjectId(siteId) }, { projection: { lastUsedAt: 0 } })
      .toArray(),
  });

  const forbiddenForAnyKey = (secret: string) => {
    const as = <T extends request.Test>(test: T) => test.set(bearer(secret));
    const api = request(t.app);
    return [
      as(api.delete(`/api/v1/sites/${siteId}`)),
      as(api.get(`/api/v1/sites/${siteId}/keys`)),
      as(api.post(`/api/v1/sites/${siteId}/keys`).send({ name: 'minted' })),
      as(api.post(`/api/v1/sites/${siteId}/keys/${readKey.id}/revoke`)),
      as(api.post(`/api/v1/sites/${siteId}/keys/${readKey.id}/rotate`)),
      as(api.get(`/api/v1/sites/${siteId}/members`)),
      as(api.post(`/api/v1/sites/${siteId}/members`).send({ email: owner.email, role: 'admin' })),
      as(api.patch(`/api/v1/sites/${siteId}/members/${member.id}`).send({ role: 'admin' })),
      as(api.delete(`/api/v1/sites/${siteId}/members/${member.id}`)),
      as(api.post('/api/v1/sites').send({ name: 'By key', domain: 'bykey.example' })),
    ];
  };

  it('when a stats:read key patches the site or manages keys and members, then 403 and nothing changes', async () => {
    const before = await snapshot();
    const sitesBefore = await t.db.collection('sites').countDocuments();
    const patch = await request(t.app)
      .patch(`/api/v1/sites/${siteId}`)
      .set(bearer(readKey.secret))
      .send({ name: 'Changed by key' });
    expect(patch.status).toBe(403);
    expect(patch.body.error.code).toBe('forbidden');
    for (const res of await Promise.all(forbiddenForAnyKey(readKey.secret))) {
      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe('forbidden');
    }
    expect(await snapshot()).toEqual(before);
    expect(await t.db.collection('sites').countDocuments()).toBe(sitesBefore);
  });

  it('when a sites:manage key patches settings, then 200 and the change is stored', async () => {
    const res = await request(t.app)
      .patch(`/api/v1/sites/${siteId}`)
      .set(bearer(manageKey.secret))
      .send({ settings: { honorDoNotTrack: true } });
    expect(res.status).toBe(200);
    expect(res.body.settings.honorDoNotTrack).toBe(true);
    expect((await storedSite(siteId))?.settings).toMatchObject({ honorDoNotTrack: true, identityMode: 'cookieless' });
  });

  it('when a sites:manage key reads the site it manages, then 200', async () => {
    const res = await request(t.app).get(`/api/v1/sites/${siteId}`).set(bearer(manageKey.secret));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: siteId, role: 'admin' });
  });

  it('when a sites:manage key deletes the site or manages keys and members, then 403 and nothing changes', async () => {
    const before = await snapshot();
    for (const res of await Promise.all(forbiddenForAnyKey(manageKey.secret))) {
      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe('forbidden');
    }
    expect(await snapshot()).toEqual(before);
  });

  it('when a key has only events:write, then it cannot read the site and the site list is empty', async () => {
    const writeKey = await createKey(owner, siteId, ['events:write']);
    const one = await request(t.app).get(`/api/v1/sites/${siteId}`).set(bearer(writeKey.secret));
    expect(one.status).toBe(403);
    const list = await request(t.app).get('/api/v1/sites').set(bearer(writeKey.secret));
    expect(list.status).toBe(200);
    expect(list.body).toEqual({ sites: [] });
  });

  it('when a key names its site in upper-case hex, then it is still its own site', async () => {
    const res = await request(t.app).get(`/api/v1/sites/${siteId.toUpperCase()}`).set(bearer(readKey.secret));
    expect(res.status).toBe(200);
    expect(res.body.id).toBe(siteId);
  });

  it('when the site is deleted, then its keys stop working', async () => {
    await owner.agent.delete(`/api/v1/sites/${siteId}`);
    expect((await request(t.app).get('/api/v1/me').set(bearer(readKey.secret))).status).toBe(401);
  });
});
