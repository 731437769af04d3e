import { startTestApp, type TestApp } from '../../test/support/app';
import { acquireLease, expireLease, releaseLease } from './lease';
import { collections } from './model';

/**
 * The aggregator lease on FerretDB, where racing conditional updates all
 * succeed: terms are taken by a unique insert, so exactly one racer wins.
 */

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t.close());

describe('the aggregator lease', () => {
  it('when four holders race for a free lease, then exactly one gets it, round after round', async () => {
    const winnersPerRound: number[] = [];
    for (let round = 0; round < 20; round += 1) {
      await expireLease();
      const results = await Promise.all([0, 1, 2, 3].map((i) => acquireLease(`racer-${round}-${i}`)));
      const winners = results.filter((lock) => lock !== null);
      winnersPerRound.push(winners.length);
      // The lock document names the winner: its writes go through, the others' would not.
      expect(winners[0]?.holder).toMatch(new RegExp(`^racer-${round}-`));
    }
    expect(winnersPerRound).toEqual(Array.from({ length: 20 }, () => 1));
    // Old terms are deleted as new ones are taken.
    expect(await collections.leaseTerms().countDocuments()).toBeLessThanOrEqual(2);
  });

  it('when the holder renews, then others keep waiting; after it releases, another takes it; the first cannot renew then', async () => {
    await expireLease();
    expect(await acquireLease('first')).toMatchObject({ holder: 'first' });
    expect(await acquireLease('first')).toMatchObject({ holder: 'first' });
    expect(await acquireLease('second')).toBeNull();
    await releaseLease('first');
    expect(await acquireLease('second')).toMatchObject({ holder: 'second' });
    expect(await acquireLease('first')).toBeNull();
  });

  it('when a term expires unreleased (its holder died), then the next holder takes it after the lease time', async () => {
    await expireLease();
    const start = new Date('2026-03-10T10:00:00Z');
    expect(await acquireLease('dies', start)).not.toBeNull();
    expect(await acquireLease('next', new Date(start.getTime() + 29_000))).toBeNull();
    expect(await acquireLease('next', new Date(start.getTime() + 31_000))).toMatchObject({ holder: 'next' });
  });
});
