import { DateTime, Settings } from 'luxon';

import { AppError } from '../lib/errors';
import { localHourKey } from '../lib/local-hour';
import { bucketOf, dayCount, daysOf, hoursOf, latestDay, previousRange, resolveRange, today } from './range';

/** The error a call throws, or undefined. */
function errorOf(run: () => unknown): AppError | undefined {
  try {
    run();
    return undefined;
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
}

const NOW = new Date('2026-12-06T11:30:00Z');

describe('hoursOf: the local hours of a day, across DST changes', () => {
  it.each<[string, string, number, string | null]>([
    ['UTC', '2026-03-29', 24, null],
    ['Europe/Berlin', '2026-06-15', 24, null],
    // Last Sunday of March: 02:00 becomes 03:00.
    ['Europe/Berlin', '2026-03-29', 23, null],
    // Last Sunday of October: 03:00 becomes 02:00 again.
    ['Europe/Berlin', '2026-10-25', 25, '02:00'],
    ['America/New_York', '2026-03-08', 23, null],
    ['America/New_York', '2026-11-01', 25, '01:00'],
    // Half-hour offset and DST together.
    ['America/St_Johns', '2026-11-01', 25, '01:00'],
    // DST starts at midnight: the day begins at 01:00.
    ['America/Havana', '2026-03-08', 23, null],
    ['Asia/Kolkata', '2026-03-08', 24, null],
  ])('when the zone is %s and the day %s, then it has %i hours, %s repeated', (zone, day, count, repeated) => {
    const hours = hoursOf({ from: day, to: day }, zone);
    const local = hours.map((h) => DateTime.fromISO(h.label, { setZone: true }));
    expect(hours).toHaveLength(count);
    expect(local.every((t) => t.toISODate() === day && t.minute === 0)).toBe(true);
    const times = local.map((t) => t.toFormat('HH:mm'));
    expect(times.filter((t, i) => times.indexOf(t) !== i)).toEqual(repeated ? [repeated] : []);
    // Distinct keys, in time order: a repeated local hour has a key of its own.
    const keys = hours.map((h) => h.key);
    expect(new Set(keys).size).toBe(count);
    expect([...keys].sort()).toEqual(keys);
  });

  it.each<[string, string, number, string[]]>([
    // Clocks go back from 02:00 (+11) to 01:30 (+10:30): the repeated half hour is an hour of its own.
    ['Australia/Lord_Howe', '2026-04-05', 25, ['00:00+11:00', '01:00+11:00', '01:30+10:30', '02:00+10:30']],
    // Clocks go forward from 02:00 (+10:30) to 02:30 (+11): local 02 is the half hour from 02:30.
    ['Australia/Lord_Howe', '2026-10-04', 24, ['00:00+10:30', '01:00+10:30', '02:30+11:00', '03:00+11:00']],
    ['Europe/Berlin', '2026-10-25', 25, ['00:00+02:00', '01:00+02:00', '02:00+02:00', '02:00+01:00']],
  ])(
    'when the zone is %s and the day %s, then it has %i hours, each labelled with the instant it begins (its key): %j…',
    (zone, day, count, firstLabels) => {
      const hours = hoursOf({ from: day, to: day }, zone);
      expect(hours).toHaveLength(count);
      const local = hours.map((h) => DateTime.fromISO(h.label, { setZone: true }));
      expect(local.slice(0, 4).map((t) => t.toFormat('HH:mmZZ'))).toEqual(firstLabels);
      expect(local.every((t) => t.toISODate() === day)).toBe(true);
      expect(hours.map((h) => h.key)).toEqual(local.map((t) => localHourKey(t, zone)));
      expect(new Set(hours.map((h) => h.key)).size).toBe(count);
      // Every label after a change is a whole local hour again.
      expect(local.slice(4).every((t) => t.minute === 0)).toBe(true);
    },
  );

  it.each([
    ['Europe/Berlin', '2026-03-29'],
    ['Europe/Berlin', '2026-10-25'],
    ['America/New_York', '2026-03-08'],
    ['America/New_York', '2026-11-01'],
    ['America/St_Johns', '2026-11-01'],
    ['Asia/Kathmandu', '2026-03-08'],
    ['Australia/Lord_Howe', '2026-04-05'],
    ['Australia/Lord_Howe', '2026-10-04'],
  ])(
    'when an event is stamped at any quarter hour of %s %s, then its hour key is one the hourly series lists',
    (zone, day) => {
      const keys = new Set(hoursOf({ from: day, to: day }, zone).map((h) => h.key));
      const start = DateTime.fromISO(day, { zone });
      const end = start.plus({ days: 1 });
      const unlisted: string[] = [];
      // Every zone's offset is a multiple of 15 minutes, so quarter hours reach every local hour.
      for (let t = start; t < end; t = t.plus({ minutes: 15 })) {
        const key = localHourKey(t.toJSDate(), zone);
        if (!keys.has(key)) unlisted.push(`${t.toISO()!} → ${key}`);
      }
      expect(unlisted).toEqual([]);
    },
  );

  it.each([
    ['Europe/Berlin', '2026-03-28', '2026-03-30', 24 + 23 + 24],
    ['Europe/Berlin', '2026-10-24', '2026-10-26', 24 + 25 + 24],
    ['America/New_York', '2026-03-07', '2026-03-09', 24 + 23 + 24],
    ['America/New_York', '2026-10-31', '2026-11-02', 24 + 25 + 24],
  ])('when a range in %s runs from %s to %s, then it lists %i hours', (zone, from, to, count) => {
    expect(hoursOf({ from, to }, zone)).toHaveLength(count);
  });
});

describe('day arithmetic across DST changes, whatever the server’s own zone', () => {
  const serverZone = Settings.defaultZone;
  afterEach(() => {
    Settings.defaultZone = serverZone;
  });

  describe.each(['UTC', 'Europe/Berlin', 'America/New_York', 'America/Havana', 'Pacific/Kiritimati'])(
    'with the server in %s',
    (zone) => {
      beforeEach(() => {
        Settings.defaultZone = zone;
      });

      it.each([
        ['2026-03-28', '2026-03-30', ['2026-03-28', '2026-03-29', '2026-03-30']],
        ['2026-10-24', '2026-10-26', ['2026-10-24', '2026-10-25', '2026-10-26']],
        ['2026-03-07', '2026-03-09', ['2026-03-07', '2026-03-08', '2026-03-09']],
        ['2026-11-01', '2026-11-01', ['2026-11-01']],
      ])('when a range runs from %s to %s, then its days are %j', (from, to, days) => {
        expect(daysOf({ from, to })).toEqual(days);
        expect(dayCount({ from, to })).toBe(days.length);
      });

      it.each([
        ['2026-03-29', '2026-04-04', '2026-03-22', '2026-03-28'],
        ['2026-10-25', '2026-10-31', '2026-10-18', '2026-10-24'],
        ['2026-03-01', '2026-03-31', '2026-01-29', '2026-02-28'],
      ])('when the range is %s to %s, then the previous one is %s to %s', (from, to, prevFrom, prevTo) => {
        expect(previousRange({ from, to })).toEqual({ from: prevFrom, to: prevTo });
      });

      it.each<[string, 'day' | 'week' | 'month', string]>([
        ['2026-03-29', 'day', '2026-03-29'],
        ['2026-03-29', 'week', '2026-03-23'],
        ['2026-03-30', 'week', '2026-03-30'],
        ['2026-10-25', 'week', '2026-10-19'],
        ['2026-03-08', 'week', '2026-03-02'],
        ['2026-11-01', 'month', '2026-11'],
        ['2026-03-08', 'month', '2026-03'],
      ])('when the day is %s, then its %s bucket is %s', (day, interval, bucket) => {
        expect(bucketOf(day, interval)).toBe(bucket);
      });
    },
  );
});

describe('today and the latest day a report may ask for, across DST changes', () => {
  it.each([
    ['Europe/Berlin', '2026-03-28T22:59:59Z', '2026-03-28'],
    ['Europe/Berlin', '2026-03-28T23:00:00Z', '2026-03-29'],
    ['Europe/Berlin', '2026-03-29T21:59:59Z', '2026-03-29'],
    ['Europe/Berlin', '2026-03-29T22:00:00Z', '2026-03-30'],
    ['Europe/Berlin', '2026-10-24T21:59:59Z', '2026-10-24'],
    ['Europe/Berlin', '2026-10-24T22:00:00Z', '2026-10-25'],
    ['Europe/Berlin', '2026-10-25T22:59:59Z', '2026-10-25'],
    ['Europe/Berlin', '2026-10-25T23:00:00Z', '2026-10-26'],
    ['America/New_York', '2026-03-08T04:59:59Z', '2026-03-07'],
    ['America/New_York', '2026-03-08T05:00:00Z', '2026-03-08'],
    ['America/New_York', '2026-03-09T03:59:59Z', '2026-03-08'],
    ['America/New_York', '2026-03-09T04:00:00Z', '2026-03-09'],
    ['America/New_York', '2026-11-02T04:59:59Z', '2026-11-01'],
    ['America/New_York', '2026-11-02T05:00:00Z', '2026-11-02'],
  ])('when it is %s at %s, then today is %s', (zone, instant, day) => {
    const now = new Date(instant);
    expect(today(zone, now)).toBe(day);
    expect(latestDay(zone, now)).toBe(DateTime.fromISO(day).plus({ days: 1 }).toISODate());
  });
});

describe('resolveRange', () => {
  it.each([
    ['Europe/Berlin', '2024-12-05', true],
    ['Europe/Berlin', '2024-12-04', false],
    ['America/New_York', '2024-12-05', true],
    ['America/New_York', '2024-12-04', false],
    ['Australia/Lord_Howe', '2024-12-05', true],
  ])(
    'when a range in %s from %s to 2026-12-06 crosses four DST changes, then 732 days are allowed: %s',
    (zone, from, ok) => {
      const error = errorOf(() => resolveRange(from, '2026-12-06', zone, { now: NOW }));
      expect(error?.message).toBe(ok ? undefined : 'to makes the range longer than 732 days');
    },
  );

  it.each([
    ['Europe/Berlin', '2026-03-29', '2026-03-29'],
    ['Europe/Berlin', '2026-10-25', '2026-10-25'],
    ['America/New_York', '2026-03-07', '2026-03-09'],
    ['America/Havana', '2026-03-08', '2026-03-08'],
  ])('when a range in %s runs from %s to %s, across or on a DST change, then it is kept as given', (zone, from, to) => {
    expect(resolveRange(from, to, zone, { now: NOW })).toEqual({ from, to });
  });

  it.each([
    ['a day that does not exist', '2026-02-30', '2026-03-01', 'query.from', 'from must be a date like 2026-01-31'],
    ['a month that does not exist', '2026-13-01', '2026-12-01', 'query.from', 'from must be a date like 2026-01-31'],
    ['a day without leading zeros', '2026-3-1', '2026-03-02', 'query.from', 'from must be a date like 2026-01-31'],
    ['a two-digit year', '26-03-01', '2026-03-02', 'query.from', 'from must be a date like 2026-01-31'],
    ['a date with a time', '2026-03-01T00:00', '2026-03-02', 'query.from', 'from must be a date like 2026-01-31'],
    ['an empty string', '2026-03-01', '', 'query.to', 'to must be a date like 2026-01-31'],
    ['an end before the start', '2026-03-02', '2026-03-01', 'query.to', 'to is before from'],
  ])('when given %s, then it is refused naming the field', (_label, from, to, path, message) => {
    const error = errorOf(() => resolveRange(from, to, 'Europe/Berlin', { now: NOW }));
    expect(error).toMatchObject({ code: 'validation_failed', status: 400, message });
    expect(error?.details).toEqual([{ path, message: message.replace(/^(from|to) /, '') }]);
  });
});
