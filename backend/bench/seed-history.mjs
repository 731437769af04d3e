// Raw history for the benchmarks: events and closed visits stored with the
// aggregator's own history code (dist/), with the visitor index it writes beside
// them, as if the aggregator had written them batch by batch.
import { createRequire } from 'node:module';
import { join } from 'node:path';

import mongoose from 'mongoose';

import { backendDir } from './support.mjs';

const require = createRequire(import.meta.url);

/** A seeded linear congruential generator: the same run stores the same history. */
export function rng(seed) {
  return () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
}

/** `events` raw events and their closed visits over the 364 days from `firstDay` (YYYY-MM-DD), UTC. */
export async function seedRawHistory(uri, siteId, events, firstDay) {
  const { appendEvents, appendVisits } = require(join(backendDir, 'dist/aggregate/history.js'));
  const { indexEventVisitors, indexUserLinks } = require(join(backendDir, 'dist/aggregate/visitor-index.js'));
  await mongoose.connect(uri);
  const random = rng(99);
  const first = Date.parse(`${firstDay}T00:00:00Z`);
  const span = 364 * 86_400_000;
  const batch = 20_000;
  let stored = 0;
  let visitNo = 0;
  while (stored < events) {
    const eventDocs = [];
    const visitDocs = [];
    while (eventDocs.length < batch && stored + eventDocs.length < events) {
      const start = first + Math.floor(((stored + eventDocs.length) / events) * span);
      const vid = `h${Math.floor(random() * events) / 3}`;
      const visitId = `${siteId}:${vid}:v${visitNo}`;
      visitNo += 1;
      const n = 1 + Math.floor(random() * 9);
      const ts = new Date(start);
      const attrs = {
        source: 'Google',
        channel: 'Organic Search',
        country: 'DE',
        device: 'desktop',
        browser: 'Chrome',
      };
      for (let e = 0; e < n; e += 1) {
        eventDocs.push({
          _id: `${siteId}:hist${visitNo}e${e}`,
          siteId,
          ts: new Date(start + e * 30_000),
          day: ts.toISOString().slice(0, 10),
          hour: ts.toISOString().slice(0, 13),
          kind: 'pv',
          vid,
          host: 'bench.example.com',
          path: `/p/${Math.floor(random() * 500)}`,
          title: '',
          name: '',
          engagedMs: 0,
          notFound: false,
          userId: '',
          ...attrs,
          visitId,
        });
      }
      visitDocs.push({
        _id: visitId,
        siteId,
        vid,
        start: ts,
        day: ts.toISOString().slice(0, 10),
        hour: ts.toISOString().slice(0, 13),
        ...attrs,
        lastSeen: new Date(start + (n - 1) * 30_000),
        entryPage: '/',
        exitPage: '/',
        pageviews: n,
        events: 0,
        engagedMs: 0,
        duration: (n - 1) * 30_000,
        bounce: n === 1,
        // One visit in fifty is of a signed-in visitor, as on a site with accounts.
        userId: visitNo % 50 === 0 ? `user${visitNo % 5000}` : '',
        traits: null,
      });
    }
    await appendEvents(`seed${visitNo}`, eventDocs);
    await indexEventVisitors(`seed${visitNo}`, eventDocs);
    await appendVisits(visitDocs);
    await indexUserLinks(`seed${visitNo}`, visitDocs);
    stored += eventDocs.length;
  }
  await mongoose.disconnect();
  return stored;
}
