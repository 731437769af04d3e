import { AsyncLocalStorage } from 'node:async_hooks';
import type { RequestListener } from 'node:http';

import { DateTime } from 'luxon';
import request from 'supertest';

import { processPendingEvents } from '../src/aggregate/aggregator';
import { createKey, signUp, startTestApp, type TestApp, type TestUser } from './support/app';
import { listen } from './support/collect';
import {
  ALL_DIMENSIONS,
  breakdown,
  buildWorld,
  funnel,
  keysOf,
  overview,
  series,
  type Engine,
  type Filter,
  type GoalSpec,
  type Metrics,
  type OVisit,
  type Row,
  type World,
} from './support/differential-oracle';
import {
  bodyOf,
  generateTraffic,
  headersOf,
  runSeed,
  type Rng,
  type SiteSpec,
  type Traffic,
} from './support/differential-traffic';
import { clearAggregateData } from './support/events';
import { prng } from './support/reports';

/**
 * Differential test of the reports (issue 12). Random traffic — several sites in
 * half-hour and 45-minute zones and across DST changes, visits over local and UTC
 * midnight, returning visitors, resent event ids, bots, engagement-only pings, UTM
 * and referrer mixes — goes through the real collector over HTTP (each request at
 * a chosen instant) and the real aggregator. Then, for random ranges and filters,
 * three answers are compared field by field: the rollup engine (no filter), the raw
 * engine (a filter that matches everything, and a random filter) and this test's own
 * oracle (support/differential-oracle.ts). A disagreement prints the seed and the
 * smallest traffic that still shows it. DIFF_SEED=n replays a run.
 */

const SEED = runSeed();
const PERSONS_PER_SITE = 36;
const CASES = 12;
const TIME_HEADER = 'x-differential-time';

const traffic = generateTraffic(SEED, { personsPerSite: PERSONS_PER_SITE, extraSites: 2 });

let t: TestApp;
let user: TestUser;
let clockedServer: { origin: string; close: () => Promise<void> };
const clock = new AsyncLocalStorage<Date>();

interface DeployedSite {
  id: string;
  publicId: string;
  secret: string;
}
interface Deployment {
  sites: DeployedSite[];
  world: World;
  /** Setup problems (a zone the server refused). */
  problems: string[];
}
let main: Deployment;

// ---- goals, funnels, cases -----------------------------------------------------------

const GOALS: Array<Omit<GoalSpec, 'id'> & { name: string }> = [
  { name: 'Read the blog', kind: 'page', match: '/blog/*' },
  { name: 'Pricing', kind: 'page', match: '/pricing' },
  { name: 'Signed up (page)', kind: 'page', match: '/signup*' },
  { name: 'Pro signup', kind: 'event', match: 'signup', propKey: 'plan', propValue: 'pro' },
  { name: 'Download', kind: 'event', match: 'download' },
];
/** Funnels as goal indexes. */
const FUNNELS = [
  [1, 2, 3],
  [0, 1],
];

/** Filters that select every visit, so the raw engine answers an unfiltered question. */
const MATCH_ALL = ['country:is_not:ZZ', 'source:is_not:(none)', 'browser:is_not:Lynx', 'exit_page:is_not:/nowhere'];

interface CaseFilter {
  dim: string;
  op: Filter['op'];
  /** For goal filters, the goal's index. */
  value: string;
}
interface Case {
  n: number;
  site: number;
  from: string;
  to: string;
  matchAll: string;
  filters: CaseFilter[];
  intervals: Array<'hour' | 'day' | 'week' | 'month'>;
  dims: string[];
  goalBreakdown: { goal: number; dim: string };
}

const daysBetween = (from: string, to: string) => {
  const out: string[] = [];
  for (let d = DateTime.fromISO(from, { zone: 'utc' }); d.toISODate()! <= to; d = d.plus({ days: 1 })) {
    out.push(d.toISODate()!);
  }
  return out;
};

/**
 * A filter on a random dimension. Mostly it keeps `visit` (one visit of the range), so
 * that filters combined with AND still select something; `is_not` names another key.
 */
function randomFilter(r: Rng, site: OVisit[], visit: OVisit): CaseFilter {
  const dim = r.pick([...ALL_DIMENSIONS, 'goal', 'page', 'source', 'country']);
  if (dim === 'goal') return { dim, op: r.pick(['is', 'is', 'is_not'] as const), value: String(r.int(0, 4)) };
  const op = r.pick(['is', 'is', 'is_not', 'contains'] as const);
  const own = keysOf([visit], dim);
  const others = keysOf(site, dim).filter((k) => !own.includes(k));
  const key = (op === 'is_not' ? others : own).length ? r.pick(op === 'is_not' ? others : own) : 'nothing';
  if (op !== 'contains' || key.length < 3) return { dim, op, value: key };
  const start = r.int(0, key.length - 2);
  const part = key.slice(start, start + r.int(2, 4));
  return { dim, op, value: r.chance(0.5) ? part.toUpperCase() : part };
}

/** Random cases from the seed: a site, a range of 1–8 days that starts on a day with visits, and one to three filters. */
function makeCases(world: World): Case[] {
  const r = prng(SEED ^ 0x5eed);
  return Array.from({ length: CASES }, (_x, n) => {
    const site = n % traffic.sites.length;
    // Ranges start where traffic is: on the local day of a random visit.
    const visits = world.visits.filter((v) => v.site === site);
    const from = r.pick(visits).day;
    const length = r.pick([1, 1, 2, 3, 8]);
    const to = DateTime.fromISO(from, { zone: 'utc' })
      .plus({ days: length - 1 })
      .toISODate()!;
    const dims = [...ALL_DIMENSIONS].sort(() => r.next() - 0.5).slice(0, 7);
    const sample = r.pick(visits.filter((v) => v.day >= from && v.day <= to));
    return {
      n,
      site,
      from,
      to,
      matchAll: r.pick(MATCH_ALL),
      filters: Array.from({ length: r.pick([1, 1, 2, 3]) }, () => randomFilter(r, visits, sample)),
      intervals: ['day', 'hour', r.pick(['week', 'month'] as const)],
      dims: [...new Set(['entry_page', 'exit_page', 'source', 'page', ...dims])],
      goalBreakdown: { goal: r.int(0, GOALS.length - 1), dim: r.pick(['source', 'page', 'country', 'entry_page']) },
    };
  });
}

// ---- deployment: sites, goals, traffic through the collector, the aggregator ----------

async function api(method: 'get' | 'post', url: string, secret: string, body?: unknown) {
  const req = request(t.app)[method](url).set('Authorization', `Bearer ${secret}`);
  return body === undefined ? req : req.send(body as object);
}

async function deploy(tr: Traffic): Promise<Deployment> {
  const problems: string[] = [];
  const sites: DeployedSite[] = [];
  const goals: GoalSpec[][] = [];
  const funnels: World['funnels'] = [];
  for (const spec of tr.sites) {
    const body = {
      name: `Differential ${spec.index}`,
      domain: spec.domain,
      settings: { identityMode: spec.identityMode, visitTimeoutMinutes: spec.timeoutMinutes },
    };
    let res = await user.agent.post('/api/v1/sites').send({ ...body, timezone: spec.zone });
    if (res.status === 400 && spec.alias) {
      problems.push(`site zone ${spec.zone} refused (400); used ${spec.alias}`);
      res = await user.agent.post('/api/v1/sites').send({ ...body, timezone: spec.alias });
    }
    if (res.status !== 201) throw new Error(`create site ${spec.zone}: ${res.status} ${res.text}`);
    const site = { id: res.body.id as string, publicId: res.body.publicId as string };
    const { secret } = await createKey(user, site.id, ['stats:read', 'sites:manage']);
    sites.push({ ...site, secret });
    const siteGoals: GoalSpec[] = [];
    for (const { name, ...goal } of GOALS) {
      const g = await api('post', `/api/v1/sites/${site.id}/goals`, secret, { name, ...goal });
      if (g.status !== 201) throw new Error(`create goal: ${g.status} ${g.text}`);
      siteGoals.push({ id: g.body.id as string, ...goal });
    }
    goals.push(siteGoals);
    const siteFunnels: World['funnels'][number] = [];
    for (const [i, steps] of FUNNELS.entries()) {
      const ids = steps.map((s) => siteGoals[s]!.id);
      const f = await api('post', `/api/v1/sites/${site.id}/funnels`, secret, { name: `Funnel ${i}`, steps: ids });
      if (f.status !== 201) throw new Error(`create funnel: ${f.status} ${f.text}`);
      siteFunnels.push({ id: f.body.id as string, steps: ids });
    }
    funnels.push(siteFunnels);
  }
  await send(tr, sites);
  await processPendingEvents();
  return { sites, world: buildWorld(tr, goals, funnels), problems };
}

/**
 * Sends every hit to the collector at its instant, in order. Hits of different
 * people are sent a few at a time; one person's hits never overtake each other.
 */
async function send(tr: Traffic, sites: DeployedSite[]): Promise<void> {
  const post = async (index: number) => {
    const hit = tr.hits[index]!;
    const person = tr.persons[hit.person]!;
    const site = tr.sites[hit.site]!;
    for (let attempt = 0; ; attempt++) {
      const res = await fetch(`${clockedServer.origin}/api/event`, {
        method: 'POST',
        headers: { ...headersOf(hit, person, tr.seed), [TIME_HEADER]: String(hit.at) },
        body: JSON.stringify(bodyOf(hit, sites[hit.site]!.publicId, person, site)),
      });
      const answer = await res.text();
      if (res.status === 202) return;
      // 503 is the collector shedding load (a busy machine): the tracker retries, and so does this.
      if (res.status !== 503 || attempt > 50) {
        throw new Error(`collector answered ${res.status} ${answer} for ${JSON.stringify(hit)}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  };
  let next = 0;
  while (next < tr.hits.length) {
    const wave: number[] = [];
    const people = new Set<number>();
    while (next < tr.hits.length && wave.length < 8 && !people.has(tr.hits[next]!.person)) {
      people.add(tr.hits[next]!.person);
      wave.push(next++);
    }
    await Promise.all(wave.map(post));
  }
}

// ---- comparing ------------------------------------------------------------------------------

const METRICS: Array<keyof Metrics> = [
  'visitors',
  'visits',
  'pageviews',
  'viewsPerVisit',
  'bounceRate',
  'avgVisitDuration',
  'events',
];

/** What a run compared, printed with the seed. */
const stats = { fields: 0, selective: 0 };

/** A multi-day unique-visitor count from the rollups is a HyperLogLog estimate. */
const close = (got: number, want: number) => Math.abs(got - want) <= Math.max(1, Math.ceil(want * 0.05));

function diff(
  where: string,
  got: Record<string, unknown> | undefined,
  want: Record<string, unknown>,
  fields: string[],
  estimate = false,
): string[] {
  if (!got) return [`${where}: missing`];
  stats.fields += fields.length;
  return fields.flatMap((f) => {
    const g = got[f];
    const w = want[f];
    const ok = f === 'visitors' && estimate ? close(Number(g), Number(w)) : g === w;
    return ok ? [] : [`${where} ${f}: got ${JSON.stringify(g)}, expected ${JSON.stringify(w)}`];
  });
}

function diffRows(where: string, got: Array<Record<string, unknown>>, want: Map<string, Row>, fields: string[]) {
  const problems: string[] = [];
  const byKey = new Map(got.map((row) => [String(row.key), row]));
  const missing = [...want.keys()].filter((k) => !byKey.has(k));
  const extra = [...byKey.keys()].filter((k) => !want.has(k));
  if (missing.length) problems.push(`${where}: missing rows ${JSON.stringify(missing)}`);
  if (extra.length) problems.push(`${where}: unexpected rows ${JSON.stringify(extra)}`);
  for (const [key, row] of want) {
    if (byKey.has(key)) problems.push(...diff(`${where}[${JSON.stringify(key)}]`, byKey.get(key), { ...row }, fields));
  }
  return problems;
}

function query(params: Record<string, string | number>, filters: string[]): string {
  const parts = Object.entries(params).map(([k, v]) => `${k}=${encodeURIComponent(String(v))}`);
  for (const f of filters) parts.push(`filter=${encodeURIComponent(f)}`);
  return parts.join('&');
}

/** Every comparison of one case against one deployment; returns the disagreements. */
async function checkCase(d: Deployment, c: Case): Promise<string[]> {
  const site = d.sites[c.site]!;
  const world = d.world;
  const goals = world.goals[c.site]!;
  const days = daysBetween(c.from, c.to);
  const daySet = new Set(days);
  const filters: Filter[] = c.filters.map((f) => (f.dim === 'goal' ? { ...f, value: goals[Number(f.value)]!.id } : f));
  const asParam = (fs: Filter[]) => fs.map((f) => `${f.dim}:${f.op}:${f.value}`);
  const modes: Array<{ name: string; engine: Engine; params: string[]; filters: Filter[] }> = [
    { name: 'rollups', engine: 'rollups', params: [], filters: [] },
    { name: `raw (${c.matchAll})`, engine: 'raw', params: [c.matchAll], filters: [] },
    { name: `raw (${asParam(c.filters).join(' & ')})`, engine: 'raw', params: asParam(filters), filters },
  ];
  const base = `/api/v1/sites/${site.id}`;
  const get = async (path: string) => {
    const res = await api('get', `${base}${path}`, site.secret);
    if (res.status !== 200) throw new Error(`GET ${path} → ${res.status} ${res.text.slice(0, 300)}`);
    return res.body;
  };
  const problems: string[] = [];
  for (const mode of modes) {
    const estimate = mode.engine === 'rollups' && days.length > 1;
    const tag = (what: string) => `${mode.name} ${what}`;

    const ov = await get(`/stats/overview?${query({ from: c.from, to: c.to, compare: 'none' }, mode.params)}`);
    const wantOv = overview(world, c.site, daySet, mode.filters);
    if (mode.filters.length > 0 && wantOv.visits > 0) stats.selective += 1;
    problems.push(...diff(tag('overview'), ov.metrics, wantOv, Object.keys(wantOv), estimate));

    for (const interval of c.intervals) {
      const res = await get(`/stats/timeseries?${query({ from: c.from, to: c.to, interval }, mode.params)}`);
      const want = series(world, c.site, days, mode.filters, interval);
      const got = new Map<number, Record<string, unknown>>(
        (res.points as Array<{ period: string }>).map((p) => [periodStart(p.period, interval, world, c.site), p]),
      );
      if (got.size !== want.size) problems.push(tag(`${interval} series: ${got.size} points, expected ${want.size}`));
      for (const [start, point] of want) {
        const label = DateTime.fromMillis(start, { zone: world.traffic.sites[c.site]!.zone }).toISO()!;
        problems.push(
          ...diff(
            tag(`${interval} ${label}`),
            got.get(start),
            point,
            METRICS,
            mode.engine === 'rollups' && point.days > 1,
          ),
        );
      }
    }

    for (const dim of c.dims) {
      const res = await get(`/stats/breakdown/${dim}?${query({ from: c.from, to: c.to, limit: 1000 }, mode.params)}`);
      const want = breakdown(world, c.site, daySet, mode.filters, dim);
      problems.push(...diffRows(tag(`breakdown ${dim}`), res.rows, want, [...METRICS, 'share']));
    }

    const goal = goals[c.goalBreakdown.goal]!;
    const gdim = c.goalBreakdown.dim;
    const res = await get(
      `/stats/breakdown/${gdim}?${query({ from: c.from, to: c.to, limit: 1000, goal: goal.id }, mode.params)}`,
    );
    problems.push(
      ...diffRows(
        tag(`breakdown ${gdim} goal ${c.goalBreakdown.goal}`),
        res.rows,
        breakdown(world, c.site, daySet, mode.filters, gdim, goal.id),
        ['conversions'],
      ),
    );

    for (const [i, f] of world.funnels[c.site]!.entries()) {
      const report = await get(`/funnels/${f.id}/report?${query({ from: c.from, to: c.to }, mode.params)}`);
      const want = funnel(world, c.site, daySet, mode.filters, f.steps);
      want.forEach((step, s) =>
        problems.push(...diff(tag(`funnel ${i} step ${s + 1}`), report.steps[s], step, Object.keys(step))),
      );
    }
  }
  return problems;
}

/** The start instant of a series point, whatever notation its label uses. */
function periodStart(period: string, interval: string, world: World, site: number): number {
  const zone = world.traffic.sites[site]!.zone;
  if (interval === 'hour') return DateTime.fromISO(period, { setZone: true }).toMillis();
  return DateTime.fromISO(interval === 'month' ? `${period}-01` : period, { zone }).toMillis();
}

function describeCase(c: Case): string {
  const f = c.filters.map((x) => `${x.dim}:${x.op}:${x.dim === 'goal' ? `<goal ${x.value}>` : x.value}`);
  return `site ${c.site} (${traffic.sites[c.site]!.zone}) ${c.from}..${c.to}, filters [${f.join(', ')}]`;
}

// ---- shrinking -------------------------------------------------------------------------------

/** The hits of one site, limited to some hits (indexes into the traffic), as a single-site traffic. */
function subset(tr: Traffic, site: number, hits: ReadonlySet<number>): Traffic {
  const spec: SiteSpec = { ...tr.sites[site]!, index: 0 };
  return { ...tr, sites: [spec], hits: tr.hits.filter((_h, i) => hits.has(i)).map((h) => ({ ...h, site: 0 })) };
}

/**
 * The smallest list of units (ddmin): drops halves, then quarters…, while `fails`
 * still finds a disagreement with the rest. Stops at the deadline with the best so far.
 */
async function minimise<T>(
  units: T[],
  fails: (units: T[]) => Promise<string[]>,
  found: string[],
  deadline: number,
): Promise<{ units: T[]; problems: string[] }> {
  let problems = found;
  let parts = 2;
  while (units.length > 1 && Date.now() < deadline) {
    const size = Math.ceil(units.length / parts);
    let reduced = false;
    for (let i = 0; i < units.length && Date.now() < deadline; i += size) {
      const candidate = [...units.slice(0, i), ...units.slice(i + size)];
      const result = candidate.length ? await fails(candidate) : [];
      if (result.length > 0) {
        units = candidate;
        problems = result;
        parts = Math.max(parts - 1, 2);
        reduced = true;
        break;
      }
    }
    if (!reduced) {
      if (size === 1) break;
      parts = Math.min(units.length, parts * 2);
    }
  }
  return { units, problems };
}

/**
 * The smallest traffic that still makes the case disagree: first whole people are
 * dropped, then single requests (a resent event goes with its original). Each try
 * is a fresh deployment of that site alone (aggregate data cleared); bounded in time.
 */
async function shrink(c: Case, budgetMs: number): Promise<{ hits: number[]; problems: string[] }> {
  const deadline = Date.now() + budgetMs;
  const hitsOf = (site: number) => traffic.hits.flatMap((h, i) => (h.site === site ? [i] : []));
  const failsWith = async (hits: number[]): Promise<string[]> => {
    await clearAggregateData();
    return checkCase(await deploy(subset(traffic, c.site, new Set(hits))), { ...c, site: 0 });
  };
  const all = hitsOf(c.site);
  const found = await failsWith(all);
  if (found.length === 0) return { hits: all, problems: found };
  const people = [...new Set(all.map((i) => traffic.hits[i]!.person))];
  const byPeople = (list: number[]) => all.filter((i) => list.includes(traffic.hits[i]!.person));
  const first = await minimise(people, (list) => failsWith(byPeople(list)), found, deadline);
  const groups = new Map<string, number[]>();
  for (const i of byPeople(first.units)) {
    const id = traffic.hits[i]!.eventId;
    groups.set(id, [...(groups.get(id) ?? []), i]);
  }
  const flat = (list: number[][]) => list.flat().sort((a, b) => a - b);
  const second = await minimise([...groups.values()], (list) => failsWith(flat(list)), first.problems, deadline);
  return { hits: flat(second.units), problems: second.problems };
}

function describeTraffic(hits: number[]): string {
  const lines: string[] = [];
  let person = -1;
  for (const i of hits) {
    const h = traffic.hits[i]!;
    if (h.person !== person) {
      person = h.person;
      const p = traffic.persons[person]!;
      lines.push(`  person ${person}: ${p.ip}, ${p.device.browser} on ${p.device.os}${p.bot ? ', bot' : ''}`);
    }
    const extra = [
      h.referrer && h.kind === 'pv' ? `ref ${h.referrer}` : '',
      h.name ? `${h.name} ${JSON.stringify(h.props ?? {})}` : '',
      h.engagedMs !== undefined ? `${h.engagedMs} ms` : '',
      h.userId ? `uid ${h.userId}` : '',
      h.resend ? 'resend' : '',
      h.prefetch ? 'prefetch' : '',
    ].filter(Boolean);
    lines.push(`    ${new Date(h.at).toISOString()} ${h.kind} ${h.url} ${h.eventId} ${extra.join(' ')}`);
  }
  return lines.join('\n');
}

// ---- the suite -------------------------------------------------------------------------------

const failures: Array<{ c: Case; problems: string[] }> = [];
let cases: Case[] = [];

beforeAll(async () => {
  process.stdout.write(`\nreports-differential: DIFF_SEED=${SEED} (${traffic.hits.length} hits)\n`);
  t = await startTestApp({}, () => clock.getStore() ?? new Date());
  const handler: RequestListener = (req, res) => {
    const at = Number(req.headers[TIME_HEADER]);
    clock.run(new Date(Number.isFinite(at) && at > 0 ? at : Date.now()), () => t.handler(req, res));
  };
  clockedServer = await listen(handler);
  user = await signUp(t.app);
  main = await deploy(traffic);
  cases = makeCases(main.world);
}, 300_000);

afterAll(async () => {
  await clockedServer?.close();
  await t?.close();
});

describe(`reports against each other and an oracle (DIFF_SEED=${SEED})`, () => {
  it('when the sites are created, then every canonical zone is accepted', () => {
    expect(main.problems).toEqual([]);
  });

  it('when traffic is generated, then it has what the test is meant to probe', () => {
    const w = main.world;
    expect(w.visits.length).toBeGreaterThan(100);
    expect(new Set(w.visits.map((v) => v.vid)).size).toBeLessThan(w.visits.length);
    expect(traffic.hits.some((h) => h.resend)).toBe(true);
    expect(traffic.hits.some((h) => traffic.persons[h.person]!.bot)).toBe(true);
    expect(w.visits.some((v) => v.pageviews === 0)).toBe(true);
    const zones = traffic.sites.map((s) => s.zone);
    expect(zones).toEqual(expect.arrayContaining(['Asia/Kolkata', 'Asia/Kathmandu', 'America/St_Johns']));
  });

  it('when random ranges and filters are asked, then rollups, raw engine and oracle agree', async () => {
    for (const c of cases) {
      const problems = await checkCase(main, c);
      if (problems.length) failures.push({ c, problems });
    }
    const report = failures.map(
      ({ c, problems }) =>
        `case ${c.n}: ${describeCase(c)}\n${problems
          .slice(0, 40)
          .map((p) => `  ${p}`)
          .join('\n')}${problems.length > 40 ? `\n  … ${problems.length - 40} more` : ''}`,
    );
    process.stdout.write(
      `\nDIFF_SEED=${SEED}: ${cases.length} cases (${stats.selective} with a filter that selects visits), ${stats.fields} fields compared\n`,
    );
    if (failures.length)
      process.stdout.write(
        `\nDIFF_SEED=${SEED}: ${failures.length} of ${cases.length} cases disagree\n${report.join('\n')}\n`,
      );
    expect(failures.map((f) => `case ${f.c.n}`)).toEqual([]);
  }, 600_000);

  it('when a case disagreed, then the smallest traffic that still disagrees is printed', async () => {
    const first = failures[0];
    if (!first) return;
    const { hits, problems } = await shrink(first.c, 150_000);
    const message = [
      `DIFF_SEED=${SEED}: case ${first.c.n}, ${describeCase(first.c)}`,
      `smallest failing traffic: ${hits.length} of ${traffic.hits.filter((h) => h.site === first.c.site).length} requests`,
      describeTraffic(hits),
      'disagreements:',
      ...problems.slice(0, 30).map((p) => `  ${p}`),
    ].join('\n');
    process.stdout.write(`\n${message}\n`);
    throw new Error(message);
  }, 300_000);
});
