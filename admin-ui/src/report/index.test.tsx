import { act, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { createElement } from '@wordpress/element';

import { fakeBackend, metrics } from '../testing/fake-backend';
import { ReportPanel } from '.';
import { visitorLabel } from './labels';

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

  // The whole panel (chart, live view, five breakdown cards) renders in jsdom: seconds on a busy machine.
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
    render(<ReportPanel source={source} host="wordpress" snippetHint="" today={today} />);
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
  }, 20_000);

  describe('the URL holds the view', () => {
    const visitor = {
      id: 'c:10WutXaAMZ',
      firstSeen: '2026-03-10T09:00:00.000Z',
      lastSeen: '2026-03-14T10:00:00.000Z',
      visits: 2,
      pageviews: 3,
      events: 0,
      engagedSeconds: 60,
      userId: null,
      traits: {},
      country: 'NL',
      device: 'desktop',
      browser: 'Firefox',
      source: 'Google',
      lifetime: true,
    };
    const backend = () =>
      fakeBackend({
        'stats/overview': { body: overview({ visitors: 5, pageviews: 9 }) },
        'stats/timeseries': { body: { interval: 'day', points: [], annotations: [] } },
        'stats/breakdown': { body: { dimension: 'page', rows: [], total: 0, page: 1, limit: 10 } },
        'stats/realtime': { body: { visitorsNow: 0, pages: [], events: [], cursor: null } },
        goals: { body: { goals: [] } },
        funnels: { body: { funnels: [] } },
        'visitors/': { body: { visitor, visits: [] } },
        visitors: { body: { visitors: [visitor], total: 1 } },
      });
    const params = () => new URLSearchParams(window.location.search);
    const back = async () => {
      await act(async () => {
        window.history.back();
        await new Promise((resolve) => setTimeout(resolve, 20));
      });
    };
    const sections = () => screen.getByRole('navigation', { name: 'Report sections' });
    const currentSection = () => sections().querySelector('[aria-current="page"]')?.textContent;

    it('when the tab, visitor and range change, then the URL follows and Back walks the views back', async () => {
      const { source } = backend();
      render(<ReportPanel source={source} host="wordpress" snippetHint="" today={today} />);
      fireEvent.click(await within(sections()).findByRole('button', { name: 'Visitors' }));
      expect(params().get('view')).toBe('visitors');
      expect(params().get('page')).toBe('clickpath');

      fireEvent.click(await screen.findByRole('button', { name: visitorLabel(visitor) }));
      expect(await screen.findByRole('heading', { name: 'Visitor profile' })).toBeInTheDocument();
      expect(params().get('visitor')).toBe('c:10WutXaAMZ');

      fireEvent.change(screen.getByLabelText('Date range'), { target: { value: '30d' } });
      expect(params().get('period')).toBe('30d');
      expect(params().get('visitor')).toBe('c:10WutXaAMZ');

      await back();
      expect(params().get('period')).toBe('7d');
      expect(screen.getByLabelText('Date range')).toHaveValue('7d');
      expect(screen.getByRole('heading', { name: 'Visitor profile' })).toBeInTheDocument();
      await back();
      expect(await screen.findByRole('button', { name: visitorLabel(visitor) })).toBeInTheDocument();
      expect(screen.queryByRole('heading', { name: 'Visitor profile' })).toBeNull();
      expect(currentSection()).toBe('Visitors');
      await back();
      expect(currentSection()).toBe('Overview');
      expect(params().has('view')).toBe(false);
    });

    it('when the page opens with a view in its URL, then it shows that view, range, comparison and filters', async () => {
      window.history.replaceState(
        null,
        '',
        '/wp-admin/admin.php?page=clickpath&from=2026-03-01&to=2026-03-05&compare=none' +
          '&filter=country%3Ais%3ANL&view=visitors&visitor=c%3A10WutXaAMZ',
      );
      const { source, calls } = backend();
      render(<ReportPanel source={source} host="wordpress" snippetHint="" today={today} />);
      expect(await screen.findByRole('heading', { name: 'Visitor profile' })).toBeInTheDocument();
      expect(currentSection()).toBe('Visitors');
      expect(screen.getByLabelText('Date range')).toHaveValue('custom');
      expect(screen.getByRole('group', { name: 'Active filters' })).toHaveTextContent('Country is Netherlands');
      // The row that stays on a phone's screen: the range in a line, next to the chips; it leads back to the fields.
      const summary = screen.getByRole('button', { name: /^Change the date range: Mar 1\s–\s5, 2026$/ });
      expect(summary.closest('.clickpath-report__sticky-row')).toContainElement(
        screen.getByRole('group', { name: 'Active filters' }),
      );
      fireEvent.click(summary);
      expect(screen.getByLabelText('Date range')).toHaveFocus();
      const profile = calls.find((c) => c.url.pathname.includes('/visitors/'))!;
      expect(profile.url.pathname).toMatch(/\/visitors\/c%3A10WutXaAMZ$/);
      expect(profile.url.searchParams.get('to')).toBe('2026-03-05');
      await waitFor(() => expect(calls.some((c) => c.url.pathname.endsWith('stats/overview'))).toBe(true));
      const first = calls.find((c) => c.url.pathname.endsWith('stats/overview'))!;
      expect(first.url.searchParams.get('from')).toBe('2026-03-01');
      expect(first.url.searchParams.get('compare')).toBe('none');
      expect(first.url.searchParams.getAll('filter')).toEqual(['country:is:NL']);
    });

    it('in the dashboard, the state lives in the hash route, and a link to the bare route starts from the defaults', async () => {
      window.history.replaceState(null, '', '/#/sites/s1?period=7d&view=goals');
      const { source, calls } = backend();
      render(<ReportPanel source={source} host="standalone" snippetHint="" today={today} />);
      await waitFor(() => expect(currentSection()).toBe('Goals'));
      fireEvent.click(within(sections()).getByRole('button', { name: 'Funnels' }));
      expect(window.location.hash).toBe('#/sites/s1?period=7d&view=funnels');
      expect(window.location.search).toBe('');
      await back();
      expect(currentSection()).toBe('Goals');
      await waitFor(() => expect(document.querySelector('.clickpath-state--loading')).toBeNull());

      // Leaving the route (a logout sets #/login before the dashboard unmounts the report) asks for nothing.
      const before = calls.length;
      await act(async () => {
        window.location.hash = '#/login';
        await new Promise((resolve) => setTimeout(resolve, 20));
      });
      expect(calls.length).toBe(before);
      expect(currentSection()).toBe('Goals');

      act(() => {
        window.location.hash = '#/sites/s1';
      });
      await waitFor(() => expect(currentSection()).toBe('Overview'));
      expect(screen.getByLabelText('Date range')).toHaveValue('30d');
    });
  });
});
