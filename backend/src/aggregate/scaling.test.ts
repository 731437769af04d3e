import mongoose from 'mongoose';

import { at, clearAggregateData, insertEvents, type RawEventInput } from '../../test/support/events';
import { createSite, signUp, startTestApp, type TestApp, type TestUser } from '../../test/support/app';
import { processPendingEvents } from './aggregator';
import { historyEvents } from '../../test/support/history';
import { monitorCommands, recordCommands, type Command } from '../../test/support/commands';

/**
 * The aggregator's cost per event must not grow with stored history
 * (decision 0005). This counts the database commands a workload issues, by
 * collection and command, before and after thousands of events of history were
 * stored: the counts must be equal, and every command that touches a
 * collection growing with history must be an insert, the one operation
 * FerretDB 1.24 serves without scanning the collection (even an `_id` lookup
 * scans it: decision 0005).
 */

let t: TestApp;
let user: TestUser;
beforeAll(async () => {
  t = await startTestApp();
  t.db = await monitorCommands(t.db.databaseName);
  user = await signUp(t.app);
});
afterAll(async () => {
  await t.db.dropDatabase();
  await mongoose.disconnect();
});
beforeEach(() => clearAggregateData());

/** `count` pageviews and events by `visitors` visitors over 20 minutes from `start`. */
function workload(prefix: string, start: string, count: number, visitors: number): RawEventInput[] {
  return Array.from({ length: count }, (_, i) => ({
    id: `${prefix}${i}`,
    ts: at(start, (i * 20) / count),
    vid: `${prefix}v${i % visitors}`,
    path: `/page/${i % 7}`,
    country: ['NL', 'DE', 'FR'][i % 3],
    ...(i % 5 === 4 ? { kind: 'ev' as const, name: 'signup', props: { plan: i % 2 ? 'pro' : 'free' } } : {}),
  }));
}

/**
 * Commands per collection family. Reads of the inbox are left out: they follow
 * how many 10-second partitions the run's chunks happened to land in (the clock),
 * and the inbox holds the backlog, never history.
 */
const tally = (commands: readonly Command[]) => {
  const counts = new Map<string, number>();
  for (const c of commands) {
    if (c.collection === 'inbox_<slot>' && c.name === 'find') continue;
    counts.set(`${c.collection} ${c.name}`, (counts.get(`${c.collection} ${c.name}`) ?? 0) + 1);
  }
  return Object.fromEntries([...counts].sort());
};

/** Collections whose size follows stored history: only inserts may touch them. */
const GROWS_WITH_HISTORY = [
  'events_<day>',
  'visits_<day>',
  'event_claims_<day>',
  'aggstate_<epoch>_visits',
  'aggstate_<epoch>_days',
  'visitor_index_<month>',
];

describe('aggregation cost and stored history', () => {
  it('when thousands of events are already stored, then a workload issues the same commands, none scanning history', async () => {
    const site = await createSite(user, { timezone: 'UTC' });
    const run = async (prefix: string, start: string, count: number) => {
      const events = workload(prefix, start, count, Math.ceil(count / 5));
      // Chunks of 50, as group commits of a busy collector arrive.
      for (let i = 0; i < events.length; i += 50) await insertEvents(site.id, events.slice(i, i + 50));
      return recordCommands(() => processPendingEvents({ batchSize: 50 }));
    };
    // Each step starts more than six hours after the previous one, so each closes the visits before it. Each
    // measured run follows a run on the same UTC day, which already looked for open rollup days due to be
    // folded (decision 0007: once per day of the clock, not per batch), and no day comes due during them.
    await run('warm', '2026-03-10T00:00:00Z', 20);
    const small = await run('w1', '2026-03-10T08:00:00Z', 200);
    await run('history', '2026-03-12T01:00:00Z', 6000);
    const large = await run('w2', '2026-03-12T08:00:00Z', 200);

    // 200 events in batches of 50: four batches, each storing its events as one chunk.
    expect(tally(small)).toMatchObject({
      'events_<day> insert': 4,
      'event_claims_<day> insert': 4,
      'visitor_index_<month> insert': 4,
    });
    expect(tally(large)).toEqual(tally(small));
    const onHistory = [...small, ...large].filter((c) => GROWS_WITH_HISTORY.includes(c.collection));
    // Besides inserts, only the indexes of a day's new partition, once.
    expect(onHistory.filter((c) => c.name !== 'insert' && c.name !== 'createIndexes')).toEqual([]);
    expect(await historyEvents(t.db)).toHaveLength(6420);
  }, 300_000);
});
