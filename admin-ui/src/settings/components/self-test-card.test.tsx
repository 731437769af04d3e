import { act, fireEvent, render, screen, within } from '@testing-library/react';
import { createElement } from '@wordpress/element';

import { ApiError } from '../../data/errors';
import type { SelfTestProbes } from '../self-test/run';
import { SelfTestCard } from './self-test-card';

const FRONT = 'https://blog.example.com/';
const SRC = 'https://blog.example.com/wp-content/plugins/clickpath/assets/clickpath.js';

function probes(overrides: Partial<SelfTestProbes> = {}): SelfTestProbes {
  return {
    setup: async () => ({
      frontPage: FRONT,
      site: 'pub_TestSite123',
      src: SRC,
      api: 'https://stats.example.com/api/event',
      trackerSource: 'plugin',
      honorDoNotTrack: false,
      trackEngagement: true,
      connection: { ok: false, code: 'clickpath_key_rejected', message: 'The Clickpath server refused the API key.' },
    }),
    realtime: async () => ({ events: [], cursor: null }),
    // A page whose tag something stripped.
    fetchPage: async (url) => ({ kind: 'page', status: 200, url, html: '<p>no tag</p>', csp: null }),
    fetchScript: async () => ({ kind: 'response', status: 200, type: 'text/javascript', body: 'clickpath' }),
    openFrame: async () => ({
      loadScript: async () => ({ kind: 'ok' }),
      send: async () => ({ kind: 'response', status: 202, body: { accepted: 1 } }),
      close: () => undefined,
    }),
    parse: (html) => new DOMParser().parseFromString(html, 'text/html'),
    wait: async () => undefined,
    now: () => 0,
    id: () => 'selftest-card-1234',
    sendsDoNotTrack: () => false,
    ...overrides,
  };
}

describe('the self-test card', () => {
  it('runs on a click and shows every check with its status and, for failures, how to fix it', async () => {
    render(<SelfTestCard keyFromConstant={false} probes={probes()} />);
    expect(screen.queryByRole('list', { name: 'Self-test checks' })).not.toBeInTheDocument();
    await act(async () => {
      fireEvent.click(screen.getByRole('button', { name: 'Run the self-test' }));
    });
    const list = screen.getByRole('list', { name: 'Self-test checks' });
    const rows = within(list).getAllByRole('listitem');
    expect(rows.map((row) => [row.querySelector('h3')?.textContent, row.querySelector('span')?.textContent])).toEqual([
      ['Connection to the Clickpath server', 'Failed'],
      ['Tracker tag on the front page', 'Failed'],
      ['Tracker script loads', 'Passed'],
      ['Test event reaches the server', 'Passed'],
      ['Test event shows in Realtime', 'Not run'],
    ]);
    expect(rows[0]).toHaveTextContent('The Clickpath server refused the API key.');
    expect(rows[0]).toHaveTextContent('How to fix: Create a new API key for this site');
    expect(rows[1]).toHaveTextContent(/How to fix: Exclude clickpath\.js/);
    expect(screen.getByRole('status')).toHaveTextContent('2 checks failed: see below how to fix them.');
    expect(screen.getByRole('button', { name: 'Run the self-test' })).toBeEnabled();
  });

  it('says why it could not start', async () => {
    const setup = async () => {
      throw new ApiError('clickpath_not_connected', 'Clickpath is not connected yet.', 409);
    };
    render(<SelfTestCard keyFromConstant={false} probes={probes({ setup })} />);
    await act(async () => {
      fireEvent.click(screen.getByRole('button', { name: 'Run the self-test' }));
    });
    expect(screen.getByText('The self-test could not start: Clickpath is not connected yet.')).toBeInTheDocument();
    expect(screen.queryByRole('list', { name: 'Self-test checks' })).not.toBeInTheDocument();
  });
});
