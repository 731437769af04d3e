import { DateTime } from 'luxon';
import mongoose from 'mongoose';

import { processPendingEvents } from '../src/aggregate/aggregator';
import { runGoalBackfills } from '../src/aggregate/goal-backfill';
import { BREAKDOWN_DIMENSIONS } from '../src/reports/dimensions';
import { createSite, signUp, startTestApp, type TestApp, type TestUser } from './support/app';
import { family, recordCommands } from './support/commands';
import { insertRaw, qs, stored, type RawInput, type StoredRaw } from './support/reports';

/**
 * Issue 11, point 2 (decision 0011): a site's reports read its own documents and
 * no other site's. Sites A and B have data in the same days, months and
 * collections, on the same paths and goals; every report the dashboard asks for
 * site A is recorded with the driver's command monitor, and:
 *
 * - every command on a data collection names site A only: `siteId` A, or an `_id`
 *   equality, `$in` or prefix regex of ids that start with A's id (the shard key on
 *   MongoDB; decision 0011 says what FerretDB makes of each);
 * - no command mentions site B, and no reply carries a document of site B;
 * - the answers are A's numbers, not A's and B's together.
 */

let t: TestApp;
let ownerA: TestUser;
let ownerB: TestUser;
let siteA: string;
let siteB: string;
let publicB: string;
let goalsA: Record<'home' | 'pricing' | 'signup', string>;
let funnelA: string;
let eventsA: StoredRaw[];

/** Collections a report may read without naming the site, and why. */
const NOT_PER_SITE: Record<string, string> = {
  sessions: "the caller's session, found by the hash of its cookie",
  accounts: 'the signed-in account, found by its id: the audit log names who exported',
  locks: "the aggregator lease of the site's partition, read for the epoch of its open visits",
  'aggstate_<epoch>_visits':
    "the open visits of the aggregator state that holds the site: its partition's journal, read whole and filtered in memory (decision 0011: bounded by the partition's open visits, not by the site)",
};

/** Commands that name no document: cursors, sessions, metadata. */
const NAMES_NO_DOCUMENT = new Set(['getMore', 'killCursors', 'endSessions', 'listCollections', 'listIndexes', 'ping']);

type Doc = Record<string, unknown>;
const isDoc = (value: unknown): value is Doc =>
  typeof value === 'object' && value !== null && !(value instanceof mongoose.mongo.ObjectId) && !Array.isArray(value);

/** `value` is site A's id (as an ObjectId or its hex), possibly under `$eq`. */
function isSiteA(value: unknown): boolean {
  if (value instanceof mongoose.mongo.ObjectId) return value.toHexString() === siteA;
  if (typeof value === 'string') return value === siteA;
  return isDoc(value) && Object.keys(value).length === 1 && '$eq' in value && isSiteA(value.$eq);
}

/** `value` selects ids that are or start with site A's id: equality, `$in` of such ids, or an anchored regex. */
function isIdOfSiteA(value: unknown): boolean {
  if (typeof value === 'string') return value === siteA || value.startsWith(`${siteA}:`);
  if (!isDoc(value) || Object.keys(value).length !== 1) return false;
  if ('$eq' in value) return isIdOfSiteA(value.$eq);
  if (Array.isArray(value.$in)) return value.$in.length > 0 && value.$in.every(isIdOfSiteA);
  if (typeof value.$regex === 'string') return value.$regex.startsWith(`^${siteA}`);
  return false;
}

/** The filter selects documents of site A only. On `sites`, the `_id` is the site. */
function namesSiteAOnly(filter: unknown, collection: string): boolean {
  if (!isDoc(filter)) return false;
  if (filter.siteId !== undefined) return isSiteA(filter.siteId);
  if (filter._id !== undefined) return collection === 'sites' ? isSiteA(filter._id) : isIdOfSiteA(filter._id);
  if (Array.isArray(filter.$and)) return filter.$and.some((branch) => namesSiteAOnly(branch, collection));
  if (Array.isArray(filter.$or)) {
    return filter.$or.length > 0 && filter.$or.every((branch) => namesSiteAOnly(branch, collection));
  }
  return false;
}

/** What a command selects: the filter of a read, the documents of an insert, each statement of a write. */
function selections(name: string, command: Doc): unknown[] {
  switch (name) {
    case 'find':
      return [command.filter ?? {}];
    case 'count':
    case 'distinct':
    case 'findAndModify':
      return [command.query ?? {}];
    case 'aggregate':
      return [((command.pipeline ?? []) as Doc[])[0]?.$match ?? {}];
    case 'insert':
      return (command.documents ?? []) as unknown[];
    case 'update':
      return ((command.updates ?? []) as Array<{ q: unknown }>).map((u) => u.q);
    case 'delete':
      return ((command.deletes ?? []) as Array<{ q: unknown }>).map((d) => d.q);
    default:
      return [command];
  }
}

interface Recorded {
  /** The collections of the commands that were checked. */
  read: Set<string>;
  problems: string[];
}

/** Runs `work` and checks every command the driver sends meanwhile, and every reply it gets. */
async function recordAndCheck(work: () => Promise<unknown>): Promise<Recorded> {
  const client = mongoose.connection.getClient();
  const recorded: Recorded = { read: new Set(), problems: [] };
  const perSite = new Set<number>();
  const mentionsB = (text: string) => text.includes(siteB) || text.includes(publicB);
  const started = (event: { commandName: string; command: Doc; requestId: number }) => {
    const name = event.commandName;
    const text = JSON.stringify(event.command);
    if (mentionsB(text)) recorded.problems.push(`${name} mentions site B: ${text.slice(0, 300)}`);
    // A cursor's next batch is checked like its first one, unless its collection is not per site.
    if (name === 'getMore' && !(family(String(event.command.collection)) in NOT_PER_SITE)) perSite.add(event.requestId);
    if (NAMES_NO_DOCUMENT.has(name)) return;
    const target = String(event.command[name] ?? '');
    const collection = family(target);
    if (collection in NOT_PER_SITE) return;
    perSite.add(event.requestId);
    recorded.read.add(target);
    for (const selection of selections(name, event.command)) {
      if (!namesSiteAOnly(selection, collection)) {
        recorded.problems.push(
          `${name} ${target} does not name site A only: ${JSON.stringify(selection).slice(0, 300)}`,
        );
      }
    }
  };
  const succeeded = (event: { commandName: string; reply: unknown; requestId: number }) => {
    if (!perSite.has(event.requestId)) return;
    const text = JSON.stringify(event.reply);
    if (mentionsB(text))
      recorded.problems.push(`${event.commandName} answered a document of site B: ${text.slice(0, 300)}`);
  };
  client.on('commandStarted', started);
  client.on('commandSucceeded', succeeded);
  try {
    await work();
  } finally {
    client.off('commandStarted', started);
    client.off('commandSucceeded', succeeded);
  }
  return recorded;
}

// ---- traffic ---------------------------------------------------------------------

const ZONE = 'UTC';
const now = DateTime.utc();
const today = now.toISODate()!;
/** Written straight into its month document (past the open days of decision 0007). */
const OLD_DAY = now.minus({ days: 10 }).toISODate()!;
/** Still in the open rollup documents; before yesterday, which realtime reads. */
const RECENT_DAY = now.minus({ days: 2 }).toISODate()!;
const RANGE = { from: OLD_DAY, to: today };
const at = (day: string, time: string) => new Date(`${day}T${time}Z`);
const minutesAgo = (minutes: number) => now.minus({ minutes }).toJSDate();

const ALICE = 'f:alice0000001';
const BOB = 'f:bob00000001';
const CAROL = 'f:carol0000001';
const DAVE = 'f:dave00000001';

function trafficOfA(): StoredRaw[] {
  const ev = (input: RawInput) => stored(siteA, ZONE, input);
  return [
    ev({ ts: at(OLD_DAY, '10:00:00'), vid: ALICE, path: '/' }),
    ev({ ts: at(OLD_DAY, '10:01:00'), vid: ALICE, kind: 'ev', name: 'signup', props: { plan: 'pro' } }),
    ev({ ts: at(OLD_DAY, '10:02:00'), vid: ALICE, path: '/pricing' }),
    ev({ ts: at(OLD_DAY, '11:00:00'), vid: BOB, path: '/blog/x', country: 'US', source: 'Google' }),
    ev({ ts: at(RECENT_DAY, '09:00:00'), vid: ALICE, path: '/' }),
    ev({ ts: at(RECENT_DAY, '12:00:00'), vid: CAROL, path: '/' }),
    ev({ ts: at(RECENT_DAY, '12:03:00'), vid: CAROL, path: '/pricing' }),
    ev({ ts: minutesAgo(2), vid: DAVE, path: '/now' }),
    ev({ ts: minutesAgo(1), vid: DAVE, path: '/pricing' }),
  ];
}

/** Site B: more of everything on the same days and paths, plus pages of its own. */
function trafficOfB(): StoredRaw[] {
  const ev = (input: RawInput) => stored(siteB, ZONE, input);
  const out: StoredRaw[] = [];
  for (const [n, day] of [OLD_DAY, RECENT_DAY].entries()) {
    for (let v = 0; v < 6; v += 1) {
      const vid = `f:bvisitor${n}${v}0000`;
      out.push(
        ev({ ts: at(day, `10:0${v}:00`), vid, path: '/' }),
        ev({ ts: at(day, `10:0${v}:30`), vid, path: '/pricing' }),
        ev({ ts: at(day, `10:0${v}:40`), vid, kind: 'ev', name: 'signup', props: { plan: 'pro' } }),
        ev({ ts: at(day, `10:0${v}:50`), vid, path: '/b-only-page', country: 'US' }),
      );
    }
  }
  out.push(
    ev({ ts: minutesAgo(1.5), vid: 'f:bvisitornow001', path: '/pricing' }),
    ev({ ts: minutesAgo(0.5), vid: 'f:bvisitornow002', path: '/b-only-page' }),
  );
  return out;
}

// ---- setup -----------------------------------------------------------------------

async function makeGoal(owner: TestUser, site: string, body: object): Promise<string> {
  const res = await owner.agent.post(`/api/v1/sites/${site}/goals`).send(body);
  if (res.status !== 201) throw new Error(`goal: ${res.status} ${res.text}`);
  return res.body.id as string;
}

async function makeFunnel(owner: TestUser, site: string, steps: string[]): Promise<string> {
  const res = await owner.agent.post(`/api/v1/sites/${site}/funnels`).send({ name: 'Home to pricing', steps });
  if (res.status !== 201) throw new Error(`funnel: ${res.status} ${res.text}`);
  return res.body.id as string;
}

/** A site's goals (home page, pricing page, signup event), a funnel of the first two, and an annotation. */
async function configure(owner: TestUser, site: string, note: string) {
  const goals = {
    home: await makeGoal(owner, site, { name: 'Home', kind: 'page', match: '/' }),
    pricing: await makeGoal(owner, site, { name: 'Pricing', kind: 'page', match: '/pricing' }),
    signup: await makeGoal(owner, site, { name: 'Signup', kind: 'event', match: 'signup' }),
  };
  const funnel = await makeFunnel(owner, site, [goals.home, goals.pricing]);
  const res = await owner.agent.post(`/api/v1/sites/${site}/annotations`).send({ day: RECENT_DAY, text: note });
  if (res.status !== 201) throw new Error(`annotation: ${res.status} ${res.text}`);
  return { goals, funnel };
}

beforeAll(async () => {
  t = await startTestApp();
  ownerA = await signUp(t.app);
  ownerB = await signUp(t.app);
  siteA = (await createSite(ownerA, { name: 'Site A', domain: 'a.example', timezone: ZONE })).id;
  const b = await createSite(ownerB, { name: 'Site B', domain: 'b.example', timezone: ZONE });
  siteB = b.id;
  publicB = b.publicId;
  ({ goals: goalsA, funnel: funnelA } = await configure(ownerA, siteA, 'Launch of A'));
  await configure(ownerB, siteB, 'Launch of B');
  eventsA = trafficOfA();
  await insertRaw([...eventsA, ...trafficOfB()]);
  await processPendingEvents();
  // Goals made before the traffic are counted into the rollups by their backfill (decision 0010).
  await runGoalBackfills();
}, 120_000);
afterAll(() => t.close());

// ---- the reports ------------------------------------------------------------------

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each case asserts on the shape it reads
type Body = any;

interface Report {
  name: string;
  path: () => string;
  /** Asserts the answer counts site A alone. */
  expectA: (body: Body, text: string) => void;
}

const range = qs(RANGE);
const keysOf = (rows: Array<{ key: string }>) => rows.map((r) => r.key).sort();
const goalRow = (body: Body, id: string) => body.goals.find((g: { id: string }) => g.id === id);

const REPORTS: Report[] = [
  // First: its window is the last five minutes.
  {
    name: 'realtime',
    path: () => 'stats/realtime',
    expectA: (body) => {
      expect(body.visitorsNow).toBe(1);
      expect(body.pages).toEqual([{ path: '/pricing', visitors: 1 }]);
      expect(body.events.map((e: { visitorId: string }) => e.visitorId)).toEqual([DAVE, DAVE]);
    },
  },
  {
    name: 'the overview, from the rollups',
    path: () => `stats/overview?${range}`,
    expectA: (body) => {
      expect(body.source).toBe('rollups');
      expect(body.metrics).toMatchObject({
        visitors: 4,
        visits: 5,
        pageviews: eventsA.filter((e) => e.kind === 'pv').length,
        events: 1,
        // Alice's two visits, Carol's and Dave's reached a goal; Bob's did not.
        conversions: 4,
      });
    },
  },
  {
    name: 'the overview, filtered (raw engine)',
    path: () => `stats/overview?${qs(RANGE, ['page:is:/pricing'])}`,
    expectA: (body) => {
      expect(body.source).toBe('raw');
      expect(body.metrics).toMatchObject({ visits: 3, pageviews: 3 });
    },
  },
  {
    name: 'the daily series',
    path: () => `stats/timeseries?${qs({ ...RANGE, interval: 'day' })}`,
    expectA: (body) => {
      const pageviews = body.points.reduce((sum: number, p: { pageviews: number }) => sum + p.pageviews, 0);
      expect(pageviews).toBe(eventsA.filter((e) => e.kind === 'pv').length);
      expect(body.annotations.map((a: { text: string }) => a.text)).toEqual(['Launch of A']);
    },
  },
  {
    name: 'the hourly series of one day',
    path: () => `stats/timeseries?${qs({ from: RECENT_DAY, to: RECENT_DAY, interval: 'hour' })}`,
    expectA: (body) => {
      const busy = body.points.filter((p: { pageviews: number }) => p.pageviews > 0);
      expect(busy.map((p: { pageviews: number }) => p.pageviews)).toEqual([1, 2]);
    },
  },
  ...BREAKDOWN_DIMENSIONS.map((dimension): Report => ({
    name: `the ${dimension} breakdown`,
    path: () => `stats/breakdown/${dimension}?${qs({ ...RANGE, limit: 1000 })}`,
    expectA: (body, text) => {
      expect(text).not.toContain('/b-only-page');
      if (dimension === 'page') {
        expect(keysOf(body.rows)).toEqual(['/', '/blog/x', '/now', '/pricing']);
        expect(body.rows.find((r: { key: string }) => r.key === '/')).toMatchObject({ pageviews: 3 });
      }
      if (dimension === 'country') expect(keysOf(body.rows)).toEqual(['NL', 'US']);
    },
  })),
  {
    name: 'the page breakdown, filtered, with conversions of a goal',
    path: () => `stats/breakdown/page?${qs({ ...RANGE, goal: goalsA.pricing }, ['country:is:NL'])}`,
    expectA: (body) => {
      expect(keysOf(body.rows)).toEqual(['/', '/now', '/pricing']);
      expect(body.rows.find((r: { key: string }) => r.key === '/pricing')).toMatchObject({
        pageviews: 3,
        conversions: 3,
      });
    },
  },
  {
    name: 'the goals report, from the rollups',
    path: () => `stats/goals?${range}`,
    expectA: (body) => {
      expect(body.source).toBe('rollups');
      expect(body.visits).toBe(5);
      expect(body.goals).toHaveLength(3);
      expect(goalRow(body, goalsA.home)).toMatchObject({ visits: 3 });
      expect(goalRow(body, goalsA.pricing)).toMatchObject({ visits: 3 });
      expect(goalRow(body, goalsA.signup)).toMatchObject({ visits: 1 });
    },
  },
  {
    name: 'the goals report, filtered (raw engine)',
    path: () => `stats/goals?${qs(RANGE, ['country:is:NL'])}`,
    expectA: (body) => {
      expect(body.source).toBe('raw');
      expect(body.visits).toBe(4);
      expect(goalRow(body, goalsA.pricing)).toMatchObject({ visits: 3 });
      expect(goalRow(body, goalsA.signup)).toMatchObject({ visits: 1 });
    },
  },
  {
    name: 'the list of goals',
    path: () => 'goals',
    expectA: (body) => expect(body.goals.map((g: { id: string }) => g.id).sort()).toEqual(Object.values(goalsA).sort()),
  },
  {
    name: 'the list of funnels',
    path: () => 'funnels',
    expectA: (body) => expect(body.funnels.map((f: { id: string }) => f.id)).toEqual([funnelA]),
  },
  {
    name: 'a funnel report',
    path: () => `funnels/${funnelA}/report?${range}`,
    // Home then pricing, in order: Alice's first visit and Carol's; Alice's second stopped at home.
    expectA: (body) => expect(body.steps.map((s: { visits: number }) => s.visits)).toEqual([3, 2]),
  },
  {
    name: 'the visitor list',
    path: () => `visitors?${range}`,
    expectA: (body) => {
      expect(body.total).toBe(4);
      expect(body.visitors.map((v: { id: string }) => v.id).sort()).toEqual([ALICE, BOB, CAROL, DAVE].sort());
    },
  },
  {
    name: "a visitor's profile",
    path: () => `visitors/${encodeURIComponent(ALICE)}?${qs({ to: today })}`,
    expectA: (body) => {
      expect(body.visitor).toMatchObject({ id: ALICE, visits: 2, pageviews: 3, events: 1 });
    },
  },
  {
    name: 'the annotations',
    path: () => `annotations?${range}`,
    expectA: (body) => expect(body.annotations.map((a: { text: string }) => a.text)).toEqual(['Launch of A']),
  },
  {
    name: 'a breakdown export',
    path: () => `export/breakdown/page?${qs({ ...RANGE, format: 'json' })}`,
    expectA: (_body, text) => expect(keysOf(JSON.parse(text))).toEqual(['/', '/blog/x', '/now', '/pricing']),
  },
  {
    name: 'the raw event export',
    path: () => `export/events?${qs({ ...RANGE, format: 'json' })}`,
    expectA: (_body, text) => expect(JSON.parse(text)).toHaveLength(eventsA.length),
  },
  {
    name: 'the site export',
    path: () => 'export/site',
    expectA: (_body, text) => {
      const exported = JSON.parse(text);
      expect(exported.events).toHaveLength(eventsA.length);
      expect(exported.goals).toHaveLength(3);
      expect(text).not.toContain('/b-only-page');
    },
  },
];

/** Every data collection a report of A read, to show B has documents in each. */
const readByReports = new Set<string>();

describe("a site's reports read only its own documents", () => {
  it.each(REPORTS)(
    'when $name is asked for site A, then every query names site A only and the answer is A alone',
    async (report) => {
      let res: { status: number; body: Body; text: string } | undefined;
      const recorded = await recordAndCheck(async () => {
        res = await ownerA.agent.get(`/api/v1/sites/${siteA}/${report.path()}`).buffer(true);
      });
      expect(res?.status).toBe(200);
      expect(recorded.problems).toEqual([]);
      // Not vacuous: the request read per-site data.
      expect([...recorded.read].filter((c) => c !== 'sites' && c !== 'members')).not.toEqual([]);
      for (const collection of recorded.read) readByReports.add(collection);
      report.expectA(res!.body, res!.text);
      expect(res!.text).not.toContain(siteB);
    },
  );

  it('when the reports above ran, then every collection they found documents of A in holds documents of B too', async () => {
    const db = mongoose.connection.db!;
    const a = new mongoose.Types.ObjectId(siteA);
    const b = new mongoose.Types.ObjectId(siteB);
    const shared: string[] = [];
    const withoutB: string[] = [];
    for (const collection of readByReports) {
      const of = (site: mongoose.Types.ObjectId) => (collection === 'sites' ? { _id: site } : { siteId: site });
      if ((await db.collection(collection).countDocuments(of(a))) === 0) continue;
      if ((await db.collection(collection).countDocuments(of(b))) === 0) withoutB.push(collection);
      else shared.push(collection);
    }
    expect(withoutB).toEqual([]);
    // Rollup months and open days, history partitions, the visitor index, goals, funnels, annotations…
    expect(shared.length).toBeGreaterThan(30);
  });
});

describe('the overview reads each rollup collection once', () => {
  it("when it compares with the period before, then both periods come from one read per rollup collection, because on FerretDB each read scans past other sites' documents", async () => {
    const commands = await recordCommands(() =>
      ownerA.agent.get(`/api/v1/sites/${siteA}/stats/overview?${range}&compare=previous`).expect(200),
    );
    const rollupReads = commands
      .filter((c) => c.name === 'find' && c.target.startsWith('rollup_'))
      .map((c) => c.target);

    // Totals, visitor sketches and goal conversions, each of the range's months and its open days.
    expect(new Set(rollupReads.map((target) => target.replace(/_(open|\d{6})$/, ''))).size).toBe(3);
    expect(rollupReads.length).toBe(new Set(rollupReads).size);
  });
});
