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
import { loadConfig } from '../lib/config';
import { MAX_DETAIL_TEXT } from './details';
import type { AuditAction, AuditDoc } from './model';
import { MAX_MONTHS_PER_PAGE, pruneAuditLog, readAuditLog } from './service';

/**
 * The audit log (issue 14, point 9): every audited action writes one entry naming who did
 * it, readable by the site's owner and admins, page by page; old months are dropped.
 */

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t.close());

const DAY = 86_400_000;
const PARTITION = /^audit_\d{6}$/;
const partitions = async () =>
  (await t.db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name).filter((n) => PARTITION.test(n));

/** Every stored entry of the site, oldest first, read straight from the partitions. */
async function storedEntries(siteId: string): Promise<AuditDoc[]> {
  const found: AuditDoc[] = [];
  for (const name of await partitions()) {
    found.push(
      ...(await t.db
        .collection<AuditDoc>(name)
        .find({ siteId: new Types.ObjectId(siteId) })
        .toArray()),
    );
  }
  return found.sort((a, b) => a.at.getTime() - b.at.getTime() || (a._id.toHexString() < b._id.toHexString() ? -1 : 1));
}

/** Runs `work` and returns the one entry it stored for the site (failing if it stored none or several). */
async function oneEntry(siteId: string, work: () => Promise<unknown>): Promise<AuditDoc> {
  const before = new Set((await storedEntries(siteId)).map((e) => e._id.toHexString()));
  await work();
  const added = (await storedEntries(siteId)).filter((e) => !before.has(e._id.toHexString()));
  expect(added.map((e) => e.action)).toHaveLength(1);
  return added[0]!;
}

/** Stores an entry as recordAudit would, at a chosen time (for months gone by). */
async function seed(siteId: string, at: Date, action: AuditAction = 'goal.created', details = {}): Promise<string> {
  const id = new Types.ObjectId();
  const month = at.toISOString().slice(0, 7).replace('-', '');
  await t.db.collection(`audit_${month}`).insertOne({
    _id: id,
    siteId: new Types.ObjectId(siteId),
    at,
    action,
    actor: { type: 'account', id: '0'.repeat(24), email: 'seed@example.com' },
    details,
  });
  return id.toHexString();
}

const asAccount = (user: TestUser) => ({ type: 'account', id: user.id, email: user.email });
const bearer = (secret: string) => ({ Authorization: `Bearer ${secret}` });
const auditUrl = (siteId: string, query = '') => `/api/v1/sites/${siteId}/audit${query}`;

describe('what is audited', () => {
  let owner: TestUser;
  let admin: TestUser;
  let siteId: string;
  let manageKey: { id: string; secret: string };
  let asKey: Record<string, string>;

  beforeAll(async () => {
    owner = await signUp(t.app, { name: 'Olive Owner' });
    admin = await signUp(t.app);
    siteId = (await createSite(owner, { name: 'Audited', domain: 'audited.example', timezone: 'UTC' })).id;
    await addMember(owner, siteId, admin, 'admin');
    manageKey = await createKey(owner, siteId, ['stats:read', 'sites:manage']);
    asKey = {
      type: 'key',
      id: manageKey.id,
      name: 'test key',
      prefix: manageKey.secret.slice(0, 12),
      createdBy: owner.id,
    };
  });

  it('when a site is created, then its log starts with who created it', async () => {
    const [first] = await storedEntries(siteId);
    expect(first).toMatchObject({
      action: 'site.created',
      actor: asAccount(owner),
      details: { name: 'Audited', domain: 'audited.example', timezone: 'UTC' },
    });
  });

  it('when settings change, then one entry lists each changed field, excluded addresses only as a count', async () => {
    const entry = await oneEntry(siteId, () =>
      owner.agent
        .patch(`/api/v1/sites/${siteId}`)
        .send({
          name: 'Audited shop',
          settings: { excludedIps: ['10.1.2.3', '192.0.2.0/24'], visitTimeoutMinutes: 30 },
        })
        .expect(200),
    );
    expect(entry).toMatchObject({ action: 'site.updated', actor: asAccount(owner) });
    // visitTimeoutMinutes was 30 already: not a change.
    expect(entry.details).toEqual({
      changes: [
        { field: 'name', from: 'Audited', to: 'Audited shop' },
        { field: 'settings.excludedIps', from: '0 addresses or ranges', to: '2 addresses or ranges' },
      ],
    });
    expect(JSON.stringify(await storedEntries(siteId))).not.toMatch(/10\.1\.2\.3|192\.0\.2/);
  });

  it('when a PATCH changes nothing, then nothing is logged', async () => {
    const before = (await storedEntries(siteId)).length;
    await owner.agent.patch(`/api/v1/sites/${siteId}`).send({ name: 'Audited shop' }).expect(200);
    expect(await storedEntries(siteId)).toHaveLength(before);
  });

  it('when a key changes settings, then the key is the actor', async () => {
    const entry = await oneEntry(siteId, () =>
      request(t.app)
        .patch(`/api/v1/sites/${siteId}`)
        .set(bearer(manageKey.secret))
        .send({ settings: { honorDoNotTrack: true } })
        .expect(200),
    );
    expect(entry.actor).toEqual(asKey);
    expect(entry.details).toEqual({ changes: [{ field: 'settings.honorDoNotTrack', from: false, to: true }] });
  });

  it('when keys are created, rotated and revoked, then each is logged by name and prefix, never the secret', async () => {
    let secret = '';
    const created = await oneEntry(siteId, async () => {
      const res = await admin.agent
        .post(`/api/v1/sites/${siteId}/keys`)
        .send({ name: 'Grafana', scopes: ['stats:read'] })
        .expect(201);
      secret = res.body.secret as string;
    });
    const keyId = created.details.key && (created.details.key as { id: string }).id;
    expect(created).toMatchObject({
      action: 'key.created',
      actor: asAccount(admin),
      details: {
        key: { id: expect.any(String), name: 'Grafana', prefix: secret.slice(0, 12), scopes: ['stats:read'] },
      },
    });
    let rotatedId = '';
    const rotated = await oneEntry(siteId, async () => {
      rotatedId = (await admin.agent.post(`/api/v1/sites/${siteId}/keys/${keyId}/rotate`).expect(201)).body.id;
    });
    expect(rotated).toMatchObject({
      action: 'key.rotated',
      details: { key: { id: rotatedId, name: 'Grafana' }, replaces: { id: keyId, prefix: secret.slice(0, 12) } },
    });
    const revoked = await oneEntry(siteId, () =>
      owner.agent.post(`/api/v1/sites/${siteId}/keys/${keyId}/revoke`).expect(200),
    );
    expect(revoked).toMatchObject({
      action: 'key.revoked',
      actor: asAccount(owner),
      details: { key: { id: keyId, name: 'Grafana', prefix: secret.slice(0, 12) } },
    });
    // Revoking it again changes nothing.
    const count = (await storedEntries(siteId)).length;
    await owner.agent.post(`/api/v1/sites/${siteId}/keys/${keyId}/revoke`).expect(200);
    expect(await storedEntries(siteId)).toHaveLength(count);
    expect(JSON.stringify(await storedEntries(siteId))).not.toContain(secret.slice(12));
  });

  it('when people are invited, join, change role, leave and take over, then each step is logged with both people', async () => {
    const viewer = await signUp(t.app);
    const sent = await oneEntry(siteId, () =>
      owner.agent.post(`/api/v1/sites/${siteId}/members`).send({ email: viewer.email, role: 'viewer' }).expect(202),
    );
    expect(sent).toMatchObject({
      action: 'invitation.sent',
      actor: asAccount(owner),
      details: { email: viewer.email, role: 'viewer' },
    });
    const invitationId = (await owner.agent.get(`/api/v1/sites/${siteId}/invitations`)).body.invitations[0].id;
    const resent = await oneEntry(siteId, () =>
      owner.agent.post(`/api/v1/sites/${siteId}/invitations/${invitationId}/resend`).expect(202),
    );
    expect(resent).toMatchObject({ action: 'invitation.resent', details: { email: viewer.email } });
    const joined = await oneEntry(siteId, () =>
      viewer.agent.post(`/api/v1/invitations/${invitationId}/accept`).expect(200),
    );
    expect(joined).toMatchObject({
      action: 'member.joined',
      actor: asAccount(viewer),
      details: { role: 'viewer', invitedAs: viewer.email },
    });

    const roleChanged = await oneEntry(siteId, () =>
      owner.agent.patch(`/api/v1/sites/${siteId}/members/${viewer.id}`).send({ role: 'admin' }).expect(204),
    );
    expect(roleChanged).toMatchObject({
      action: 'member.role_changed',
      actor: asAccount(owner),
      details: { member: { id: viewer.id, email: viewer.email }, from: 'viewer', to: 'admin' },
    });
    await createKey(viewer, siteId);
    const removed = await oneEntry(siteId, () =>
      owner.agent.delete(`/api/v1/sites/${siteId}/members/${viewer.id}`).expect(204),
    );
    expect(removed).toMatchObject({
      action: 'member.removed',
      details: { member: { id: viewer.id, email: viewer.email }, role: 'admin', keysRevoked: 1 },
    });

    const revokedInvitation = await (async () => {
      const invited = await owner.agent
        .post(`/api/v1/sites/${siteId}/members`)
        .send({ email: 'maybe@example.com', role: 'viewer' })
        .expect(202);
      return oneEntry(siteId, () =>
        owner.agent.delete(`/api/v1/sites/${siteId}/invitations/${invited.body.id}`).expect(204),
      );
    })();
    expect(revokedInvitation).toMatchObject({
      action: 'invitation.revoked',
      actor: asAccount(owner),
      details: { email: 'maybe@example.com', role: 'viewer' },
    });

    const transferred = await oneEntry(siteId, () =>
      owner.agent.post(`/api/v1/sites/${siteId}/owner`).send({ accountId: admin.id }).expect(200),
    );
    expect(transferred).toMatchObject({
      action: 'site.ownership_transferred',
      actor: asAccount(owner),
      details: { from: { id: owner.id, email: owner.email }, to: { id: admin.id, email: admin.email } },
    });
    await admin.agent.post(`/api/v1/sites/${siteId}/owner`).send({ accountId: owner.id }).expect(200);
  });

  it('when the owner requires two-factor sign-in, then the change is logged, and saving it unchanged is not', async () => {
    await t.db
      .collection('accounts')
      .updateOne({ _id: new Types.ObjectId(owner.id) }, { $set: { totpEnabledAt: new Date() } });
    const policy = (required: boolean) =>
      owner.agent.put(`/api/v1/sites/${siteId}/two-factor-policy`).send({ required }).expect(200);
    const on = await oneEntry(siteId, () => policy(true));
    expect(on).toMatchObject({
      action: 'site.two_factor_policy',
      actor: asAccount(owner),
      details: { required: true },
    });
    const count = (await storedEntries(siteId)).length;
    await policy(true);
    expect(await storedEntries(siteId)).toHaveLength(count);
    await policy(false);
    await t.db
      .collection('accounts')
      .updateOne({ _id: new Types.ObjectId(owner.id) }, { $set: { totpEnabledAt: null } });
  });

  it('when a key manages goals and funnels, then each change is logged with its definition, long text cut', async () => {
    const long = `/${'a'.repeat(400)}`;
    let goalId = '';
    const created = await oneEntry(siteId, async () => {
      goalId = (
        await request(t.app)
          .post(`/api/v1/sites/${siteId}/goals`)
          .set(bearer(manageKey.secret))
          .send({ name: 'Deep page', kind: 'page', match: long })
          .expect(201)
      ).body.id;
    });
    expect(created.actor).toEqual(asKey);
    const match = (created.details.goal as { match: string }).match;
    expect(match).toHaveLength(MAX_DETAIL_TEXT);
    expect(match.endsWith('…')).toBe(true);

    const updated = await oneEntry(siteId, () =>
      request(t.app)
        .patch(`/api/v1/sites/${siteId}/goals/${goalId}`)
        .set(bearer(manageKey.secret))
        .send({ name: 'Pricing', match: '/pricing' })
        .expect(200),
    );
    expect(updated.details).toMatchObject({
      goal: { id: goalId, name: 'Pricing', match: '/pricing' },
      changes: [
        { field: 'name', from: 'Deep page', to: 'Pricing' },
        { field: 'match', from: expect.stringMatching(/^\/a+…$/), to: '/pricing' },
      ],
    });
    const second = await owner.agent
      .post(`/api/v1/sites/${siteId}/goals`)
      .send({ name: 'Signup', kind: 'event', match: 'signup' })
      .expect(201);
    let funnelId = '';
    const funnel = await oneEntry(siteId, async () => {
      funnelId = (
        await owner.agent
          .post(`/api/v1/sites/${siteId}/funnels`)
          .send({ name: 'Buy', steps: [goalId, second.body.id] })
          .expect(201)
      ).body.id;
    });
    expect(funnel).toMatchObject({
      action: 'funnel.created',
      details: { funnel: { id: funnelId, name: 'Buy', steps: [goalId, second.body.id] } },
    });
    const funnelDeleted = await oneEntry(siteId, () =>
      owner.agent.delete(`/api/v1/sites/${siteId}/funnels/${funnelId}`).expect(204),
    );
    expect(funnelDeleted).toMatchObject({ action: 'funnel.deleted', details: { funnel: { id: funnelId } } });
    const deleted = await oneEntry(siteId, () =>
      owner.agent.delete(`/api/v1/sites/${siteId}/goals/${goalId}`).expect(204),
    );
    expect(deleted).toMatchObject({
      action: 'goal.deleted',
      details: { goal: { id: goalId, name: 'Pricing' }, funnelsDeleted: 0 },
    });
  });

  it('when a key erases and exports people, then each request is logged with counts but never the id asked for', async () => {
    const erasedVisitor = await oneEntry(siteId, () =>
      request(t.app)
        .delete(`/api/v1/sites/${siteId}/visitors/c:visitor12345`)
        .set(bearer(manageKey.secret))
        .expect(200),
    );
    expect(erasedVisitor).toMatchObject({
      action: 'visitor.erased',
      actor: asKey,
      details: { visitors: expect.any(Number), visits: 0, events: 0, complete: true },
    });
    const erasedPerson = await oneEntry(siteId, () =>
      request(t.app).delete(`/api/v1/sites/${siteId}/people/wp-secret-user`).set(bearer(manageKey.secret)).expect(200),
    );
    expect(erasedPerson).toMatchObject({ action: 'person.erased', details: { visitors: 0, complete: true } });
    const exported = await oneEntry(siteId, () =>
      owner.agent.get(`/api/v1/sites/${siteId}/people/wp-secret-user`).expect(200),
    );
    expect(exported).toMatchObject({ action: 'person.exported', actor: asAccount(owner), details: { visitors: 0 } });
    expect(JSON.stringify(await storedEntries(siteId))).not.toMatch(/wp-secret-user|visitor12345/);
  });

  it('when raw events or the whole site are exported, then the export is logged with its range', async () => {
    const events = await oneEntry(siteId, () =>
      owner.agent.get(`/api/v1/sites/${siteId}/export/events?from=2026-01-01&to=2026-01-31&format=json`).expect(200),
    );
    expect(events).toMatchObject({
      action: 'export.events',
      actor: asAccount(owner),
      details: { from: '2026-01-01', to: '2026-01-31', format: 'json' },
    });
    const whole = await oneEntry(siteId, () => admin.agent.get(`/api/v1/sites/${siteId}/export/site`).expect(200));
    expect(whole).toMatchObject({ action: 'export.site', actor: asAccount(admin), details: {} });
  });

  it('when a member deletes their account, then the site logs that they left, under their address at the time', async () => {
    const leaving = await signUp(t.app);
    await addMember(owner, siteId, leaving, 'admin');
    await createKey(leaving, siteId);
    const left = await oneEntry(siteId, () =>
      leaving.agent.delete('/api/v1/account').send({ password: leaving.password }).expect(204),
    );
    expect(left).toMatchObject({
      action: 'member.left',
      actor: asAccount(leaving),
      details: { member: { id: leaving.id, email: leaving.email }, role: 'admin', keysRevoked: 1 },
    });
  });

  it('when the log is read, then no entry holds an IP address', async () => {
    const stored = JSON.stringify(await storedEntries(siteId));
    for (const user of [owner, admin]) expect(stored).not.toContain(user.ip);
    expect(stored).not.toMatch(/\b\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\b/);
  });
});

describe('who may read the log', () => {
  let owner: TestUser;
  let siteId: string;

  beforeAll(async () => {
    owner = await signUp(t.app);
    siteId = (await createSite(owner, { name: 'Readers', domain: 'readers.example' })).id;
  });

  it('when the owner or an admin reads it, then 200 with the entries and the retention', async () => {
    const admin = await signUp(t.app);
    await addMember(owner, siteId, admin, 'admin');
    for (const reader of [owner, admin]) {
      const res = await reader.agent.get(auditUrl(siteId)).expect(200);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.body).toMatchObject({ nextCursor: null, retentionDays: 365 });
      expect(res.body.entries.map((e: { action: string }) => e.action)).toEqual([
        'member.joined',
        'invitation.sent',
        'site.created',
      ]);
      expect(res.body.entries[2]).toEqual({
        id: expect.stringMatching(/^[0-9a-f]{24}$/),
        at: expect.any(String),
        action: 'site.created',
        actor: asAccount(owner),
        details: { name: 'Readers', domain: 'readers.example', timezone: 'Europe/Amsterdam' },
      });
    }
  });

  it('when a viewer reads it, then 403', async () => {
    const viewer = await signUp(t.app);
    await addMember(owner, siteId, viewer, 'viewer');
    const res = await viewer.agent.get(auditUrl(siteId)).expect(403);
    expect(res.body.error.code).toBe('forbidden');
  });

  it.each([[['stats:read']], [['stats:read', 'sites:manage']]])(
    'when a key with %p reads it, then 403: the log names people by address',
    async (scopes) => {
      const { secret } = await createKey(owner, siteId, scopes);
      const res = await request(t.app).get(auditUrl(siteId)).set(bearer(secret)).expect(403);
      expect(res.body.error.code).toBe('forbidden');
    },
  );

  it('when someone with no part in the site reads it, then 404; without signing in, 401', async () => {
    const stranger = await signUp(t.app);
    expect((await stranger.agent.get(auditUrl(siteId))).status).toBe(404);
    expect((await request(t.app).get(auditUrl(siteId))).status).toBe(401);
  });
});

describe('pages, filters and other sites', () => {
  let owner: TestUser;
  let siteId: string;
  let otherId: string;
  const seeded: string[] = [];

  beforeAll(async () => {
    owner = await signUp(t.app);
    siteId = (await createSite(owner, { name: 'Paged', domain: 'paged.example' })).id;
    otherId = (await createSite(owner, { name: 'Other', domain: 'other-paged.example' })).id;
    const now = Date.now();
    // Ten entries over the last 200 days (several months), two at the same millisecond.
    for (const [i, daysAgo] of [1, 2, 2, 20, 40, 41, 90, 120, 150, 200].entries()) {
      const at = new Date(now - daysAgo * DAY - (i === 2 ? 1 : i));
      seeded.push(await seed(siteId, at, i % 3 === 0 ? 'key.created' : 'goal.created', { n: i }));
      await seed(otherId, at, 'key.created', { other: true });
    }
  });

  it('when the log is read page by page, then every entry comes once, newest first, and the last page says so', async () => {
    const ids: string[] = [];
    const times: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = `?limit=3${cursor ? `&cursor=${cursor}` : ''}`;
      const res = await owner.agent.get(auditUrl(siteId, query)).expect(200);
      expect(res.body.entries.length).toBeLessThanOrEqual(3);
      ids.push(...res.body.entries.map((e: { id: string }) => e.id));
      times.push(...res.body.entries.map((e: { at: string }) => e.at));
      cursor = res.body.nextCursor as string | null;
      pages += 1;
    } while (cursor && pages < 10);
    const stored = (await storedEntries(siteId)).map((e) => e._id.toHexString());
    expect(new Set(ids).size).toBe(ids.length);
    expect(new Set(ids)).toEqual(new Set(stored));
    expect(seeded.every((id) => ids.includes(id))).toBe(true);
    expect([...times].sort().reverse()).toEqual(times);
    expect(pages).toBe(Math.ceil(stored.length / 3));
  });

  it('when filtered by actions, then only those come back, also across pages', async () => {
    const keys = await owner.agent.get(auditUrl(siteId, '?action=key.created&limit=100')).expect(200);
    expect(keys.body.entries.map((e: { action: string }) => e.action)).toEqual(Array(4).fill('key.created'));
    const both = await owner.agent.get(auditUrl(siteId, '?action=key.created&action=site.created&limit=2')).expect(200);
    expect(both.body.entries).toHaveLength(2);
    const rest = await owner.agent
      .get(auditUrl(siteId, `?action=key.created&action=site.created&cursor=${both.body.nextCursor}`))
      .expect(200);
    const actions = [...both.body.entries, ...rest.body.entries].map((e: { action: string }) => e.action);
    expect(actions.sort()).toEqual(['key.created', 'key.created', 'key.created', 'key.created', 'site.created']);
    expect(rest.body.nextCursor).toBeNull();
  });

  it("when another site's log is full of entries, then none of them shows", async () => {
    const res = await owner.agent.get(auditUrl(siteId, '?limit=100')).expect(200);
    const otherIds = new Set((await storedEntries(otherId)).map((e) => e._id.toHexString()));
    expect(res.body.entries.filter((e: { id: string }) => otherIds.has(e.id))).toEqual([]);
    expect(res.body.entries.some((e: { details: { other?: boolean } }) => e.details.other)).toBe(false);
    // A cursor taken from the other site's log shows this site's entries, never the other's.
    const other = await owner.agent.get(auditUrl(otherId, '?limit=1')).expect(200);
    const mixed = await owner.agent.get(auditUrl(siteId, `?cursor=${other.body.nextCursor}&limit=100`)).expect(200);
    expect(mixed.body.entries.filter((e: { id: string }) => otherIds.has(e.id))).toEqual([]);
  });

  it.each([
    ['a cursor that is not one', '?cursor=abc', 'query.cursor'],
    ['a cursor that is an operator', `?cursor=${encodeURIComponent('{"$gt":""}')}`, 'query.cursor'],
    ['a cursor with an operator', '?cursor[$gt]=', 'query'],
    ['a huge limit', '?limit=1000000', 'query.limit'],
    ['a zero limit', '?limit=0', 'query.limit'],
    ['a limit that is not a number', '?limit=all', 'query.limit'],
    ['an unknown action', '?action=everything', 'query.action'],
    ['an unknown parameter', '?since=2020-01-01', 'query'],
  ])('when the query has %s, then 400 naming the parameter', async (_label, query, path) => {
    const res = await owner.agent.get(auditUrl(siteId, query)).expect(400);
    expect(res.body.error.code).toBe('validation_failed');
    expect(res.body.error.details).toEqual(
      expect.arrayContaining([expect.objectContaining({ path, message: expect.any(String) })]),
    );
  });
});

describe('retention', () => {
  let owner: TestUser;
  let siteId: string;

  beforeAll(async () => {
    owner = await signUp(t.app);
    siteId = (await createSite(owner, { name: 'Kept', domain: 'kept.example' })).id;
  });

  it('when AUDIT_RETENTION_DAYS is out of bounds or not a number, then the configuration is refused', () => {
    expect(loadConfig({}).AUDIT_RETENTION_DAYS).toBe(365);
    expect(loadConfig({ AUDIT_RETENTION_DAYS: '30' }).AUDIT_RETENTION_DAYS).toBe(30);
    for (const bad of ['3', '4000', 'forever', '36.5']) {
      expect(() => loadConfig({ AUDIT_RETENTION_DAYS: bad })).toThrow(/AUDIT_RETENTION_DAYS/);
    }
  });

  it('when pruning runs, then months wholly past retention are dropped and the rest stay', async () => {
    // Years before the other tests' entries, so that this clock prunes none of theirs.
    const now = new Date('2020-06-15T12:00:00Z');
    await seed(siteId, new Date('2019-05-20T00:00:00Z'));
    await seed(siteId, new Date('2019-06-10T00:00:00Z'));
    await seed(siteId, new Date('2019-06-20T00:00:00Z'));
    await seed(siteId, new Date('2020-01-05T00:00:00Z'));
    expect(await partitions()).toEqual(expect.arrayContaining(['audit_201905', 'audit_201906', 'audit_202001']));

    expect(await pruneAuditLog(365, now)).toEqual(['2019-05']);
    const left = await partitions();
    expect(left).not.toContain('audit_201905');
    expect(left).toEqual(expect.arrayContaining(['audit_201906', 'audit_202001']));
    // Run again (or by another replica): nothing left to drop.
    expect(await pruneAuditLog(365, now)).toEqual([]);

    // June 2019 stays until all of it is past retention; meanwhile its expired entry is not shown.
    const page = await readAuditLog(new Types.ObjectId(siteId), { limit: 100 }, { retentionDays: 365, now });
    expect(page.entries.map((e) => e.at)).toEqual(['2020-01-05T00:00:00.000Z', '2019-06-20T00:00:00.000Z']);
  });

  it('when the log spans more months than a page reads, then the page stops with a cursor to the older months', async () => {
    const site = await createSite(owner, { name: 'Long', domain: 'long.example' });
    const now = new Date();
    const months = MAX_MONTHS_PER_PAGE + 3;
    for (let i = 0; i < months; i += 1) {
      await seed(site.id, new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - i - 1, 10)));
    }
    const read = (cursor?: string) =>
      readAuditLog(new Types.ObjectId(site.id), { cursor, limit: 100 }, { retentionDays: 3650, now });
    const first = await read();
    // This month's site.created, then one seeded entry in each month read.
    expect(first.entries).toHaveLength(MAX_MONTHS_PER_PAGE);
    expect(first.nextCursor).not.toBeNull();
    const second = await read(first.nextCursor!);
    expect(second.entries).toHaveLength(months + 1 - MAX_MONTHS_PER_PAGE);
    expect(second.nextCursor).toBeNull();
  });
});

describe('deleting a site', () => {
  it('when a site is deleted, then its entries go with it and other sites keep theirs', async () => {
    const owner = await signUp(t.app);
    const doomed = await createSite(owner, { name: 'Doomed', domain: 'doomed.example' });
    const kept = await createSite(owner, { name: 'Kept', domain: 'kept-too.example' });
    await seed(doomed.id, new Date(Date.now() - 60 * DAY));
    await createKey(owner, doomed.id);
    expect((await storedEntries(doomed.id)).length).toBeGreaterThanOrEqual(3);
    const keptBefore = await storedEntries(kept.id);

    await owner.agent.delete(`/api/v1/sites/${doomed.id}`).expect(204);

    expect(await storedEntries(doomed.id)).toEqual([]);
    expect(await storedEntries(kept.id)).toEqual(keptBefore);
  });
});
