import { createHash } from 'node:crypto';

import { Types } from 'mongoose';

import { startTestApp, type TestApp } from '../../test/support/app';
import { dumpDatabase } from '../../test/support/assert';
import { forgetSpentKeys, pruneSpentKeys, spendOnce } from './spend-once';

/** Single use by unique insert, on the real database (FerretDB lets racing conditional writes all through). */

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t.close());

const spent = () => t.db.collection('spent_keys');
const inAMinute = () => new Date(Date.now() + 60_000);

describe('spending a key once', () => {
  it('when four calls race for one key, then exactly one spends it, round after round', async () => {
    const winnersPerRound: number[] = [];
    for (let round = 0; round < 20; round += 1) {
      const until = inAMinute();
      const results = await Promise.all([0, 1, 2, 3].map(() => spendOnce(`race:${round}`, { until })));
      winnersPerRound.push(results.filter(Boolean).length);
    }
    expect(winnersPerRound).toEqual(Array.from({ length: 20 }, () => 1));
  });

  it('when a key is spent, then only its SHA-256 is stored, with the expiry and account given', async () => {
    const accountId = new Types.ObjectId();
    const until = inAMinute();
    const key = `link:secret-${accountId.toHexString()}`;

    expect(await spendOnce(key, { until, accountId })).toBe(true);
    expect(await spendOnce(key, { until, accountId })).toBe(false);

    const hash = createHash('sha256').update(key).digest('base64url');
    expect(await spent().findOne({ accountId })).toEqual({ _id: hash, accountId, expiresAt: until });
    expect(await dumpDatabase(t.db)).not.toContain(`secret-${accountId.toHexString()}`);
  });

  it('when keys have expired, then the prune deletes them and keeps the live ones spent', async () => {
    const now = new Date();
    await spendOnce('prune:old', { until: new Date(now.getTime() - 1) });
    await spendOnce('prune:live', { until: new Date(now.getTime() + 60_000) });

    expect(await pruneSpentKeys(now)).toBeGreaterThanOrEqual(1);

    expect(await spent().countDocuments({ expiresAt: { $lte: now } })).toBe(0);
    expect(await spendOnce('prune:live', { until: inAMinute() })).toBe(false);
  });

  it("when an account's keys are forgotten, then other accounts' keys stay", async () => {
    const [gone, kept] = [new Types.ObjectId(), new Types.ObjectId()];
    await spendOnce(`totp:${gone.toHexString()}:1`, { until: inAMinute(), accountId: gone });
    await spendOnce(`totp:${kept.toHexString()}:1`, { until: inAMinute(), accountId: kept });

    await forgetSpentKeys(gone);

    expect(await spent().countDocuments({ accountId: gone })).toBe(0);
    expect(await spent().countDocuments({ accountId: kept })).toBe(1);
  });
});
