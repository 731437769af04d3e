import { Types } from 'mongoose';

import { createSite, signUp, startTestApp, type TestApp } from '../../test/support/app';
import { siteConfigurations } from './settings';

/** Site settings as the aggregator and the jobs read them: through this domain, defaults filled in here only. */

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t.close());

describe('site configurations', () => {
  it('when stored settings lack fields or hold values the schema no longer accepts, then those fields get their defaults and the rest is kept', async () => {
    const owner = await signUp(t.app);
    const site = await createSite(owner, { timezone: 'Europe/Amsterdam' });
    const siteId = new Types.ObjectId(site.id);
    // As a site stored by an older version could be: fields missing, one out of today's range.
    await t.db
      .collection('sites')
      .updateOne(
        { _id: siteId },
        { $set: { settings: { identityMode: 'first-party', visitTimeoutMinutes: 999, rawEventRetentionDays: 90 } } },
      );
    const other = await createSite(owner, { name: 'Other', domain: 'other.example' });

    const [config] = await siteConfigurations([siteId]);
    expect(config).toEqual({
      siteId,
      timezone: 'Europe/Amsterdam',
      settings: {
        identityMode: 'first-party',
        honorDoNotTrack: false,
        visitTimeoutMinutes: 30,
        excludedIps: [],
        rawEventRetentionDays: 90,
        trackOutbound: true,
        trackDownloads: true,
        trackEngagement: true,
      },
    });
    // Without ids: every site.
    const all = (await siteConfigurations()).map((c) => String(c.siteId));
    expect(all).toEqual(expect.arrayContaining([site.id, other.id]));
  });
});
