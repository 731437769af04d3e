import { act, fireEvent, render, screen } from '@testing-library/react';
import { createElement } from '@wordpress/element';

import { configureApiFetch } from '../data/wordpress';
import { fakeResponse } from '../testing/fake-backend';
import { SettingsScreen } from '.';
import type { PluginSettings } from './types';

const ROLES = { administrator: 'Administrator', editor: 'Editor' };

const disconnected: PluginSettings = {
  backendUrl: '',
  backendUrlLocked: false,
  connected: false,
  site: null,
  key: null,
  scopes: [],
  warnings: [],
  identityMode: 'cookieless',
  excludedRoles: ['administrator'],
  statsRoles: ['administrator'],
  trackerSource: 'plugin',
  track404: true,
  identifyUsers: false,
  autoAnnotations: true,
  honorDoNotTrack: false,
  trackOutbound: true,
  trackDownloads: true,
  trackEngagement: true,
  relay: false,
  retentionDays: 760,
};

const connected: PluginSettings = {
  ...disconnected,
  backendUrl: 'https://stats.example.com',
  connected: true,
  site: { id: '0123456789abcdef01234567', name: 'Blog', domain: 'blog.example.com' },
  key: { mask: 'cp_live_ab…••••', fromConstant: false },
  scopes: ['stats:read'],
  warnings: ['The API key may only read stats.'],
};

/** Notices are also spoken through a live region; the visible one is the notice's content. */
const NOTICE = { selector: '.components-notice__content' };

describe('settings screen', () => {
  const fetch = jest.fn();
  const calls = () =>
    fetch.mock.calls.map(([url, init]: [string, RequestInit]) => ({
      path: new URL(url).pathname.replace('/wp-json/clickpath/v1/', ''),
      method: init.method,
      body: init.body ? JSON.parse(String(init.body)) : undefined,
    }));
  beforeAll(() => {
    // The connected screen's alerts and email reports (reports-alerts.test.tsx) stay loading here; these tests watch the rest.
    const ownRequests = /\/clickpath\/v1\/(alerts|email-reports)(\?|$)/;
    (window as unknown as { fetch: unknown }).fetch = (url: string, init: RequestInit) =>
      ownRequests.test(url) ? new Promise<never>(() => undefined) : fetch(url, init);
    configureApiFetch({ root: 'https://blog.example.com/wp-json/', nonce: 'settings-nonce' });
  });
  afterEach(() => fetch.mockReset());

  it('shows a spinner, then the settings it loaded', async () => {
    let answer: (value: Response) => void = () => undefined;
    fetch.mockReturnValueOnce(new Promise<Response>((resolve) => (answer = resolve)));
    render(<SettingsScreen roles={ROLES} />);
    expect(document.querySelector('.components-spinner')).toBeInTheDocument();
    await act(async () => answer(fakeResponse(200, connected)));
    expect(await screen.findByText('Connected to Blog (blog.example.com).')).toBeInTheDocument();
  });

  it('says what failed when the settings cannot be loaded', async () => {
    fetch.mockResolvedValueOnce(fakeResponse(403, { code: 'rest_forbidden', message: 'Sorry, you are not allowed.' }));
    render(<SettingsScreen roles={ROLES} />);
    expect(
      await screen.findByText(/Could not load the settings: Sorry, you are not allowed\. Reload/, NOTICE),
    ).toBeInTheDocument();
  });

  it('connects with the typed URL and key, then shows the site and only the masked key', async () => {
    fetch.mockResolvedValueOnce(fakeResponse(200, connected));
    render(<SettingsScreen initial={disconnected} roles={ROLES} />);
    fireEvent.change(screen.getByLabelText('Clickpath server URL'), { target: { value: 'https://stats.example.com' } });
    fireEvent.change(screen.getByLabelText('API key'), { target: { value: 'cp_live_secret_value' } });
    fireEvent.click(screen.getByRole('button', { name: 'Connect' }));
    expect(await screen.findByText('Connected to Blog (blog.example.com).', NOTICE)).toBeInTheDocument();
    expect(calls()).toEqual([
      {
        path: 'connect',
        method: 'POST',
        body: { backendUrl: 'https://stats.example.com', apiKey: 'cp_live_secret_value' },
      },
    ]);
    expect(screen.getByText('cp_live_ab…••••')).toBeInTheDocument();
    expect(screen.getByText('The API key may only read stats.', NOTICE)).toBeInTheDocument();
    expect(document.body.innerHTML).not.toContain('cp_live_secret_value');
  });

  it('shows a site administrator on multisite the network’s server read-only and connects to it', async () => {
    fetch.mockResolvedValueOnce(fakeResponse(200, connected));
    render(
      <SettingsScreen
        initial={{ ...disconnected, backendUrl: 'https://stats.example.com', backendUrlLocked: true }}
        roles={ROLES}
      />,
    );
    const field = screen.getByLabelText('Clickpath server URL');
    expect(field).toBeDisabled();
    expect(field).toHaveValue('https://stats.example.com');
    expect(screen.getByText('Set by the network administrator.')).toBeInTheDocument();
    fireEvent.change(screen.getByLabelText('API key'), { target: { value: 'cp_live_secret_value' } });
    fireEvent.click(screen.getByRole('button', { name: 'Connect' }));
    expect(await screen.findByText('Connected to Blog (blog.example.com).', NOTICE)).toBeInTheDocument();
    expect(calls()[0]?.body).toEqual({ backendUrl: 'https://stats.example.com', apiKey: 'cp_live_secret_value' });
  });

  it('shows the server’s reason when connecting fails', async () => {
    fetch.mockResolvedValueOnce(
      fakeResponse(502, {
        code: 'clickpath_key_rejected',
        message: 'The Clickpath server refused the API key.',
        data: { status: 502 },
      }),
    );
    render(<SettingsScreen initial={{ ...disconnected, backendUrl: 'https://stats.example.com' }} roles={ROLES} />);
    fireEvent.change(screen.getByLabelText('API key'), { target: { value: 'cp_live_revoked' } });
    fireEvent.click(screen.getByRole('button', { name: 'Connect' }));
    expect(
      await screen.findByText('Could not connect: The Clickpath server refused the API key.', NOTICE),
    ).toBeInTheDocument();
  });

  it('saves the collection options it shows', async () => {
    fetch.mockResolvedValueOnce(
      fakeResponse(200, { ...connected, trackOutbound: false, excludedRoles: ['administrator', 'editor'] }),
    );
    render(<SettingsScreen initial={connected} roles={ROLES} />);
    fireEvent.click(screen.getByLabelText('Track outbound link clicks'));
    fireEvent.click(screen.getAllByLabelText('Editor')[0]!);
    fireEvent.click(screen.getByRole('button', { name: 'Save settings' }));
    expect(await screen.findByText('Settings saved.', NOTICE)).toBeInTheDocument();
    const [save] = calls();
    expect(save).toMatchObject({ path: 'settings', method: 'POST' });
    expect(save?.body).toMatchObject({
      trackOutbound: false,
      excludedRoles: ['administrator', 'editor'],
      statsRoles: ['administrator'],
    });
    expect(save?.body).not.toHaveProperty('apiKey');
  });

  it('offers the collection self-test only once connected', () => {
    const { unmount } = render(<SettingsScreen initial={disconnected} roles={ROLES} />);
    expect(screen.queryByRole('button', { name: 'Run the self-test' })).not.toBeInTheDocument();
    unmount();
    render(<SettingsScreen initial={connected} roles={ROLES} />);
    expect(screen.getByRole('heading', { name: 'Collection self-test' })).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Run the self-test' })).toBeEnabled();
  });

  it('disconnects and goes back to the connect form', async () => {
    fetch.mockResolvedValueOnce(fakeResponse(200, { ...disconnected, backendUrl: 'https://stats.example.com' }));
    render(<SettingsScreen initial={connected} roles={ROLES} />);
    fireEvent.click(screen.getByRole('button', { name: 'Disconnect' }));
    expect(await screen.findByText('Disconnected. Tracking has stopped.', NOTICE)).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Connect' })).toBeInTheDocument();
    expect(calls()[0]).toMatchObject({ path: 'disconnect', method: 'POST' });
  });
});
