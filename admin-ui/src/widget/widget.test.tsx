import { render, screen } from '@testing-library/react';
import { createElement } from '@wordpress/element';

import { configureApiFetch } from '../data/wordpress';
import { fakeResponse, metrics } from '../testing/fake-backend';
import { sparklinePoints } from './components/sparkline';
import { Widget } from '.';

describe('dashboard widget', () => {
  const fetch = jest.fn();
  beforeAll(() => {
    (window as unknown as { fetch: typeof fetch }).fetch = fetch;
    configureApiFetch({ root: 'https://blog.example.com/wp-json/', nonce: 'widget-nonce' });
  });

  it('shows visitors today vs yesterday, a sparkline and the top pages', async () => {
    fetch.mockImplementation(async (url: string) => {
      const path = new URL(url).pathname;
      if (path.endsWith('stats/overview'))
        return fakeResponse(200, {
          metrics: { ...metrics({ visitors: 42 }), conversions: 0, conversionRate: 0 },
          previous: { ...metrics({ visitors: 30 }), conversions: 0, conversionRate: 0 },
          change: { visitors: 40 },
        });
      if (path.endsWith('stats/timeseries'))
        return fakeResponse(200, {
          interval: 'day',
          points: [1, 3, 2].map((v, i) => ({ ...metrics({ visitors: v }), period: `2026-01-0${i + 1}` })),
          annotations: [],
        });
      return fakeResponse(200, {
        rows: [{ ...metrics({ visitors: 12 }), key: '/hello', share: 30 }],
        total: 1,
        page: 1,
        limit: 5,
      });
    });
    render(<Widget statsUrl="admin.php?page=clickpath" />);
    expect(await screen.findByText('visitors today', { exact: false })).toBeInTheDocument();
    expect(document.querySelector('.clickpath-widget__count')).toHaveTextContent('42');
    expect(screen.getByText('+40% vs 30 yesterday')).toBeInTheDocument();
    expect(screen.getByRole('img', { name: 'Visitors per day over the last 30 days' })).toBeInTheDocument();
    expect(screen.getByRole('table', { name: 'Top pages today' })).toHaveTextContent('/hello12');
    expect(screen.getByRole('link', { name: /View all stats/ })).toHaveAttribute('href', 'admin.php?page=clickpath');
  });

  it('scales sparkline points into the box', () => {
    expect(sparklinePoints([0, 5, 10], 200, 40)).toBe('0,40 100,20 200,0');
    expect(sparklinePoints([], 200, 40)).toBe('');
  });
});
