import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { createElement } from '@wordpress/element';

import { dashboardBackend, description, invalid } from '../../testing/dashboard-backend';
import { SITE } from '../../testing/fake-backend';
import type { EmailReportSubscription } from '../../reports-alerts/types';
import { EmailReports } from './email-reports';

const REPORTS = `/api/v1/sites/${SITE}/email-reports`;
const WEEKLY: EmailReportSubscription = {
  id: 's1',
  email: 'ada@example.com',
  frequency: 'weekly',
  weekday: 3,
  createdAt: '2026-03-01T10:00:00.000Z',
  lastSentAt: '2026-03-11T07:00:00.000Z',
};
const MONTHLY: EmailReportSubscription = {
  id: 's2',
  email: 'bob@example.com',
  frequency: 'monthly',
  weekday: null,
  createdAt: '2026-03-02T10:00:00.000Z',
  lastSentAt: null,
};

describe('EmailReports', () => {
  it('when the site has subscriptions, then each is listed with its schedule and when it last went out', async () => {
    dashboardBackend({ [`GET ${REPORTS}`]: () => ({ body: { subscriptions: [WEEKLY, MONTHLY] } }) });
    render(<EmailReports siteId={SITE} timeZone="Europe/Amsterdam" />);
    const list = await screen.findByRole('list', { name: 'Email reports' });
    const [ada, bob] = within(list).getAllByRole('listitem');
    expect(ada).toHaveTextContent('ada@example.com');
    expect(ada).toHaveTextContent(/Weekly, on Wednesday · last sent .*08:00/);
    expect(bob).toHaveTextContent('Monthly, on the 1st · not sent yet');
  });

  it('when a weekly report is added, then the API gets the address, frequency and weekday, and it is listed', async () => {
    const calls = dashboardBackend({
      [`GET ${REPORTS}`]: () => ({ body: { subscriptions: [] } }),
      [`POST ${REPORTS}`]: () => ({
        status: 201,
        body: { ...WEEKLY, id: 's3', email: 'new@example.com', weekday: 5, lastSentAt: null },
      }),
    });
    render(<EmailReports siteId={SITE} />);
    expect(await screen.findByText('No email reports yet.')).toBeInTheDocument();
    fireEvent.change(screen.getByLabelText('Email address'), { target: { value: ' new@example.com ' } });
    fireEvent.change(screen.getByLabelText('Sent on'), { target: { value: '5' } });
    fireEvent.click(screen.getByRole('button', { name: 'Add email report' }));
    expect(await screen.findByText('new@example.com will get the weekly report.')).toBeInTheDocument();
    expect(calls.find((c) => c.key === `POST ${REPORTS}`)?.body).toEqual({
      email: 'new@example.com',
      frequency: 'weekly',
      weekday: 5,
    });
    expect(
      within(screen.getByRole('list', { name: 'Email reports' })).getByText('new@example.com'),
    ).toBeInTheDocument();
  });

  it('when a monthly report is added, then no weekday is asked for or sent', async () => {
    const calls = dashboardBackend({
      [`GET ${REPORTS}`]: () => ({ body: { subscriptions: [] } }),
      [`POST ${REPORTS}`]: () => ({ status: 201, body: MONTHLY }),
    });
    render(<EmailReports siteId={SITE} />);
    fireEvent.change(await screen.findByLabelText('Email address'), { target: { value: 'bob@example.com' } });
    fireEvent.change(screen.getByLabelText('How often'), { target: { value: 'monthly' } });
    expect(screen.queryByLabelText('Sent on')).toBeNull();
    fireEvent.click(screen.getByRole('button', { name: 'Add email report' }));
    await screen.findByText('bob@example.com will get the monthly report.');
    expect(calls.find((c) => c.key === `POST ${REPORTS}`)?.body).toEqual({
      email: 'bob@example.com',
      frequency: 'monthly',
    });
  });

  it('when the API refuses the address, then its message stands under the field', async () => {
    dashboardBackend({
      [`GET ${REPORTS}`]: () => ({ body: { subscriptions: [] } }),
      [`POST ${REPORTS}`]: invalid([{ path: 'body.email', message: 'Invalid email address' }]),
    });
    render(<EmailReports siteId={SITE} />);
    const field = await screen.findByLabelText('Email address');
    fireEvent.change(field, { target: { value: 'ada@localhost' } });
    fireEvent.click(screen.getByRole('button', { name: 'Add email report' }));
    await waitFor(() => expect(description(field)).toBe('Invalid email address.'));
  });

  it('when a preview is sent and a report removed, then the API is called for that subscription and the list follows', async () => {
    const calls = dashboardBackend({
      [`GET ${REPORTS}`]: () => ({ body: { subscriptions: [WEEKLY, MONTHLY] } }),
      [`POST ${REPORTS}/s1/preview`]: () => ({ status: 202 }),
      [`DELETE ${REPORTS}/s2`]: () => ({ status: 204 }),
    });
    render(<EmailReports siteId={SITE} />);
    fireEvent.click(await screen.findByRole('button', { name: 'Send a preview to ada@example.com' }));
    expect(await screen.findByText('A preview is on its way to ada@example.com.')).toBeInTheDocument();
    fireEvent.click(screen.getByRole('button', { name: 'Remove the monthly report to bob@example.com' }));
    expect(await screen.findByText('bob@example.com no longer gets the monthly report.')).toBeInTheDocument();
    expect(within(screen.getByRole('list', { name: 'Email reports' })).queryByText('bob@example.com')).toBeNull();
    expect(calls.map((c) => c.key)).toEqual([`GET ${REPORTS}`, `POST ${REPORTS}/s1/preview`, `DELETE ${REPORTS}/s2`]);
  });
});
