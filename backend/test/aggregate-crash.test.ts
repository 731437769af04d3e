import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

import { processPendingEvents } from '../src/aggregate/aggregator';
import { expireLeases, lockIdOf } from '../src/aggregate/lease';
import { collections } from '../src/aggregate/model';
import { allVisits } from '../src/aggregate/service';
import { inboxBacklog } from '../src/aggregate/inbox';
import { partitionOf } from '../src/lib/partition';
import { createSite, signUp, startTestApp, type TestApp, type TestSite } from './support/app';
import { insertEvents, storedRollups, type RawEventInput } from './support/events';
import { historyEvents } from './support/history';

/**
 * Exactly-once under crashes: the real server (dist/server.js) aggregates a
 * backlog and is killed with SIGKILL at random points inside its batches, 20
 * times, each next server replaying what the last one left half-done. The
 * rollups, visits and stored events must then equal those of the same events
 * aggregated once without a crash (a second site in the same database).
 */

const BACKEND_DIR = path.resolve(__dirname, '..');
const KILLS = 20;

let t: TestApp;
let crashed: TestSite;
let calm: TestSite;
let output = '';

/** A small deterministic PRNG, so a failure can be replayed. */
function prng(seed: number) {
  return () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
}

/** An hour of traffic ending now: pageviews, custom events and engagement of 400 visitors, in arrival order. */
function traffic(count: number): RawEventInput[] {
  const random = prng(20261206);
  const start = Date.now() - 3_600_000;
  const events: RawEventInput[] = [];
  for (let i = 0; i < count; i += 1) {
    const roll = random();
    events.push({
      id: `e${i}`,
      ts: new Date(start + Math.floor((i / count) * 3_590_000)),
      vid: `v${Math.floor(random() * 400)}`,
      path: `/p/${Math.floor(random() * 30)}`,
      country: ['NL', 'DE', 'US', 'FR'][Math.floor(random() * 4)],
      source: ['Google', 'Direct', 'Newsletter'][Math.floor(random() * 3)],
      ...(roll < 0.15 ? { kind: 'ev' as const, name: 'signup', props: { plan: random() < 0.5 ? 'pro' : 'free' } } : {}),
      ...(roll > 0.9 ? { kind: 'en' as const, engagedMs: 1000 + Math.floor(random() * 30_000) } : {}),
    });
  }
  return events;
}

async function insertInChunks(site: TestSite, events: RawEventInput[]): Promise<void> {
  for (let i = 0; i < events.length; i += 100) await insertEvents(site.id, events.slice(i, i + 100));
}

function startAggregatorProcess(): ChildProcess {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    MONGODB_URI: `${process.env.CLICKPATH_TEST_DB_BASE}/${t.db.databaseName}`,
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    NODE_ENV: 'production',
  };
  const child = spawn(process.execPath, ['dist/server.js'], {
    cwd: BACKEND_DIR,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return child;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Rollup rows and visits with the site's id taken out, so two sites' can be compared. */
async function derived(site: TestSite) {
  const strip = (value: unknown) => JSON.parse(JSON.stringify(value).replaceAll(site.id, 'SITE')) as unknown;
  const rollups = (await storedRollups(site.id))
    .map(strip)
    .map((r) => JSON.stringify(r))
    .sort();
  const visits = (await allVisits(site.id))
    .map(strip)
    .map((v) => JSON.stringify(v))
    .sort();
  const events = (await historyEvents(t.db, { siteId: site.id })).length;
  return { rollups, visits, events };
}

beforeAll(async () => {
  // tsc emits even when another work-in-progress file has a type error; only the output matters here.
  spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: BACKEND_DIR, stdio: 'ignore' });
  if (!existsSync(path.join(BACKEND_DIR, 'dist', 'server.js'))) throw new Error('build produced no dist/server.js');
  t = await startTestApp();
  const owner = await signUp(t.app);
  crashed = await createSite(owner, { timezone: 'UTC' });
  calm = await createSite(owner, { name: 'Calm', domain: 'calm.example', timezone: 'UTC' });
}, 180_000);

afterAll(() => t.close());

describe('aggregator killed inside batches', () => {
  it(`when it is killed with SIGKILL ${KILLS} times mid-batch, then every event is counted exactly once`, async () => {
    const events = traffic(12_000);
    await insertInChunks(calm, events);
    await processPendingEvents();
    const expected = await derived(calm);
    expect(expected.events).toBe(events.length);

    await insertInChunks(crashed, events);
    const random = prng(7);
    let killedMidBatch = 0;
    let kills = 0;
    const lockId = lockIdOf(partitionOf(crashed.id));
    for (; kills < KILLS && (await inboxBacklog()) > 0; kills += 1) {
      const previousHolder = (await collections.locks().findOne({ _id: lockId }))?.holder;
      const child = startAggregatorProcess();
      // Wait until it holds the lease inside a batch (the lock names one), then a random moment more.
      const deadline = Date.now() + 30_000;
      while (Date.now() < deadline && child.exitCode === null) {
        const lock = await collections.locks().findOne({ _id: lockId });
        if (lock?.pending && lock.holder !== previousHolder) break;
        await sleep(5);
      }
      await sleep(Math.floor(random() * 400));
      if ((await collections.locks().findOne({ _id: lockId }))?.pending) killedMidBatch += 1;
      child.kill('SIGKILL');
      await new Promise((resolve) => child.once('exit', resolve));
      // The dead holder's lease would expire after 30 s; the test moves time on instead of waiting.
      await expireLeases();
    }
    expect(kills).toBe(KILLS);
    expect({ killedMidBatch: killedMidBatch >= KILLS / 2, output: killedMidBatch >= KILLS / 2 ? '' : output }).toEqual({
      killedMidBatch: true,
      output: '',
    });
    await processPendingEvents();
    expect(await inboxBacklog()).toBe(0);
    expect(await derived(crashed)).toEqual(expected);
  }, 600_000);
});
