import type { DayRange, Interval } from '../data/types';

export const PRESETS = ['today', 'yesterday', '7d', '30d', 'month', 'last_month', '12mo', 'custom'] as const;
export type Preset = (typeof PRESETS)[number];

const pad = (n: number) => String(n).padStart(2, '0');

/** A local calendar date as YYYY-MM-DD. */
export const toDay = (date: Date): string => `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;

/** YYYY-MM-DD → a local Date at midnight, or null. */
export function parseDay(day: string): Date | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  if (!m) return null;
  const date = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  return toDay(date) === day ? date : null;
}

const addDays = (date: Date, days: number) => new Date(date.getFullYear(), date.getMonth(), date.getDate() + days);

/** The days a preset covers, counted back from `today` (inclusive). */
export function rangeForPreset(preset: Exclude<Preset, 'custom'>, today: Date = new Date()): DayRange {
  const t = new Date(today.getFullYear(), today.getMonth(), today.getDate());
  switch (preset) {
    case 'today':
      return { from: toDay(t), to: toDay(t) };
    case 'yesterday':
      return { from: toDay(addDays(t, -1)), to: toDay(addDays(t, -1)) };
    case '7d':
      return { from: toDay(addDays(t, -6)), to: toDay(t) };
    case '30d':
      return { from: toDay(addDays(t, -29)), to: toDay(t) };
    case 'month':
      return { from: toDay(new Date(t.getFullYear(), t.getMonth(), 1)), to: toDay(t) };
    case 'last_month':
      return {
        from: toDay(new Date(t.getFullYear(), t.getMonth() - 1, 1)),
        to: toDay(new Date(t.getFullYear(), t.getMonth(), 0)),
      };
    case '12mo':
      return { from: toDay(new Date(t.getFullYear(), t.getMonth() - 11, 1)), to: toDay(t) };
  }
}

/** Number of days in an inclusive range (0 when it is invalid). */
export function daysIn(range: DayRange): number {
  const from = parseDay(range.from);
  const to = parseDay(range.to);
  if (!from || !to || to < from) return 0;
  return (
    Math.round(
      (Date.UTC(to.getFullYear(), to.getMonth(), to.getDate()) -
        Date.UTC(from.getFullYear(), from.getMonth(), from.getDate())) /
        86_400_000,
    ) + 1
  );
}

/** The chart's bucket size for a range: hours for a day or two, days up to a quarter, months beyond. */
export function intervalFor(range: DayRange): Interval {
  const days = daysIn(range);
  if (days <= 2) return 'hour';
  if (days <= 92) return 'day';
  return 'month';
}

/** A custom range is usable when both ends are real days in order. */
export const isValidRange = (range: DayRange): boolean => daysIn(range) > 0;
