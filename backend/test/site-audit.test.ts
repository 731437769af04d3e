import mongoose from 'mongoose';

import { startTestApp, type TestApp } from './support/app';
import { pageview, postEvent } from './support/collect';
import { auditingAlso, commandCarriesSite, takeSiteKeyViolations } from './support/site-audit';

/**
 * The shard-key audit that every test file ends with (test/support/site-audit.ts)
 * must see what it claims to: which commands carry their site, and a query the
 * backend sends without one.
 */

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t.close());

const site = new mongoose.Types.ObjectId();
const id = String(site);

describe('the shard-key audit', () => {
  it.each([
    ['find by siteId', true, 'find', { filter: { siteId: site, day: '2026-03-01' } }, 'rollup_page_202603'],
    ['find by a site-prefixed _id', true, 'find', { filter: { _id: `${id}:2026-03` } }, 'rollup_page_202603'],
    ['find by site-prefixed ids', true, 'find', { filter: { _id: { $in: [`${id}:a`, `${id}:b`] } } }, 'x'],
    ['find by one unprefixed id among them', false, 'find', { filter: { _id: { $in: [`${id}:a`, 'b'] } } }, 'x'],
    ['find everything', false, 'find', { filter: {} }, 'visits_20260301'],
    ['find by visitor only', false, 'find', { filter: { vid: 'v1' } }, 'visits_20260301'],
    ['$and with the site in one branch', true, 'find', { filter: { $and: [{ siteId: site }, { vid: 'v' }] } }, 'x'],
    ['$or with the site in one branch only', false, 'find', { filter: { $or: [{ siteId: site }, { vid: 'v' }] } }, 'x'],
    ['aggregate matching the site first', true, 'aggregate', { pipeline: [{ $match: { siteId: site } }] }, 'x'],
    [
      'aggregate matching it later',
      false,
      'aggregate',
      { pipeline: [{ $sort: { a: 1 } }, { $match: { siteId: site } }] },
      'x',
    ],
    ['insert of documents with their site', true, 'insert', { documents: [{ _id: 'a', siteId: site }] }, 'x'],
    ['insert of one without', false, 'insert', { documents: [{ _id: 'a', siteId: site }, { _id: 'b' }] }, 'x'],
    ['update by site', true, 'update', { updates: [{ q: { siteId: site }, u: {} }] }, 'x'],
    ['delete of every document', false, 'delete', { deletes: [{ q: {}, limit: 0 }] }, 'x'],
    ['a site by its _id', true, 'find', { filter: { _id: site } }, 'sites'],
  ])('when a command is %s, then it carries the site: %p', (_label, expected, name, command, collection) => {
    expect(commandCarriesSite(name, command as Record<string, unknown>, collection)).toBe(expected);
  });

  it('when the backend queries a collection without the site, then the audit records it with the code that sent it', async () => {
    // `sites` is exempt (looked up by public id by design); audited here, the collector's lookup is a violation.
    await auditingAlso('sites', async () => {
      const res = await postEvent(t.handler, pageview('unknownsite1'));
      expect(res.status).toBe(404);
    });
    const violations = takeSiteKeyViolations();
    expect(violations).toEqual([
      expect.objectContaining({
        command: 'find',
        collection: 'sites',
        filter: JSON.stringify({ publicId: 'unknownsite1' }),
        from: expect.stringContaining('src/collect/collector.ts'),
      }),
    ]);
  });

  it('when test code itself reads without a site, then the audit leaves it out', async () => {
    await t.db.collection('visits_20260301').find({}).toArray();
    expect(takeSiteKeyViolations()).toEqual([]);
  });
});
