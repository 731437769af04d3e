import { Types } from 'mongoose';

import { expectError } from '../../test/support/assert';
import {
  TEST_ORIGIN,
  addMember,
  createSite,
  signUp,
  startTestApp,
  type TestApp,
  type TestUser,
} from '../../test/support/app';
import { startMailpit, type Mailpit } from '../../test/support/mailpit';

const API = '/api/v1';

let t: TestApp;
let mailpit: Mailpit;
beforeAll(async () => {
  mailpit = await startMailpit();
  t = await startTestApp({ SMTP_URL: mailpit.smtpUrl, PUBLIC_URL: TEST_ORIGIN });
});
afterAll(async () => {
  await t.close();
  await mailpit.stop();
});

const roles = async (siteId: string) =>
  Object.fromEntries(
    (
      await t.db
        .collection('members')
        .find({ siteId: new Types.ObjectId(siteId) })
        .toArray()
    ).map((m) => [String(m.accountId), m.role as string]),
  );
const ownerIdOf = async (siteId: string) =>
  String((await t.db.collection('sites').findOne({ _id: new Types.ObjectId(siteId) }))?.ownerId);

/** An owner with a site and a member of it with `role`. */
async function siteWithMember(role: 'admin' | 'viewer' = 'admin', verified = true) {
  const owner = await signUp(t.app, { name: 'Olga Owner' });
  const site = await createSite(owner, { name: 'Shared shop' });
  const member = await signUp(t.app, { name: 'Max' });
  await addMember(owner, site.id, member, role);
  if (!verified) {
    await t.db
      .collection('accounts')
      .updateOne({ _id: new Types.ObjectId(member.id) }, { $set: { emailVerifiedAt: null } });
  }
  return { owner, site, member };
}

const transfer = (from: TestUser, siteId: string, accountId: string) =>
  from.agent.post(`${API}/sites/${siteId}/owner`).send({ accountId });

describe('ownership transfer', () => {
  it('when the owner hands the site to a member, then they own it (and are told by mail), the previous owner is an admin', async () => {
    const { owner, site, member } = await siteWithMember('viewer');
    const res = await transfer(owner, site.id, member.id);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: site.id, role: 'admin' });
    expect(await roles(site.id)).toEqual({ [owner.id]: 'admin', [member.id]: 'owner' });
    expect(await ownerIdOf(site.id)).toBe(member.id);

    const [mail] = await mailpit.waitFor(member.email, { subject: 'You now own Shared shop on Clickpath' });
    expect(mail?.Text).toContain('Olga Owner made you the owner of the site Shared shop');
    expect(mail?.Text).toContain(`${TEST_ORIGIN}/#/sites/${site.id}/settings`);

    // The new owner holds the owner's powers, the previous one no longer does.
    expectError(await owner.agent.delete(`${API}/sites/${site.id}`), 403, 'forbidden');
    expect(
      (await member.agent.patch(`${API}/sites/${site.id}/members/${owner.id}`).send({ role: 'viewer' })).status,
    ).toBe(204);
    // Deleting the previous owner's account no longer takes the site with it.
    expect((await owner.agent.delete(`${API}/account`).send({ password: owner.password })).status).toBe(204);
    expect(await t.db.collection('sites').countDocuments({ _id: new Types.ObjectId(site.id) })).toBe(1);
  });

  it('when a transfer was interrupted after the new owner got the role, then repeating it finishes the job', async () => {
    const { owner, site, member } = await siteWithMember();
    await t.db
      .collection('members')
      .updateOne(
        { siteId: new Types.ObjectId(site.id), accountId: new Types.ObjectId(member.id) },
        { $set: { role: 'owner' } },
      );
    expect((await transfer(owner, site.id, member.id)).status).toBe(200);
    expect(await roles(site.id)).toEqual({ [owner.id]: 'admin', [member.id]: 'owner' });
    expect(await ownerIdOf(site.id)).toBe(member.id);
  });

  it('when the member has not confirmed their address, then 403 email_unverified and nothing changes', async () => {
    const { owner, site, member } = await siteWithMember('admin', false);
    const res = await transfer(owner, site.id, member.id);
    expectError(res, 403, 'email_unverified');
    expect(res.body.error.message).toMatch(/has not confirmed their email address/);
    expect(await roles(site.id)).toEqual({ [owner.id]: 'owner', [member.id]: 'admin' });
    expect(await ownerIdOf(site.id)).toBe(owner.id);
  });

  it('when the target is no member, the owner themself, or the caller is an admin or another tenant, then 4xx and nothing changes', async () => {
    const { owner, site, member } = await siteWithMember();
    const outsider = await signUp(t.app);
    expectError(await transfer(owner, site.id, outsider.id), 404, 'not_found');
    expectError(await transfer(owner, site.id, owner.id), 409, 'conflict');
    expectError(await transfer(member, site.id, member.id), 403, 'forbidden');
    expectError(await transfer(outsider, site.id, outsider.id), 404, 'not_found');
    const malformed = await owner.agent.post(`${API}/sites/${site.id}/owner`).send({ accountId: 'nope' });
    expectError(malformed, 400, 'validation_failed');
    expect(malformed.body.error.details).toEqual([expect.objectContaining({ path: 'body.accountId' })]);
    expect(await roles(site.id)).toEqual({ [owner.id]: 'owner', [member.id]: 'admin' });
  });
});
