// npm run bench:reports — report latency against a year of rollups at two
// sizes (default 1M and 10M events). For each size: a fresh database, a site,
// rollups seeded as the aggregator would have written them (seed-reports.mjs),
// then sequential requests of the 30-day overview, the 365-day daily series and
// the 30-day top-10 page breakdown. Prints one JSON line. Every run is bounded:
// at most BENCH_REPORT_REQUESTS requests per report, and no new request once a
// report has used BENCH_REPORT_BUDGET_S seconds (at least BENCH_REPORT_MIN).
import { createRequire } from 'node:module';
import { join } from 'node:path';

import mongoose from 'mongoose';

import { backendDir, createAccountAndSite, startBackend, startDatabase } from './support.mjs';
import { seedReports } from './seed-reports.mjs';

const { MongoClient, ObjectId } = mongoose.mongo;
const { Rollup } = createRequire(import.meta.url)(join(backendDir, 'dist/aggregate/model.js'));

const SIZES = (process.env.BENCH_REPORT_SIZES ?? '1000000,10000000').split(',').map(Number);
const REQUESTS = Number(process.env.BENCH_REPORT_REQUESTS ?? 30);
const WARMUP = Number(process.env.BENCH_REPORT_WARMUP ?? 2);
const BUDGET_MS = Number(process.env.BENCH_REPORT_BUDGET_S ?? 40) * 1000;
const MIN_REQUESTS = Number(process.env.BENCH_REPORT_MIN ?? 3);
const TIMEOUT_MS = Number(process.env.BENCH_REPORT_TIMEOUT_S ?? 60) * 1000;
const DAYS = 365;

const addDays = (day, n) => new Date(Date.parse(`${day}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);

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

/** p50/p95 of sequential requests; a request over TIMEOUT_MS ends the report's run (timedOut). */
async function measure(url, key) {
  const samples = [];
  try {
    for (let i = 0; i < WARMUP; i++) await timed(url, key);
    const started = Date.now();
    while (samples.length < REQUESTS && (samples.length < MIN_REQUESTS || Date.now() - started < BUDGET_MS)) {
      samples.push((await timed(url, key)).ms);
    }
  } catch (err) {
    if (err.name !== 'TimeoutError') throw err;
    samples.sort((a, b) => a - b);
    return { n: samples.length, p50: null, p95: null, timedOut: true };
  }
  samples.sort((a, b) => a - b);
  return { n: samples.length, p50: Math.round(percentile(samples, 50)), p95: Math.round(percentile(samples, 95)) };
}

async function runSize(database, events) {
  const dbName = `clickpath_bench_reports_${events}_${Date.now()}`;
  const uri = `${database.uri}/${dbName}`;
  const client = new MongoClient(database.uri);
  await client.connect();
  const db = client.db(dbName);
  let backend = await startBackend({ MONGODB_URI: uri });
  try {
    const { site, key } = await createAccountAndSite(backend.base, { timezone: 'UTC' });
    // Seed without the backend running and without rollup indexes, then build
    // the model's indexes once (the backend's ensureIndexes then finds them).
    await stop(backend);
    await db
      .collection('rollups')
      .dropIndexes()
      .catch(() => {});
    const lastDay = new Date().toISOString().slice(0, 10);
    const seedStart = Date.now();
    const seeded = await seedReports(db, { siteId: new ObjectId(site.id), events, days: DAYS, lastDay });
    const seedMs = Date.now() - seedStart;
    const indexStart = Date.now();
    for (const [fields, options] of Rollup.schema.indexes())
      await db.collection('rollups').createIndex(fields, options);
    const indexMs = Date.now() - indexStart;
    backend = await startBackend({ MONGODB_URI: uri });

    const base = `${backend.base}/api/v1/sites/${site.id}/stats`;
    const from30 = addDays(lastDay, -29);
    const from365 = addDays(lastDay, -(DAYS - 1));
    const overview = await measure(`${base}/overview?from=${from30}&to=${lastDay}`, key);
    const timeseries = await measure(`${base}/timeseries?from=${from365}&to=${lastDay}&interval=day`, key);
    const breakdown = await measure(`${base}/breakdown/page?from=${from30}&to=${lastDay}&limit=10`, key);

    // Sanity: the overview must report the seeded traffic.
    const check = overview.timedOut
      ? null
      : JSON.parse((await timed(`${base}/overview?from=${from365}&to=${lastDay}&compare=none`, key)).body);
    const seenEvents = !check ? seeded.events : check.metrics.pageviews + (check.metrics.events ?? 0);
    if (Math.abs(seenEvents - seeded.events) > seeded.events * 0.2) {
      throw new Error(`overview reports ${seenEvents} events, seeded ${seeded.events}`);
    }
    return { events, seeded, seedMs, indexMs, overview, timeseries, breakdown };
  } finally {
    await stop(backend).catch(() => {});
    await db.dropDatabase().catch(() => {});
    await client.close();
  }
}

const database = await startDatabase();
try {
  const results = [];
  for (const size of SIZES) {
    const result = await runSize(database, size);
    results.push(result);
    if (process.env.BENCH_VERBOSE) console.error(JSON.stringify(result));
  }
  const small = results[0];
  const large = results[results.length - 1];
  const reports = ['overview', 'timeseries', 'breakdown'];
  const ratios = reports.map((r) =>
    large[r].p95 === null || small[r].p95 === null ? null : large[r].p95 / Math.max(1, small[r].p95),
  );
  const growth = ratios.includes(null) ? null : Math.max(...ratios);
  const smallKey = (n) => (n >= 1e6 ? `${n / 1e6}M` : `${n / 1e3}k`);
  console.log(
    JSON.stringify({
      events: large.events,
      overview30dP95Ms: large.overview.p95,
      timeseries365dP95Ms: large.timeseries.p95,
      breakdown30dP95Ms: large.breakdown.p95,
      growth: growth === null ? null : Number(growth.toFixed(2)),
      timeoutMs: TIMEOUT_MS,
      [`overview30dP95Ms_${smallKey(small.events)}`]: small.overview.p95,
      [`timeseries365dP95Ms_${smallKey(small.events)}`]: small.timeseries.p95,
      [`breakdown30dP95Ms_${smallKey(small.events)}`]: small.breakdown.p95,
      p50Ms: Object.fromEntries(
        results.map((r) => [smallKey(r.events), Object.fromEntries(reports.map((k) => [k, r[k].p50]))]),
      ),
      requests: Object.fromEntries(
        results.map((r) => [smallKey(r.events), Object.fromEntries(reports.map((k) => [k, r[k].n]))]),
      ),
      rollupDocs: Object.fromEntries(results.map((r) => [smallKey(r.events), r.seeded.rollups])),
      seedSeconds: Object.fromEntries(results.map((r) => [smallKey(r.events), Math.round(r.seedMs / 1000)])),
    }),
  );
} finally {
  await database.stop();
}
