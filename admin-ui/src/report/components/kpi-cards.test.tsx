import { render, screen } from '@testing-library/react';
import { createElement } from '@wordpress/element';

import { ApiError } from '../../data/errors';
import type { Overview } from '../../data/types';
import { fakeBackend, metrics, withReport } from '../../testing/fake-backend';
import { KpiCards } from './kpi-cards';

const overview = (over: Partial<Overview> = {}): Overview => ({
  range: { from: '2026-01-01', to: '2026-01-31' },
  compareRange: { from: '2025-12-01', to: '2025-12-31' },
  metrics: {
    ...metrics({
      visitors: 1234,
      visits: 1500,
      pageviews: 4200,
      viewsPerVisit: 2.8,
      bounceRate: 41.5,
      avgVisitDuration: 185,
      events: 90,
    }),
    conversions: 30,
    conversionRate: 2,
  },
  previous: null,
  change: { visitors: 12.34, bounceRate: 3, visits: -5, pageviews: null },
  visitorsExact: true,
  source: 'rollups',
  ...over,
});

describe('KpiCards', () => {
  const { source } = fakeBackend({});
  const show = (node: JSX.Element) => render(withReport(source, node));

  it('when loading, then it shows a spinner with a label', () => {
    show(<KpiCards state={{ status: 'loading' }} hasGoals={false} onRetry={jest.fn()} />);
    expect(screen.getByRole('status')).toHaveTextContent('Loading totals…');
  });

  it('when the request failed, then it says what failed and how to fix it, with a retry', () => {
    const onRetry = jest.fn();
    show(
      <KpiCards
        state={{ status: 'error', error: new ApiError('network_error', 'The Clickpath server could not be reached.') }}
        hasGoals={false}
        onRetry={onRetry}
      />,
    );
    expect(screen.getByText('Could not load the totals.')).toBeInTheDocument();
    expect(
      screen.getByText('Check your connection and that the Clickpath server is running, then try again.'),
    ).toBeInTheDocument();
    screen.getByRole('button', { name: 'Try again' }).click();
    expect(onRetry).toHaveBeenCalled();
  });

  it('when there is data, then it shows each metric formatted with its change', () => {
    show(<KpiCards state={{ status: 'success', data: overview() }} hasGoals={false} onRetry={jest.fn()} />);
    const items = screen.getAllByRole('listitem');
    expect(items).toHaveLength(7);
    expect(items[0]).toHaveTextContent(/Visitors\s*1,234\s*\+12\.3%/);
    expect(items[0]!.querySelector('.is-good')).not.toBeNull();
    expect(items[4]).toHaveTextContent('41.5%');
    // A rising bounce rate is bad news.
    expect(items[4]!.querySelector('.is-bad')).not.toBeNull();
    expect(items[5]).toHaveTextContent('3m 05s');
    expect(items[2]).toHaveTextContent('—');
    expect(screen.queryByText('Conversions')).toBeNull();
  });

  it('when goals exist, then conversions are shown; without a comparison no change is shown', () => {
    show(
      <KpiCards
        state={{ status: 'success', data: overview({ compareRange: null, change: null }) }}
        hasGoals
        onRetry={jest.fn()}
      />,
    );
    expect(screen.getByText('Conversions')).toBeInTheDocument();
    expect(screen.getByText('30')).toBeInTheDocument();
    expect(document.querySelector('.clickpath-report__kpi-change')).toBeNull();
  });

  it('when a card is clicked, then the chart switches to its metric; 0 → 0 shows no change', () => {
    const onChartMetric = jest.fn();
    const zero = overview({
      metrics: { ...overview().metrics, events: 0 },
      change: { ...overview().change, events: 0 },
    });
    show(
      <KpiCards
        state={{ status: 'success', data: zero }}
        hasGoals
        onRetry={jest.fn()}
        chartMetric="visitors"
        onChartMetric={onChartMetric}
      />,
    );
    const card = (name: RegExp) => screen.getByRole('button', { name });
    expect(card(/^Visitors/)).toHaveAttribute('aria-pressed', 'true');
    expect(card(/^Pageviews/)).toHaveAttribute('aria-pressed', 'false');
    card(/^Pageviews/).click();
    expect(onChartMetric).toHaveBeenCalledWith('pageviews');
    card(/^Views per visit/).click();
    expect(onChartMetric).toHaveBeenLastCalledWith('viewsPerVisit');
    // Conversions are not in the time series: that card is not a button.
    expect(screen.queryByRole('button', { name: /^Conversions/ })).toBeNull();
    // No events in either period: "—", not "0%".
    expect(card(/^Events/)).toHaveTextContent(/^Events0—/);
  });
});
