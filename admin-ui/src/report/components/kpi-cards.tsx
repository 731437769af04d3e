/**
 * WordPress dependencies
 */
import { createElement, Fragment } from '@wordpress/element';
import { __, sprintf } from '@wordpress/i18n';

/**
 * Internal dependencies
 */
import type { Overview } from '../../data/types';
import { formatChange } from '../../lib/format';
import type { RequestState } from '../../lib/use-request';
import { metricLabel, type MetricKey } from '../labels';
import { formatMetric, LOWER_IS_BETTER } from '../metrics';
import { isChartMetric, type ChartMetric } from './chart-card';
import { ErrorState, Loading } from './states';

const BASE: MetricKey[] = [
  'visitors',
  'visits',
  'pageviews',
  'viewsPerVisit',
  'bounceRate',
  'avgVisitDuration',
  'events',
];

interface KpiCardsProps {
  state: RequestState<Overview>;
  hasGoals: boolean;
  onRetry: () => void;
  /** The metric the chart shows; a card of a chartable metric switches the chart to it. */
  chartMetric?: ChartMetric;
  onChartMetric?: (metric: ChartMetric) => void;
}

/** The headline numbers with their change against the comparison period; a click charts one. */
export function KpiCards({ state, hasGoals, onRetry, chartMetric, onChartMetric }: KpiCardsProps) {
  if (state.status === 'loading') return <Loading label={__('Loading totals…', 'clickpath')} />;
  if (state.status === 'error')
    return <ErrorState what={__('the totals', 'clickpath')} error={state.error} onRetry={onRetry} />;
  const { metrics, change, compareRange } = state.data;
  const keys = hasGoals ? [...BASE, 'conversions' as const] : BASE;
  return (
    <ul className="clickpath-report__kpis" aria-label={__('Totals', 'clickpath')}>
      {keys.map((key) => {
        const value = metrics[key];
        const { text, trend } = formatChange(change?.[key], value);
        const good =
          trend === 'flat' || trend === 'none'
            ? 'neutral'
            : (trend === 'up') !== LOWER_IS_BETTER.has(key)
              ? 'good'
              : 'bad';
        const approx = key === 'visitors' && !state.data.visitorsExact;
        const content = (
          <>
            <span className="clickpath-report__kpi-label">{metricLabel(key)}</span>
            <span
              className="clickpath-report__kpi-value"
              title={approx ? __('Estimated across days (±2%)', 'clickpath') : undefined}
            >
              {approx ? '≈' : ''}
              {formatMetric(key, value)}
            </span>
            {compareRange && (
              <span className={`clickpath-report__kpi-change is-${good}`}>
                {text}
                <span className="clickpath-visually-hidden">
                  {' '}
                  {sprintf(
                    /* translators: 1: start day, 2: end day */ __('compared with %1$s to %2$s', 'clickpath'),
                    compareRange.from,
                    compareRange.to,
                  )}
                </span>
              </span>
            )}
          </>
        );
        return (
          <li key={key} className="clickpath-report__kpi-item">
            {onChartMetric && isChartMetric(key) ? (
              <button
                type="button"
                className={`clickpath-report__kpi is-button${key === chartMetric ? ' is-selected' : ''}`}
                aria-pressed={key === chartMetric}
                onClick={() => onChartMetric(key)}
              >
                {content}
              </button>
            ) : (
              <div className="clickpath-report__kpi">{content}</div>
            )}
          </li>
        );
      })}
    </ul>
  );
}
