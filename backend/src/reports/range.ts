import { DateTime } from 'luxon';

import { AppError } from '../lib/errors';
import { localHourKey, localHourStart } from '../lib/local-hour';

/** The longest range one report may cover: two years and a day. */
export const MAX_RANGE_DAYS = 732;

/** The first day a report may ask for: nothing older was ever collected. */
export const EARLIEST_DAY = '2000-01-01';

/** Where the latest day is furthest ahead (UTC+14): no site's tomorrow is later than this zone's. */
export const FURTHEST_AHEAD_ZONE = 'Etc/GMT-14';

export interface DayRange {
  /** Site-local days, inclusive, YYYY-MM-DD. */
  from: string;
  to: string;
}

export type Interval = 'hour' | 'day' | 'week' | 'month';

/** The query fields a range came from, named in its errors. */
export interface RangeFields {
  from: string;
  to: string;
}

const ISO_DAY = /^\d{4}-\d{2}-\d{2}$/;

/** A 400 naming the query field at fault, in the shape input validation uses. */
function rangeError(field: string, message: string): AppError {
  return new AppError('validation_failed', `${field} ${message}`, [{ path: `query.${field}`, message }]);
}

export function parseDay(value: string, field: string, zone: string): DateTime {
  const day = ISO_DAY.test(value) ? DateTime.fromISO(value, { zone }) : DateTime.invalid('format');
  if (!day.isValid) throw rangeError(field, 'must be a date like 2026-01-31');
  return day.startOf('day');
}

/**
 * The last day a report may ask for: tomorrow in `zone`, so a viewer whose clock
 * is ahead of the site's still gets their "today".
 */
export function latestDay(zone: string, now = new Date()): string {
  return DateTime.fromJSDate(now, { zone }).plus({ days: 1 }).toISODate()!;
}

/** The window every report day must fall in, for messages and the API document. */
export const WINDOW_TEXT = `between ${EARLIEST_DAY} and tomorrow in the site's time zone`;

/**
 * Validates a range: real dates from EARLIEST_DAY to tomorrow in the site's zone,
 * from ≤ to, at most MAX_RANGE_DAYS.
 */
export function resolveRange(
  from: string,
  to: string,
  zone: string,
  { now = new Date(), fields = { from: 'from', to: 'to' } }: { now?: Date; fields?: RangeFields } = {},
): DayRange {
  const start = parseDay(from, fields.from, zone);
  const end = parseDay(to, fields.to, zone);
  const earliest = DateTime.fromISO(EARLIEST_DAY, { zone });
  const latest = DateTime.fromISO(latestDay(zone, now), { zone });
  if (start < earliest) throw rangeError(fields.from, `must be ${WINDOW_TEXT}`);
  if (end > latest) throw rangeError(fields.to, `must be ${WINDOW_TEXT} (${latest.toISODate()!})`);
  if (end < start) throw rangeError(fields.to, `is before ${fields.from}`);
  if (end.diff(start, 'days').days + 1 > MAX_RANGE_DAYS) {
    throw rangeError(fields.to, `makes the range longer than ${MAX_RANGE_DAYS} days`);
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
  const end = DateTime.fromISO(range.to, { zone: 'utc' });
  for (let day = DateTime.fromISO(range.from, { zone: 'utc' }); day <= end; day = day.plus({ days: 1 })) {
    out.push(day.toISODate()!);
  }
  return out;
}

/**
 * The local hours of the range, each labelled with the instant it begins, with the key
 * events of each are stamped with (lib/local-hour.ts). DST days have 23 or 25 hours; an
 * hour that repeats in the autumn appears twice with its own key, and a half-hour change
 * (Lord Howe Island) makes a half hour of its own.
 */
export function hoursOf(range: DayRange, zone: string): Array<{ label: string; key: string }> {
  const out: Array<{ label: string; key: string }> = [];
  const end = DateTime.fromISO(range.to, { zone }).plus({ days: 1 }).startOf('day');
  for (let t: DateTime = DateTime.fromISO(range.from, { zone }).startOf('day'); t < end;) {
    out.push({ label: t.toISO({ suppressMilliseconds: true })!, key: localHourKey(t, zone) });
    t = localHourStart(t.plus({ hours: 1 }), zone);
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
