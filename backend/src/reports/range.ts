import { DateTime } from 'luxon';

import { AppError } from '../lib/errors';

/** The longest range one report may cover: two years and a day. */
export const MAX_RANGE_DAYS = 732;

export interface DayRange {
  /** Site-local days, inclusive, YYYY-MM-DD. */
  from: string;
  to: string;
}

export type Interval = 'hour' | 'day' | 'week' | 'month';

const ISO_DAY = /^\d{4}-\d{2}-\d{2}$/;

export function parseDay(value: string, field: string, zone: string): DateTime {
  const day = ISO_DAY.test(value) ? DateTime.fromISO(value, { zone }) : DateTime.invalid('format');
  if (!day.isValid) throw new AppError('validation_failed', `${field} must be a date like 2026-01-31`);
  return day.startOf('day');
}

/** Validates a range: real dates, from ≤ to, at most MAX_RANGE_DAYS. */
export function resolveRange(from: string, to: string, zone: string): DayRange {
  const start = parseDay(from, 'from', zone);
  const end = parseDay(to, 'to', zone);
  if (end < start) throw new AppError('validation_failed', '`to` is before `from`');
  if (end.diff(start, 'days').days + 1 > MAX_RANGE_DAYS) {
    throw new AppError('validation_failed', `A range may cover at most ${MAX_RANGE_DAYS} days`);
  }
  return { from: start.toISODate()!, to: end.toISODate()! };
}

export function dayCount(range: DayRange): number {
  return DateTime.fromISO(range.to).diff(DateTime.fromISO(range.from), 'days').days + 1;
}

/** The same number of days immediately before `range`. */
export function previousRange(range: DayRange): DayRange {
  const days = dayCount(range);
  const end = DateTime.fromISO(range.from).minus({ days: 1 });
  return { from: end.minus({ days: days - 1 }).toISODate()!, to: end.toISODate()! };
}

/** Every site-local day of the range, in order. */
export function daysOf(range: DayRange): string[] {
  const out: string[] = [];
  for (let day = DateTime.fromISO(range.from); day.toISODate()! <= range.to; day = day.plus({ days: 1 })) {
    out.push(day.toISODate()!);
  }
  return out;
}

/**
 * The local hours of the range with the UTC hour key each maps to. DST days have
 * 23 or 25 hours; an hour that repeats in the autumn appears twice with its own UTC key.
 */
export function hoursOf(range: DayRange, zone: string): Array<{ label: string; utcHour: string }> {
  const out: Array<{ label: string; utcHour: string }> = [];
  const end = DateTime.fromISO(range.to, { zone }).plus({ days: 1 }).startOf('day');
  for (let t = DateTime.fromISO(range.from, { zone }).startOf('day'); t < end; t = t.plus({ hours: 1 })) {
    out.push({ label: t.toISO({ suppressMilliseconds: true })!, utcHour: t.toUTC().toISO()!.slice(0, 13) });
  }
  return out;
}

/** The bucket a site-local day falls in for an interval: the day, its ISO week's Monday, or its month. */
export function bucketOf(day: string, interval: Exclude<Interval, 'hour'>): string {
  if (interval === 'day') return day;
  const date = DateTime.fromISO(day);
  return interval === 'week' ? date.startOf('week').toISODate()! : date.toFormat('yyyy-MM');
}

/** Today's date in the site's time zone. */
export function today(zone: string, now = new Date()): string {
  return DateTime.fromJSDate(now, { zone }).toISODate()!;
}
