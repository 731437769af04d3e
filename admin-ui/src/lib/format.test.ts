import {
  daysBefore,
  formatChange,
  formatDateTime,
  formatDayRange,
  formatDayTime,
  formatDuration,
  formatNumber,
  formatPercent,
  formatPeriod,
  formatTime,
  todayIn,
} from './format';
import { daysIn, intervalFor, rangeForPreset } from './dates';

describe('formatting helpers', () => {
  it('formats counts with grouping and compacts large ones on request', () => {
    expect(formatNumber(1234, false, 'en-US')).toBe('1,234');
    expect(formatNumber(12_345, true, 'en-US')).toBe('12.3K');
    expect(formatNumber(2.55, false, 'en-US')).toBe('2.6');
    expect(formatNumber(Number.NaN)).toBe('—');
  });

  it('formats percentages and durations', () => {
    expect(formatPercent(42.25, 'en-US')).toBe('42.3%');
    expect(formatDuration(45)).toBe('45s');
    expect(formatDuration(185)).toBe('3m 05s');
    expect(formatDuration(3720)).toBe('1h 02m');
    expect(formatDuration(-1)).toBe('—');
  });

  it('says whether a change went up, down or could not be computed', () => {
    expect(formatChange(12.34)).toEqual({ text: '+12.3%', trend: 'up' });
    expect(formatChange(-5)).toEqual({ text: '−5%', trend: 'down' });
    expect(formatChange(0)).toEqual({ text: '0%', trend: 'flat' });
    expect(formatChange(null)).toEqual({ text: '—', trend: 'none' });
    // 0 → 0: nothing happened in either period, so no change is stated.
    expect(formatChange(0, 0)).toEqual({ text: '—', trend: 'none' });
    expect(formatChange(0, 5)).toEqual({ text: '0%', trend: 'flat' });
  });

  it('shows times on the charts’ clock: 24-hour, in the site’s time zone', () => {
    const iso = '2026-01-02T13:05:09.000Z';
    expect(formatTime(iso, 'Europe/Amsterdam', 'en-US')).toBe('14:05:09');
    expect(formatTime(iso, 'America/New_York', 'en-US')).toBe('08:05:09');
    expect(formatDateTime(iso, 'Asia/Kolkata', 'en-US')).toBe('Jan 2, 2026, 18:35');
    expect(todayIn('Pacific/Kiritimati', new Date('2026-01-02T20:00:00Z'))).toEqual(new Date(2026, 0, 3));
  });

  it('leaves out the seconds or the year where they say nothing', () => {
    const iso = '2026-01-02T13:05:09.000Z';
    expect(formatTime(iso, 'Europe/Amsterdam', 'en-US', false)).toBe('14:05');
    expect(formatDayTime(iso, 'Europe/Amsterdam', 'en-US')).toBe('Jan 2, 14:05');
  });

  it('counts calendar days back from now in the site’s time zone', () => {
    const now = new Date('2026-03-01T23:30:00.000Z'); // 2 March, 00:30 in Amsterdam
    expect(daysBefore('2026-03-01T23:10:00.000Z', 'Europe/Amsterdam', now)).toBe(0);
    expect(daysBefore('2026-03-01T22:50:00.000Z', 'Europe/Amsterdam', now)).toBe(1);
    expect(daysBefore('2026-03-01T22:50:00.000Z', 'UTC', now)).toBe(0);
    expect(daysBefore('2026-02-27T12:00:00.000Z', 'Europe/Amsterdam', now)).toBe(3);
    expect(daysBefore('not a date', 'UTC', now)).toBeNull();
  });

  it('writes a range of days with the shared month and year said once', () => {
    const range = (from: string, to: string) => formatDayRange(from, to, 'en-US').replace(/\s/g, ' ');
    expect(range('2026-11-17', '2026-12-07')).toBe('Nov 17 – Dec 7, 2026');
    expect(range('2026-03-09', '2026-03-15')).toBe('Mar 9 – 15, 2026');
    expect(range('2025-12-30', '2026-01-02')).toBe('Dec 30, 2025 – Jan 2, 2026');
    expect(range('2026-03-15', '2026-03-15')).toBe('Mar 15, 2026');
    expect(formatDayRange('2026-03-15', 'later')).toBe('2026-03-15 – later');
  });

  it('labels hour, day and month periods', () => {
    expect(formatPeriod('2026-01-31T14')).toBe('2026-01-31 14:00');
    expect(formatPeriod('2026-01-05', 'en-US')).toBe('Jan 5');
    expect(formatPeriod('2026-03', 'en-US')).toBe('Mar 2026');
  });
});

describe('date ranges', () => {
  const today = new Date(2026, 2, 15); // 15 March 2026

  it.each([
    ['today', '2026-03-15', '2026-03-15'],
    ['yesterday', '2026-03-14', '2026-03-14'],
    ['7d', '2026-03-09', '2026-03-15'],
    ['30d', '2026-02-14', '2026-03-15'],
    ['month', '2026-03-01', '2026-03-15'],
    ['last_month', '2026-02-01', '2026-02-28'],
    ['12mo', '2025-04-01', '2026-03-15'],
  ] as const)('when the preset is %s, then the range is %s to %s', (preset, from, to) => {
    expect(rangeForPreset(preset, today)).toEqual({ from, to });
  });

  it('picks hours for a day, days for a month and months for a year', () => {
    expect(intervalFor({ from: '2026-03-15', to: '2026-03-15' })).toBe('hour');
    expect(intervalFor({ from: '2026-02-14', to: '2026-03-15' })).toBe('day');
    expect(intervalFor({ from: '2025-04-01', to: '2026-03-15' })).toBe('month');
    expect(daysIn({ from: '2026-03-15', to: '2026-03-01' })).toBe(0);
  });
});
