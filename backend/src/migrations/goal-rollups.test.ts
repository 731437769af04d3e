import { Types } from 'mongoose';

import { runGoalBackfills } from '../aggregate/goal-backfill';
import { createSite, signUp, startTestApp, type TestApp } from '../../test/support/app';
import { goalRollups } from './goal-rollups';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t.close());

describe('migration 9: goals from before goal rollups are recounted', () => {
  it('when goals have no rollup fields, then they are marked pending with their sites due once, and the job makes them current', async () => {
    const user = await signUp(t.app);
    const site = await createSite(user);
    const siteId = new Types.ObjectId(site.id);
    const createdAt = new Date('2026-01-05T10:00:00Z');
    const legacy = { siteId, name: 'Old', kind: 'page', match: '/thanks', propKey: '', propValue: '', createdAt };
    const { insertedId } = await t.db.collection('goals').insertOne({ ...legacy, updatedAt: createdAt });

    await goalRollups.up(t.db);
    await goalRollups.up(t.db);

    expect(await t.db.collection('goals').findOne({ _id: insertedId })).toMatchObject({
      revision: 1,
      rollupsPending: true,
      rollupsMatch: '',
    });
    expect(await t.db.collection('goal_backfills').find({}).toArray()).toEqual([
      { _id: site.id, siteId, revision: 1, pending: true, claimedUntil: new Date(0) },
    ]);
    const pending = await user.agent.get(`/api/v1/sites/${site.id}/stats/goals?from=2026-01-01&to=2026-01-31`);
    expect(pending.body).toMatchObject({ source: 'raw', goals: [{ name: 'Old', visits: 0 }] });

    expect(await runGoalBackfills()).toBe(1);
    const current = await user.agent.get(`/api/v1/sites/${site.id}/stats/goals?from=2026-01-01&to=2026-01-31`);
    expect(current.body).toMatchObject({ source: 'rollups', goals: [{ name: 'Old', visits: 0 }] });
  });
});
