import { Types } from 'mongoose';

import { startTestApp, type TestApp } from '../../test/support/app';
import { clearAggregateData } from '../../test/support/events';
import type { VisitDoc } from './model';
import { applyDelta, emptyState } from './state';
import { appendJournal, encodeJournal, loadState, shouldStartEpoch, writeSnapshot } from './state-store';
import { lockIdOf } from './lease';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t.close());
beforeEach(() => clearAggregateData());

const siteId = new Types.ObjectId();
const visit = (pageviews: number): VisitDoc =>
  ({
    _id: `${String(siteId)}:v:e1`,
    siteId,
    vid: 'v',
    start: new Date('2026-03-10T10:00:00Z'),
    lastSeen: new Date(Date.parse('2026-03-10T10:00:00Z') + pageviews * 60_000),
    day: '2026-03-10',
    hour: '2026-03-10T10',
    pageviews,
    userId: '',
    traits: null,
  }) as VisitDoc;

describe('state store', () => {
  it('when an epoch has a snapshot and a journal after it, then loading applies the snapshot first and the journal in order', async () => {
    const state = emptyState();
    const clock = Date.parse('2026-03-10T10:05:00Z');
    const dayKey = `${String(siteId)}:2026-03-10:v`;
    applyDelta(state, { clock, visits: [visit(1)], closed: [], days: [[dayKey, ['all|']]] });
    const { epoch } = await writeSnapshot(lockIdOf(0), state);
    for (let seq = 1; seq <= 11; seq += 1) {
      const days: Array<[string, string[]]> = [[dayKey, ['all|', `page|/${seq}`]]];
      await appendJournal(epoch, seq, `b${seq}`, encodeJournal({ clock, visits: [visit(1 + seq)], closed: [], days }));
    }

    const loaded = await loadState(lockIdOf(0), epoch);
    expect(loaded.seq).toBe(11);
    expect(loaded.journaled.has('b11')).toBe(true);
    expect(loaded.state.visits.get(`${String(siteId)}:v:e1`)).toMatchObject({ pageviews: 12 });
    expect(loaded.state.days.get(dayKey)).toEqual(['all|', 'page|/11']);
    expect(loaded.state.current.get(`${String(siteId)}:v`)).toBe(`${String(siteId)}:v:e1`);
  });
});

describe('when a new epoch starts', () => {
  const MiB = 1 << 20;
  test.each([
    ['a small state and 4 MiB of journal', false, 1000, 4 * MiB],
    ['a small state and past 4 MiB of journal', true, 1000, 4 * MiB + 1],
    ['a large state and a journal as large', false, 10 * MiB, 10 * MiB],
    ['a large state and a journal larger', true, 10 * MiB, 10 * MiB + 1],
  ])('with %s, then shouldStartEpoch is %s', (_case, expected, snapshotBytes, journalBytes) => {
    expect(shouldStartEpoch({ snapshotBytes, journalBytes })).toBe(expected);
  });
});
