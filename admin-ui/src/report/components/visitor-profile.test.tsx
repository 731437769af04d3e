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
  osVersion: '',
  browserVersion: '128',
  screen: 'laptop',
  language: 'de-DE',
  region: '',
  referrerUrl: 'https://google.com/search',
  utm: { source: 'newsletter', medium: 'email', campaign: 'spring', term: '', content: '' },
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
    expect(secondVisit).toHaveTextContent(
      '3m 05s · 2 pageviews · Google · https://google.com/search · utm_source=newsletter, utm_medium=email, utm_campaign=spring · Utrecht, Netherlands · Firefox · Linux',
    );
    // What they use and where they first came from, in words.
    const fact = (term: string) => screen.getByText(term, { selector: 'dt' }).nextElementSibling?.textContent;
    expect(fact('Location')).toBe('Utrecht · Netherlands');
    expect(fact('Device')).toBe('Desktop');
    expect(fact('Screen')).toBe('Laptop (992–1439 px)');
    expect(fact('Browser')).toBe('Firefox 128');
    expect(fact('Operating system')).toBe('Linux');
    expect(fact('Language')).toBe('German (Germany)');
    expect(fact('First came from')).toBe(
      'Google · https://google.com/search · utm_source=newsletter, utm_medium=email, utm_campaign=spring',
    );
    expect(fact('Visits')).toBe('2 visits, 3 pageviews');
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

describe('VisitorProfile erasure', () => {
  afterEach(() => jest.restoreAllMocks());
  const erased = { visitors: 1, visits: 2, events: 4, complete: true };

  it('when erasing the visitor is confirmed, then it is erased and the profile says what was removed', async () => {
    const { source, calls } = fakeBackend({
      visitors: (_url, init) => (init.method === 'DELETE' ? { body: erased } : { body: profile }),
    });
    const confirm = jest.spyOn(window, 'confirm').mockReturnValue(true);
    render(withReport(source, <VisitorProfile visitorId="f:abcdefghijkl" to="2026-03-10" onBack={jest.fn()} />));
    fireEvent.click(await screen.findByRole('button', { name: 'Erase this visitor' }));

    expect(await screen.findByText('Erased 1 visitor, 2 visits, 4 events.')).toHaveAttribute('role', 'status');
    expect(confirm).toHaveBeenCalledWith(expect.stringContaining('This cannot be undone.'));
    const del = calls.find((c) => c.init.method === 'DELETE')!;
    expect(del.url.pathname).toBe('/api/v1/sites/0123456789abcdef01234567/visitors/f%3Aabcdefghijkl');
    expect(screen.queryByText(/Visit 1/)).not.toBeInTheDocument();
  });

  it('when the visitor has a user ID, then everyone with it can be erased, and a partial erasure says to repeat it', async () => {
    const { source, calls } = fakeBackend({
      visitors: { body: profile },
      people: { body: { visitors: 2, visits: 5, events: 9, complete: false } },
    });
    jest.spyOn(window, 'confirm').mockReturnValue(true);
    render(withReport(source, <VisitorProfile visitorId="f:abcdefghijkl" to="2026-03-10" onBack={jest.fn()} />));
    fireEvent.click(await screen.findByRole('button', { name: 'Erase everyone with this user ID' }));

    expect(await screen.findByRole('status')).toHaveTextContent(
      'Erased 2 visitors, 5 visits, 9 events. Some recent events were still being counted: erase again in a minute to remove them too.',
    );
    const del = calls.find((c) => c.init.method === 'DELETE')!;
    expect(del.url.pathname).toBe('/api/v1/sites/0123456789abcdef01234567/people/user-42');
  });

  it('when the erasure is not confirmed, then nothing is sent and the profile stays', async () => {
    const { source, calls } = fakeBackend({ visitors: { body: profile } });
    jest.spyOn(window, 'confirm').mockReturnValue(false);
    render(withReport(source, <VisitorProfile visitorId="f:abcdefghijkl" to="2026-03-10" onBack={jest.fn()} />));
    fireEvent.click(await screen.findByRole('button', { name: 'Erase this visitor' }));
    expect(calls.some((c) => c.init.method === 'DELETE')).toBe(false);
    expect(screen.getByText(/Visit 1/)).toBeInTheDocument();
  });

  it('when the erasure fails, then it says why and keeps the profile', async () => {
    const { source } = fakeBackend({
      visitors: (_url, init) =>
        init.method === 'DELETE'
          ? apiError(403, 'forbidden', 'This action needs the admin role on this site')
          : { body: profile },
    });
    jest.spyOn(window, 'confirm').mockReturnValue(true);
    render(withReport(source, <VisitorProfile visitorId="f:abcdefghijkl" to="2026-03-10" onBack={jest.fn()} />));
    fireEvent.click(await screen.findByRole('button', { name: 'Erase this visitor' }));
    expect((await screen.findByRole('alert')).textContent).toBe(
      'Could not erase: This action needs the admin role on this site',
    );
    expect(screen.getByText(/Visit 1/)).toBeInTheDocument();
  });

  it('when the host erases through its own tools (wp-admin), then there are no erase buttons', async () => {
    const { source } = fakeBackend({ visitors: { body: profile } });
    const { eraseVisitor: _v, erasePerson: _p, ...readOnly } = source;
    render(withReport(readOnly, <VisitorProfile visitorId="f:abcdefghijkl" to="2026-03-10" onBack={jest.fn()} />));
    expect(await screen.findByText(/Visit 1/)).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: /Erase/ })).not.toBeInTheDocument();
  });
});
