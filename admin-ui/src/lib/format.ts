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

/** A percent change: 12.34 → "+12.3%", null → "—" (nothing to compare with). */
export function formatChange(change: number | null | undefined): { text: string; trend: Trend } {
  if (change === null || change === undefined || !Number.isFinite(change)) return { text: '—', trend: 'none' };
  if (change === 0) return { text: '0%', trend: 'flat' };
  const rounded = Math.round(change * 10) / 10;
  return { text: `${rounded > 0 ? '+' : '−'}${Math.abs(rounded)}%`, trend: rounded > 0 ? 'up' : 'down' };
}

/** An ISO timestamp as a short local time ("14:05:09"). */
export function formatTime(iso: string, locale?: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  return date.toLocaleTimeString(locale, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

/** An ISO timestamp as a local date and time. */
export function formatDateTime(iso: string, locale?: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  return date.toLocaleString(locale, { dateStyle: 'medium', timeStyle: 'short' });
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
