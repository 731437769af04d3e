import { act, fireEvent, render, screen } from '@testing-library/react';
import { createElement } from '@wordpress/element';

import { fakeResponse } from '../testing/fake-backend';
import { Dashboard } from './index';

// Role queries walk the whole page; a loaded machine needs more than the default second.
const SLOW = { timeout: 5_000 };
const account = { id: 'acc1', email: 'ada@example.com', name: 'Ada Lovelace', createdAt: '2026-03-01T10:00:00.000Z' };

describe('Dashboard', () => {
  afterEach(() => {
    window.location.hash = '';
  });

  it('when the person logs out, then "Your sites" never shows again and nothing is asked for without a session', async () => {
    let signedIn = true;
    const calls: string[] = [];
    window.fetch = jest.fn(async (input: RequestInfo | URL, init: RequestInit = {}) => {
      const path = new URL(String(input), 'https://stats.example.com').pathname;
      const key = `${init.method ?? 'GET'} ${path}`;
      calls.push(key);
      if (key === 'POST /api/v1/auth/logout') {
        signedIn = false;
        return fakeResponse(204);
      }
      if (key === 'GET /api/v1/auth/session')
        return fakeResponse(200, signedIn ? { type: 'session', account, sites: [] } : { type: 'anonymous' });
      if (!signedIn) return fakeResponse(401, { error: { code: 'unauthorized', message: 'Log in first' } });
      if (key === 'GET /api/v1/invitations') return fakeResponse(200, { invitations: [] });
      return fakeResponse(404, { error: { code: 'not_found', message: 'Not found' } });
    }) as typeof window.fetch;
    window.location.hash = '#/account';
    render(<Dashboard />);
    await screen.findByRole('heading', { name: 'Your account' }, SLOW);

    // Every heading the page shows from the click on, in order.
    const headings: string[] = [];
    const observer = new MutationObserver(() => {
      const h1 = document.querySelector('h1')?.textContent ?? '';
      if (headings[headings.length - 1] !== h1) headings.push(h1);
    });
    observer.observe(document.body, { childList: true, subtree: true, characterData: true });
    const sent = calls.length;
    fireEvent.click(screen.getByRole('button', { name: 'Log out' }));
    await screen.findByRole('heading', { name: 'Log in to Clickpath' }, SLOW);
    // Let any late hash change, render and effect run.
    await act(() => new Promise((resolve) => setTimeout(resolve, 50)));
    observer.disconnect();

    expect(window.location.hash).toBe('#/login');
    expect(headings).not.toContain('Your sites');
    expect(calls.slice(sent)).toEqual(['POST /api/v1/auth/logout', 'GET /api/v1/auth/session']);
  });

  it('when a signed-out person opens a deep link and logs in, then they land on that view, not the sites list', async () => {
    const site = {
      id: 's1',
      name: 'Blog',
      domain: 'blog.example.com',
      timezone: 'UTC',
      publicId: 'pub1',
      role: 'owner',
      settings: {},
      createdAt: '2026-03-01T10:00:00.000Z',
      updatedAt: '2026-03-01T10:00:00.000Z',
    };
    const visitor = {
      id: 'c:10WutXaAMZ',
      firstSeen: '2026-03-10T09:00:00.000Z',
      lastSeen: '2026-03-14T10:00:00.000Z',
      visits: 1,
      pageviews: 1,
      events: 0,
      engagedSeconds: 0,
      userId: null,
      traits: {},
      country: 'NL',
      device: 'desktop',
      browser: 'Firefox',
      source: 'Google',
      lifetime: true,
    };
    let signedIn = false;
    window.fetch = jest.fn(async (input: RequestInfo | URL, init: RequestInit = {}) => {
      const path = new URL(String(input), 'https://stats.example.com').pathname;
      const key = `${init.method ?? 'GET'} ${path}`;
      if (key === 'POST /api/v1/auth/login') {
        signedIn = true;
        return fakeResponse(200, account);
      }
      if (key === 'GET /api/v1/auth/session')
        return fakeResponse(200, signedIn ? { type: 'session', account, sites: [site] } : { type: 'anonymous' });
      if (!signedIn) return fakeResponse(401, { error: { code: 'unauthorized', message: 'Log in first' } });
      if (path.endsWith('/visitors/c%3A10WutXaAMZ')) return fakeResponse(200, { visitor, visits: [] });
      if (path.endsWith('/goals')) return fakeResponse(200, { goals: [] });
      return fakeResponse(404, { error: { code: 'not_found', message: 'Not found' } });
    }) as typeof window.fetch;
    const deepLink = '#/sites/s1?period=7d&view=visitors&visitor=c%3A10WutXaAMZ';
    window.location.hash = deepLink;
    render(<Dashboard />);
    // A detour through the sign-up form keeps the page asked for.
    fireEvent.click(await screen.findByRole('link', { name: 'New here? Create an account' }, SLOW));
    await screen.findByRole('heading', { name: 'Create your Clickpath account' }, SLOW);
    expect(window.location.hash).toBe('#/signup');
    fireEvent.click(screen.getByRole('link', { name: 'Already have an account? Log in' }));
    await screen.findByRole('heading', { name: 'Log in to Clickpath' }, SLOW);
    expect(window.location.hash).toBe('#/login');
    fireEvent.change(screen.getByLabelText('Email'), { target: { value: account.email } });
    fireEvent.change(screen.getByLabelText('Password'), { target: { value: 'correct horse battery' } });
    fireEvent.click(screen.getByRole('button', { name: 'Log in' }));

    expect(await screen.findByRole('heading', { name: 'Visitor profile' }, SLOW)).toBeInTheDocument();
    expect(window.location.hash).toBe(deepLink);
    expect(screen.queryByRole('heading', { name: 'Your sites' })).toBeNull();
  });
});
