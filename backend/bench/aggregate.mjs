// npm run bench:aggregate — how the aggregator's throughput changes with stored
// history. For each size (default 0, 1M, 10M, then 0 again, so that load from other
// work on the machine during the run shows as a difference between the two
// empty runs; BENCH_AGGREGATE_SIZES): a
// fresh database, a year of history seeded straight into every store the
// aggregator and the reports read (rollups with the backend's own encoders via
// seed-reports.mjs, raw events and closed visits), then the same 50,000-event
// workload sent through the real collector (a collector-only backend), and an
// aggregator-only backend timed until the inbox is empty. Then, at the largest
// size, a freshness run: a steady 500 events/s for 60 s through one backend
// doing both, timing each sampled event from its 202 to its appearance among
// the stored events that the realtime report reads. Then the sharing run: the
// same workload spread over 100 sites, aggregated once by one aggregator process
// and once by two on the same database (partitions, decision 0012), each
// counted to the last event. Prints one JSON line.
// Loopback only; every loop is bounded in count and time.
import { readFileSync } from 'node:fs';

import mongoose from 'mongoose';

import { rng, seedRawHistory } from './seed-history.mjs';
import { seedReports } from './seed-reports.mjs';
import { createAccountAndSite, startBackend, startDatabase } from './support.mjs';

const { MongoClient, ObjectId } = mongoose.mongo;

const SIZES = (process.env.BENCH_AGGREGATE_SIZES ?? '0,1000000,10000000,0').split(',').map(Number);
const WORKLOAD = Number(process.env.BENCH_AGGREGATE_EVENTS ?? 50_000);
const VISITORS = Math.ceil(WORKLOAD / 10);
const CONCURRENCY = 32;
const FRESH_RATE = Number(process.env.BENCH_FRESH_RATE ?? 500);
const FRESH_SECONDS = Number(process.env.BENCH_FRESH_SECONDS ?? 60);
const DRAIN_TIMEOUT_MS = 20 * 60_000;
const SHARING_SITES = 100;
const UA =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const label = (n) => (n === 0 ? 'Empty' : n >= 1e6 ? `${n / 1e6}M` : `${n / 1e3}k`);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const day = (offset) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);

/** The workload: pageviews (75%), custom events (15%) and engagement pings (10%) of returning and new visitors, spread so visits span many batches. */
function workload(publicId, runTag) {
  const random = rng(7);
  return Array.from({ length: WORKLOAD }, (_, i) => {
    // A power-law pick: a few visitors come back often, most once or twice.
    const visitor = Math.floor(VISITORS * random() ** 2);
    const roll = random();
    const base = {
      s: publicId,
      i: `${runTag}x${i.toString(36).padStart(7, '0')}`,
      u: `https://bench.example.com/p/${Math.floor(random() * 200)}`,
    };
    const ip = `${20 + ((visitor >> 16) & 127)}.${(visitor >> 8) & 255}.${visitor & 255}.${(visitor * 7) & 255}`;
    if (roll < 0.75) return { ip, body: { ...base, k: 'pv', r: random() < 0.3 ? 'https://www.google.com/' : '' } };
    if (roll < 0.9)
      return { ip, body: { ...base, k: 'ev', n: 'Signup', p: { plan: random() < 0.5 ? 'pro' : 'free' } } };
    return { ip, body: { ...base, k: 'en', e: 1000 + Math.floor(random() * 60_000) } };
  });
}

async function send(base, { ip, body }) {
  const res = await fetch(`${base}/api/event`, {
    method: 'POST',
    headers: { 'content-type': 'text/plain', 'user-agent': UA, 'x-forwarded-for': ip },
    body: JSON.stringify(body),
  });
  await res.arrayBuffer();
  if (res.status !== 202) throw new Error(`collector answered ${res.status}`);
}

/** The workload with its requests spread over the sites' public ids (a hash of the request number, not round-robin). */
function spreadOver(requests, publicIds) {
  return requests.map((request, i) => ({
    ...request,
    body: { ...request.body, s: publicIds[((i * 2654435761) % 2 ** 32) % publicIds.length] },
  }));
}

/** Sends every request with a fixed number in flight. */
async function sendAll(base, requests) {
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < requests.length) await send(base, requests[next++]);
    }),
  );
}

/** Inbox slots (aggregate/inbox.ts), oldest first. */
async function inboxSlots(db) {
  const names = (await db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name);
  return names.filter((n) => /^inbox_\d+$/.test(n)).sort();
}

async function backlog(db) {
  let total = 0;
  for (const name of await inboxSlots(db)) {
    const [row] = await db
      .collection(name)
      .aggregate([{ $group: { _id: null, total: { $sum: '$count' } } }])
      .toArray();
    total += row?.total ?? 0;
  }
  return total;
}

/** The oldest chunk still in the inbox, or undefined. */
async function oldestChunk(db) {
  for (const name of await inboxSlots(db)) {
    const [oldest] = await db
      .collection(name)
      .find({}, { projection: { _id: 1 } })
      .sort({ _id: 1 })
      .limit(1)
      .toArray();
    if (oldest) return oldest;
  }
  return undefined;
}

/**
 * Whether the aggregator has emptied these partitions (dropped, or no chunk
 * left): one `findOne` each, which FerretDB answers from the first document
 * it meets, where counting or listing the collections would scan (and, at
 * 10M, the listing of ~1,000 collections alone took ~20 ms a call).
 */
async function drained(db, partitions) {
  for (const name of partitions) {
    if (await db.collection(name).findOne({}, { projection: { _id: 1 } })) return false;
  }
  return true;
}

const rssMb = (pid) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;

async function measureSize(server, size) {
  const dbName = `bench_aggregate_${size}_${Date.now()}`;
  const client = await MongoClient.connect(`${server.uri}/${dbName}`);
  const db = client.db();
  await db.dropDatabase();
  const env = {
    MONGODB_URI: `${server.uri}/${dbName}`,
    TRUST_PROXY_HOPS: '1',
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn',
  };

  const collector = await startBackend({ ...env, AGGREGATOR: 'false' });
  const { site } = await createAccountAndSite(collector.base);
  const siteId = new ObjectId(site.id);
  const seedStarted = Date.now();
  let seeded = 0;
  if (size > 0) {
    await seedReports(db, { siteId, events: size, lastDay: day(-1), rawSample: 0 });
    seeded = await seedRawHistory(`${server.uri}/${dbName}`, siteId, size, day(-366));
  }
  const seedSeconds = (Date.now() - seedStarted) / 1000;
  const sendStarted = Date.now();
  await sendAll(collector.base, workload(site.publicId, `s${size}`));
  const collectorEventsPerSec = WORKLOAD / ((Date.now() - sendStarted) / 1000);
  await collector.stop();
  const queued = await backlog(db);

  // The collector is stopped: no partition appears after this listing.
  const partitions = await inboxSlots(db);
  const aggregator = await startBackend(env);
  const started = Date.now();
  while (!(await drained(db, partitions))) {
    if (Date.now() - started > DRAIN_TIMEOUT_MS) throw new Error(`aggregation of ${size} did not finish`);
    await sleep(200);
  }
  const seconds = (Date.now() - started) / 1000;
  const rss = rssMb(aggregator.child.pid);
  const stored = await db.collection('events').countDocuments({ siteId, _id: { $regex: `^${site.id}:s` } });
  const result = {
    size,
    seeded,
    seedSeconds,
    queued,
    stored,
    seconds,
    eventsPerSec: Math.round(queued / seconds),
    collectorEventsPerSec: Math.round(collectorEventsPerSec),
    rssMb: Math.round(rss),
  };
  process.stderr.write(`${JSON.stringify(result)}\n`);
  return { result, aggregator, db, client, site };
}

/**
 * 500 events/s for 60 s through one backend; for every event, the time from its
 * 202 until it is aggregated (stored with its visit, counted in the rollups).
 * The inbox tells, without reading the events (every read but an insert scans
 * the collection on FerretDB 1.24): the aggregator deletes a chunk only after
 * its events are stored and journaled, so an event acknowledged before the
 * creation second of the oldest chunk left (or with the inbox empty) is done.
 * That rounds each delay up by under a second.
 */
async function freshness({ aggregator, db, site }) {
  const requests = workload(site.publicId, 'fresh');
  const perTick = FRESH_RATE / 10;
  const acked = [];
  const delays = [];
  let sending = true;
  const poller = (async () => {
    let next = 0;
    while (sending || next < acked.length) {
      const oldest = await oldestChunk(db);
      const doneBefore = oldest ? oldest._id.getTimestamp().getTime() : Infinity;
      const now = Date.now();
      while (next < acked.length && acked[next] < doneBefore) delays.push(now - acked[next++]);
      if (next < acked.length && now - acked[next] > 120_000)
        throw new Error('an event was not aggregated within 120 s');
      await sleep(100);
    }
  })();
  const started = Date.now();
  let sent = 0;
  for (let tick = 0; tick < FRESH_SECONDS * 10; tick += 1) {
    const batch = requests.slice(sent, sent + perTick);
    sent += batch.length;
    const times = await Promise.all(batch.map(async (request) => (await send(aggregator.base, request), Date.now())));
    acked.push(...times.sort((a, b) => a - b));
    const wait = started + (tick + 1) * 100 - Date.now();
    if (wait > 0) await sleep(wait);
  }
  const sendSeconds = (Date.now() - started) / 1000;
  sending = false;
  await poller;
  delays.sort((a, b) => a - b);
  return {
    sent,
    achievedRate: Math.round(sent / sendSeconds),
    p50: delays[Math.floor(delays.length * 0.5)],
    p95: delays[Math.min(delays.length - 1, Math.ceil(delays.length * 0.95) - 1)],
    max: delays.at(-1),
  };
}

/** Events stored in history (aggregated), summed over the day collections. */
async function storedEvents(db) {
  let total = 0;
  for (const { name } of await db
    .listCollections({ name: { $regex: '^events_\\d{8}$' } }, { nameOnly: true })
    .toArray()) {
    const [row] = await db
      .collection(name)
      .aggregate([{ $group: { _id: null, total: { $sum: '$count' } } }])
      .toArray();
    total += row?.total ?? 0;
  }
  return total;
}

/**
 * The workload over SHARING_SITES sites, queued by a collector-only backend,
 * then aggregated by `processes` aggregator-only backends started together,
 * timed until the inbox is empty; every event must be stored once.
 */
async function measureSharing(server, processes) {
  const dbName = `bench_aggregate_share${processes}_${Date.now()}`;
  const client = await MongoClient.connect(`${server.uri}/${dbName}`);
  const db = client.db();
  const env = {
    MONGODB_URI: `${server.uri}/${dbName}`,
    TRUST_PROXY_HOPS: '1',
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn',
  };
  const collector = await startBackend({ ...env, AGGREGATOR: 'false' });
  // One account per site: an account whose address is not verified may own one site.
  const publicIds = [];
  for (let i = 0; i < SHARING_SITES; i += 1) {
    const { site } = await createAccountAndSite(collector.base, {
      name: `Bench ${i}`,
      domain: `bench${i}.example.com`,
    });
    publicIds.push(site.publicId);
  }
  await sendAll(collector.base, spreadOver(workload(publicIds[0], `share${processes}`), publicIds));
  await collector.stop();
  const queued = await backlog(db);
  const partitions = await inboxSlots(db);
  const started = Date.now();
  const aggregators = await Promise.all(Array.from({ length: processes }, () => startBackend(env)));
  while (!(await drained(db, partitions))) {
    if (Date.now() - started > DRAIN_TIMEOUT_MS) throw new Error(`aggregation by ${processes} did not finish`);
    await sleep(200);
  }
  const seconds = (Date.now() - started) / 1000;
  await Promise.all(aggregators.map((a) => a.stop()));
  const stored = await storedEvents(db);
  if (stored !== queued) throw new Error(`${processes} aggregators stored ${stored} of ${queued} events`);
  await db.dropDatabase();
  await client.close();
  const result = {
    processes,
    sites: SHARING_SITES,
    queued,
    stored,
    seconds,
    eventsPerSec: Math.round(queued / seconds),
  };
  process.stderr.write(`sharing ${JSON.stringify(result)}\n`);
  return result;
}

const server = await startDatabase();
const results = [];
const sharing = [];
const largestSize = Math.max(...SIZES);
try {
  for (const size of SIZES) {
    const measured = await measureSize(server, size);
    results.push(measured.result);
    if (size === largestSize && !results.some((r) => r.freshness)) {
      const fresh = await freshness(measured);
      process.stderr.write(`freshness ${JSON.stringify(fresh)}\n`);
      measured.result.freshness = fresh;
    }
    await measured.aggregator.stop();
    await measured.db.dropDatabase();
    await measured.client.close();
  }
  for (const processes of [1, 2]) sharing.push(await measureSharing(server, processes));
} finally {
  await server.stop();
}
const mean = (list) => list.reduce((sum, n) => sum + n, 0) / list.length;
const empties = results.filter((r) => r.size === 0);
const largest = results.find((r) => r.size === largestSize);
const emptyRate = Math.round(mean(empties.map((r) => r.eventsPerSec)));
const emptyRss = Math.round(mean(empties.map((r) => r.rssMb)));
const line = {
  eventsPerSecEmpty: emptyRate,
  ...Object.fromEntries(results.filter((r) => r.size > 0).map((r) => [`eventsPerSec${label(r.size)}`, r.eventsPerSec])),
  growth: Math.round((emptyRate / largest.eventsPerSec) * 100) / 100,
  freshnessP95Ms: largest.freshness.p95,
  largestSeeded: largest.seeded,
  collectorEventsPerSec: Math.round(mean(empties.map((r) => r.collectorEventsPerSec))),
  rssEmptyMb: emptyRss,
  rssLargestMb: largest.rssMb,
  rssGrowth: Math.round((largest.rssMb / emptyRss) * 100) / 100,
  eventsPerSec1Aggregator: sharing[0].eventsPerSec,
  eventsPerSec2Aggregators: sharing[1].eventsPerSec,
  twoAggregatorRatio: Math.round((sharing[1].eventsPerSec / sharing[0].eventsPerSec) * 100) / 100,
  sizes: results,
  sharing,
};
console.log(JSON.stringify(line));
