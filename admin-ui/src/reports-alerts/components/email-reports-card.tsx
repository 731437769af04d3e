/**
 * WordPress dependencies
 */
import { Button, Card, CardBody, CardHeader, Notice, SelectControl, TextControl } from '@wordpress/components';
import { createElement, useEffect, useState } from '@wordpress/element';
import { __, sprintf } from '@wordpress/i18n';

/**
 * Internal dependencies
 */
import { Feedback } from '../../dashboard/components/feedback';
import { fieldProps } from '../../lib/field-errors';
import { fieldSize } from '../../lib/field-size';
import { formatDateTime } from '../../lib/format';
import { useRequest } from '../../lib/use-request';
import { useSubmit } from '../../lib/use-submit';
import type { EmailReportSubscription, EmailReportsSource, ReportFrequency } from '../types';
import '../reports-alerts.scss';

/** ISO weekdays, 1 = Monday. */
const WEEKDAYS = [
  __('Monday', 'clickpath'),
  __('Tuesday', 'clickpath'),
  __('Wednesday', 'clickpath'),
  __('Thursday', 'clickpath'),
  __('Friday', 'clickpath'),
  __('Saturday', 'clickpath'),
  __('Sunday', 'clickpath'),
];

/** When a subscription's report goes out, in words. */
export function describeSchedule(subscription: Pick<EmailReportSubscription, 'frequency' | 'weekday'>): string {
  if (subscription.frequency === 'monthly') return __('Monthly, on the 1st', 'clickpath');
  /* translators: %s: a weekday */
  return sprintf(__('Weekly, on %s', 'clickpath'), WEEKDAYS[(subscription.weekday ?? 1) - 1] ?? '');
}

const frequencyName = (frequency: ReportFrequency) =>
  frequency === 'weekly' ? __('weekly', 'clickpath') : __('monthly', 'clickpath');

interface EmailReportsCardProps {
  source: EmailReportsSource;
  /** Loads again when it changes (the site's id). */
  sourceKey: string;
  /** The address the form starts with (the signed-in person's). */
  defaultEmail: string;
  /** The site's zone, for when reports were last sent. */
  timeZone?: string | undefined;
  /** The host's card class (`clickpath-report__card`, `clickpath-settings__card`). */
  className: string;
}

/**
 * A site's scheduled email reports: who gets which (weekly on a chosen day, or monthly), when
 * each last went out; add one, remove one, or send a preview now.
 */
export function EmailReportsCard({ source, sourceKey, defaultEmail, timeZone, className }: EmailReportsCardProps) {
  const state = useRequest((signal) => source.listEmailReports(signal), sourceKey);
  const [list, setList] = useState<EmailReportSubscription[] | null>(null);
  const [email, setEmail] = useState(defaultEmail);
  const [frequency, setFrequency] = useState<ReportFrequency>('weekly');
  const [weekday, setWeekday] = useState('1');
  const [added, setAdded] = useState('');
  const [pending, setPending] = useState<string | null>(null);
  const [outcome, setOutcome] = useState<{ status: 'success' | 'error'; text: string } | null>(null);
  useEffect(() => {
    if (state.status === 'success') setList(state.data.subscriptions);
  }, [state.status, state.data]);

  const { busy, error, submit, clearError, clearField, fieldError } = useSubmit(
    async () => {
      setAdded('');
      const created = await source.addEmailReport({
        email: email.trim(),
        frequency,
        ...(frequency === 'weekly' ? { weekday: Number(weekday) } : {}),
      });
      setList((current) => [...(current ?? []), created]);
      setAdded(
        sprintf(
          /* translators: 1: email address, 2: weekly or monthly */
          __('%1$s will get the %2$s report.', 'clickpath'),
          created.email,
          frequencyName(created.frequency),
        ),
      );
    },
    { fields: ['email', 'frequency', 'weekday'] },
  );

  const act = async (subscription: EmailReportSubscription, action: 'preview' | 'remove') => {
    setPending(`${action}:${subscription.id}`);
    setOutcome(null);
    try {
      if (action === 'preview') {
        await source.previewEmailReport(subscription.id);
        /* translators: %s: email address */
        setOutcome({
          status: 'success',
          text: sprintf(__('A preview is on its way to %s.', 'clickpath'), subscription.email),
        });
      } else {
        await source.removeEmailReport(subscription.id);
        setList((current) => (current ?? []).filter((s) => s.id !== subscription.id));
        setOutcome({
          status: 'success',
          text: sprintf(
            /* translators: 1: email address, 2: weekly or monthly */
            __('%1$s no longer gets the %2$s report.', 'clickpath'),
            subscription.email,
            frequencyName(subscription.frequency),
          ),
        });
      }
    } catch (e) {
      const message = (e as Error).message;
      setOutcome({
        status: 'error',
        text:
          action === 'preview'
            ? /* translators: %s: the server's reason */ sprintf(
                __('Could not send the preview: %s', 'clickpath'),
                message,
              )
            : /* translators: %s: the server's reason */ sprintf(
                __('Could not remove the report: %s', 'clickpath'),
                message,
              ),
      });
    } finally {
      setPending(null);
    }
  };

  return (
    <Card className={`${className} clickpath-email-reports`}>
      <CardHeader>
        <h2 className="clickpath-report__card-title">{__('Email reports', 'clickpath')}</h2>
      </CardHeader>
      <CardBody>
        <p className="clickpath-email-reports__muted">
          {__(
            'The main numbers with their change, the top pages, sources and goals, mailed at 08:00 on the site’s clock. Recipients need no account and can unsubscribe with one click.',
            'clickpath',
          )}
        </p>
        {state.status === 'loading' && <p role="status">{__('Loading email reports…', 'clickpath')}</p>}
        {state.status === 'error' && (
          <Notice status="error" isDismissible={false}>
            {sprintf(__('Could not load the email reports: %s', 'clickpath'), state.error.message)}
          </Notice>
        )}
        {outcome && (
          <Notice status={outcome.status} onRemove={() => setOutcome(null)}>
            {outcome.text}
          </Notice>
        )}
        {list && list.length === 0 && <p>{__('No email reports yet.', 'clickpath')}</p>}
        {list && list.length > 0 && (
          <ul className="clickpath-email-reports__list" aria-label={__('Email reports', 'clickpath')}>
            {list.map((s) => (
              <li key={s.id} className="clickpath-email-reports__item">
                <span className="clickpath-email-reports__address">{s.email}</span>
                <span className="clickpath-email-reports__schedule">
                  {describeSchedule(s)}
                  {' · '}
                  {s.lastSentAt
                    ? /* translators: %s: date and time */ sprintf(
                        __('last sent %s', 'clickpath'),
                        formatDateTime(s.lastSentAt, timeZone),
                      )
                    : __('not sent yet', 'clickpath')}
                </span>
                <span className="clickpath-email-reports__actions">
                  <Button
                    variant="secondary"
                    aria-label={sprintf(
                      /* translators: %s: email address */ __('Send a preview to %s', 'clickpath'),
                      s.email,
                    )}
                    isBusy={pending === `preview:${s.id}`}
                    disabled={pending !== null}
                    onClick={() => void act(s, 'preview')}
                  >
                    {__('Send a preview', 'clickpath')}
                  </Button>
                  <Button
                    variant="tertiary"
                    isDestructive
                    aria-label={sprintf(
                      /* translators: 1: weekly or monthly, 2: email address */
                      __('Remove the %1$s report to %2$s', 'clickpath'),
                      frequencyName(s.frequency),
                      s.email,
                    )}
                    isBusy={pending === `remove:${s.id}`}
                    disabled={pending !== null}
                    onClick={() => void act(s, 'remove')}
                  >
                    {__('Remove', 'clickpath')}
                  </Button>
                </span>
              </li>
            ))}
          </ul>
        )}
        {list && (
          <form
            className="clickpath-email-reports__form"
            onSubmit={submit}
            aria-label={__('Add an email report', 'clickpath')}
          >
            <h3 className="clickpath-email-reports__add">{__('Add an email report', 'clickpath')}</h3>
            <Feedback
              error={error}
              success={added}
              onRemove={() => {
                clearError();
                setAdded('');
              }}
            />
            <TextControl
              __nextHasNoMarginBottom
              {...fieldSize()}
              {...fieldProps(__('Email address', 'clickpath'), fieldError('email'))}
              type="email"
              autoComplete="email"
              value={email}
              onChange={(value: string) => {
                setEmail(value);
                clearField('email');
              }}
            />
            <SelectControl
              __nextHasNoMarginBottom
              {...fieldSize()}
              {...fieldProps(__('How often', 'clickpath'), fieldError('frequency'))}
              value={frequency}
              options={[
                { value: 'weekly', label: __('Weekly: the 7 days before', 'clickpath') },
                { value: 'monthly', label: __('Monthly, on the 1st: the month before', 'clickpath') },
              ]}
              onChange={(value: string) => setFrequency(value === 'monthly' ? 'monthly' : 'weekly')}
            />
            {frequency === 'weekly' && (
              <SelectControl
                __nextHasNoMarginBottom
                {...fieldSize()}
                {...fieldProps(__('Sent on', 'clickpath'), fieldError('weekday'))}
                value={weekday}
                options={WEEKDAYS.map((label, i) => ({ value: String(i + 1), label }))}
                onChange={(value: string) => setWeekday(value)}
              />
            )}
            <Button variant="primary" type="submit" isBusy={busy} disabled={busy}>
              {__('Add email report', 'clickpath')}
            </Button>
          </form>
        )}
      </CardBody>
    </Card>
  );
}
