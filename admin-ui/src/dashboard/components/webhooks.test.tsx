import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { createElement } from '@wordpress/element';

import { dashboardBackend, description, invalid, siteFixture } from '../../testing/dashboard-backend';
import { SITE } from '../../testing/fake-backend';
import type { Role, Webhook, WebhookDeliveryAttempt } from '../types';
import { SiteSettings } from './site-settings';
import { Webhooks } from './webhooks';

const HOOKS = `/api/v1/sites/${SITE}/webhooks`;
const HOOK: Webhook = {
  id: 'w1',
  url: 'https://hooks.example.com/clickpath',
  description: 'Slack relay',
  events: ['alert.traffic_spike', 'summary.weekly'],
  secretHint: 'whsec_abcd…',
  createdAt: '2026-03-01T10:00:00.000Z',
};
const attempt = (over: Partial<WebhookDeliveryAttempt> = {}): WebhookDeliveryAttempt => ({
  id: 'a1',
  deliveryId: `${SITE}:d1`,
  event: 'webhook.test',
  attempt: 1,
  at: '2026-03-02T15:04:00.000Z',
  statusCode: 200,
  error: null,
  durationMs: 42,
  outcome: 'delivered',
  nextAttemptAt: null,
  response: 'ok',
  ...over,
});

afterEach(() => jest.restoreAllMocks());

describe('Webhooks', () => {
  it('when the site has webhooks, then each shows its URL, events, secret hint and its actions', async () => {
    dashboardBackend({ [`GET ${HOOKS}`]: () => ({ body: { webhooks: [HOOK] } }) });
    render(<Webhooks siteId={SITE} timeZone="Europe/Amsterdam" />);
    expect(await screen.findByText('https://hooks.example.com/clickpath')).toBeInTheDocument();
    expect(
      screen.getByText(/Traffic spike alerts, Weekly summary \(Mondays\) · secret whsec_abcd…/),
    ).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Send test to https://hooks.example.com/clickpath' })).toBeEnabled();
    expect(
      screen.getByRole('button', { name: 'Delete the webhook to https://hooks.example.com/clickpath' }),
    ).toBeEnabled();
  });

  it('when a webhook is added, then the API gets the URL, events and description, and the secret is shown once with a copy button', async () => {
    let list: Webhook[] = [];
    const calls = dashboardBackend({
      [`GET ${HOOKS}`]: () => ({ body: { webhooks: list } }),
      [`POST ${HOOKS}`]: () => {
        list = [HOOK];
        return { status: 201, body: { ...HOOK, secret: 'whsec_the-secret' } };
      },
    });
    render(<Webhooks siteId={SITE} />);
    await screen.findByText('No webhooks yet.');
    fireEvent.change(screen.getByLabelText('URL'), { target: { value: ' https://hooks.example.com/clickpath ' } });
    fireEvent.change(screen.getByLabelText('Description (optional)'), { target: { value: 'Slack relay' } });
    fireEvent.click(screen.getByLabelText('Traffic drop alerts'));
    fireEvent.click(screen.getByLabelText('Weekly summary (Mondays)'));
    fireEvent.click(screen.getByRole('button', { name: 'Add webhook' }));

    expect(await screen.findByDisplayValue('whsec_the-secret')).toHaveAttribute('readonly');
    expect(screen.getByRole('button', { name: 'Copy secret' })).toBeInTheDocument();
    expect(screen.getByText(/copy it to your receiver now; it will not be shown again/)).toBeInTheDocument();
    expect(calls.find((c) => c.key === `POST ${HOOKS}`)?.body).toEqual({
      url: 'https://hooks.example.com/clickpath',
      events: ['alert.traffic_spike', 'summary.weekly'],
      description: 'Slack relay',
    });
    expect(await screen.findByText('https://hooks.example.com/clickpath', { selector: 'code' })).toBeInTheDocument();
    expect(screen.getByLabelText('URL')).toHaveValue('');
  });

  it('when the API refuses the URL (an address in the server’s own network), then its reason stands under the field', async () => {
    const reason =
      '127.0.0.1 is a loopback address; webhooks go to public addresses unless the operator sets WEBHOOKS_ALLOW_PRIVATE=true';
    dashboardBackend({
      [`GET ${HOOKS}`]: () => ({ body: { webhooks: [] } }),
      [`POST ${HOOKS}`]: invalid([{ path: 'body.url', message: reason }]),
    });
    render(<Webhooks siteId={SITE} />);
    await screen.findByText('No webhooks yet.');
    fireEvent.change(screen.getByLabelText('URL'), { target: { value: 'http://127.0.0.1:8080/hook' } });
    fireEvent.click(screen.getByRole('button', { name: 'Add webhook' }));
    await waitFor(() => expect(description(screen.getByLabelText('URL'))).toBe(`${reason}.`));
    expect(screen.getByLabelText('URL')).toHaveAttribute('aria-invalid', 'true');
    expect(screen.queryByLabelText('Signing secret')).toBeNull();
  });

  it('when a test is sent, then the card says what the receiver answered; a failed one says why', async () => {
    let answer = attempt();
    const calls = dashboardBackend({
      [`GET ${HOOKS}`]: () => ({ body: { webhooks: [HOOK] } }),
      [`POST ${HOOKS}/w1/test`]: () => ({ body: answer }),
    });
    render(<Webhooks siteId={SITE} />);
    const send = await screen.findByRole('button', { name: 'Send test to https://hooks.example.com/clickpath' });
    fireEvent.click(send);
    expect(
      await screen.findByText('Test sent to https://hooks.example.com/clickpath: HTTP 200 in 42 ms.', {
        selector: '.components-notice__content',
      }),
    ).toBeInTheDocument();

    answer = attempt({ statusCode: null, outcome: 'failed', error: 'No answer within 10000 ms' });
    fireEvent.click(await screen.findByRole('button', { name: 'Send test to https://hooks.example.com/clickpath' }));
    expect(
      await screen.findByText('Test to https://hooks.example.com/clickpath failed: No answer within 10000 ms', {
        selector: '.components-notice__content',
      }),
    ).toBeInTheDocument();
    expect(calls.filter((c) => c.key === `POST ${HOOKS}/w1/test`)).toHaveLength(2);
  });

  it('when the deliveries are shown, then each attempt has its time on the site’s clock, status and outcome, and waiting ones their next try', async () => {
    dashboardBackend({
      [`GET ${HOOKS}`]: () => ({ body: { webhooks: [HOOK] } }),
      [`GET ${HOOKS}/w1/deliveries`]: () => ({
        body: {
          attempts: [
            attempt({
              id: 'a2',
              event: 'alert.traffic_spike',
              statusCode: 500,
              outcome: 'retrying',
              nextAttemptAt: '2026-03-02T15:05:00.000Z',
            }),
            attempt(),
          ],
          pending: [
            {
              deliveryId: `${SITE}:d2`,
              event: 'alert.traffic_spike',
              attempts: 1,
              nextAttemptAt: '2026-03-02T15:05:00.000Z',
            },
          ],
        },
      }),
    });
    render(<Webhooks siteId={SITE} timeZone="Europe/Amsterdam" />);
    fireEvent.click(
      await screen.findByRole('button', { name: 'Show deliveries to https://hooks.example.com/clickpath' }),
    );
    const table = await screen.findByRole('region', { name: 'Deliveries to https://hooks.example.com/clickpath' });
    const rows = within(table)
      .getAllByRole('row')
      .slice(1)
      .map((row) => row.textContent);
    expect(rows).toEqual([
      expect.stringMatching(/16:04.*alert\.traffic_spike1HTTP 500 in 42 mswill retry at .*16:05/),
      expect.stringMatching(/16:04.*webhook\.test1HTTP 200 in 42 msdelivered$/),
    ]);
    expect(
      screen.getByText(/alert\.traffic_spike waiting: 1 attempts so far, the next at .*16:05/),
    ).toBeInTheDocument();
  });

  it('when a webhook is deleted after confirming, then the API deletes it', async () => {
    const calls = dashboardBackend({
      [`GET ${HOOKS}`]: () => ({ body: { webhooks: [HOOK] } }),
      [`DELETE ${HOOKS}/w1`]: () => ({ status: 204 }),
    });
    const confirm = jest.spyOn(window, 'confirm').mockReturnValue(true);
    render(<Webhooks siteId={SITE} />);
    fireEvent.click(
      await screen.findByRole('button', { name: 'Delete the webhook to https://hooks.example.com/clickpath' }),
    );
    await waitFor(() => expect(calls.map((c) => c.key)).toContain(`DELETE ${HOOKS}/w1`));
    expect(confirm).toHaveBeenCalledWith(
      'Delete the webhook to https://hooks.example.com/clickpath? Its waiting deliveries and log go with it.',
    );
  });

  it.each<[Role, boolean]>([
    ['owner', true],
    ['admin', true],
    ['viewer', false],
  ])('when a %s opens the site settings, then the webhooks and alerts are shown: %s', async (role, shown) => {
    dashboardBackend({
      [`GET ${HOOKS}`]: () => ({ body: { webhooks: [] } }),
      [`GET /api/v1/sites/${SITE}/keys`]: () => ({ body: { keys: [] } }),
    });
    render(<SiteSettings site={siteFixture({ role })} onChanged={jest.fn()} onDeleted={jest.fn()} />);
    await screen.findByText('No API keys yet.');
    if (shown) await screen.findByText('No webhooks yet.');
    expect(screen.queryByRole('heading', { name: 'Webhooks' }) !== null).toBe(shown);
    expect(screen.queryByRole('heading', { name: 'Alerts' }) !== null).toBe(shown);
  });
});
