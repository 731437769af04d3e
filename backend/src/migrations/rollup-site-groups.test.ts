import { clearAggregateData, insertEvents, storedRollups } from '../../test/support/events';
import { createSite, signUp, startTestApp, type TestApp, type TestSite } from '../../test/support/app';
import { processPendingEvents } from '../aggregate/aggregator';
import { ROLLUP_COLLECTION } from '../aggregate/model';
import { partitionOf } from '../collect/inbox';
import { rollupSiteGroups } from './rollup-site-groups';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t.close());

const rollupNames = async () =>
  (await t.db.listCollections({ name: { $regex: '^rollup_' } }, { nameOnly: true }).toArray()).map((c) => c.name);

/** Puts every grouped rollup collection back under its name before migration 11 (`rollup_<part>_<yyyymm|open>`). */
async function ungroup(): Promise<void> {
  for (const name of await rollupNames()) {
    const match = ROLLUP_COLLECTION.exec(name);
    if (!match) continue;
    const docs = await t.db.collection(name).find({}).toArray();
    await t.db.collection(`rollup_${match[1]}_${match[2]}`).insertMany(docs);
    await t.db.dropCollection(name);
  }
}

describe('migration 11: rollups in site groups', () => {
  it('when rollups of sites in different groups share the old collections, then each lands in its group with every row, also after an interrupted run', async () => {
    await clearAggregateData();
    const user = await signUp(t.app);
    const sites: TestSite[] = [await createSite(user)];
    // A second site in another group, so the old collections hold two groups' documents.
    while (sites.length < 2) {
      const site = await createSite(user);
      if (partitionOf(site.id) !== partitionOf(sites[0]!.id)) sites.push(site);
    }
    const recent = new Date(Date.now() - 3_600_000).toISOString();
    for (const [i, site] of sites.entries()) {
      await insertEvents(site.id, [
        // Months ago: month documents; an hour ago: open days.
        { ts: '2026-03-10T10:00:00Z', vid: `a${i}`, path: '/old' },
        { ts: '2026-03-11T10:00:00Z', vid: `b${i}`, path: `/only-${i}`, referrer: 'https://news.example.org/' },
        { ts: recent, vid: `c${i}`, path: '/new' },
      ]);
    }
    await processPendingEvents();
    const before = await Promise.all(sites.map((site) => storedRollups(site.id)));
    expect(before.map((rows) => rows.length > 0)).toEqual([true, true]);

    await ungroup();
    expect((await rollupNames()).filter((name) => ROLLUP_COLLECTION.test(name))).toEqual([]);
    // A run that died after moving one document: that copy is already in its group.
    const [old] = (await rollupNames()).filter((name) => /_\d{6}$/.test(name));
    const first = await t.db.collection(old!).findOne({});
    await t.db.collection(`${old}_p${String(partitionOf(String(first!.siteId))).padStart(2, '0')}`).insertOne(first!);

    await rollupSiteGroups.up(t.db);
    await rollupSiteGroups.up(t.db);

    const after = await Promise.all(sites.map((site) => storedRollups(site.id)));
    expect(after).toEqual(before);
    const names = await rollupNames();
    expect(names.filter((name) => !ROLLUP_COLLECTION.test(name))).toEqual([]);
    expect(names.some((name) => name.endsWith('_open_p' + String(partitionOf(sites[1]!.id)).padStart(2, '0')))).toBe(
      true,
    );
    for (const name of names) {
      const group = Number(ROLLUP_COLLECTION.exec(name)![3]);
      const siteIds = (await t.db.collection(name).distinct('siteId')).map(String);
      expect({ name, groups: [...new Set(siteIds.map((id) => partitionOf(id)))] }).toEqual({ name, groups: [group] });
    }
  }, 60_000);
});
