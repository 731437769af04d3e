import { Types } from 'mongoose';

import { signUp, startTestApp, type TestApp } from '../../test/support/app';
import { accountsVerified } from './accounts-verified';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t.close());

describe('migration 7: accounts from before email verification count as verified', () => {
  it('when accounts have no verification field, then they are marked verified once; accounts created since are left alone', async () => {
    const createdAt = new Date('2026-01-05T10:00:00Z');
    const legacy = {
      _id: new Types.ObjectId(),
      email: 'legacy@example.com',
      name: 'Old',
      passwordHash: 'x',
      createdAt,
      updatedAt: createdAt,
    };
    await t.db.collection('accounts').insertOne(legacy);
    const unconfirmed = await signUp(t.app, { verified: false });
    const confirmed = await signUp(t.app);
    const confirmedBefore = await t.db.collection('accounts').findOne({ _id: new Types.ObjectId(confirmed.id) });

    await accountsVerified.up(t.db);
    const first = await t.db.collection('accounts').findOne({ _id: legacy._id });
    await accountsVerified.up(t.db);

    expect(first).toEqual({ ...legacy, emailVerifiedAt: expect.any(Date), pendingEmail: null });
    expect(await t.db.collection('accounts').findOne({ _id: legacy._id })).toEqual(first);
    expect(await t.db.collection('accounts').findOne({ _id: new Types.ObjectId(unconfirmed.id) })).toMatchObject({
      emailVerifiedAt: null,
      pendingEmail: null,
    });
    expect(await t.db.collection('accounts').findOne({ _id: new Types.ObjectId(confirmed.id) })).toEqual(
      confirmedBefore,
    );
  });

  it('when a migrated account logs in, then its profile says verified and it may invite', async () => {
    const owner = await signUp(t.app);
    const site = await owner.agent.post('/api/v1/sites').send({ name: 'S', domain: 's.example.com', timezone: 'UTC' });
    // As it was stored before this release: no verification fields at all.
    await t.db
      .collection('accounts')
      .updateOne({ _id: new Types.ObjectId(owner.id) }, { $unset: { emailVerifiedAt: '', pendingEmail: '' } });
    await accountsVerified.up(t.db);
    expect((await owner.agent.get('/api/v1/account')).body).toMatchObject({ emailVerified: true, pendingEmail: null });
    const invited = await owner.agent
      .post(`/api/v1/sites/${site.body.id}/members`)
      .send({ email: 'colleague@example.com', role: 'viewer' });
    expect(invited.status).toBe(202);
  });
});
