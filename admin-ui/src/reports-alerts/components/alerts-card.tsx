/**
 * WordPress dependencies
 */
import {
  Button,
  Card,
  CardBody,
  CardHeader,
  CheckboxControl,
  Notice,
  TextControl,
  ToggleControl,
} from '@wordpress/components';
import { createElement, useEffect, useState } from '@wordpress/element';
import { __, _n, sprintf } from '@wordpress/i18n';

/**
 * Internal dependencies
 */
import { Feedback } from '../../dashboard/components/feedback';
import { fieldProps } from '../../lib/field-errors';
import { fieldSize } from '../../lib/field-size';
import { formatDateTime } from '../../lib/format';
import { useRequest } from '../../lib/use-request';
import { useSubmit } from '../../lib/use-submit';
import type { AlertEvent, AlertSettings, AlertsSource, Member } from '../types';
import '../reports-alerts.scss';

interface Draft {
  spike: boolean;
  threshold: string;
  drop: boolean;
  percent: string;
  email: boolean;
  recipients: string[];
}

const draftOf = (s: AlertSettings): Draft => ({
  spike: s.spike.enabled,
  threshold: String(s.spike.threshold),
  drop: s.drop.enabled,
  percent: String(s.drop.percent),
  email: s.email,
  recipients: s.recipients,
});

const num = (value: unknown): number => (typeof value === 'number' ? value : 0);

/** An alert that fired, in one line on the site's clock. */
export function describeAlert(alert: AlertEvent, timeZone?: string): string {
  const d = alert.data;
  if (alert.kind === 'spike') {
    return sprintf(
      /* translators: 1: visitors, 2: the hour's start, 3: the threshold */
      __('Spike: %1$d visitors in the hour from %2$s (more than %3$d)', 'clickpath'),
      num(d.visitors),
      formatDateTime(alert.period, timeZone),
      num(d.threshold),
    );
  }
  return sprintf(
    /* translators: 1: visitors, 2: the day, 3: a usual day's visitors, 4: the percentage */
    __('Drop: %1$d visitors on %2$s, against %3$s on a usual day (alert below %4$d%%)', 'clickpath'),
    num(d.visitors),
    alert.period,
    String(num(d.usual)),
    num(d.percent),
  );
}

interface AlertsCardProps {
  source: AlertsSource;
  /** Loads again when it changes (the site's id). */
  sourceKey: string;
  /** The site's zone, for the hours of recent alerts. */
  timeZone?: string | undefined;
  /** The host's card class (`clickpath-report__card`, `clickpath-settings__card`). */
  className: string;
}

/**
 * A site's traffic alerts for its owner and admins: a spike (more visitors than a threshold in
 * an hour) and a drop (a day below a percentage of the usual one), mailed to members; the
 * webhooks that subscribe get them too. The dashboard and the WordPress settings screen both
 * show it, each with its own `source`.
 */
export function AlertsCard({ source, sourceKey, timeZone, className }: AlertsCardProps) {
  const state = useRequest(
    (signal) => Promise.all([source.loadAlerts(signal), source.members ? source.members() : Promise.resolve(null)]),
    sourceKey,
  );
  const [draft, setDraft] = useState<Draft | null>(null);
  const [recent, setRecent] = useState<AlertEvent[]>([]);
  const [saved, setSaved] = useState('');
  useEffect(() => {
    if (state.status !== 'success') return;
    setDraft(draftOf(state.data[0]));
    setRecent(state.data[0].recent);
  }, [state.status, state.data]);
  const members: Member[] | null = state.status === 'success' ? state.data[1] : null;
  const { busy, error, submit, clearError, fieldError } = useSubmit(
    async () => {
      if (!draft) return;
      setSaved('');
      const result = await source.saveAlerts({
        spike: { enabled: draft.spike, threshold: Number(draft.threshold) },
        drop: { enabled: draft.drop, percent: Number(draft.percent) },
        email: draft.email,
        recipients: draft.recipients,
      });
      setDraft(draftOf(result));
      setRecent(result.recent);
      setSaved(__('Alerts saved.', 'clickpath'));
    },
    { fields: ['spike.threshold', 'drop.percent', 'recipients'] },
  );
  const set = (patch: Partial<Draft>) => draft && setDraft({ ...draft, ...patch });
  return (
    <Card className={`${className} clickpath-alerts`}>
      <CardHeader>
        <h2 className="clickpath-report__card-title">{__('Alerts', 'clickpath')}</h2>
      </CardHeader>
      <CardBody>
        {state.status === 'loading' && <p role="status">{__('Loading alerts…', 'clickpath')}</p>}
        {state.status === 'error' && (
          <Notice status="error" isDismissible={false}>
            {sprintf(__('Could not load the alerts: %s', 'clickpath'), state.error.message)}
          </Notice>
        )}
        {draft && (
          <form className="clickpath-alerts__form" onSubmit={submit} aria-label={__('Traffic alerts', 'clickpath')}>
            <Feedback
              error={error}
              success={saved}
              onRemove={() => {
                clearError();
                setSaved('');
              }}
            />
            <ToggleControl
              __nextHasNoMarginBottom
              label={__('Traffic spike', 'clickpath')}
              help={__('At most one alert an hour.', 'clickpath')}
              checked={draft.spike}
              onChange={(spike: boolean) => set({ spike })}
            />
            <TextControl
              __nextHasNoMarginBottom
              {...fieldSize()}
              {...fieldProps(
                __('Alert when an hour has more visitors than', 'clickpath'),
                fieldError('spike.threshold'),
              )}
              type="number"
              min={1}
              value={draft.threshold}
              disabled={!draft.spike}
              onChange={(threshold: string) => set({ threshold })}
            />
            <ToggleControl
              __nextHasNoMarginBottom
              label={__('Traffic drop', 'clickpath')}
              help={__(
                'Looked at each morning for the day before, against the median of the same weekday over the four weeks before. At most one alert a day.',
                'clickpath',
              )}
              checked={draft.drop}
              onChange={(drop: boolean) => set({ drop })}
            />
            <TextControl
              __nextHasNoMarginBottom
              {...fieldSize()}
              {...fieldProps(
                __('Alert when a day has less than this % of a usual day', 'clickpath'),
                fieldError('drop.percent'),
              )}
              type="number"
              min={1}
              max={99}
              value={draft.percent}
              disabled={!draft.drop}
              onChange={(percent: string) => set({ percent })}
            />
            <ToggleControl
              __nextHasNoMarginBottom
              label={__('Send alerts by email', 'clickpath')}
              help={__('Webhooks that subscribe to alerts get them either way.', 'clickpath')}
              checked={draft.email}
              onChange={(email: boolean) => set({ email })}
            />
            {draft.email && members && (
              <fieldset>
                <legend>{__('Who gets the mail', 'clickpath')}</legend>
                <p className="clickpath-alerts__muted">{__('Nobody ticked: the owner and the admins.', 'clickpath')}</p>
                {members.map((m) => (
                  <CheckboxControl
                    __nextHasNoMarginBottom
                    key={m.accountId}
                    label={sprintf(
                      /* translators: 1: name or email, 2: role */ __('%1$s (%2$s)', 'clickpath'),
                      m.name || m.email,
                      m.role,
                    )}
                    checked={draft.recipients.includes(m.accountId)}
                    onChange={(on: boolean) =>
                      set({
                        recipients: on
                          ? [...draft.recipients, m.accountId]
                          : draft.recipients.filter((id) => id !== m.accountId),
                      })
                    }
                  />
                ))}
                {fieldError('recipients') && <p className="clickpath-field__error">{fieldError('recipients')}</p>}
              </fieldset>
            )}
            {draft.email && !members && (
              <p className="clickpath-alerts__muted">
                {draft.recipients.length === 0
                  ? __('The mail goes to the site’s owner and admins.', 'clickpath')
                  : sprintf(
                      /* translators: %d: number of members */
                      _n(
                        'The mail goes to the %d member chosen in the Clickpath dashboard.',
                        'The mail goes to the %d members chosen in the Clickpath dashboard.',
                        draft.recipients.length,
                        'clickpath',
                      ),
                      draft.recipients.length,
                    )}
              </p>
            )}
            <Button variant="primary" type="submit" isBusy={busy} disabled={busy}>
              {__('Save alerts', 'clickpath')}
            </Button>
          </form>
        )}
        {recent.length > 0 && (
          <div className="clickpath-alerts__recent">
            <h3>{__('Recent alerts', 'clickpath')}</h3>
            <ul>
              {recent.map((alert) => (
                <li key={`${alert.kind}:${alert.period}`}>{describeAlert(alert, timeZone)}</li>
              ))}
            </ul>
          </div>
        )}
      </CardBody>
    </Card>
  );
}
