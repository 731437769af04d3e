import { Types } from 'mongoose';

import { inboxBacklog } from './inbox';
import { partitionOf } from '../lib/partition';

import { createSite, signUp, startTestApp, type TestApp, type TestUser } from '../../test/support/app';
import { at, clearAggregateData, insertEvents, storedRollups, type RawEventInput } from '../../test/support/events';
import { processPendingEvents } from './aggregator';
import { lockIdOf } from './lease';
import { collections, type Counter } from './model';
import { rebuildRollups } from './rebuild';
import { applyRetention } from './retention';
import { allVisits, summariseVisitors } from './service';
import { readDays, uniqueVisitors, type RollupRow } from './rollups';
import { historyEvents } from '../../test/support/history';

let t: TestApp;
let user: TestUser;
beforeAll(async () => {
  t = await startTestApp();
  user = await signUp(t.app);
});
afterAll(() => t.close());
beforeEach(() => clearAggregateData());

const T0 = '2026-03-10T08:00:00.000Z';
const TIMEOUT_MIN = 30;

/** A small deterministic PRNG so the generated traffic is the same every run. */
function prng(seed: number) {
  return () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
}

/**
 * Traffic over two days: a few visitors, gaps both under and over the visit timeout, events with props.
 * In arrival order, as the collector stamps `ts` when an event arrives.
 */
function traffic(count: number, seed = 7): RawEventInput[] {
  const random = prng(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
  const clock = new Map<string, number>();
  const out: RawEventInput[] = [];
  for (let i = 0; i < count; i += 1) {
    const vid = `v${Math.floor(random() * 12)}`;
    const minute = (clock.get(vid) ?? Math.floor(random() * 600)) + pick([1, 2, 5, 20, 29, 31, 45, 200]);
    clock.set(vid, minute);
    const kind = random() < 0.2 ? 'ev' : 'pv';
    out.push({
      id: `e${i}`,
      ts: at(T0, minute),
      vid,
      kind,
      path: pick(['/', '/pricing', '/blog/a', '/blog/b']),
      source: pick(['Google', 'Direct', 'Twitter']),
      country: pick(['NL', 'DE']),
      ...(kind === 'ev' ? { name: pick(['signup', 'download']), props: { plan: pick(['free', 'pro']) } } : {}),
    });
  }
  return out.sort((a, b) => new Date(a.ts).getTime() - new Date(b.ts).getTime());
}

type Counters = Record<string, number>;

/** Independent oracle: the expected daily rollups, computed from the raw events with plain TypeScript. */
function oracle(inputs: RawEventInput[]): Map<string, Counters> {
  const events = inputs
    .map((e) => ({
      ...e,
      ts: new Date(e.ts),
      kind: e.kind ?? 'pv',
      path: e.path ?? '/',
      source: String(e.source ?? ''),
      country: String(e.country ?? ''),
      name: String(e.name ?? ''),
    }))
    .sort((a, b) => a.ts.getTime() - b.ts.getTime() || String(a.id).localeCompare(String(b.id)));
  const out = new Map<string, Counters>();
  const uniques = new Map<string, Set<string>>();
  const bump = (day: string, dim: string, key: string, counter: string, n = 1) => {
    const id = `${day}|${dim}|${key}`;
    const c = out.get(id) ?? {};
    c[counter] = (c[counter] ?? 0) + n;
    out.set(id, c);
  };
  const seen = (day: string, dim: string, key: string, vid: string) => {
    const id = `${day}|${dim}|${key}`;
    const set = uniques.get(id) ?? new Set();
    set.add(vid);
    uniques.set(id, set);
  };
  const byVisitor = new Map<string, typeof events>();
  for (const e of events) byVisitor.set(e.vid, [...(byVisitor.get(e.vid) ?? []), e]);
  for (const [vid, list] of byVisitor) {
    const visits: Array<typeof events> = [];
    for (const e of list) {
      const current = visits[visits.length - 1];
      const last = current?.[current.length - 1];
      if (current && last && e.ts.getTime() - last.ts.getTime() <= TIMEOUT_MIN * 60_000) current.push(e);
      else visits.push([e]);
    }
    for (const visit of visits) {
      const first = visit[0]!;
      const day = first.ts.toISOString().slice(0, 10);
      const pvs = visit.filter((e) => e.kind === 'pv');
      const evs = visit.filter((e) => e.kind === 'ev');
      const bounce = pvs.length + evs.length <= 1 ? 1 : 0;
      const duration = visit[visit.length - 1]!.ts.getTime() - first.ts.getTime();
      for (const [dim, key] of [
        ['all', ''],
        ['source', String(first.source)],
        ['country', String(first.country)],
      ] as const) {
        bump(day, dim, key, 'visits');
        bump(day, dim, key, 'bounces', bounce);
        bump(day, dim, key, 'duration', duration);
        bump(day, dim, key, 'pageviews', pvs.length);
        if (dim !== 'all') seen(day, dim, key, vid);
      }
      if (pvs.length > 0) {
        bump(day, 'page', pvs[0]!.path, 'entries');
        bump(day, 'page', pvs[pvs.length - 1]!.path, 'exits');
        bump(day, 'entry_page', pvs[0]!.path, 'visits');
        bump(day, 'exit_page', pvs[pvs.length - 1]!.path, 'visits');
      }
      for (const e of visit) {
        const eday = e.ts.toISOString().slice(0, 10);
        seen(eday, 'all', '', vid);
        if (e.kind === 'pv') {
          bump(eday, 'page', e.path, 'pageviews');
          seen(eday, 'page', e.path, vid);
        } else {
          bump(eday, 'all', '', 'events');
          bump(eday, 'event', String(e.name), 'events');
          seen(eday, 'event', String(e.name), vid);
        }
      }
    }
  }
  for (const [id, set] of uniques) {
    const c = out.get(id) ?? {};
    c.visitors = set.size;
    out.set(id, c);
  }
  return out;
}

function expectMatchesOracle(stored: RollupRow[], expected: Map<string, Counters>) {
  const byId = new Map(stored.map((r) => [`${r.period}|${r.dim}|${r.key}`, r]));
  for (const [id, counters] of expected) {
    const doc = byId.get(id);
    const actual = Object.fromEntries(Object.keys(counters).map((c) => [c, doc?.[c as Counter] ?? 0]));
    expect({ id, ...actual }).toEqual({ id, ...counters });
  }
}

/** Everything derived, without batch bookkeeping, in a stable order. */
async function snapshot(siteId: string) {
  const site = new Types.ObjectId(siteId);
  const strip = <T extends object>(doc: T) => {
    const { _id, ...rest } = doc as Record<string, unknown>;
    return { _id: String(_id), ...rest };
  };
  const sortBy =
    (key: (d: Record<string, unknown>) => string) => (a: Record<string, unknown>, b: Record<string, unknown>) =>
      key(a).localeCompare(key(b));
  return {
    rollups: (await storedRollups(siteId)).sort(sortBy((d) => `${String(d.period)}|${String(d.dim)}|${String(d.key)}`)),
    visits: (await allVisits(site)).map(strip).sort(sortBy((d) => String(d._id))),
    visitors: summariseVisitors(await allVisits(site)).sort((a, b) => a.vid.localeCompare(b.vid)),
  };
}

describe('correctness against an oracle', () => {
  it('when traffic arrives in chunks processed in small batches, then the rollups equal the oracle', async () => {
    const site = await createSite(user, { timezone: 'UTC' });
    const events = traffic(60);
    for (let i = 0; i < events.length; i += 20) {
      await insertEvents(site.id, events.slice(i, i + 20));
      await processPendingEvents({ batchSize: 9 });
    }
    expectMatchesOracle(await storedRollups(site.id), oracle(events));
  });

  it('when the rollups are rebuilt, then they equal the live result', async () => {
    const site = await createSite(user, { timezone: 'UTC' });
    const events = traffic(60, 11);
    for (let i = 0; i < events.length; i += 30) {
      await insertEvents(site.id, events.slice(i, i + 30));
      await processPendingEvents({ batchSize: 11 });
    }
    const live = await snapshot(site.id);
    await rebuildRollups(site.id, { batchSize: 50 });
    expect(await snapshot(site.id)).toEqual(live);
  });

  it('when a multi-day range is asked for, then the HLL union counts each visitor once', async () => {
    const site = await createSite(user, { timezone: 'UTC' });
    const day = (d: number, vid: string) => ({ ts: `2026-03-1${d}T12:00:00Z`, vid });
    await insertEvents(site.id, [day(0, 'a'), day(0, 'b'), day(1, 'a'), day(1, 'c'), day(2, 'a')]);
    await processPendingEvents();
    const unique = async (days: string[]) => uniqueVisitors(await readDays(new Types.ObjectId(site.id), days, true));
    expect(await unique(['2026-03-11'])).toEqual({ visitors: 2, exact: true });
    expect(await unique(['2026-03-10', '2026-03-11', '2026-03-12'])).toEqual({ visitors: 3, exact: false });
  });
});

describe('idempotency and concurrency', () => {
  it('when aggregated events are sent again, then the rollups, visits and visitors are unchanged', async () => {
    const site = await createSite(user, { timezone: 'UTC' });
    const events = traffic(60, 3);
    await insertEvents(site.id, events);
    await processPendingEvents();
    const before = await snapshot(site.id);
    const stored = (await historyEvents(t.db, { siteId: site.id })).length;

    await insertEvents(site.id, events);
    await processPendingEvents();
    expect(await snapshot(site.id)).toEqual(before);
    expect(await historyEvents(t.db, { siteId: site.id })).toHaveLength(stored);
  });

  it('when a batch dies after some of its writes, then the next run finishes it without double counting', async () => {
    const site = await createSite(user, { timezone: 'UTC' });
    const events = traffic(80, 5);
    await insertEvents(site.id, events.slice(0, 40));
    await processPendingEvents();
    await insertEvents(site.id, events.slice(40));

    // Fail the journal's commit record: rollups, closed visits, events and the visitor-days record are already stored.
    const real = collections.aggregatorState;
    const spy = jest.spyOn(collections, 'aggregatorState').mockImplementation((epoch, part) => {
      const collection = real(epoch, part);
      return new Proxy(collection, {
        get: (target, prop, receiver) =>
          prop === 'insertMany' && part === 'visits'
            ? () => Promise.reject(new Error('connection lost'))
            : Reflect.get(target, prop, receiver),
      });
    });
    await expect(processPendingEvents()).rejects.toThrow('connection lost');
    spy.mockRestore();
    expect(await collections.locks().findOne({ _id: lockIdOf(partitionOf(site.id)) })).toMatchObject({
      pending: expect.anything(),
    });

    await processPendingEvents();
    expectMatchesOracle(await storedRollups(site.id), oracle(events));
    expect(await inboxBacklog()).toBe(0);
    expect(await historyEvents(t.db, { siteId: site.id })).toHaveLength(events.length);
  });

  it('when the holder dies after committing batches whose chunks it had not deleted yet, then its successor counts none of them again', async () => {
    const site = await createSite(user, { timezone: 'UTC' });
    const events = traffic(80, 11);
    // One inbox chunk per ten events, so that small batches leave a backlog behind each other.
    for (let i = 0; i < events.length; i += 10) await insertEvents(site.id, events.slice(i, i + 10));
    let batches = 0;
    await processPendingEvents({ batchSize: 10, shouldStop: () => ++batches === 3 });
    // Three batches are committed, but with a backlog behind them their chunks wait to be deleted.
    expect(await inboxBacklog()).toBe(80);

    // The successor knows nothing of them: it reads them again, and the event claims drop their events.
    await processPendingEvents();
    expectMatchesOracle(await storedRollups(site.id), oracle(events));
    expect(await inboxBacklog()).toBe(0);
    expect(await historyEvents(t.db, { siteId: site.id })).toHaveLength(events.length);
  });

  it('when two aggregators drain at once, then the lease lets one work and the counts are exact', async () => {
    const site = await createSite(user, { timezone: 'UTC' });
    const events = traffic(60, 9);
    await insertEvents(site.id, events);
    const [a, b] = await Promise.all([
      processPendingEvents({ batchSize: 10 }),
      processPendingEvents({ batchSize: 10 }),
    ]);
    expect(a.events + b.events).toBe(60);
    expectMatchesOracle(await storedRollups(site.id), oracle(events));
  });

  it('when the visit timeout setting changes, then the next batch uses it', async () => {
    const site = await createSite(user, { timezone: 'UTC' });
    await insertEvents(site.id, [{ ts: at(T0, 0), vid: 'a' }]);
    await processPendingEvents();
    const res = await user.agent.patch(`/api/v1/sites/${site.id}`).send({ settings: { visitTimeoutMinutes: 60 } });
    expect(res.status).toBe(200);
    await insertEvents(site.id, [{ ts: at(T0, 45), vid: 'a', path: '/later' }]);
    await processPendingEvents();
    expect(await allVisits(site.id)).toHaveLength(1);
  });
});

describe('retention', () => {
  it('when the retention job runs, then only raw events and rollups past their retention are deleted', async () => {
    const site = await createSite(user, { timezone: 'UTC', settings: { rawEventRetentionDays: 30 } });
    const now = new Date('2026-06-01T00:00:00Z');
    await insertEvents(site.id, [
      { ts: '2024-01-15T10:00:00Z', vid: 'ancient' },
      { ts: '2026-04-01T10:00:00Z', vid: 'old' },
      { ts: '2026-05-30T10:00:00Z', vid: 'recent' },
    ]);
    await processPendingEvents();

    const deleted = await applyRetention(now);
    expect(deleted).toMatchObject({ events: 2, visits: 2 });
    const siteId = new Types.ObjectId(site.id);
    expect((await historyEvents(t.db, { siteId })).map((e) => e.vid)).toEqual(['recent']);
    const periods = (await storedRollups(site.id))
      .filter((r) => r.dim === 'all')
      .map((r) => r.period)
      .sort();
    expect(periods).toEqual(['2026-04-01', '2026-04-01T10', '2026-05-30', '2026-05-30T10']);
    expect((await allVisits(siteId)).map((v) => v.vid)).toEqual(['recent']);
  });
});
