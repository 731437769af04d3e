import { formatDuration, formatNumber, formatPercent } from '../lib/format';
import type { MetricKey } from './labels';

/** A metric's value as shown in cards and tables. */
export function formatMetric(metric: MetricKey, value: number, compact = false): string {
  switch (metric) {
    case 'bounceRate':
      return formatPercent(value);
    case 'avgVisitDuration':
      return formatDuration(value);
    case 'viewsPerVisit':
      return formatNumber(Math.round(value * 10) / 10);
    default:
      return formatNumber(value, compact);
  }
}

/** Metrics where a fall is good news (the change is coloured accordingly). */
export const LOWER_IS_BETTER: ReadonlySet<MetricKey> = new Set(['bounceRate']);
