import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { createElement } from '@wordpress/element';

import { dashboardBackend, siteFixture } from '../../testing/dashboard-backend';
import { SITE } from '../../testing/fake-backend';
import type { AuditEntry, AuditPage, Role } from '../types';
import { AuditLog, describeAuditEntry } from './audit-log';
import { SiteSettings } from './site-settings';

const LOG = `GET /api/v1/sites/${SITE}/audit`;

const entry = (over: Partial<AuditEntry>): AuditEntry => ({
  id: 'e0',
  at: '2026-03-01T10:00:00.000Z',
  action: 'site.created',
  actor: { type: 'account', id: 'a1', email: 'ada@example.com' },
  details: { name: 'Shop', domain: 'shop.example' },
  ...over,
});

const page = (entries: AuditEntry[], nextCursor: string | null = null): AuditPage => ({
  entries,
  nextCursor,
  retentionDays: 365,
});

/** Every URL fetched, in order. */
const requested = () =>
  (window.fetch as jest.Mock).mock.calls.map(([input]) => new URL(String(input), 'https://stats.example.com'));
/** The query strings the component asked the log with, in order. */
const queries = () => requested().map((url) => url.search);

const rows = () =>
  within(screen.getByRole('region', { name: 'Activity of this site' }))
    .getAllByRole('row')
    .slice(1)
    .map((row) => row.textContent);

describe('Activity log', () => {
  it('when the log loads, then each entry shows when on the site’s clock, who and what, newest first', async () => {
    dashboardBackend({
      [LOG]: () => ({
        body: page([
          entry({
            id: 'e2',
            at: '2026-03-02T15:04:00.000Z',
            action: 'key.revoked',
            actor: { type: 'key', id: 'k1', name: 'WordPress', prefix: 'cpk_abcd1234', createdBy: 'a1' },
            details: { key: { id: 'k2', name: 'Grafana', prefix: 'cpk_zzzz9999' } },
          }),
          entry({ id: 'e1' }),
        ]),
      }),
    });
    render(<AuditLog siteId={SITE} timeZone="Europe/Amsterdam" />);

    await screen.findByText('Revoked the API key “Grafana” (cpk_zzzz9999…)');
    expect(rows()).toEqual([
      expect.stringContaining('API key “WordPress” (cpk_abcd1234…)'),
      expect.stringContaining('ada@example.comAdded the site “Shop” (shop.example)'),
    ]);
    // 15:04 UTC is 16:04 in Amsterdam in March.
    expect(rows()[0]).toContain('16:04');
    expect(screen.getByText(/Kept for 365 days; no IP addresses\./)).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Show older' })).not.toBeInTheDocument();
  });

  it('when a group is chosen, then the log is asked for that group’s actions only', async () => {
    dashboardBackend({ [LOG]: () => ({ body: page([]) }) });
    render(<AuditLog siteId={SITE} />);
    await screen.findByText('Nothing recorded yet.');

    fireEvent.change(screen.getByLabelText('Show'), { target: { value: 'keys' } });
    await waitFor(() => expect(queries()).toHaveLength(2));
    expect(queries()[0]).toBe('');
    expect(new URLSearchParams(queries()[1]).getAll('action')).toEqual([
      'key.created',
      'key.rotated',
      'key.revoked',
      'site.relay_secret_issued',
    ]);
  });

  it('when there are older entries, then "Show older" fetches the next page after the cursor and adds it below', async () => {
    let calls = 0;
    dashboardBackend({
      [LOG]: () => {
        calls += 1;
        return calls === 1
          ? { body: page([entry({ id: 'new' })], '1772358000000-0123456789abcdef01234567') }
          : {
              body: page([
                entry({ id: 'old', action: 'invitation.sent', details: { email: 'bo@example.com', role: 'viewer' } }),
              ]),
            };
      },
    });
    render(<AuditLog siteId={SITE} />);
    fireEvent.click(await screen.findByRole('button', { name: 'Show older' }));

    await screen.findByText('Invited bo@example.com as viewer');
    expect(new URLSearchParams(queries()[1]).get('cursor')).toBe('1772358000000-0123456789abcdef01234567');
    expect(rows()).toHaveLength(2);
    expect(screen.queryByRole('button', { name: 'Show older' })).not.toBeInTheDocument();
  });

  it('when the log cannot be read, then the card says why', async () => {
    dashboardBackend({
      [LOG]: () => ({
        status: 403,
        body: { error: { code: 'forbidden', message: 'This action needs the admin role on this site' } },
      }),
    });
    render(<AuditLog siteId={SITE} />);
    expect(
      await screen.findByText('Could not load the activity: This action needs the admin role on this site'),
    ).toBeInTheDocument();
  });
});

describe('describeAuditEntry', () => {
  it.each([
    [
      'site.updated',
      {
        changes: [
          { field: 'settings.honorDoNotTrack', from: false, to: true },
          { field: 'settings.excludedIps', from: '0 addresses or ranges', to: '2 addresses or ranges' },
        ],
      },
      'Changed the site: honour Do Not Track off → on; excluded addresses 0 addresses or ranges → 2 addresses or ranges',
    ],
    [
      'member.removed',
      { member: { id: 'a2', email: 'bo@example.com' }, role: 'admin', keysRevoked: 2 },
      'Removed bo@example.com (admin); 2 API keys revoked',
    ],
    [
      'person.erased',
      { visitors: 1, visits: 3, events: 12, complete: true },
      'Erased a person (by user ID). Erased 1 visitor, 3 visits, 12 events.',
    ],
    [
      'export.events',
      { from: '2026-01-01', to: '2026-01-31', format: 'csv' },
      'Exported the raw events of 2026-01-01 to 2026-01-31 (CSV)',
    ],
    [
      'alerts.updated',
      {
        changes: [
          { field: 'spike.threshold', from: 100, to: 250 },
          { field: 'recipients', from: [], to: ['bo@example.com'] },
        ],
      },
      'Changed the alerts: spike threshold (visitors an hour) 100 → 250; alert recipients the owner and admins → bo@example.com',
    ],
    [
      'webhook.created',
      { webhook: { id: 'w1', target: 'https://hooks.example.com', events: ['alert.traffic_spike', 'summary.weekly'] } },
      'Added a webhook to https://hooks.example.com for alert.traffic_spike, summary.weekly',
    ],
    [
      'webhook.deleted',
      { webhook: { id: 'w1', target: 'https://hooks.example.com', events: ['summary.weekly'] } },
      'Deleted the webhook to https://hooks.example.com (summary.weekly)',
    ],
    [
      'email_report.added',
      { subscription: { id: 's1', email: 'ada@example.com', frequency: 'weekly', weekday: 3 } },
      'Subscribed ada@example.com to the email report (weekly, on Wednesday)',
    ],
    [
      'email_report.removed',
      { subscription: { id: 's2', email: 'bo@example.com', frequency: 'monthly', weekday: null } },
      'Removed the email report to bo@example.com (monthly)',
    ],
    ['something.new', {}, 'something.new'],
  ])('when the action is %s, then it reads as a sentence', (action, details, sentence) => {
    // An action newer than this build (the last case) reads as its name.
    expect(describeAuditEntry({ action: action as AuditEntry['action'], details })).toBe(sentence);
  });
});

describe('Site settings', () => {
  it.each<[Role, boolean]>([
    ['owner', true],
    ['admin', true],
    ['viewer', false],
  ])('when the role is %s, then the activity log is shown: %p', async (role, shown) => {
    dashboardBackend({
      [`GET /api/v1/sites/${SITE}/keys`]: () => ({ body: { keys: [] } }),
      [`GET /api/v1/sites/${SITE}/members`]: () => ({ body: { members: [] } }),
      [`GET /api/v1/sites/${SITE}/invitations`]: () => ({ body: { invitations: [] } }),
      [LOG]: () => ({ body: page([entry({})]) }),
    });
    render(<SiteSettings site={siteFixture({ role })} onChanged={jest.fn()} onDeleted={jest.fn()} />);
    await screen.findByText('No API keys yet.');
    if (shown) await screen.findByText('Added the site “Shop” (shop.example)');
    expect(screen.queryByRole('heading', { name: 'Activity log' }) !== null).toBe(shown);
    expect(requested().some((url) => url.pathname === `/api/v1/sites/${SITE}/audit`)).toBe(shown);
  });
});
