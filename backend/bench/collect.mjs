// npm run bench:collect — collector throughput and latency against a bare
// node:http server answering 202, measured in the same run on the same machine.
// Prints one JSON line. Loopback only; every run is bounded in time.
import http from 'node:http';
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

import autocannon from 'autocannon';
import mongoose from 'mongoose';

import { createAccountAndSite, freePort, startBackend, startDatabase } from './support.mjs';

const DURATION_S = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
// One counter for every run, so no two requests share an event id.
let n = 0;
const UA =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';

// Child mode: the baseline server, in its own process like the backend.
if (process.argv[2] === 'baseline') {
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      JSON.parse(Buffer.concat(chunks).toString('utf8'));
      res.writeHead(202, { 'Content-Type': 'application/json' });
      res.end('{"accepted":1}');
    });
  });
  server.listen(Number(process.argv[3]), '127.0.0.1', () => process.send('ready'));
} else {
  await main();
}

function run(options) {
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      { duration: DURATION_S, connections: CONNECTIONS, pipelining: 1, ...options },
      (err, result) => (err ? reject(err) : resolve(result)),
    );
    autocannon.track(instance, { renderProgressBar: false, renderResultsTable: false, renderLatencyTable: false });
  });
}

function eventRequests(publicId) {
  return [
    {
      method: 'POST',
      path: '/api/event',
      setupRequest: (req) => {
        n += 1;
        const ip = `${(n % 200) + 20}.${(n >> 8) % 250}.${n % 250}.${(n * 7) % 250}`;
        return {
          ...req,
          headers: { 'content-type': 'text/plain', 'user-agent': UA, 'x-forwarded-for': ip },
          body: JSON.stringify({
            s: publicId,
            i: `bench${process.pid}x${n.toString(36).padStart(8, '0')}`,
            k: 'pv',
            u: `https://bench.example.com/page/${n % 1000}`,
            r: n % 3 === 0 ? 'https://www.google.com/' : '',
            t: 'Benchmark page',
            w: 1440,
            l: 'en-US',
          }),
        };
      },
    },
  ];
}

async function main() {
  // Baseline: bare node:http in its own process.
  const basePort = await freePort();
  const baseline = fork(fileURLToPath(import.meta.url), ['baseline', String(basePort)]);
  await new Promise((resolve) => baseline.once('message', resolve));
  const baselineResult = await run({
    url: `http://127.0.0.1:${basePort}`,
    method: 'POST',
    headers: { 'content-type': 'text/plain' },
    body: JSON.stringify({ s: 'x', i: 'y', k: 'pv', u: 'https://bench.example.com/' }),
  });
  baseline.kill();

  const database = await startDatabase();
  const dbName = `clickpath_bench_${Date.now()}`;
  const backend = await startBackend({
    MONGODB_URI: `${database.uri}/${dbName}`,
    TRUST_PROXY_HOPS: '1',
    AGGREGATOR: process.env.BENCH_AGGREGATOR ?? 'true',
  });
  try {
    const { site } = await createAccountAndSite(backend.base);
    const peak = await run({ url: backend.base, requests: eventRequests(site.publicId) });
    const halfRate = Math.max(1, Math.floor(peak.requests.average / 2));
    const steady = await run({ url: backend.base, requests: eventRequests(site.publicId), overallRate: halfRate });
    const accepted = peak['2xx'] + steady['2xx'];

    await backend.stop();
    await mongoose.connect(`${database.uri}/${dbName}`);
    // Accepted events are durable once in the inbox; the aggregator moves them into the history partitions.
    let aggregated = 0;
    let waiting = 0;
    for (const { name } of await mongoose.connection.db.listCollections({}, { nameOnly: true }).toArray()) {
      if (!/^(inbox_\d+|events_\d{8})$/.test(name)) continue;
      const chunks = await mongoose.connection.db
        .collection(name)
        .find({}, { projection: { count: 1 } })
        .toArray();
      const count = chunks.reduce((sum, c) => sum + c.count, 0);
      if (name.startsWith('events_')) aggregated += count;
      else waiting += count;
    }
    const stored = aggregated + waiting;
    await mongoose.connection.db.dropDatabase();
    await mongoose.disconnect();

    const eventsPerSec = Math.round(peak['2xx'] / DURATION_S);
    console.log(
      JSON.stringify({
        eventsPerSec,
        p50Ms: steady.latency.p50,
        p99Ms: steady.latency.p99,
        peakP99Ms: peak.latency.p99,
        halfRate,
        accepted,
        stored,
        aggregated,
        non2xx: peak.non2xx + steady.non2xx + peak.errors + steady.errors,
        baselineReqPerSec: Math.round(baselineResult.requests.average),
        ratio: Number((eventsPerSec / baselineResult.requests.average).toFixed(3)),
      }),
    );
  } finally {
    backend.child.kill('SIGKILL');
    await database.stop();
  }
}
