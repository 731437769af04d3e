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
});
