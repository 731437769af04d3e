import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { createElement } from '@wordpress/element';

import { configureApiFetch } from '../../data/wordpress';
import type { AlertSettings, EmailReportSubscription } from '../../reports-alerts/types';
import { fakeResponse } from '../../testing/fake-backend';
import { description } from '../../testing/dashboard-backend';
import { SettingsScreen } from '..';
import type { PluginSettings } from '../types';

const NOTICE = { selector: '.components-notice__content' };
const MEMBER = '65a1b2c3d4e5f60718293a4f';

const connected: PluginSettings = {
  backendUrl: 'https://stats.example.com',
  backendUrlLocked: false,
  connected: true,
  site: { id: '0123456789abcdef01234567', name: 'Blog', domain: 'blog.example.com' },
  key: { mask: 'cp_live_ab…••••', fromConstant: false },
  scopes: ['stats:read', 'sites:manage'],
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

const ALERTS: AlertSettings = {
  spike: { enabled: false, threshold: 100 },
  drop: { enabled: false, percent: 50 },
  email: true,
  recipients: [MEMBER],
  recent: [
    {
      kind: 'drop',
      period: '2026-03-10',
      at: '2026-03-11T00:30:00.000Z',
      data: { visitors: 4, usual: 10, percent: 50 },
    },
  ],
};

const WEEKLY: EmailReportSubscription = {
  id: '65a1b2c3d4e5f60718293a4e',
  email: 'team@example.org',
  frequency: 'weekly',
  weekday: 5,
  createdAt: '2026-03-01T08:00:00.000Z',
  lastSentAt: null,
};

type Answer = (body: unknown) => { status: number; body?: unknown };

/**
 * Stubs the plugin's REST API by `METHOD route` (api-fetch sends PUT and DELETE as POST with
 * X-HTTP-Method-Override, as WordPress reads them); records each call.
 */
function plugin(routes: Record<string, Answer>) {
  const calls: Array<{ key: string; body: unknown }> = [];
  window.fetch = jest.fn(async (input: RequestInfo | URL, init: RequestInit = {}) => {
    const url = new URL(String(input));
    const headers = new Headers(init.headers);
    const method = headers.get('X-HTTP-Method-Override') ?? init.method ?? 'GET';
    const key = `${method} ${url.pathname.replace('/wp-json/clickpath/v1/', '')}`;
    const body = init.body ? JSON.parse(String(init.body)) : undefined;
    calls.push({ key, body });
    const answer = routes[key]?.(body) ?? { status: 404, body: { code: 'rest_no_route', message: 'No route' } };
    return fakeResponse(answer.status, answer.body);
  }) as typeof window.fetch;
  return calls;
}

const forbidden = () => ({
  status: 403,
  body: { code: 'forbidden', message: 'This API key lacks the sites:manage scope', data: { status: 403 } },
});

const screenWith = (settings: PluginSettings = connected) =>
  render(
    <SettingsScreen
      initial={settings}
      roles={{ administrator: 'Administrator' }}
      userEmail="admin@blog.example.com"
      timeZone="UTC"
    />,
  );

// Each test renders the whole settings screen; a busy machine takes seconds for one.
jest.setTimeout(20_000);

describe('Reports & alerts in the WordPress settings', () => {
  beforeAll(() => configureApiFetch({ root: 'https://blog.example.com/wp-json/', nonce: 'settings-nonce' }));

  it('when the admin saves alerts, then the plugin gets the thresholds with the dashboard’s recipients unchanged', async () => {
    const calls = plugin({
      'GET alerts': () => ({ status: 200, body: ALERTS }),
      'PUT alerts': (body) => ({ status: 200, body: { ...(body as object), recent: ALERTS.recent } }),
      'GET email-reports': () => ({ status: 200, body: { subscriptions: [] } }),
    });
    screenWith();
    expect(await screen.findByRole('heading', { name: 'Reports & alerts' })).toBeInTheDocument();
    fireEvent.click(await screen.findByLabelText('Traffic spike'));
    fireEvent.change(screen.getByLabelText('Alert when an hour has more visitors than'), { target: { value: '250' } });
    // No member list in WordPress: who gets the mail is chosen in the dashboard.
    expect(screen.queryByText('Who gets the mail')).toBeNull();
    expect(screen.getByText('The mail goes to the 1 member chosen in the Clickpath dashboard.')).toBeInTheDocument();
    expect(
      screen.getByText('Drop: 4 visitors on 2026-03-10, against 10 on a usual day (alert below 50%)'),
    ).toBeInTheDocument();
    fireEvent.click(screen.getByRole('button', { name: 'Save alerts' }));

    expect(await screen.findByText('Alerts saved.', NOTICE)).toBeInTheDocument();
    expect(calls.find((c) => c.key === 'PUT alerts')?.body).toEqual({
      spike: { enabled: true, threshold: 250 },
      drop: { enabled: false, percent: 50 },
      email: true,
      recipients: [MEMBER],
    });
    expect(calls.every((c) => !c.key.includes('members'))).toBe(true);
  });

  it('when the API key may only read stats, then the screen says which scope is needed and shows the server’s reason', async () => {
    plugin({ 'GET alerts': forbidden, 'GET email-reports': forbidden });
    screenWith({ ...connected, scopes: ['stats:read'] });
    expect(
      await screen.findByText('Could not load the alerts: This API key lacks the sites:manage scope', NOTICE),
    ).toBeInTheDocument();
    expect(
      await screen.findByText('Could not load the email reports: This API key lacks the sites:manage scope', NOTICE),
    ).toBeInTheDocument();
    expect(
      screen.getByText(/only an API key with the sites:manage scope read and change them/, NOTICE),
    ).toBeInTheDocument();
  });

  it('when an admin adds a weekly report, then it goes to their address on the chosen day and is listed', async () => {
    const calls = plugin({
      'GET alerts': () => ({ status: 200, body: ALERTS }),
      'GET email-reports': () => ({ status: 200, body: { subscriptions: [WEEKLY] } }),
      'POST email-reports': (body) => ({
        status: 201,
        body: { ...WEEKLY, id: '65a1b2c3d4e5f60718293a50', weekday: null, ...(body as object) },
      }),
    });
    screenWith();
    const list = await screen.findByRole('list', { name: 'Email reports' });
    expect(within(list).getByText('team@example.org')).toBeInTheDocument();
    expect(within(list).getByText(/Weekly, on Friday · not sent yet/)).toBeInTheDocument();

    expect(screen.getByLabelText('Email address')).toHaveValue('admin@blog.example.com');
    fireEvent.change(screen.getByLabelText('Sent on'), { target: { value: '3' } });
    fireEvent.click(screen.getByRole('button', { name: 'Add email report' }));
    expect(await screen.findByText('admin@blog.example.com will get the weekly report.', NOTICE)).toBeInTheDocument();
    expect(calls.find((c) => c.key === 'POST email-reports')?.body).toEqual({
      email: 'admin@blog.example.com',
      frequency: 'weekly',
      weekday: 3,
    });
    expect(within(list).getByText('admin@blog.example.com')).toBeInTheDocument();
    expect(within(list).getByText(/Weekly, on Wednesday/)).toBeInTheDocument();
  });

  it('when an admin adds a monthly report, then no weekday is sent and the address is trimmed', async () => {
    const calls = plugin({
      'GET alerts': () => ({ status: 200, body: ALERTS }),
      'GET email-reports': () => ({ status: 200, body: { subscriptions: [] } }),
      'POST email-reports': (body) => ({
        status: 201,
        body: { ...WEEKLY, id: '65a1b2c3d4e5f60718293a51', weekday: null, ...(body as object) },
      }),
    });
    screenWith();
    expect(await screen.findByText('No email reports yet.')).toBeInTheDocument();
    fireEvent.change(screen.getByLabelText('Email address'), { target: { value: ' boss@example.org ' } });
    fireEvent.change(screen.getByLabelText('How often'), { target: { value: 'monthly' } });
    expect(screen.queryByLabelText('Sent on')).toBeNull();
    fireEvent.click(screen.getByRole('button', { name: 'Add email report' }));
    expect(await screen.findByText('boss@example.org will get the monthly report.', NOTICE)).toBeInTheDocument();
    expect(calls.find((c) => c.key === 'POST email-reports')?.body).toEqual({
      email: 'boss@example.org',
      frequency: 'monthly',
    });
    const list = screen.getByRole('list', { name: 'Email reports' });
    expect(within(list).getByText(/Monthly, on the 1st/)).toBeInTheDocument();
  });

  it('when the server refuses a subscription, then its reason shows, beside the address when it names it', async () => {
    let answer: Answer = () => ({
      status: 409,
      body: {
        code: 'conflict',
        message: 'team@example.org already gets the weekly report of this site',
        data: { status: 409 },
      },
    });
    plugin({
      'GET alerts': () => ({ status: 200, body: ALERTS }),
      'GET email-reports': () => ({ status: 200, body: { subscriptions: [WEEKLY] } }),
      'POST email-reports': (body) => answer(body),
    });
    screenWith();
    const field = await screen.findByLabelText('Email address');
    fireEvent.change(field, { target: { value: 'team@example.org' } });
    fireEvent.click(screen.getByRole('button', { name: 'Add email report' }));
    expect(
      await screen.findByText('team@example.org already gets the weekly report of this site', NOTICE),
    ).toBeInTheDocument();

    answer = () => ({
      status: 400,
      body: {
        code: 'validation_failed',
        message: 'Invalid request body',
        data: { status: 400, details: [{ path: 'body.email', message: 'the site already has 50 subscriptions' }] },
      },
    });
    fireEvent.click(screen.getByRole('button', { name: 'Add email report' }));
    await waitFor(() => expect(description(field)).toBe('Email address the site already has 50 subscriptions.'));
  });

  it('when an admin sends a preview or removes a report, then the plugin is asked and the list follows', async () => {
    const calls = plugin({
      'GET alerts': () => ({ status: 200, body: ALERTS }),
      'GET email-reports': () => ({ status: 200, body: { subscriptions: [WEEKLY] } }),
      [`POST email-reports/${WEEKLY.id}/preview`]: () => ({ status: 202 }),
      [`DELETE email-reports/${WEEKLY.id}`]: () => ({ status: 204 }),
    });
    screenWith();
    fireEvent.click(await screen.findByRole('button', { name: 'Send a preview to team@example.org' }));
    expect(await screen.findByText('A preview is on its way to team@example.org.', NOTICE)).toBeInTheDocument();
    fireEvent.click(screen.getByRole('button', { name: 'Remove the weekly report to team@example.org' }));
    expect(await screen.findByText('team@example.org no longer gets the weekly report.', NOTICE)).toBeInTheDocument();
    expect(screen.getByText('No email reports yet.')).toBeInTheDocument();
    expect(calls.map((c) => c.key)).toEqual(
      expect.arrayContaining([`POST email-reports/${WEEKLY.id}/preview`, `DELETE email-reports/${WEEKLY.id}`]),
    );
  });

  it('when a preview fails, then the server’s reason is shown', async () => {
    plugin({
      'GET alerts': () => ({ status: 200, body: ALERTS }),
      'GET email-reports': () => ({ status: 200, body: { subscriptions: [WEEKLY] } }),
      [`POST email-reports/${WEEKLY.id}/preview`]: () => ({
        status: 502,
        body: { code: 'clickpath_unreachable', message: 'Could not reach the Clickpath server', data: { status: 502 } },
      }),
    });
    screenWith();
    fireEvent.click(await screen.findByRole('button', { name: 'Send a preview to team@example.org' }));
    expect(
      await screen.findByText('Could not send the preview: Could not reach the Clickpath server', NOTICE),
    ).toBeInTheDocument();
  });
});
