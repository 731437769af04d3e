import { fireEvent, render, screen } from '@testing-library/react';
import { createElement } from '@wordpress/element';

import { apiError, fakeBackend, withReport } from '../../testing/fake-backend';
import { VisitorProfile } from './visitor-profile';

const step = (id: string, over: Record<string, unknown>) => ({
  id,
  ts: '2026-01-02T10:00:00.000Z',
  kind: 'pv',
  path: '/',
  title: '',
  name: 'pageview',
  props: {},
  visitorId: 'f:abcdefghijkl',
  country: 'NL',
  device: 'desktop',
  source: 'Google',
  sincePreviousSeconds: 0,
  ...over,
});
const visit = (id: string, start: string, clickstream: unknown[]) => ({
  id,
  start,
  end: start,
  durationSeconds: 185,
  pageviews: 2,
  events: 1,
  bounce: false,
  entryPage: '/',
  exitPage: '/pricing',
  source: 'Google',
  channel: 'Organic Search',
  referrer: 'google.com',
  country: 'NL',
  city: 'Utrecht',
  device: 'desktop',
  browser: 'Firefox',
  os: 'Linux',
  clickstream,
});
const profile = {
  visitor: {
    id: 'f:abcdefghijkl',
    firstSeen: '2026-01-01T09:00:00.000Z',
    lastSeen: '2026-01-02T10:05:00.000Z',
    visits: 2,
    pageviews: 3,
    events: 1,
    engagedSeconds: 400,
    userId: 'user-42',
    traits: {},
    country: 'NL',
    device: 'desktop',
    browser: 'Firefox',
    source: 'Google',
    lifetime: true,
  },
  visits: [
    visit('v1', '2026-01-01T09:00:00.000Z', [step('e1', { path: '/blog', title: 'Blog' })]),
    visit('v2', '2026-01-02T10:00:00.000Z', [
      step('e2', { path: '/' }),
      step('e3', { path: '/pricing', sincePreviousSeconds: 42 }),
      step('e4', { kind: 'ev', name: 'signup', props: { plan: 'pro' }, sincePreviousSeconds: 65 }),
    ]),
  ],
};

describe('VisitorProfile', () => {
  it('shows every visit in order with its ordered pages and events and the time between them', async () => {
    const { source, calls } = fakeBackend({ visitors: { body: profile } });
    const onBack = jest.fn();
    render(withReport(source, <VisitorProfile visitorId="f:abcdefghijkl" to="2026-03-10" onBack={onBack} />));
    expect(screen.getByRole('status')).toHaveTextContent('Loading the visitor…');
    expect(await screen.findByText('user-42')).toBeInTheDocument();
    expect(calls[0]!.url.pathname).toMatch(/\/visitors\/f%3Aabcdefghijkl$/);
    expect(calls[0]!.url.searchParams.get('to')).toBe('2026-03-10');
    expect(screen.getByText('6m 40s')).toBeInTheDocument();

    const visits = screen.getAllByRole('heading', { level: 3 });
    expect(visits.map((h) => h.textContent)).toEqual([
      expect.stringMatching(/^Visit 1 — /),
      expect.stringMatching(/^Visit 2 — /),
    ]);
    const secondVisit = visits[1]!.closest('li')!;
    expect(secondVisit).toHaveTextContent('3m 05s · 2 pageviews · Google · Utrecht, NL');
    const steps = [...secondVisit.querySelectorAll('.clickpath-report__clickstream > li')].map((li) => li.textContent);
    expect(steps).toEqual([
      expect.stringContaining('Viewed /'),
      expect.stringMatching(/\+42s\s+Viewed \/pricing/),
      expect.stringMatching(/\+1m 05s\s+signup \(plan: pro\)/),
    ]);
    fireEvent.click(screen.getByRole('button', { name: 'Back to visitors' }));
    expect(onBack).toHaveBeenCalled();
  });

  it('when the visitor is unknown, then it says so and how to recover', async () => {
    const { source } = fakeBackend({ visitors: apiError(404, 'not_found', 'Visitor not found') });
    render(withReport(source, <VisitorProfile visitorId="c:zzzzzzzzzzzz" to="2026-03-10" onBack={jest.fn()} />));
    expect(await screen.findByText('Could not load this visitor.')).toBeInTheDocument();
    expect(
      screen.getByText('It may have been deleted; go back and pick another.', { selector: 'p' }),
    ).toBeInTheDocument();
  });
});
