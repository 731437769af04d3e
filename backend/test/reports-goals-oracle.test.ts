import mongoose from 'mongoose';

import { processPendingEvents } from '../src/aggregate/aggregator';
import { runGoalBackfills } from '../src/aggregate/goal-backfill';
import { rebuildRollups } from '../src/aggregate/rebuild';
import { appendToInbox } from '../src/aggregate/inbox';
import type { StoredEvent } from '../src/collect/model';
import { recountGoalConversions } from '../src/reports/goals';
import { createSite, signUp, startTestApp, type TestApp, type TestUser } from './support/app';
import { storedRollups } from './support/events';
import {
  daysBetween,
  generateTraffic,
  qs,
  sessionise,
  stored,
  type OracleVisit,
  type StoredRaw,
} from './support/reports';

/**
 * Goal conversions from the rollups (decision 0010) against an independent oracle:
 * seeded traffic in three time zones arrives in small batches, so visits span
 * batches and midnight; goals of every kind are created before the traffic, after
 * the first half of it (then backfilled while visits are still open) and edited and
 * deleted later. At each step the goals report and the overview's conversions
 * equal what is counted here from the raw events, with no report code:
 *
 * - a conversion is a visit that started in the range and had a pageview or custom
 *   event of the range matching the goal (any goal, for the overview);
 * - its visitors count once per day a converted visit of theirs started;
 * - the rate divides converted visits by the range's visits.
 */

let t: TestApp;
let user: TestUser;

interface GoalSpec {
  body: Record<string, string>;
  test: (e: StoredRaw) => boolean;
}

const GOALS: Record<'blog' | 'pricing' | 'download' | 'pro' | 'outbound', GoalSpec> = {
  blog: {
    body: { name: 'Blog', kind: 'page', match: '/blog/*' },
    test: (e) => e.kind === 'pv' && /^\/blog\/.*$/s.test(e.path),
  },
  pricing: {
    body: { name: 'Pricing', kind: 'page', match: '/pricing' },
    test: (e) => e.kind === 'pv' && e.path === '/pricing',
  },
  download: {
    body: { name: 'Download', kind: 'event', match: 'download' },
    test: (e) => e.kind === 'ev' && e.name === 'download',
  },
  pro: {
    body: { name: 'Pro signup', kind: 'event', match: 'signup', propKey: 'plan', propValue: 'pro' },
    test: (e) => e.kind === 'ev' && e.name === 'signup' && e.props?.plan === 'pro',
  },
  outbound: {
    body: { name: 'Download', kind: 'event', match: 'outbound' },
    test: (e) => e.kind === 'ev' && e.name === 'outbound',
  },
};

interface SiteFixture {
  id: string;
  zone: string;
  events: StoredRaw[];
  goals: Map<string, GoalSpec>;
  ranges: Array<[string, string]>;
}

const WINDOW = { from: '2026-10-24T00:00:00Z', to: '2026-11-03T00:00:00Z' };
/** The first half of the traffic arrives before the goals made after it, the second half after their backfill. */
const SPLIT = Date.parse('2026-10-29T12:00:00Z');
/** The backfill reads the days from here on under the aggregator lease, the days before without it. */
const LEASED_FROM = '2026-10-28';

const sites: SiteFixture[] = [];
let arrived = 0;

/** Events handcrafted into every site: conversions after midnight, and a visit open across the split. */
function crafted(siteId: string, zone: string, prefix: string): StoredRaw[] {
  const local = (iso: string) => new Date(new Date(`${iso}Z`).getTime() - offsetMs(zone, `${iso}Z`));
  const at = (ms: number) => new Date(ms);
  const base = { country: 'NL', source: '', channel: 'Direct' };
  return [
    // Converts on blog at once on the 27th, then its next visit, from 23:50, on blog and pro after midnight:
    // the 27th alone has one blog conversion and no pro one, and the visitor counts once per start day.
    stored(siteId, zone, { ...base, ts: local('2026-10-27T21:00:00'), vid: `c:${prefix}owl00000xx`, path: '/blog/a' }),
    stored(siteId, zone, { ...base, ts: local('2026-10-27T23:50:00'), vid: `c:${prefix}owl00000xx`, path: '/' }),
    stored(siteId, zone, {
      ...base,
      ts: local('2026-10-28T00:10:00'),
      vid: `c:${prefix}owl00000xx`,
      path: '/blog/dst',
    }),
    stored(siteId, zone, {
      ...base,
      ts: local('2026-10-28T00:12:00'),
      vid: `c:${prefix}owl00000xx`,
      kind: 'ev',
      name: 'signup',
      props: { plan: 'pro' },
    }),
    // Open while its goals are created and backfilled: pricing before the split, download and pro after it.
    stored(siteId, zone, { ...base, ts: at(SPLIT - 5 * 60_000), vid: `c:${prefix}mid00000xx`, path: '/pricing' }),
    stored(siteId, zone, {
      ...base,
      ts: at(SPLIT + 5 * 60_000),
      vid: `c:${prefix}mid00000xx`,
      kind: 'ev',
      name: 'download',
      props: { file: 'a.pdf' },
    }),
    stored(siteId, zone, {
      ...base,
      ts: at(SPLIT + 8 * 60_000),
      vid: `c:${prefix}mid00000xx`,
      kind: 'ev',
      name: 'signup',
      props: { plan: 'pro' },
    }),
  ];
}

/** The zone's offset from UTC at an instant, in ms. */
function offsetMs(zone: string, iso: string): number {
  const date = new Date(iso);
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: zone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(date);
  const get = (type: string) => Number(parts.find((p) => p.type === type)!.value);
  const asUtc = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return asUtc - date.getTime();
}

/** Queues events in arrival (time) order in small chunks, so batches are small and visits span them. */
async function arrive(until: number): Promise<void> {
  const all = sites
    .flatMap((s) => s.events)
    .sort((a, b) => a.ts.getTime() - b.ts.getTime() || (a._id < b._id ? -1 : 1));
  const now = all.filter((e) => e.ts.getTime() >= arrived && e.ts.getTime() < until);
  for (let i = 0; i < now.length; i += 40) await appendToInbox(now.slice(i, i + 40) as unknown as StoredEvent[]);
  arrived = until;
  await processPendingEvents({ batchSize: 80 });
}

async function addGoal(site: SiteFixture, spec: GoalSpec): Promise<string> {
  const res = await user.agent.post(`/api/v1/sites/${site.id}/goals`).send(spec.body);
  expect(res.status).toBe(201);
  site.goals.set(res.body.id as string, spec);
  return res.body.id as string;
}

beforeAll(async () => {
  t = await startTestApp();
  user = await signUp(t.app);
  const zones: Array<[string, string, number, Array<[string, string]>]> = [
    [
      'Europe/Amsterdam',
      'ams',
      7,
      [
        ['2026-10-25', '2026-10-25'],
        ['2026-10-27', '2026-10-27'],
        ['2026-10-24', '2026-10-30'],
        ['2026-10-28', '2026-11-02'],
      ],
    ],
    [
      'America/New_York',
      'nyc',
      11,
      [
        ['2026-11-01', '2026-11-01'],
        ['2026-10-27', '2026-10-28'],
        ['2026-10-26', '2026-11-01'],
        ['2026-10-23', '2026-11-03'],
      ],
    ],
    [
      'Pacific/Auckland',
      'akl',
      13,
      [
        ['2026-10-27', '2026-10-27'],
        ['2026-10-29', '2026-10-30'],
        ['2026-10-24', '2026-10-31'],
        ['2026-10-31', '2026-11-03'],
      ],
    ],
  ];
  for (const [zone, prefix, seed, ranges] of zones) {
    const site = await createSite(user, { name: prefix, domain: `${prefix}.example`, timezone: zone });
    const events = [
      ...generateTraffic({ siteId: site.id, zone, seed, visitors: 25, prefix, ...WINDOW }),
      ...crafted(site.id, zone, prefix),
    ];
    sites.push({ id: site.id, zone, events, goals: new Map(), ranges });
  }
}, 120_000);
afterAll(() => t.close());

// ---- the oracle -----------------------------------------------------------------------

const pct = (part: number, whole: number) => (whole ? Math.round((1000 * part) / whole) / 10 : 0);

interface Expected {
  visits: number;
  goals: Map<string, { visits: number; visitors: number; conversionRate: number }>;
  any: number;
}

function oracle(site: SiteFixture, from: string, to: string): Expected {
  const days = new Set(daysBetween(from, to));
  const visits = sessionise(site.events.filter((e) => e.ts.getTime() < arrived)).filter((v) => days.has(v.day));
  const hits = (v: OracleVisit) => v.events.filter((e) => (e.kind === 'pv' || e.kind === 'ev') && days.has(e.day));
  const goals = new Map<string, { visits: number; visitors: number; conversionRate: number }>();
  for (const [id, spec] of site.goals) {
    const converted = visits.filter((v) => hits(v).some(spec.test));
    goals.set(id, {
      visits: converted.length,
      visitors: new Set(converted.map((v) => `${v.day}|${v.vid}`)).size,
      conversionRate: pct(converted.length, visits.length),
    });
  }
  const any = visits.filter((v) => hits(v).some((e) => [...site.goals.values()].some((g) => g.test(e)))).length;
  return { visits: visits.length, goals, any };
}

// ---- comparison ------------------------------------------------------------------------

async function get(url: string) {
  const res = await user.agent.get(url);
  if (res.status !== 200) throw new Error(`GET ${url} → ${res.status} ${res.text.slice(0, 300)}`);
  return res.body as Record<string, unknown>;
}

/** Every range of every site: the goals report and the overview's conversions against the oracle. */
async function compare(source: 'rollups' | 'raw', filters: string[] = []): Promise<string[]> {
  const problems: string[] = [];
  for (const site of sites) {
    for (const [from, to] of site.ranges) {
      const where = `${site.zone} ${from}..${to}`;
      const want = oracle(site, from, to);
      const report = await get(`/api/v1/sites/${site.id}/stats/goals?${qs({ from, to }, filters)}`);
      if (report.source !== source) problems.push(`${where}: source ${String(report.source)}, expected ${source}`);
      if (report.visits !== want.visits)
        problems.push(`${where}: visits ${String(report.visits)}, expected ${want.visits}`);
      const rows = report.goals as Array<{ id: string; visits: number; visitors: number; conversionRate: number }>;
      expect(rows.map((r) => r.id).sort()).toEqual([...want.goals.keys()].sort());
      for (const row of rows) {
        const { visits, visitors, conversionRate } = row;
        const expected = want.goals.get(row.id);
        if (JSON.stringify({ visits, visitors, conversionRate }) !== JSON.stringify(expected))
          problems.push(
            `${where} goal ${row.id}: ${JSON.stringify({ visits, visitors, conversionRate })}, expected ${JSON.stringify(expected)}`,
          );
      }
      const overview = await get(
        `/api/v1/sites/${site.id}/stats/overview?${qs({ from, to, compare: 'none' }, filters)}`,
      );
      const metrics = overview.metrics as { conversions: number; conversionRate: number; visits: number };
      if (metrics.conversions !== want.any || metrics.conversionRate !== pct(want.any, want.visits))
        problems.push(
          `${where}: overview conversions ${metrics.conversions} (${metrics.conversionRate}%), expected ${want.any}`,
        );
    }
  }
  return problems;
}

/** Reads of raw history (stored events and closed visits) while `work` runs. */
async function rawReads(work: () => Promise<unknown>): Promise<string[]> {
  const reads: string[] = [];
  const listener = (event: { commandName: string; command: Record<string, unknown> }) => {
    const collection = String(event.command[event.commandName] ?? '');
    if (/^(events|visits)_\d{8}$/.test(collection)) reads.push(`${event.commandName} ${collection}`);
  };
  const client = mongoose.connection.getClient();
  client.on('commandStarted', listener);
  try {
    await work();
  } finally {
    client.off('commandStarted', listener);
  }
  return reads;
}

/** A site's stored goal rows, as `day key visits visitors`. */
async function goalRows(site: SiteFixture): Promise<string[]> {
  return (await storedRollups(site.id))
    .filter((r) => r.dim === 'goals' && (r.visits !== 0 || r.visitors !== 0))
    .map((r) => `${r.period} ${r.key} ${r.visits} ${r.visitors}`)
    .sort();
}

// ---- the story -------------------------------------------------------------------------

describe('goal conversions from the rollups against an independent oracle', () => {
  it('when a goal exists before its traffic, then the aggregator counts it batch by batch', async () => {
    for (const site of sites) await addGoal(site, GOALS.blog);
    expect(await runGoalBackfills()).toBe(sites.length);
    await arrive(SPLIT);
    expect(await compare('rollups')).toEqual([]);
  }, 300_000);

  it('when goals of every kind are created after their traffic, then reports count them from the raw history until the backfill, and from the rollups after it', async () => {
    for (const site of sites) {
      await addGoal(site, GOALS.pricing);
      await addGoal(site, GOALS.download);
      await addGoal(site, GOALS.pro);
    }
    expect(await compare('raw')).toEqual([]);
    expect(await runGoalBackfills({ leasedFrom: LEASED_FROM })).toBe(sites.length);
    expect(await compare('rollups')).toEqual([]);
  }, 300_000);

  it('when the rest of the traffic arrives after the backfill, then visits it left open go on converting exactly once', async () => {
    await arrive(Date.parse(WINDOW.to) + 86_400_000);
    expect(await compare('rollups')).toEqual([]);
    for (const site of sites) {
      // What the comparison covers: conversions, some first reached on a later day than their visit's.
      const rows = await goalRows(site);
      expect(rows.filter((row) => / \S+\|0 /.test(row)).length).toBeGreaterThan(5);
      expect(rows.some((row) => / \S+\|[1-9]\d* /.test(row))).toBe(true);
    }
    // The filtered engine agrees, with a filter that selects every visit.
    expect(await compare('raw', ['country:is_not:__none__'])).toEqual([]);
  }, 300_000);

  it('when the rollups are current, then the overview and the goals report read no raw event or visit', async () => {
    const site = sites[0]!;
    const [from, to] = site.ranges[2]!;
    const reads = await rawReads(async () => {
      await get(`/api/v1/sites/${site.id}/stats/overview?${qs({ from, to })}`);
      await get(`/api/v1/sites/${site.id}/stats/goals?${qs({ from, to })}`);
    });
    expect(reads).toEqual([]);
  });

  it('when the counts made batch by batch are recounted, by a rebuild or from the history, then every stored goal row is the same', async () => {
    const before = await Promise.all(sites.map(goalRows));
    for (const site of sites) {
      // A new name counts the same visits: nothing to recount.
      const [id] = site.goals.keys();
      await user.agent.patch(`/api/v1/sites/${site.id}/goals/${id}`).send({ name: 'Blog posts' }).expect(200);
    }
    expect(await runGoalBackfills()).toBe(0);
    // A rebuild counts the goals afresh, then asks for a recount (a backfill may have read its history meanwhile).
    await rebuildRollups(sites[0]!.id);
    expect(await goalRows(sites[0]!)).toEqual(before[0]);
    for (const site of sites.slice(1)) await recountGoalConversions(new mongoose.Types.ObjectId(site.id));
    expect(await compare('raw')).toEqual([]);
    expect(await runGoalBackfills()).toBe(sites.length);
    expect(await Promise.all(sites.map(goalRows))).toEqual(before);
    expect(await compare('rollups')).toEqual([]);
  }, 300_000);

  it('when a goal is edited, then it is recounted with its new definition', async () => {
    for (const site of sites) {
      const id = [...site.goals].find(([, spec]) => spec === GOALS.download)![0];
      const res = await user.agent.patch(`/api/v1/sites/${site.id}/goals/${id}`).send({ match: 'outbound' });
      expect(res.status).toBe(200);
      site.goals.set(id, GOALS.outbound);
    }
    expect(await compare('raw')).toEqual([]);
    expect(await runGoalBackfills()).toBe(sites.length);
    expect(await compare('rollups')).toEqual([]);
  }, 300_000);

  it('when a goal is deleted, then its rows are dropped and "any goal" no longer counts it', async () => {
    const deleted: string[] = [];
    for (const site of sites) {
      const id = [...site.goals].find(([, spec]) => spec === GOALS.pricing)![0];
      await user.agent.delete(`/api/v1/sites/${site.id}/goals/${id}`).expect(204);
      site.goals.delete(id);
      deleted.push(id);
    }
    expect(await runGoalBackfills()).toBe(sites.length);
    expect(await compare('rollups')).toEqual([]);
    for (const [i, site] of sites.entries()) {
      expect((await goalRows(site)).filter((row) => row.includes(` ${deleted[i]}|`))).toEqual([]);
    }
  }, 300_000);

  it('when the last goal is deleted, then its backfill drops every goal row', async () => {
    const site = sites[2]!;
    for (const id of [...site.goals.keys()]) {
      await user.agent.delete(`/api/v1/sites/${site.id}/goals/${id}`).expect(204);
      site.goals.delete(id);
    }
    expect(await runGoalBackfills()).toBe(1);
    expect(await goalRows(site)).toEqual([]);
    const overview = await get(
      `/api/v1/sites/${site.id}/stats/overview?${qs({ from: '2026-10-24', to: '2026-11-03' })}`,
    );
    expect(overview.metrics).toMatchObject({ conversions: 0, conversionRate: 0 });
  }, 300_000);
});
