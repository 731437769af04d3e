/** Display helpers; all take the user's locale from the browser unless given one. */

/** 1234 → "1,234"; 12345 → "12.3k" when compact. */
export function formatNumber(value: number, compact = false, locale?: string): string {
  if (!Number.isFinite(value)) return '—';
  if (compact && Math.abs(value) >= 10_000) {
    return new Intl.NumberFormat(locale, { notation: 'compact', maximumFractionDigits: 1 }).format(value);
  }
  return new Intl.NumberFormat(locale, { maximumFractionDigits: value % 1 === 0 ? 0 : 1 }).format(value);
}

/** A 0–100 percentage: 42.5 → "42.5%". */
export function formatPercent(value: number, locale?: string): string {
  if (!Number.isFinite(value)) return '—';
  return `${new Intl.NumberFormat(locale, { maximumFractionDigits: 1 }).format(value)}%`;
}

/** Seconds → "45s", "3m 05s", "1h 02m". */
export function formatDuration(totalSeconds: number): string {
  if (!Number.isFinite(totalSeconds) || totalSeconds < 0) return '—';
  const s = Math.round(totalSeconds);
  if (s < 60) return `${s}s`;
  const minutes = Math.floor(s / 60);
  if (minutes < 60) return `${minutes}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(minutes / 60)}h ${String(minutes % 60).padStart(2, '0')}m`;
}

export type Trend = 'up' | 'down' | 'flat' | 'none';

/**
 * A percent change: 12.34 → "+12.3%", null → "—" (nothing to compare with). With the current
 * value given, 0 → 0 is "—" too: nothing happened in either period, so there is no change to state.
 */
export function formatChange(change: number | null | undefined, current?: number): { text: string; trend: Trend } {
  if (change === null || change === undefined || !Number.isFinite(change)) return { text: '—', trend: 'none' };
  if (change === 0 && current === 0) return { text: '—', trend: 'none' };
  if (change === 0) return { text: '0%', trend: 'flat' };
  const rounded = Math.round(change * 10) / 10;
  return { text: `${rounded > 0 ? '+' : '−'}${Math.abs(rounded)}%`, trend: rounded > 0 ? 'up' : 'down' };
}

/**
 * Times are shown on the charts' clock: 24-hour, in the site's time zone (`timeZone`; the
 * browser's when absent), so a hit at 14:05 sits under the chart's 14:00 tick.
 */
const CLOCK = { hourCycle: 'h23' } as const;

/** An ISO timestamp as a time of day in the site's zone ("14:05:09", or "14:05" without seconds). */
export function formatTime(iso: string, timeZone?: string, locale?: string, seconds = true): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  return date.toLocaleTimeString(locale, {
    ...CLOCK,
    hour: '2-digit',
    minute: '2-digit',
    ...(seconds ? { second: '2-digit' } : {}),
    ...(timeZone ? { timeZone } : {}),
  });
}

/** An ISO timestamp as a day and time in the site's zone, the year left out ("Mar 5, 14:05"). */
export function formatDayTime(iso: string, timeZone?: string, locale?: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  return date.toLocaleString(locale, {
    ...CLOCK,
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    ...(timeZone ? { timeZone } : {}),
  });
}

/** The calendar day of an instant in `timeZone` (the browser's when absent), as YYYY-MM-DD. */
const dayOf = (date: Date, timeZone?: string): string => date.toLocaleDateString('en-CA', timeZone ? { timeZone } : {});

/**
 * How many calendar days of `timeZone` lie between an ISO timestamp and `now`: 0 for today, 1 for
 * yesterday, negative for a later day (a clock ahead of ours); null for an invalid timestamp.
 */
export function daysBefore(iso: string, timeZone?: string, now: Date = new Date()): number | null {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return null;
  const utc = (day: string) => Date.parse(`${day}T00:00:00Z`);
  return Math.round((utc(dayOf(now, timeZone)) - utc(dayOf(date, timeZone))) / 86_400_000);
}

/** An ISO timestamp as a date and time in the site's zone ("Mar 5, 2026, 14:05"). */
export function formatDateTime(iso: string, timeZone?: string, locale?: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  return date.toLocaleString(locale, {
    ...CLOCK,
    year: 'numeric',
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    ...(timeZone ? { timeZone } : {}),
  });
}

/** Today's date in `timeZone` (the browser's when absent), as a local Date at midnight. */
export function todayIn(timeZone?: string, now: Date = new Date()): Date {
  if (!timeZone) return new Date(now.getFullYear(), now.getMonth(), now.getDate());
  const [y, m, d] = now.toLocaleDateString('en-CA', { timeZone }).split('-').map(Number);
  return new Date(y!, m! - 1, d!);
}

/**
 * An inclusive range of days (YYYY-MM-DD) as people write it, the shared parts said once:
 * "Nov 17 – Dec 7, 2026", "Dec 1 – 7, 2026", "Dec 7, 2026" for one day.
 */
export function formatDayRange(from: string, to: string, locale?: string): string {
  const parse = (day: string) => {
    const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
    return m ? new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))) : null;
  };
  const start = parse(from);
  const end = parse(to);
  if (!start || !end) return `${from} – ${to}`;
  const format = new Intl.DateTimeFormat(locale, { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' });
  // formatRange is missing from browsers before 2021.
  if (typeof format.formatRange === 'function') return format.formatRange(start, end);
  return from === to ? format.format(start) : `${format.format(start)} – ${format.format(end)}`;
}

/** A period label from the time series ("2026-01-31", "2026-01-31T14", "2026-01") for an axis or table. */
export function formatPeriod(period: string, locale?: string): string {
  const hour = /^(\d{4}-\d{2}-\d{2})[T ](\d{2})/.exec(period);
  if (hour) return `${hour[1]} ${hour[2]}:00`;
  const month = /^(\d{4})-(\d{2})$/.exec(period);
  if (month) {
    return new Date(Date.UTC(Number(month[1]), Number(month[2]) - 1, 1)).toLocaleDateString(locale, {
      month: 'short',
      year: 'numeric',
      timeZone: 'UTC',
    });
  }
  const day = /^(\d{4})-(\d{2})-(\d{2})$/.exec(period);
  if (day) {
    return new Date(Date.UTC(Number(day[1]), Number(day[2]) - 1, Number(day[3]))).toLocaleDateString(locale, {
      day: 'numeric',
      month: 'short',
      timeZone: 'UTC',
    });
  }
  return period;
}
