import { __ } from '@wordpress/i18n';

import type { Dimension, FilterOperator, Metrics } from '../data/types';

export const dimensionLabel = (dim: Dimension | 'goal'): string => {
  const labels: Record<Dimension | 'goal', string> = {
    page: __('Page', 'clickpath'),
    entry_page: __('Entry page', 'clickpath'),
    exit_page: __('Exit page', 'clickpath'),
    source: __('Source', 'clickpath'),
    channel: __('Channel', 'clickpath'),
    referrer: __('Referrer', 'clickpath'),
    utm_source: __('UTM source', 'clickpath'),
    utm_medium: __('UTM medium', 'clickpath'),
    utm_campaign: __('UTM campaign', 'clickpath'),
    utm_term: __('UTM term', 'clickpath'),
    utm_content: __('UTM content', 'clickpath'),
    country: __('Country', 'clickpath'),
    region: __('Region', 'clickpath'),
    city: __('City', 'clickpath'),
    browser: __('Browser', 'clickpath'),
    browser_version: __('Browser version', 'clickpath'),
    os: __('Operating system', 'clickpath'),
    os_version: __('OS version', 'clickpath'),
    device: __('Device', 'clickpath'),
    screen: __('Screen size', 'clickpath'),
    language: __('Language', 'clickpath'),
    event: __('Event', 'clickpath'),
    event_prop: __('Event property', 'clickpath'),
    goal: __('Goal', 'clickpath'),
  };
  return labels[dim];
};

export const operatorLabel = (op: FilterOperator): string =>
  ({ is: __('is', 'clickpath'), is_not: __('is not', 'clickpath'), contains: __('contains', 'clickpath') })[op];

export type MetricKey = keyof Metrics | 'conversions';

export const metricLabel = (metric: MetricKey): string =>
  ({
    visitors: __('Visitors', 'clickpath'),
    visits: __('Visits', 'clickpath'),
    pageviews: __('Pageviews', 'clickpath'),
    viewsPerVisit: __('Views per visit', 'clickpath'),
    bounceRate: __('Bounce rate', 'clickpath'),
    avgVisitDuration: __('Visit duration', 'clickpath'),
    events: __('Events', 'clickpath'),
    conversions: __('Conversions', 'clickpath'),
  })[metric];

/** The key as shown: empty keys are "(none)" (direct traffic, unknown country…). */
export const keyLabel = (key: string): string => (key === '' ? __('(none)', 'clickpath') : key);
