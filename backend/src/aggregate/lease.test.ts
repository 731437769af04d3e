import { startTestApp, type TestApp } from '../../test/support/app';
import {
  ALL_LOCKS,
  acquireLeases,
  expireLeases,
  joinMembers,
  leaseTable,
  leaveMembers,
  lockIdOf,
  releaseLeases,
  renewLeases,
  waitForLeases,
  LeaseLostError,
} from './lease';
import { collections } from './model';

/**
 * The aggregator leases on FerretDB, where racing conditional updates all
 * succeed: terms are taken by a unique insert, so exactly one racer wins each
 * partition.
 */

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t.close());
beforeEach(async () => {
  await collections.leaseTerms().deleteMany({});
});

const lock = lockIdOf(3);

describe('the aggregator leases', () => {
  it('when four holders race for the free partitions, then each partition goes to exactly one, round after round', async () => {
    for (let round = 0; round < 10; round += 1) {
      await expireLeases();
      const results = await Promise.all([0, 1, 2, 3].map((i) => acquireLeases(`racer-${round}-${i}`, ALL_LOCKS)));
      const won = results.flat().map((l) => l._id);
      expect(won.sort()).toEqual([...ALL_LOCKS].sort());
      // The lock documents name the winners: their writes go through, the others' would not.
      for (const [i, locks] of results.entries()) {
        for (const l of locks) expect(l.holder).toBe(`racer-${round}-${i}`);
      }
    }
    // Old terms are deleted as new ones are taken: at most two per lock.
    expect(await collections.leaseTerms().countDocuments()).toBeLessThanOrEqual(2 * ALL_LOCKS.length);
  });

  it('when the holder renews, then others keep waiting; after it releases, another takes it; the first cannot renew then', async () => {
    expect(await acquireLeases('first', [lock])).toMatchObject([{ holder: 'first' }]);
    expect(await acquireLeases('first', [lock])).toMatchObject([{ holder: 'first' }]);
    expect(await acquireLeases('second', [lock])).toEqual([]);
    await releaseLeases('first', [lock]);
    expect(await acquireLeases('second', [lock])).toMatchObject([{ holder: 'second' }]);
    expect(await acquireLeases('first', [lock])).toEqual([]);
    await expect(renewLeases('first', [lock])).rejects.toThrow(LeaseLostError);
  });

  it('when a term expires unreleased (its holder died), then the next holder takes it after the lease time', async () => {
    const start = new Date('2026-03-10T10:00:00Z');
    expect(await acquireLeases('dies', [lock], start)).toHaveLength(1);
    expect(await acquireLeases('next', [lock], new Date(start.getTime() + 29_000))).toEqual([]);
    expect(await acquireLeases('next', [lock], new Date(start.getTime() + 31_000))).toMatchObject([{ holder: 'next' }]);
  });

  it('when two callers wait for every partition at once, then one gets them all and the other gets them after it releases', async () => {
    const order: string[] = [];
    const wait = async (holder: string) => {
      const locks = await waitForLeases(holder, ALL_LOCKS, 20_000);
      expect(locks).toHaveLength(ALL_LOCKS.length);
      order.push(`${holder} holds`);
      await new Promise((resolve) => setTimeout(resolve, 50));
      order.push(`${holder} releases`);
      await releaseLeases(holder);
    };
    await Promise.all([wait('a'), wait('b')]);
    expect(order).toHaveLength(4);
    expect(order[1]).toBe(`${order[0]!.split(' ')[0]} releases`);
    // Waiters are gone once served.
    expect((await leaseTable()).awaited.size).toBe(0);
  });

  it('when a caller waits for a partition, then the table shows it awaited; members are listed while alive', async () => {
    await joinMembers('loop-1');
    await joinMembers('loop-2');
    await acquireLeases('loop-1', [lock]);
    const waiting = waitForLeases('eraser', [lock], 5_000);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const table = await leaseTable();
    expect(table.awaited).toEqual(new Set([lock]));
    expect(table.members).toEqual(new Set(['loop-1', 'loop-2']));
    await releaseLeases('loop-1', [lock]);
    expect(await waiting).toMatchObject([{ holder: 'eraser' }]);
    await leaveMembers('loop-2');
    expect((await leaseTable()).members).toEqual(new Set(['loop-1']));
  });
});
