// npm run bench:reports — report latency against a year of rollups at two
// sizes (default 1M and 10M events). For each size: a fresh database, the
// built backend on it, a site, and the rollup store seeded as the aggregator
// would have written it (seed-reports.mjs). Then the 30-day overview, the
// 365-day daily series and the 30-day top-10 page breakdown are requested
// sequentially, alternating between the sizes request by request, so that
// other load on the machine falls on both sizes alike and `growth` compares
// like with like. Prints one JSON line. Every run is bounded: at most
// BENCH_REPORT_REQUESTS requests per report and size, and no new request once
// a report has used BENCH_REPORT_BUDGET_S seconds (at least BENCH_REPORT_MIN).
//
// The measured site has 5 goals and 2 funnels, made through the API before its
// rollups are seeded with a year of their conversions, and the goals report
// (every goal in one request) is timed too. Tenants: the largest size is set up
// a second time among BENCH_REPORT_TENANTS - 1 other sites with data (default
// 1,000 sites in all; power-law sizes from 1M events down to 1, rollups seeded
// directly, with site documents so the backend's jobs leave them be), seeded
// before the measured site, so that on FerretDB, where an `_id` lookup scans
// its collection up to the matching document, every other site's document of
// that part and month is passed first (the adverse order); its reports are
// timed interleaved with the same site alone; tenantGrowth = its 30-day
// overview p95 among them ÷ alone.
import mongoose from 'mongoose';

import { createAccountAndSite, startBackend, startDatabase } from './support.mjs';
import { seedReports } from './seed-reports.mjs';

const { MongoClient, ObjectId } = mongoose.mongo;

const SIZES = (process.env.BENCH_REPORT_SIZES ?? '1000000,10000000').split(',').map(Number);
const REQUESTS = Number(process.env.BENCH_REPORT_REQUESTS ?? 100);
const WARMUP = Number(process.env.BENCH_REPORT_WARMUP ?? 2);
const BUDGET_MS = Number(process.env.BENCH_REPORT_BUDGET_S ?? 40) * 1000;
const MIN_REQUESTS = Number(process.env.BENCH_REPORT_MIN ?? 3);
const TIMEOUT_MS = Number(process.env.BENCH_REPORT_TIMEOUT_S ?? 60) * 1000;
const DAYS = 365;
const TENANTS = Number(process.env.BENCH_REPORT_TENANTS ?? 1000);
const REPORTS = ['overview', 'timeseries', 'breakdown', 'goals'];
const GOALS = [
  { name: 'Pricing', kind: 'page', match: '/pricing' },
  { name: 'Docs', kind: 'page', match: '/docs/*' },
  { name: 'Blog', kind: 'page', match: '/blog/*' },
  { name: 'Signup', kind: 'event', match: 'signup' },
  { name: 'Download', kind: 'event', match: 'download' },
];

const addDays = (day, n) => new Date(Date.parse(`${day}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);
const label = (n) => (n >= 1e6 ? `${n / 1e6}M` : `${n / 1e3}k`);

/** Stops a backend started by startBackend, also when it has already exited. */
function stop(backend) {
  const { child } = backend;
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  return backend.stop().finally(() => clearTimeout(timer));
}

function percentile(sorted, p) {
  if (!sorted.length) return null;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

async function timed(url, key) {
  const started = performance.now();
  const res = await fetch(url, {
    headers: { Authorization: `Bearer ${key}` },
    signal: AbortSignal.timeout(TIMEOUT_MS),
  });
  const body = await res.text();
  const ms = performance.now() - started;
  if (res.status !== 200) throw new Error(`${url} → ${res.status} ${body.slice(0, 200)}`);
  return { ms, body };
}

/**
 * Other sites: `count` sites of 1M / (rank + 1)² events each (1M down to 1),
 * one after another, each with its site document, so that the backend's jobs
 * treat them as live sites (the orphan sweep would otherwise delete their
 * rollups while the reports are timed).
 */
async function seedTenants(db, count, lastDay, ownerId) {
  const siteIds = Array.from({ length: count }, () => new ObjectId());
  await db.collection('sites').insertMany(
    siteIds.map((_id, i) => ({
      _id,
      name: `Tenant ${i + 1}`,
      domain: `tenant-${i + 1}.example`,
      timezone: 'UTC',
      publicId: `bench-tenant-${i + 1}-${_id}`,
      ownerId,
      settings: {},
      createdAt: new Date(),
    })),
  );
  let events = 0;
  for (let rank = 1; rank <= count; rank += 1) {
    const size = Math.max(1, Math.round(1_000_000 / rank ** 2));
    const seeded = await seedReports(db, {
      siteId: siteIds[rank - 1],
      events: size,
      days: DAYS,
      lastDay,
      seed: rank,
      rawSample: 0,
    });
    events += seeded.events;
  }
  return events;
}

/**
 * The measured site's 5 goals and 2 funnels, made through the API; resolves
 * with the goal ids once their backfill is done (the goals report reads rollups).
 */
async function addGoals(backend, cookie, siteId, key) {
  const headers = { 'Content-Type': 'application/json', Origin: backend.base, Cookie: cookie };
  const ids = [];
  for (const goal of GOALS) {
    const res = await fetch(`${backend.base}/api/v1/sites/${siteId}/goals`, {
      method: 'POST',
      headers,
      body: JSON.stringify(goal),
    });
    if (res.status !== 201) throw new Error(`goal: ${res.status} ${await res.text()}`);
    ids.push((await res.json()).id);
  }
  for (const steps of [ids.slice(0, 3), [ids[0], ids[3]]]) {
    const res = await fetch(`${backend.base}/api/v1/sites/${siteId}/funnels`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ name: `Funnel ${steps.length}`, steps }),
    });
    if (res.status !== 201) throw new Error(`funnel: ${res.status} ${await res.text()}`);
  }
  // New goals are counted from stored events by a background job; until then reports take the raw path.
  const deadline = Date.now() + 120_000;
  const today = new Date().toISOString().slice(0, 10);
  for (;;) {
    const { body } = await timed(`${backend.base}/api/v1/sites/${siteId}/stats/goals?from=${today}&to=${today}`, key);
    if (JSON.parse(body).source === 'rollups') return ids;
    if (Date.now() > deadline) throw new Error('goal counts were not backfilled within 2 minutes');
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/** A fresh database with a backend and a seeded site of `events` events, among `tenants` other sites. */
async function setUp(database, events, tenants = 0) {
  const dbName = `clickpath_bench_reports_${events}_${tenants}_${Date.now()}`;
  const client = new MongoClient(database.uri);
  await client.connect();
  const db = client.db(dbName);
  const backend = await startBackend({ MONGODB_URI: `${database.uri}/${dbName}` });
  const tearDown = async () => {
    await stop(backend).catch(() => {});
    await db.dropDatabase().catch(() => {});
    await client.close();
  };
  try {
    // The backend created the rollup collections and their indexes at start; the
    // seeder only inserts (a few hundred month documents) and reads nothing back.
    const { site, key, cookie } = await createAccountAndSite(backend.base, { timezone: 'UTC' });
    const lastDay = new Date().toISOString().slice(0, 10);
    const seedStart = Date.now();
    const owner = (await db.collection('sites').findOne({ _id: new ObjectId(site.id) })).ownerId;
    const tenantEvents = tenants > 0 ? await seedTenants(db, tenants, lastDay, owner) : 0;
    // Before the seed: a new goal's backfill recounts from raw events, and drops rows it cannot recount.
    const goals = await addGoals(backend, cookie, site.id, key);
    const seeded = await seedReports(db, { siteId: new ObjectId(site.id), events, days: DAYS, lastDay, goals });
    const base = `${backend.base}/api/v1/sites/${site.id}/stats`;
    const from30 = addDays(lastDay, -29);
    const from365 = addDays(lastDay, -(DAYS - 1));
    const urls = {
      overview: `${base}/overview?from=${from30}&to=${lastDay}`,
      timeseries: `${base}/timeseries?from=${from365}&to=${lastDay}&interval=day`,
      breakdown: `${base}/breakdown/page?from=${from30}&to=${lastDay}&limit=10`,
      goals: `${base}/goals?from=${from30}&to=${lastDay}`,
      check: `${base}/overview?from=${from365}&to=${lastDay}&compare=none`,
    };
    return { events, tenants, tenantEvents, key, urls, seeded, seedMs: Date.now() - seedStart, tearDown };
  } catch (error) {
    await tearDown();
    throw error;
  }
}

/**
 * p50/p95 of one report per size, its requests interleaved across the sizes;
 * a request over TIMEOUT_MS ends that size's run of the report (p95 null).
 */
async function measure(runs, report) {
  const samples = runs.map(() => []);
  const timedOut = runs.map(() => false);
  const request = async (i) => {
    if (timedOut[i]) return null;
    try {
      return (await timed(runs[i].urls[report], runs[i].key)).ms;
    } catch (err) {
      if (err.name !== 'TimeoutError') throw err;
      timedOut[i] = true;
      return null;
    }
  };
  for (let w = 0; w < WARMUP; w++) for (let i = 0; i < runs.length; i++) await request(i);
  const started = Date.now();
  const count = () => Math.min(...samples.map((s, i) => (timedOut[i] ? Infinity : s.length)));
  while (
    !timedOut.every(Boolean) &&
    count() < REQUESTS &&
    (count() < MIN_REQUESTS || Date.now() - started < BUDGET_MS)
  ) {
    for (let i = 0; i < runs.length; i++) {
      const ms = await request(i);
      if (ms !== null) samples[i].push(ms);
    }
  }
  return samples.map((s, i) => {
    s.sort((a, b) => a - b);
    if (timedOut[i]) return { n: s.length, p50: null, p95: null, timedOut: true };
    return { n: s.length, p50: Math.round(percentile(s, 50)), p95: Math.round(percentile(s, 95)) };
  });
}

const database = await startDatabase();
const runs = [];
try {
  for (const size of SIZES) runs.push(await setUp(database, size));
  if (TENANTS > 1) runs.push(await setUp(database, SIZES.at(-1), TENANTS - 1));
  const results = runs.map((run) => ({
    events: run.events,
    tenants: run.tenants,
    tenantEvents: run.tenantEvents,
    seeded: run.seeded,
    seedMs: run.seedMs,
  }));
  for (const report of REPORTS) {
    (await measure(runs, report)).forEach((stats, i) => (results[i][report] = stats));
  }
  // Sanity: each overview must report the seeded traffic.
  for (const [i, run] of runs.entries()) {
    if (results[i].overview.timedOut) continue;
    const check = JSON.parse((await timed(run.urls.check, run.key)).body);
    const seen = check.metrics.pageviews + check.metrics.events;
    if (Math.abs(seen - run.seeded.events) > run.seeded.events * 0.2) {
      throw new Error(`overview reports ${seen} events, seeded ${run.seeded.events}`);
    }
    // The goals report must read the seeded conversions, not empty rows.
    const goals = JSON.parse((await timed(run.urls.goals, run.key)).body);
    if (goals.source !== 'rollups' || goals.goals.length !== 5 || goals.goals.some((goal) => goal.visits === 0)) {
      throw new Error(`the goals report found no seeded conversions: ${JSON.stringify(goals).slice(0, 300)}`);
    }
  }
  if (process.env.BENCH_VERBOSE) for (const result of results) console.error(JSON.stringify(result));

  const tenanted = TENANTS > 1 ? results.at(-1) : null;
  const sized = results.filter((r) => r !== tenanted);
  const small = sized[0];
  const large = sized.at(-1);
  const ratios = Object.fromEntries(
    REPORTS.map((r) => [
      r,
      large[r].p95 === null || small[r].p95 === null
        ? null
        : Number((large[r].p95 / Math.max(1, small[r].p95)).toFixed(2)),
    ]),
  );
  // The growth target covers the two reports with latency targets; the
  // breakdown's own ratio is printed with the others in growthByReport.
  const targeted = [ratios.overview, ratios.timeseries];
  const growth = targeted.includes(null) ? null : Math.max(...targeted);
  const perSize = (pick) => Object.fromEntries(sized.map((r) => [label(r.events), pick(r)]));
  const ratio = (a, b) =>
    a === null || b === null || a === undefined ? null : Number((a / Math.max(1, b)).toFixed(2));
  console.log(
    JSON.stringify({
      events: large.events,
      overview30dP95Ms: large.overview.p95,
      timeseries365dP95Ms: large.timeseries.p95,
      breakdown30dP95Ms: large.breakdown.p95,
      goals30dP95Ms: large.goals.p95,
      overview30dP95MsTenants: tenanted?.overview.p95 ?? null,
      goals30dP95MsTenants: tenanted?.goals.p95 ?? null,
      tenantGrowth: tenanted ? ratio(tenanted.overview.p95, large.overview.p95) : null,
      tenantGrowthByReport: tenanted
        ? Object.fromEntries(REPORTS.map((r) => [r, ratio(tenanted[r].p95, large[r].p95)]))
        : null,
      tenants: tenanted ? { sites: TENANTS, otherSitesEvents: tenanted.tenantEvents } : null,
      growth,
      growthByReport: ratios,
      timeoutMs: TIMEOUT_MS,
      p95Ms: perSize((r) => Object.fromEntries(REPORTS.map((k) => [k, r[k].p95]))),
      p50Ms: perSize((r) => Object.fromEntries(REPORTS.map((k) => [k, r[k].p50]))),
      requests: perSize((r) => Object.fromEntries(REPORTS.map((k) => [k, r[k].n]))),
      rollupDocs: perSize((r) => r.seeded.rollupDocuments),
      rollupRows: perSize((r) => r.seeded.rollupRows),
      seedSeconds: perSize((r) => Math.round(r.seedMs / 1000)),
    }),
  );
} finally {
  for (const run of runs) await run.tearDown();
  await database.stop();
}
