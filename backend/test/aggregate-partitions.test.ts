import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

import { processPendingEvents } from '../src/aggregate/aggregator';
import { expireLeases, leaseTable } from '../src/aggregate/lease';
import { COUNTERS } from '../src/aggregate/model';
import type { RollupRow } from '../src/aggregate/rollups';
import { allVisits } from '../src/aggregate/service';
import { inboxBacklog } from '../src/aggregate/inbox';
import { partitionOf } from '../src/lib/partition';
import { createSite, signUp, startTestApp, type TestApp, type TestSite } from './support/app';
import { insertEvents, storedRollups, type RawEventInput } from './support/events';
import { historyEvents } from './support/history';
import { buildServer } from './support/real-server';

/**
 * Partitioned aggregation under crashes (issue 11): three real servers
 * (dist/server.js) share the partitions of 20 sites while events stream in,
 * and one of them at random is killed with SIGKILL and restarted, again and
 * again. Every site's rollups, visits and stored events must then equal those
 * of the same events aggregated by one process without a crash (20 twin sites
 * in the same database): every event counted once, each site's events applied
 * in order.
 */

const BACKEND_DIR = path.resolve(__dirname, '..');
const SITES = 20;
const EVENTS_PER_SITE = 300;
const PROCESSES = 3;
const KILLS = 12;

let t: TestApp;
const calm: TestSite[] = [];
const crashed: TestSite[] = [];
let output = '';

function prng(seed: number) {
  return () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
}

/** An hour of one site's traffic ending now, in arrival order: pageviews, custom events, engagement of 40 visitors. */
function traffic(seed: number): RawEventInput[] {
  const random = prng(seed);
  const start = Date.now() - 3_600_000;
  return Array.from({ length: EVENTS_PER_SITE }, (_, i) => {
    const roll = random();
    return {
      id: `e${i}`,
      ts: new Date(start + Math.floor((i / EVENTS_PER_SITE) * 3_590_000)),
      vid: `v${Math.floor(random() * 40)}`,
      path: `/p/${Math.floor(random() * 10)}`,
      source: ['Google', 'Direct', 'Newsletter'][Math.floor(random() * 3)],
      ...(roll < 0.15 ? { kind: 'ev' as const, name: 'signup' } : {}),
      ...(roll > 0.9 ? { kind: 'en' as const, engagedMs: 1000 + Math.floor(random() * 30_000) } : {}),
    };
  });
}

function startServer(): ChildProcess {
  const child = spawn(process.execPath, ['dist/server.js'], {
    cwd: BACKEND_DIR,
    env: {
      ...process.env,
      MONGODB_URI: `${process.env.CLICKPATH_TEST_DB_BASE}/${t.db.databaseName}`,
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      NODE_ENV: 'production',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return child;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const exited = (child: ChildProcess) =>
  child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve()
    : new Promise((resolve) => child.once('exit', resolve));

/**
 * A site's rollup rows, visits and stored event count, with its id taken out so
 * that twins compare equal. Rows whose counters are all zero are left out: a
 * key that counted something in an earlier batch (an exit page the visit
 * later moved on from) keeps a zero row, and reports skip those
 * (reports/rollup-engine.ts); the twins were batched differently.
 */
async function derived(site: TestSite) {
  const strip = (value: unknown) => JSON.stringify(value).replaceAll(site.id, 'SITE');
  const counted = (row: RollupRow) => COUNTERS.some((counter) => row[counter] !== 0);
  const rollups = (await storedRollups(site.id)).filter(counted).map(strip).sort();
  const visits = (await allVisits(site.id)).map(strip).sort();
  const events = (await historyEvents(t.db, { siteId: site.id })).length;
  return { rollups, visits, events };
}

beforeAll(async () => {
  await buildServer();
  t = await startTestApp();
  const owner = await signUp(t.app);
  for (let i = 0; i < SITES; i += 1) {
    calm.push(await createSite(owner, { name: `Calm ${i}`, domain: `calm${i}.example`, timezone: 'UTC' }));
    crashed.push(await createSite(owner, { name: `Crashed ${i}`, domain: `crashed${i}.example`, timezone: 'UTC' }));
  }
}, 180_000);

afterAll(() => t.close());

describe('partitioned aggregation, three processes killed at random', () => {
  it(`when ${PROCESSES} servers share 20 sites and are killed ${KILLS} times while events stream in, then every site equals its twin aggregated once`, async () => {
    const streams = crashed.map((_, i) => traffic(1000 + i));
    // Spread over many partitions, so that the processes have work to share.
    expect(new Set(crashed.map((site) => partitionOf(site.id))).size).toBeGreaterThanOrEqual(8);

    for (const [i, site] of calm.entries()) await insertEvents(site.id, streams[i]!);
    await processPendingEvents();

    const random = prng(42);
    const servers = Array.from({ length: PROCESSES }, () => startServer());
    const known = new Set<string>();
    /** Waits until `count` aggregator processes not seen before have joined (a server takes seconds to start). */
    const joined = async (count: number) => {
      const deadline = Date.now() + 60_000;
      for (;;) {
        const fresh = [...(await leaseTable()).members].filter((member) => !known.has(member));
        if (fresh.length >= count) return fresh.forEach((member) => known.add(member));
        if (Date.now() > deadline) throw new Error(`only ${fresh.length} of ${count} servers joined\n${output}`);
        await sleep(100);
      }
    };
    await joined(PROCESSES);
    let kills = 0;
    // The stream: every site's next 20 events every 3 s, in arrival order per site, while the kills go on.
    const streaming = (async () => {
      for (let offset = 0; offset < EVENTS_PER_SITE; offset += 20) {
        for (const [i, site] of crashed.entries()) await insertEvents(site.id, streams[i]!.slice(offset, offset + 20));
        await sleep(3000);
      }
    })();
    let running = true;
    const holdersSeen: number[] = [];
    const sampling = (async () => {
      while (running) {
        const table = await leaseTable();
        const now = new Date();
        holdersSeen.push(
          new Set([...table.newest.values()].filter((term) => term.expiresAt > now).map((term) => term.holder)).size,
        );
        await sleep(250);
      }
    })();
    const killing = (async () => {
      for (; kills < KILLS; kills += 1) {
        await sleep(500 + Math.floor(random() * 2500));
        const victim = Math.floor(random() * PROCESSES);
        servers[victim]!.kill('SIGKILL');
        await exited(servers[victim]!);
        servers[victim] = startServer();
        await joined(1);
      }
    })();
    await Promise.all([streaming, killing]);
    running = false;
    await sampling;
    const holdersAtOnce = Math.max(...holdersSeen);

    // Let the survivors finish what is left, then stop them all and replay whatever the last kills left pending.
    const deadline = Date.now() + 120_000;
    while ((await inboxBacklog()) > 0 && Date.now() < deadline) await sleep(500);
    for (const server of servers) server.kill('SIGTERM');
    await Promise.all(servers.map(exited));
    await expireLeases();
    await processPendingEvents();
    expect(await inboxBacklog()).toBe(0);

    expect({
      holdersAtOnce: holdersAtOnce >= 2,
      output: holdersAtOnce >= 2 ? '' : `${holdersSeen.join()}\n${output}`,
    }).toEqual({
      holdersAtOnce: true,
      output: '',
    });
    for (const [i, site] of crashed.entries()) {
      const mine = await derived(site);
      expect(mine.events).toBe(EVENTS_PER_SITE);
      expect(mine).toEqual(await derived(calm[i]!));
    }
  }, 600_000);
});
