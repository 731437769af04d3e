import { Types } from 'mongoose';

import { createKey, createSite, signUp, startTestApp, type TestApp } from '../../test/support/app';
import { documentsNaming } from '../../test/support/documents';
import { at, insertEvents } from '../../test/support/events';
import { historyEvents } from '../../test/support/history';
import { processPendingEvents } from './aggregator';
import { MAX_COLLECTIONS_PER_RUN, sweepOrphans } from './orphans';

/**
 * The orphan sweep (issue 10): data of a site whose document is gone, left by a
 * deletion cut short or a write that raced it, is deleted a few collections at
 * a time; other sites' data stays.
 */

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t.close());

const PER_SITE =
  /^((events|visits)_\d{8}|visitor_index_\d{6}|rollup_\w+_(\d{6}|open)|goals|funnels|annotations|goal_backfills|members|invitations|apikeys|dead_letters|webhooks|webhook_deliveries|webhook_claims|webhook_log|alert_settings|alert_events|alert_mails|email_report_subscriptions|email_report_sends|audit_\d{6})$/;

describe('the orphan sweep', () => {
  it('when a site document is gone but its data is not, then a pass of bounded runs deletes that data and keeps the others', async () => {
    const owner = await signUp(t.app);
    const gone = await createSite(owner, { timezone: 'UTC' });
    const kept = await createSite(owner, { name: 'Kept', domain: 'kept.example', timezone: 'UTC' });
    for (const site of [gone, kept]) {
      await createKey(owner, site.id);
      await owner.agent
        .post(`/api/v1/sites/${site.id}/goals`)
        .send({ name: 'Pricing', kind: 'page', match: '/pricing' })
        .expect(201);
      await owner.agent
        .post(`/api/v1/sites/${site.id}/webhooks`)
        .send({ url: 'https://93.184.215.14/hooks/clickpath', events: ['summary.weekly'] })
        .expect(201);
      await owner.agent
        .put(`/api/v1/sites/${site.id}/alerts`)
        .send({
          spike: { enabled: true, threshold: 100 },
          drop: { enabled: false, percent: 50 },
          email: true,
          recipients: [],
        })
        .expect(200);
      await owner.agent
        .post(`/api/v1/sites/${site.id}/email-reports`)
        .send({ email: 'reader@example.com', frequency: 'monthly' })
        .expect(201);
      for (const day of ['2026-01-30', '2026-02-02', '2026-03-05']) {
        await insertEvents(site.id, [
          { ts: at(`${day}T10:00:00Z`, 0), vid: 'v1', path: '/' },
          { ts: at(`${day}T10:00:00Z`, 1), vid: 'v1', path: '/pricing' },
        ]);
      }
    }
    // Mail of an alert still waiting to be sent, and audit entries (site.created, webhook.created, …) in two months.
    for (const site of [gone, kept]) {
      const siteId = new Types.ObjectId(site.id);
      await t.db.collection<{ _id: string; [field: string]: unknown }>('alert_mails').insertOne({
        _id: `${site.id}:spike:2026-03-05T10:00:00Z:${owner.id}`,
        siteId,
        alertId: `${site.id}:spike:2026-03-05T10:00:00Z`,
        to: owner.email,
        attempts: 1,
        nextAttemptAt: new Date(),
        expiresAt: new Date(Date.now() + 86_400_000),
      });
      await t.db.collection('audit_202601').insertOne({
        siteId,
        at: new Date('2026-01-15T10:00:00Z'),
        action: 'goal.created',
        actor: { type: 'account', id: owner.id, email: owner.email },
        details: {},
      });
    }
    // Later than every visit's timeout: the visits close and reach their partitions.
    await insertEvents(kept.id, [{ ts: at('2026-03-07T10:00:00Z', 0), vid: 'v2', path: '/' }]);
    await processPendingEvents();
    const perSiteNaming = async (id: string) =>
      (await documentsNaming(t.db, id)).filter((found) => PER_SITE.test(found.slice(0, found.indexOf(':'))));
    const goneBefore = await perSiteNaming(gone.id);
    expect(goneBefore.length).toBeGreaterThan(10);
    // The gone site has documents in the collections added since the sweep was written, as the kept one has.
    const collectionsOf = (found: string[]) => new Set(found.map((f) => f.slice(0, f.indexOf(':'))));
    const auditMonth = `audit_${new Date().toISOString().slice(0, 7).replace('-', '')}`;
    for (const name of [
      'alert_mails',
      'alert_settings',
      'email_report_subscriptions',
      'webhooks',
      'audit_202601',
      auditMonth,
    ]) {
      expect(collectionsOf(goneBefore).has(name)).toBe(true);
    }
    const keptBefore = await perSiteNaming(kept.id);

    // A deletion cut short: the site's document went, nothing else did.
    await t.db.collection('sites').deleteOne({ _id: new Types.ObjectId(gone.id) });
    const collections = (await t.db.listCollections({}, { nameOnly: true }).toArray())
      .map((c) => c.name)
      .filter((name) => PER_SITE.test(name));
    const checked = new Set<string>();
    let runs = 0;
    while (checked.size < collections.length && runs < 50) {
      const result = await sweepOrphans();
      expect(result.checked.length).toBeLessThanOrEqual(MAX_COLLECTIONS_PER_RUN);
      result.checked.forEach((name) => checked.add(name));
      runs += 1;
    }
    expect(checked).toEqual(new Set(collections));

    expect(await perSiteNaming(gone.id)).toEqual([]);
    expect(await perSiteNaming(kept.id)).toEqual(keptBefore);
    expect(await historyEvents(t.db, { siteId: kept.id })).toHaveLength(7);
  });
});
