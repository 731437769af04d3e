import { act, render, screen } from '@testing-library/react';
import { createElement } from '@wordpress/element';

import { apiError, fakeBackend, withReport } from '../../testing/fake-backend';
import { eventTime, RealtimeCard } from './realtime-card';

const event = (id: string, over: Record<string, unknown> = {}) => ({
  id,
  ts: '2026-01-02T10:00:00.000Z',
  kind: 'pv',
  path: '/pricing',
  title: 'Pricing',
  name: 'pageview',
  props: {},
  visitorId: 'c:abcdefghijkl',
  country: 'NL',
  device: 'desktop',
  source: 'Google',
  ...over,
});

describe('RealtimeCard', () => {
  afterEach(() => jest.useRealTimers());

  it('shows visitors now and the live events, then polls with the cursor and prepends new events', async () => {
    jest.useFakeTimers({ now: new Date('2026-01-02T10:00:05.000Z') });
    const { source, calls } = fakeBackend({
      'stats/realtime': [
        {
          body: {
            visitorsNow: 3,
            pages: [{ path: '/pricing', visitors: 2 }],
            events: [event('e1')],
            cursor: '1767348000000:e1',
          },
        },
        {
          body: {
            visitorsNow: 4,
            pages: [],
            events: [event('e2', { kind: 'ev', name: 'signup', props: { plan: 'pro' } })],
            cursor: '1767348001000:e2',
          },
        },
      ],
    });
    render(withReport(source, <RealtimeCard pollMs={10_000} />));
    expect(screen.getByRole('status')).toHaveTextContent('Loading live visitors…');
    expect(await screen.findByText('visitors in the last 5 minutes')).toBeInTheDocument();
    expect(document.querySelector('.clickpath-report__now-count')).toHaveTextContent('3');
    expect(screen.getByRole('list', { name: 'Latest events, newest first' })).toHaveTextContent('Viewed /pricing');
    expect(calls[0]!.url.searchParams.has('after')).toBe(false);
    // Country names in words; the time on the site's 24-hour clock (UTC in these tests).
    expect(screen.getByText('Netherlands · Desktop · Google')).toBeInTheDocument();
    expect(screen.getByText('10:00:00')).toBeInTheDocument();

    await act(async () => {
      jest.advanceTimersByTime(10_000);
    });
    expect(await screen.findByText('signup (plan: pro)')).toBeInTheDocument();
    expect(calls[1]!.url.searchParams.get('after')).toBe('1767348000000:e1');
    const items = screen.getByRole('list', { name: 'Latest events, newest first' }).querySelectorAll('li');
    expect(items).toHaveLength(2);
    expect(items[0]).toHaveTextContent('signup (plan: pro)');
    expect(document.querySelector('.clickpath-report__now-count')).toHaveTextContent('4');
  });

  it('when the list holds events of earlier days, then they say which day, on the site’s clock', async () => {
    jest.useFakeTimers({ now: new Date('2026-01-02T10:00:05.000Z') });
    const { source } = fakeBackend({
      'stats/realtime': {
        body: {
          visitorsNow: 1,
          pages: [],
          events: [
            event('today', { ts: '2026-01-02T09:58:01.000Z', path: '/today' }),
            event('yesterday', { ts: '2026-01-01T02:23:45.000Z', path: '/yesterday' }),
            event('earlier', { ts: '2025-12-30T18:05:00.000Z', path: '/earlier' }),
          ],
          cursor: '1767347881000:today',
        },
      },
    });
    render(withReport(source, <RealtimeCard />));
    const list = await screen.findByRole('list', { name: 'Latest events, newest first' });
    const times = [...list.querySelectorAll('time')].map((time) => [time.textContent, time.getAttribute('title')]);
    expect(times).toEqual([
      ['09:58:01', 'Jan 2, 2026, 09:58'],
      ['Yesterday 02:23', 'Jan 1, 2026, 02:23'],
      ['Dec 30, 18:05', 'Dec 30, 2025, 18:05'],
    ]);
  });

  it('counts today and yesterday in the site’s time zone, not the browser’s', () => {
    // 00:30 on 2 January in Amsterdam is still 1 January in UTC.
    const now = new Date('2026-01-01T23:30:00.000Z');
    expect(eventTime('2026-01-01T23:10:00.000Z', 'Europe/Amsterdam', now)).toBe('00:10:00');
    expect(eventTime('2026-01-01T22:50:00.000Z', 'Europe/Amsterdam', now)).toBe('Yesterday 23:50');
    expect(eventTime('2026-01-01T22:50:00.000Z', 'UTC', now)).toBe('22:50:00');
    expect(eventTime('2025-12-31T10:00:00.000Z', 'Europe/Amsterdam', now)).toBe('Dec 31, 11:00');
    // A clock a little ahead of ours (tomorrow's event) is still read as today's.
    expect(eventTime('2026-01-02T23:10:00.000Z', 'Europe/Amsterdam', now)).toBe('00:10:00');
  });

  it('when nothing has happened yet, then it says new events will appear', async () => {
    const { source } = fakeBackend({
      'stats/realtime': { body: { visitorsNow: 0, pages: [], events: [], cursor: null } },
    });
    render(withReport(source, <RealtimeCard />));
    expect(await screen.findByText('No events yet. New ones appear here as they arrive.')).toBeInTheDocument();
    expect(screen.getByText('visitors in the last 5 minutes')).toBeInTheDocument();
  });

  it('when the first request fails, then it explains the error', async () => {
    const { source } = fakeBackend({ 'stats/realtime': apiError(401, 'unauthenticated', 'Sign in first') });
    render(withReport(source, <RealtimeCard />));
    expect(await screen.findByText('Could not load the live view.')).toBeInTheDocument();
    expect(screen.getByText('Your session has ended: sign in again.', { selector: 'p' })).toBeInTheDocument();
  });
});
