import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import { createElement } from '@wordpress/element';

import { dashboardBackend, description, invalid } from '../../testing/dashboard-backend';
import { SITE } from '../../testing/fake-backend';
import type { AlertEvent, AlertSettingsInput, Member } from '../types';
import { Alerts, describeAlert } from './alerts';

const ALERTS = `/api/v1/sites/${SITE}/alerts`;
const MEMBERS = `/api/v1/sites/${SITE}/members`;
const OFF: AlertSettingsInput = {
  spike: { enabled: false, threshold: 100 },
  drop: { enabled: false, percent: 50 },
  email: true,
  recipients: [],
};
const PEOPLE: Member[] = [
  {
    accountId: 'a1',
    email: 'ada@example.com',
    name: 'Ada',
    role: 'owner',
    since: '2026-01-01T00:00:00.000Z',
    twoFactorEnabled: false,
  },
  {
    accountId: 'a2',
    email: 'vic@example.com',
    name: '',
    role: 'viewer',
    since: '2026-01-02T00:00:00.000Z',
    twoFactorEnabled: false,
  },
];
const SPIKE: AlertEvent = {
  kind: 'spike',
  period: '2026-03-10T14:00:00+01:00',
  at: '2026-03-10T13:20:00.000Z',
  data: { visitors: 120, threshold: 100 },
};
const DROP: AlertEvent = {
  kind: 'drop',
  period: '2026-03-10',
  at: '2026-03-11T00:30:00.000Z',
  data: { visitors: 4, usual: 10, percent: 50 },
};

describe('Alerts', () => {
  it('when alerts are switched on and saved, then the API gets the thresholds and the members ticked', async () => {
    const calls = dashboardBackend({
      [`GET ${ALERTS}`]: () => ({ body: { ...OFF, recent: [] } }),
      [`GET ${MEMBERS}`]: () => ({ body: { members: PEOPLE } }),
      [`PUT ${ALERTS}`]: (init) => ({ body: { ...JSON.parse(String(init.body)), recent: [] } }),
    });
    render(<Alerts siteId={SITE} timeZone="Europe/Amsterdam" />);
    fireEvent.click(await screen.findByLabelText('Traffic spike'));
    fireEvent.change(screen.getByLabelText('Alert when an hour has more visitors than'), { target: { value: '250' } });
    fireEvent.click(screen.getByLabelText('Traffic drop'));
    fireEvent.change(screen.getByLabelText('Alert when a day has less than this % of a usual day'), {
      target: { value: '40' },
    });
    fireEvent.click(screen.getByLabelText('vic@example.com (viewer)'));
    fireEvent.click(screen.getByRole('button', { name: 'Save alerts' }));

    expect(await screen.findByText('Alerts saved.', { selector: '.components-notice__content' })).toBeInTheDocument();
    expect(calls.find((c) => c.key === `PUT ${ALERTS}`)?.body).toEqual({
      spike: { enabled: true, threshold: 250 },
      drop: { enabled: true, percent: 40 },
      email: true,
      recipients: ['a2'],
    });
  });

  it('when the API refuses a number, then its message stands under that field', async () => {
    dashboardBackend({
      [`GET ${ALERTS}`]: () => ({ body: { ...OFF, spike: { enabled: true, threshold: 100 }, recent: [] } }),
      [`GET ${MEMBERS}`]: () => ({ body: { members: PEOPLE } }),
      [`PUT ${ALERTS}`]: invalid([
        { path: 'body.spike.threshold', message: 'Too big: expected number to be <=10000000' },
      ]),
    });
    render(<Alerts siteId={SITE} />);
    const field = await screen.findByLabelText('Alert when an hour has more visitors than');
    fireEvent.change(field, { target: { value: '20000000' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save alerts' }));
    await waitFor(() => expect(description(field)).toBe('Too big: expected number to be <=10000000.'));
  });

  it('when alerts fired, then the latest are listed in words, on the site’s clock', async () => {
    dashboardBackend({
      [`GET ${ALERTS}`]: () => ({ body: { ...OFF, recent: [SPIKE, DROP] } }),
      [`GET ${MEMBERS}`]: () => ({ body: { members: PEOPLE } }),
    });
    render(<Alerts siteId={SITE} timeZone="Europe/Amsterdam" />);
    expect(await screen.findByRole('heading', { name: 'Recent alerts' })).toBeInTheDocument();
    expect(screen.getByText(/^Spike: 120 visitors in the hour from .*14:00 \(more than 100\)$/)).toBeInTheDocument();
    expect(
      screen.getByText('Drop: 4 visitors on 2026-03-10, against 10 on a usual day (alert below 50%)'),
    ).toBeInTheDocument();
  });

  it('when email is off, then no recipients are asked for', async () => {
    dashboardBackend({
      [`GET ${ALERTS}`]: () => ({ body: { ...OFF, email: false, recent: [] } }),
      [`GET ${MEMBERS}`]: () => ({ body: { members: PEOPLE } }),
    });
    render(<Alerts siteId={SITE} />);
    await screen.findByLabelText('Send alerts by email');
    expect(screen.queryByText('Who gets the mail')).toBeNull();
    expect(describeAlert(SPIKE, 'UTC')).toMatch(/13:00/);
  });
});
