/**
 * WordPress dependencies
 */
import { Button, Card, CardBody, CardHeader, CheckboxControl, Notice, TextControl } from '@wordpress/components';
import { createElement, Fragment, useState } from '@wordpress/element';
import { __, sprintf } from '@wordpress/i18n';

/**
 * Internal dependencies
 */
import type { ApiError } from '../../data/errors';
import { fieldMessage, fieldProps } from '../../lib/field-errors';
import { formatDateTime } from '../../lib/format';
import { useRequest } from '../../lib/use-request';
import { useSubmit } from '../../lib/use-submit';
import { api } from '../query';
import type { WebhookDeliveryAttempt, Webhook, WebhookEvent, WebhookWithSecret } from '../types';
import { CopyButton } from './copy-button';

const failure = (e: unknown) => (e as ApiError).message;

/** The events a webhook can subscribe to, as the form names them (labels read when shown, once translated). */
export const WEBHOOK_EVENTS: Array<{ event: WebhookEvent; label: () => string }> = [
  { event: 'alert.traffic_spike', label: () => __('Traffic spike alerts', 'clickpath') },
  { event: 'alert.traffic_drop', label: () => __('Traffic drop alerts', 'clickpath') },
  { event: 'summary.weekly', label: () => __('Weekly summary (Mondays)', 'clickpath') },
  { event: 'goal.conversion', label: () => __('Goal conversions (at most 60 a minute)', 'clickpath') },
];

/** What an attempt came to, in one line: the status and time, or why there was none. */
export function attemptSummary(
  a: Pick<WebhookDeliveryAttempt, 'statusCode' | 'error' | 'durationMs' | 'outcome'>,
): string {
  if (a.outcome === 'dropped') return a.error ?? __('Dropped', 'clickpath');
  if (a.statusCode === null) return a.error ?? __('No answer', 'clickpath');
  return sprintf(
    /* translators: 1: HTTP status, 2: milliseconds */ __('HTTP %1$d in %2$d ms', 'clickpath'),
    a.statusCode,
    a.durationMs,
  );
}

const OUTCOMES: Record<WebhookDeliveryAttempt['outcome'], () => string> = {
  delivered: () => __('delivered', 'clickpath'),
  retrying: () => __('will retry', 'clickpath'),
  failed: () => __('failed', 'clickpath'),
  dropped: () => __('dropped', 'clickpath'),
};

function SecretNotice({ hook, onDismiss }: { hook: WebhookWithSecret; onDismiss: () => void }) {
  return (
    <Notice status="warning" onRemove={onDismiss}>
      <p>
        {sprintf(
          __(
            'The signing secret of the webhook to %s — copy it to your receiver now; it will not be shown again:',
            'clickpath',
          ),
          hook.url,
        )}
      </p>
      <TextControl
        __nextHasNoMarginBottom
        __next40pxDefaultSize
        className="clickpath-dashboard__secret"
        label={__('Signing secret', 'clickpath')}
        value={hook.secret}
        readOnly
        onChange={() => undefined}
        onFocus={(event: { target: HTMLInputElement }) => event.target.select()}
      />
      <CopyButton text={hook.secret} label={__('Copy secret', 'clickpath')} />
    </Notice>
  );
}

/** A webhook's delivery log: what is waiting, then every attempt, newest first. */
function DeliveryLogTable({
  siteId,
  hook,
  timeZone,
  version,
}: {
  siteId: string;
  hook: Webhook;
  timeZone?: string | undefined;
  version: number;
}) {
  const state = useRequest(() => api.webhookDeliveries(siteId, hook.id), `${siteId}|${hook.id}|${version}`);
  if (state.status === 'loading') return <p role="status">{__('Loading deliveries…', 'clickpath')}</p>;
  if (state.status === 'error')
    return (
      <Notice status="error" isDismissible={false}>
        {sprintf(__('Could not load the deliveries: %s', 'clickpath'), state.error.message)}
      </Notice>
    );
  const { attempts, pending } = state.data;
  return (
    <div className="clickpath-dashboard__deliveries">
      {pending.length > 0 && (
        <ul>
          {pending.map((p) => (
            <li key={p.deliveryId}>
              {sprintf(
                /* translators: 1: event, 2: attempts so far, 3: date and time */
                __('%1$s waiting: %2$d attempts so far, the next at %3$s', 'clickpath'),
                p.event,
                p.attempts,
                formatDateTime(p.nextAttemptAt, timeZone),
              )}
            </li>
          ))}
        </ul>
      )}
      {attempts.length === 0 ? (
        <p>{__('Nothing sent yet.', 'clickpath')}</p>
      ) : (
        <div
          className="clickpath-dashboard__table-scroll"
          role="region"
          aria-label={sprintf(__('Deliveries to %s', 'clickpath'), hook.url)}
          tabIndex={0}
        >
          <table className="clickpath-report__table clickpath-dashboard__delivery-log">
            <thead>
              <tr>
                <th scope="col">{__('When', 'clickpath')}</th>
                <th scope="col">{__('Event', 'clickpath')}</th>
                <th scope="col">{__('Attempt', 'clickpath')}</th>
                <th scope="col">{__('Answer', 'clickpath')}</th>
                <th scope="col">{__('Outcome', 'clickpath')}</th>
              </tr>
            </thead>
            <tbody>
              {attempts.map((a) => (
                <tr key={a.id}>
                  <th scope="row">{formatDateTime(a.at, timeZone)}</th>
                  <td data-label={__('Event', 'clickpath')}>{a.event}</td>
                  <td data-label={__('Attempt', 'clickpath')}>{a.attempt}</td>
                  <td data-label={__('Answer', 'clickpath')} title={a.response || undefined}>
                    {attemptSummary(a)}
                  </td>
                  <td data-label={__('Outcome', 'clickpath')}>
                    {OUTCOMES[a.outcome]()}
                    {a.nextAttemptAt &&
                      ` ${sprintf(__('at %s', 'clickpath'), formatDateTime(a.nextAttemptAt, timeZone))}`}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}

/**
 * A site's webhooks for its owner and admins: create (the signing secret shown once), send a
 * test event, read the delivery log, delete. `timeZone`: the site's, for every time shown.
 */
export function Webhooks({ siteId, timeZone }: { siteId: string; timeZone?: string }) {
  const [version, setVersion] = useState(0);
  const state = useRequest(() => api.webhooks(siteId), `${siteId}|${version}`);
  const [created, setCreated] = useState<WebhookWithSecret | null>(null);
  const [url, setUrl] = useState('');
  const [description, setDescription] = useState('');
  const [events, setEvents] = useState<WebhookEvent[]>(['alert.traffic_spike', 'alert.traffic_drop']);
  const [error, setError] = useState('');
  const [tested, setTested] = useState<{ url: string; attempt: WebhookDeliveryAttempt } | null>(null);
  const [open, setOpen] = useState<string | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const create = useSubmit(
    async () => {
      setError('');
      setCreated(await api.createWebhook(siteId, { url: url.trim(), events, description: description.trim() }));
      setVersion((v) => v + 1);
      setUrl('');
      setDescription('');
    },
    { fields: ['url', 'events', 'description'] },
  );
  const run = async (hook: Webhook, action: () => Promise<void>) => {
    setError('');
    setTested(null);
    setBusy(hook.id);
    try {
      await action();
      setVersion((v) => v + 1);
    } catch (e) {
      setError(failure(e));
    } finally {
      setBusy(null);
    }
  };
  const sendTest = (hook: Webhook) =>
    run(hook, async () => {
      setTested({ url: hook.url, attempt: await api.testWebhook(siteId, hook.id) });
    });
  const remove = (hook: Webhook) => {
    if (
      !window.confirm(
        sprintf(__('Delete the webhook to %s? Its waiting deliveries and log go with it.', 'clickpath'), hook.url),
      )
    )
      return;
    void run(hook, () => api.deleteWebhook(siteId, hook.id));
  };
  const eventsError = create.fieldError('events');
  return (
    <Card className="clickpath-report__card">
      <CardHeader>
        <h2 className="clickpath-report__card-title">{__('Webhooks', 'clickpath')}</h2>
      </CardHeader>
      <CardBody>
        <p className="clickpath-report__muted">
          {__(
            'Clickpath POSTs JSON to these URLs when an alert fires or a week ends. Each request carries Clickpath-Signature: t=<time>,v1=<HMAC-SHA256 of “<time>.<body>” keyed with the secret>; a failed delivery is tried again 5 times over the next hour.',
            'clickpath',
          )}
        </p>
        {created && <SecretNotice hook={created} onDismiss={() => setCreated(null)} />}
        {error && (
          <Notice status="error" isDismissible={false}>
            {error}
          </Notice>
        )}
        {tested && (
          <Notice
            status={tested.attempt.outcome === 'delivered' ? 'success' : 'error'}
            onRemove={() => setTested(null)}
          >
            {sprintf(
              tested.attempt.outcome === 'delivered'
                ? /* translators: 1: URL, 2: what happened */ __('Test sent to %1$s: %2$s.', 'clickpath')
                : /* translators: 1: URL, 2: what happened */ __('Test to %1$s failed: %2$s', 'clickpath'),
              tested.url,
              attemptSummary(tested.attempt),
            )}
          </Notice>
        )}
        {state.status === 'loading' && <p role="status">{__('Loading webhooks…', 'clickpath')}</p>}
        {state.status === 'error' && (
          <Notice status="error" isDismissible={false}>
            {sprintf(__('Could not load the webhooks: %s', 'clickpath'), state.error.message)}
          </Notice>
        )}
        {state.status === 'success' && state.data.length === 0 && <p>{__('No webhooks yet.', 'clickpath')}</p>}
        {state.status === 'success' && state.data.length > 0 && (
          <ul className="clickpath-dashboard__webhooks">
            {state.data.map((hook) => (
              <li key={hook.id}>
                <p>
                  <code className="clickpath-dashboard__webhook-url">{hook.url}</code>
                  {hook.description && <> {hook.description}</>}
                </p>
                <p className="clickpath-report__muted">
                  {sprintf(
                    /* translators: 1: event names, 2: secret prefix, 3: date */
                    __('%1$s · secret %2$s · added %3$s', 'clickpath'),
                    hook.events.map((e) => WEBHOOK_EVENTS.find((known) => known.event === e)?.label() ?? e).join(', '),
                    hook.secretHint,
                    formatDateTime(hook.createdAt, timeZone),
                  )}
                </p>
                <span className="clickpath-dashboard__actions">
                  <Button
                    variant="secondary"
                    isBusy={busy === hook.id}
                    disabled={busy !== null}
                    onClick={() => void sendTest(hook)}
                    // The URL is in the name for screen readers; on screen the row shows it above.
                    aria-label={sprintf(__('Send test to %s', 'clickpath'), hook.url)}
                  >
                    {__('Send test', 'clickpath')}
                  </Button>
                  <Button
                    variant="tertiary"
                    aria-expanded={open === hook.id}
                    onClick={() => setOpen(open === hook.id ? null : hook.id)}
                    aria-label={sprintf(
                      open === hook.id
                        ? __('Hide deliveries to %s', 'clickpath')
                        : __('Show deliveries to %s', 'clickpath'),
                      hook.url,
                    )}
                  >
                    {open === hook.id ? __('Hide deliveries', 'clickpath') : __('Show deliveries', 'clickpath')}
                  </Button>
                  <Button
                    variant="tertiary"
                    isDestructive
                    disabled={busy !== null}
                    onClick={() => remove(hook)}
                    aria-label={sprintf(__('Delete the webhook to %s', 'clickpath'), hook.url)}
                  >
                    {__('Delete', 'clickpath')}
                  </Button>
                </span>
                {open === hook.id && (
                  <DeliveryLogTable siteId={siteId} hook={hook} timeZone={timeZone} version={version} />
                )}
              </li>
            ))}
          </ul>
        )}
        <form className="clickpath-report__form" onSubmit={create.submit}>
          <h3>{__('Add a webhook', 'clickpath')}</h3>
          {create.error && (
            <Notice status="error" isDismissible={false}>
              {create.error}
            </Notice>
          )}
          <TextControl
            __nextHasNoMarginBottom
            __next40pxDefaultSize
            {...fieldProps(
              __('URL', 'clickpath'),
              create.fieldError('url'),
              __('https://… on a public address; the server will not send to its own network.', 'clickpath'),
            )}
            type="url"
            value={url}
            onChange={(value: string) => {
              setUrl(value);
              create.clearField('url');
            }}
            required
            maxLength={2048}
            placeholder="https://example.com/hooks/clickpath"
          />
          <TextControl
            __nextHasNoMarginBottom
            __next40pxDefaultSize
            {...fieldProps(__('Description (optional)', 'clickpath'), create.fieldError('description'))}
            value={description}
            onChange={setDescription}
            maxLength={200}
          />
          <fieldset
            aria-invalid={eventsError ? true : undefined}
            aria-describedby={eventsError ? `clickpath-webhook-events-error-${siteId}` : undefined}
          >
            <legend>{__('Events', 'clickpath')}</legend>
            {WEBHOOK_EVENTS.map(({ event, label }) => (
              <CheckboxControl
                __nextHasNoMarginBottom
                key={event}
                label={label()}
                checked={events.includes(event)}
                onChange={(on: boolean) => setEvents(on ? [...events, event] : events.filter((e) => e !== event))}
              />
            ))}
            {eventsError && (
              <p id={`clickpath-webhook-events-error-${siteId}`} className="clickpath-field__error">
                {fieldMessage(__('Events', 'clickpath'), eventsError)}
              </p>
            )}
          </fieldset>
          <Button
            variant="primary"
            type="submit"
            isBusy={create.busy}
            disabled={create.busy || !url.trim() || events.length === 0}
          >
            {__('Add webhook', 'clickpath')}
          </Button>
        </form>
      </CardBody>
    </Card>
  );
}
