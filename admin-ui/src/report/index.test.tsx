import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import { createElement } from '@wordpress/element';

import { fakeBackend, metrics } from '../testing/fake-backend';
import { ReportPanel } from '.';

jest.mock('uplot', () => jest.fn().mockImplementation(() => ({ setSize: jest.fn(), destroy: jest.fn() })));

const overview = (m: Record<string, number>) => ({
  range: { from: '2026-03-09', to: '2026-03-15' },
  compareRange: null,
  metrics: { ...metrics(m), conversions: 0, conversionRate: 0 },
  previous: null,
  change: null,
  visitorsExact: true,
  source: 'rollups',
});
const today = new Date(2026, 2, 15);

describe('ReportPanel', () => {
  beforeEach(() => window.history.replaceState(null, '', '/wp-admin/admin.php?page=clickpath&period=7d'));

  it('when the site has no data at all, then it asks whether the tracker is installed', async () => {
    const { source } = fakeBackend({
      'stats/overview': { body: overview({}) },
      goals: { body: { goals: [] } },
      'stats/realtime': { body: { visitorsNow: 0, pages: [], events: [], cursor: null } },
    });
    render(
      <ReportPanel
        source={source}
        host="wordpress"
        snippetHint="Connect the plugin in Settings → Clickpath."
        today={today}
      />,
    );
    expect(await screen.findByText('No data yet — is the tracker installed?')).toBeInTheDocument();
    expect(screen.getByText('Connect the plugin in Settings → Clickpath.')).toBeInTheDocument();
    expect(screen.queryByText('Over time')).toBeNull();
  });

  it('when a breakdown row is clicked, then the filter becomes a chip in the URL and can be removed', async () => {
    const { source, calls } = fakeBackend({
      'stats/overview': { body: overview({ visitors: 5, pageviews: 9 }) },
      'stats/timeseries': { body: { interval: 'day', points: [], annotations: [] } },
      'stats/breakdown': (url) => ({
        body: {
          dimension: 'page',
          rows: [{ ...metrics({ visitors: 5 }), key: url.pathname.endsWith('/page') ? '/pricing' : 'x', share: 100 }],
          total: 1,
          page: 1,
          limit: 10,
        },
      }),
      goals: { body: { goals: [] } },
      'stats/realtime': { body: { visitorsNow: 1, pages: [], events: [], cursor: null } },
    });
    render(<ReportPanel source={source} host="standalone" snippetHint="" today={today} />);
    fireEvent.click(await screen.findByRole('button', { name: '/pricing' }));
    expect(await screen.findByText('Page is /pricing')).toBeInTheDocument();
    expect(new URLSearchParams(window.location.search).getAll('filter')).toEqual(['page:is:/pricing']);
    expect(new URLSearchParams(window.location.search).get('page')).toBe('clickpath');
    const lastOverview = calls.filter((c) => c.url.pathname.endsWith('stats/overview')).pop()!;
    expect(lastOverview.url.searchParams.getAll('filter')).toEqual(['page:is:/pricing']);
    expect(lastOverview.url.searchParams.get('from')).toBe('2026-03-09');

    fireEvent.click(screen.getByRole('button', { name: 'Remove filter: Page is /pricing' }));
    expect(screen.queryByText('Page is /pricing')).toBeNull();
    expect(new URLSearchParams(window.location.search).getAll('filter')).toEqual([]);
    await waitFor(() => expect(document.querySelector('.clickpath-state--loading')).toBeNull());
  });
});
