// npm run bench:people — what one person's or visitor's data costs to find as
// history grows (decision 0008). For each size (default 1M and 5M events,
// BENCH_PEOPLE_SIZES): a fresh database, a year of raw history seeded with the
// aggregator's own code (seed-history.mjs, with the visitor index), plus one
// signed-in person whose visitor came on three days of the last month. Then,
// through the real API of a running backend: the person's export, the visitor's
// profile and the person's erasure. The baseline, measured in the same run, is
// what these requests read before the index: every day's event partition
// searched for the visitor. Prints one JSON line with the times at each size and
// their growth (largest ÷ smallest).
import mongoose from 'mongoose';

import { seedRawHistory } from './seed-history.mjs';
import { createAccountAndSite, startBackend, startDatabase } from './support.mjs';

const { MongoClient, ObjectId } = mongoose.mongo;

const SIZES = (process.env.BENCH_PEOPLE_SIZES ?? '1000000,5000000').split(',').map(Number);
const REPEATS = 5;
const VID = 'f:benchperson01';
const USER = 'bench-person';
const label = (n) => (n >= 1e6 ? `${n / 1e6}M` : `${n / 1e3}k`);
const day = (offset) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);

/** The person's visits: three days of the last month, three pageviews each, stored like the seeded history. */
async function storePerson(uri, siteId) {
  const { appendEvents, appendVisits } = await import(`../dist/aggregate/history.js`);
  const { indexEventVisitors, indexUserLinks } = await import(`../dist/aggregate/visitor-index.js`);
  await mongoose.connect(uri);
  for (const offset of [-25, -12, -3]) {
    const start = Date.parse(`${day(offset)}T09:00:00Z`);
    const visitId = `${siteId}:${VID}:person${offset}`;
    const events = [0, 1, 2].map((e) => ({
      _id: `${siteId}:person${offset}e${e}`,
      siteId,
      ts: new Date(start + e * 30_000),
      day: day(offset),
      hour: `${day(offset)}T09`,
      kind: 'pv',
      vid: VID,
      host: 'bench.example.com',
      path: `/account/${e}`,
      title: '',
      name: '',
      engagedMs: 0,
      notFound: false,
      userId: USER,
      visitId,
    }));
    const visit = {
      _id: visitId,
      siteId,
      vid: VID,
      start: new Date(start),
      day: day(offset),
      hour: `${day(offset)}T09`,
      lastSeen: new Date(start + 60_000),
      entryPage: '/account/0',
      exitPage: '/account/2',
      pageviews: 3,
      events: 0,
      engagedMs: 0,
      duration: 60_000,
      bounce: false,
      userId: USER,
      traits: null,
    };
    await appendEvents(`person${offset}`, events);
    await indexEventVisitors(`person${offset}`, events);
    await appendVisits([visit]);
    await indexUserLinks(`person${offset}`, [visit]);
  }
  await mongoose.disconnect();
}

/** The pre-index read: every day's event partition searched for the visitor's chunks. */
async function fullScan(db, siteId) {
  const names = (await db.listCollections({ name: { $regex: '^events_\\d{8}$' } }, { nameOnly: true }).toArray()).map(
    (c) => c.name,
  );
  const started = performance.now();
  let chunks = 0;
  for (const name of names) chunks += (await db.collection(name).find({ siteId, vids: VID }).toArray()).length;
  if (chunks !== 3) throw new Error(`the scan found ${chunks} chunks of the person, not 3`);
  return performance.now() - started;
}

async function timed(request, check) {
  const started = performance.now();
  const res = await request();
  const ms = performance.now() - started;
  await check(res);
  return ms;
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function measureSize(server, size) {
  const dbName = `bench_people_${size}_${Date.now()}`;
  const uri = `${server.uri}/${dbName}`;
  const client = await MongoClient.connect(uri);
  const db = client.db();
  const backend = await startBackend({ MONGODB_URI: uri });
  try {
    const { site, key } = await createAccountAndSite(backend.base, { settings: { identityMode: 'first-party' } }, [
      'stats:read',
      'sites:manage',
    ]);
    const siteId = new ObjectId(site.id);
    const seedStarted = Date.now();
    const seeded = await seedRawHistory(uri, siteId, size, day(-366));
    await storePerson(uri, siteId);
    const seedSeconds = (Date.now() - seedStarted) / 1000;
    const headers = { Authorization: `Bearer ${key}` };
    const api = (path, init = {}) => fetch(`${backend.base}/api/v1/sites/${site.id}${path}`, { headers, ...init });
    const expectVisits = (visits) => async (res) => {
      if (res.status !== 200) throw new Error(`${res.url} answered ${res.status}: ${await res.text()}`);
      const body = await res.json();
      const found = body.visitors ? body.visitors[0]?.visits.length : body.visits?.length;
      if (found !== visits) throw new Error(`${res.url} found ${found} visits, not ${visits}`);
    };
    const exportMs = [];
    const profileMs = [];
    const scanMs = [];
    for (let i = 0; i < REPEATS; i += 1) {
      exportMs.push(await timed(() => api(`/people/${USER}`), expectVisits(3)));
      profileMs.push(await timed(() => api(`/visitors/${encodeURIComponent(VID)}`), expectVisits(3)));
      scanMs.push(await fullScan(db, siteId));
    }
    const eraseMs = await timed(
      () => api(`/people/${USER}`, { method: 'DELETE' }),
      async (res) => {
        const body = await res.json();
        if (res.status !== 200 || body.events !== 9)
          throw new Error(`erasure answered ${res.status}: ${JSON.stringify(body)}`);
      },
    );
    const indexDocs = (
      await Promise.all(
        (await db.listCollections({ name: { $regex: '^visitor_index_' } }, { nameOnly: true }).toArray()).map((c) =>
          db.collection(c.name).countDocuments(),
        ),
      )
    ).reduce((a, b) => a + b, 0);
    const result = {
      size,
      seeded,
      seedSeconds,
      indexDocs,
      exportMs: Math.round(median(exportMs)),
      profileMs: Math.round(median(profileMs)),
      eraseMs: Math.round(eraseMs),
      fullScanMs: Math.round(median(scanMs)),
    };
    process.stderr.write(`${JSON.stringify(result)}\n`);
    return result;
  } finally {
    await backend.stop();
    await db.dropDatabase();
    await client.close();
  }
}

const server = await startDatabase();
try {
  const results = [];
  for (const size of SIZES) results.push(await measureSize(server, size));
  const first = results[0];
  const last = results.at(-1);
  const line = {};
  for (const r of results) {
    for (const field of ['exportMs', 'profileMs', 'eraseMs', 'fullScanMs']) line[`${field}${label(r.size)}`] = r[field];
  }
  for (const field of ['exportMs', 'eraseMs', 'fullScanMs']) {
    line[`${field.replace('Ms', '')}Growth`] = Number((last[field] / first[field]).toFixed(2));
  }
  line.eraseVsFullScan = Number((last.eraseMs / last.fullScanMs).toFixed(2));
  console.log(JSON.stringify(line));
} finally {
  await server.stop();
}
