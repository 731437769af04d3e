import { conversionDay, conversionLag, convertedBy, goalRowKey, parseGoalRowKey } from './goal-keys';

describe('goal row keys (decision 0010)', () => {
  it.each([
    ['65f000000000000000000001|0', { goal: '65f000000000000000000001', lag: 0 }],
    ['*|3', { goal: '*', lag: 3 }],
    ['a|b|2', { goal: 'a|b', lag: 2 }],
    ['g|-1', null],
    ['g|1.5', null],
    ['|1', null],
    ['g', null],
  ])('when the key is %j, then it reads as %j', (key, parsed) => {
    expect(parseGoalRowKey(key)).toEqual(parsed);
    if (parsed) expect(goalRowKey(parsed.goal, parsed.lag)).toBe(key);
  });

  it.each([
    ['2026-03-10', '2026-03-10', 0],
    ['2026-03-10', '2026-03-11', 1],
    // Days, not 24-hour periods: the lag is the same across a DST change.
    ['2026-03-28', '2026-03-30', 2],
    ['2026-10-24', '2026-10-26', 2],
    ['2026-02-28', '2026-03-01', 1],
    ['2026-12-31', '2027-01-01', 1],
    ['2026-03-11', '2026-03-10', 0],
  ])('when a visit starts on %s and converts on %s, then the lag is %i', (visitDay, hitDay, lag) => {
    expect(conversionLag(visitDay, hitDay)).toBe(lag);
    if (hitDay >= visitDay) expect(conversionDay(visitDay, lag)).toBe(hitDay);
  });

  it.each([
    ['2026-03-10', 0, '2026-03-10', true],
    ['2026-03-10', 1, '2026-03-10', false],
    ['2026-03-10', 1, '2026-03-11', true],
    ['2026-03-31', 1, '2026-03-31', false],
    ['2026-03-31', 1, '2026-04-01', true],
  ])('when a row of %s has lag %i and the range ends on %s, then it counts: %s', (day, lag, to, counted) => {
    expect(convertedBy(day, lag, to)).toBe(counted);
  });
});
