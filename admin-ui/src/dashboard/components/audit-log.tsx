/**
 * WordPress dependencies
 */
import { Button, Card, CardBody, CardHeader, Notice, SelectControl } from '@wordpress/components';
import { createElement, useState } from '@wordpress/element';
import { __, _n, sprintf } from '@wordpress/i18n';

/**
 * Internal dependencies
 */
import type { ApiError } from '../../data/errors';
import { erasedSummary } from '../../lib/erased';
import { formatDateTime } from '../../lib/format';
import { useRequest } from '../../lib/use-request';
import { api } from '../query';
import type { AuditActor, AuditEntry } from '../types';

/** The filter's choices, each a group of the backend's actions (labels are read when shown, once translated). */
export const AUDIT_FILTERS: Record<string, { label: () => string; actions?: Array<AuditEntry['action']> }> = {
  all: { label: () => __('All activity', 'clickpath') },
  settings: {
    label: () => __('Site and settings', 'clickpath'),
    actions: ['site.created', 'site.updated', 'site.two_factor_policy', 'site.ownership_transferred'],
  },
  keys: {
    label: () => __('API keys', 'clickpath'),
    actions: ['key.created', 'key.rotated', 'key.revoked', 'site.relay_secret_issued'],
  },
  people: {
    label: () => __('People and invitations', 'clickpath'),
    actions: [
      'invitation.sent',
      'invitation.resent',
      'invitation.revoked',
      'member.joined',
      'member.role_changed',
      'member.removed',
      'member.left',
    ],
  },
  goals: {
    label: () => __('Goals and funnels', 'clickpath'),
    actions: ['goal.created', 'goal.updated', 'goal.deleted', 'funnel.created', 'funnel.deleted'],
  },
  notifications: {
    label: () => __('Alerts, reports and webhooks', 'clickpath'),
    actions: ['alerts.updated', 'email_report.added', 'email_report.removed', 'webhook.created', 'webhook.deleted'],
  },
  privacy: {
    label: () => __('Erasures and exports', 'clickpath'),
    actions: ['visitor.erased', 'person.erased', 'person.exported', 'export.events', 'export.site'],
  },
};

type Details = Record<string, unknown>;
type Change = { field: string; from: unknown; to: unknown };

const text = (value: unknown): string => (typeof value === 'string' || typeof value === 'number' ? String(value) : '');
const count = (value: unknown): number => (typeof value === 'number' ? value : 0);
const record = (value: unknown): Details => (value && typeof value === 'object' ? (value as Details) : {});

/** A changed field as people call it; fields added later show by their name. */
const fieldLabel = (field: string): string =>
  ({
    name: __('name', 'clickpath'),
    domain: __('domain', 'clickpath'),
    timezone: __('time zone', 'clickpath'),
    match: __('pattern or event', 'clickpath'),
    propKey: __('property', 'clickpath'),
    propValue: __('property value', 'clickpath'),
    'settings.identityMode': __('visitor identity', 'clickpath'),
    'settings.honorDoNotTrack': __('honour Do Not Track', 'clickpath'),
    'settings.visitTimeoutMinutes': __('visit timeout (minutes)', 'clickpath'),
    'settings.excludedIps': __('excluded addresses', 'clickpath'),
    'settings.rawEventRetentionDays': __('raw event retention (days)', 'clickpath'),
    'settings.trackOutbound': __('outbound links', 'clickpath'),
    'settings.trackDownloads': __('downloads', 'clickpath'),
    'settings.trackEngagement': __('engaged time', 'clickpath'),
    'spike.enabled': __('spike alert', 'clickpath'),
    'spike.threshold': __('spike threshold (visitors an hour)', 'clickpath'),
    'drop.enabled': __('drop alert', 'clickpath'),
    'drop.percent': __('drop threshold (% of a usual day)', 'clickpath'),
    email: __('alert mail', 'clickpath'),
    recipients: __('alert recipients', 'clickpath'),
  })[field] ?? field;

const shown = (value: unknown): string => {
  if (value === true) return __('on', 'clickpath');
  if (value === false) return __('off', 'clickpath');
  if (value === null || value === undefined || value === '') return '—';
  if (Array.isArray(value))
    return value.length > 0 ? value.map(String).join(', ') : __('the owner and admins', 'clickpath');
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
};

const changes = (details: Details): string =>
  (Array.isArray(details.changes) ? (details.changes as Change[]) : [])
    .map((c) =>
      sprintf(
        /* translators: 1: a setting, 2: its old value, 3: its new value */ __('%1$s %2$s → %3$s', 'clickpath'),
        fieldLabel(c.field),
        shown(c.from),
        shown(c.to),
      ),
    )
    .join('; ');

const keyLabel = (key: Details) =>
  sprintf(
    /* translators: 1: key name, 2: its prefix */ __('“%1$s” (%2$s…)', 'clickpath'),
    text(key.name),
    text(key.prefix),
  );

/** What an entry did, as one sentence. */
export function describeAuditEntry(entry: Pick<AuditEntry, 'action' | 'details'>): string {
  const d = entry.details;
  switch (entry.action) {
    case 'site.created':
      return sprintf(__('Added the site “%1$s” (%2$s)', 'clickpath'), text(d.name), text(d.domain));
    case 'site.updated':
      return sprintf(__('Changed the site: %s', 'clickpath'), changes(d));
    case 'site.two_factor_policy':
      return d.required
        ? __('Required two-factor sign-in of every member', 'clickpath')
        : __('Stopped requiring two-factor sign-in', 'clickpath');
    case 'site.relay_secret_issued':
      return __('Issued a new first-party relay secret', 'clickpath');
    case 'site.ownership_transferred':
      return sprintf(
        __('Handed the site from %1$s to %2$s', 'clickpath'),
        text(record(d.from).email),
        text(record(d.to).email),
      );
    case 'key.created':
      return sprintf(
        __('Created the API key %1$s with %2$s', 'clickpath'),
        keyLabel(record(d.key)),
        (Array.isArray(record(d.key).scopes) ? (record(d.key).scopes as string[]) : []).join(', '),
      );
    case 'key.rotated':
      return sprintf(
        __('Rotated the API key %1$s: it replaces %2$s', 'clickpath'),
        keyLabel(record(d.key)),
        keyLabel(record(d.replaces)),
      );
    case 'key.revoked':
      return sprintf(__('Revoked the API key %s', 'clickpath'), keyLabel(record(d.key)));
    case 'invitation.sent':
      return sprintf(__('Invited %1$s as %2$s', 'clickpath'), text(d.email), text(d.role));
    case 'invitation.resent':
      return sprintf(__('Sent the invitation to %s again', 'clickpath'), text(d.email));
    case 'invitation.revoked':
      return sprintf(__('Revoked the invitation to %s', 'clickpath'), text(d.email));
    case 'member.joined':
      return sprintf(__('Joined as %1$s (invited as %2$s)', 'clickpath'), text(d.role), text(d.invitedAs));
    case 'member.role_changed':
      return sprintf(
        __('Changed the role of %1$s from %2$s to %3$s', 'clickpath'),
        text(record(d.member).email),
        text(d.from),
        text(d.to),
      );
    case 'member.removed':
    case 'member.left': {
      const keys = count(d.keysRevoked);
      const what =
        entry.action === 'member.left'
          ? sprintf(__('Left the site (%s): the account was deleted', 'clickpath'), text(d.role))
          : sprintf(__('Removed %1$s (%2$s)', 'clickpath'), text(record(d.member).email), text(d.role));
      return keys > 0
        ? `${what}; ${sprintf(_n('%d API key revoked', '%d API keys revoked', keys, 'clickpath'), keys)}`
        : what;
    }
    case 'goal.created':
      return sprintf(
        __('Created the goal “%1$s” (%2$s)', 'clickpath'),
        text(record(d.goal).name),
        text(record(d.goal).match),
      );
    case 'goal.updated':
      return sprintf(__('Changed the goal “%1$s”: %2$s', 'clickpath'), text(record(d.goal).name), changes(d));
    case 'goal.deleted':
      return sprintf(__('Deleted the goal “%s”', 'clickpath'), text(record(d.goal).name));
    case 'funnel.created':
      return sprintf(__('Created the funnel “%s”', 'clickpath'), text(record(d.funnel).name));
    case 'funnel.deleted':
      return sprintf(__('Deleted the funnel “%s”', 'clickpath'), text(record(d.funnel).name));
    case 'alerts.updated':
      return sprintf(__('Changed the alerts: %s', 'clickpath'), changes(d));
    case 'email_report.added':
    case 'email_report.removed': {
      const subscription = record(d.subscription);
      const weekdays = [
        __('Monday', 'clickpath'),
        __('Tuesday', 'clickpath'),
        __('Wednesday', 'clickpath'),
        __('Thursday', 'clickpath'),
        __('Friday', 'clickpath'),
        __('Saturday', 'clickpath'),
        __('Sunday', 'clickpath'),
      ];
      const schedule =
        subscription.frequency === 'monthly'
          ? __('monthly', 'clickpath')
          : /* translators: %s: a weekday */ sprintf(
              __('weekly, on %s', 'clickpath'),
              weekdays[count(subscription.weekday) - 1] ?? '',
            );
      return entry.action === 'email_report.added'
        ? /* translators: 1: email address, 2: how often */ sprintf(
            __('Subscribed %1$s to the email report (%2$s)', 'clickpath'),
            text(subscription.email),
            schedule,
          )
        : /* translators: 1: email address, 2: how often */ sprintf(
            __('Removed the email report to %1$s (%2$s)', 'clickpath'),
            text(subscription.email),
            schedule,
          );
    }
    case 'webhook.created':
    case 'webhook.deleted': {
      const hook = record(d.webhook);
      const events = (Array.isArray(hook.events) ? (hook.events as string[]) : []).join(', ');
      return entry.action === 'webhook.created'
        ? sprintf(__('Added a webhook to %1$s for %2$s', 'clickpath'), text(hook.target), events)
        : sprintf(__('Deleted the webhook to %1$s (%2$s)', 'clickpath'), text(hook.target), events);
    }
    case 'visitor.erased':
    case 'person.erased': {
      const summary = erasedSummary({
        visitors: count(d.visitors),
        visits: count(d.visits),
        events: count(d.events),
        complete: d.complete !== false,
      });
      return entry.action === 'visitor.erased'
        ? sprintf(__('Erased a visitor. %s', 'clickpath'), summary)
        : sprintf(__('Erased a person (by user ID). %s', 'clickpath'), summary);
    }
    case 'person.exported':
      return sprintf(
        _n(
          'Exported a person’s data (%d visitor)',
          'Exported a person’s data (%d visitors)',
          count(d.visitors),
          'clickpath',
        ),
        count(d.visitors),
      );
    case 'export.events':
      return sprintf(
        __('Exported the raw events of %1$s to %2$s (%3$s)', 'clickpath'),
        text(d.from),
        text(d.to),
        text(d.format).toUpperCase(),
      );
    case 'export.site':
      return __('Downloaded the whole site export', 'clickpath');
    default:
      return entry.action;
  }
}

/** Who did it: an address, or a key by name and prefix. */
export function describeActor(actor: AuditActor): string {
  if (actor.type === 'key') return sprintf(__('API key %s', 'clickpath'), keyLabel(actor));
  return actor.email || __('a deleted account', 'clickpath');
}

/**
 * The site's activity log for its owner and admins: who changed keys, people, settings and
 * goals, and who erased or exported data, newest first, a page at a time.
 */
export function AuditLog({ siteId, timeZone }: { siteId: string; timeZone?: string }) {
  const [filter, setFilter] = useState('all');
  const actions = AUDIT_FILTERS[filter]?.actions;
  const key = `${siteId}|${filter}`;
  const first = useRequest(() => api.auditLog(siteId, { actions }), key);
  const [older, setOlder] = useState<{ key: string; entries: AuditEntry[]; cursor: string | null } | null>(null);
  const [loadingOlder, setLoadingOlder] = useState(false);
  const [olderError, setOlderError] = useState('');
  // Pages fetched for another filter (or site) are not this list's.
  const more = older?.key === key ? older : null;
  const cursor = more ? more.cursor : (first.data?.nextCursor ?? null);

  const showOlder = async () => {
    setLoadingOlder(true);
    setOlderError('');
    try {
      const page = await api.auditLog(siteId, { actions, cursor });
      setOlder({ key, entries: [...(more?.entries ?? []), ...page.entries], cursor: page.nextCursor });
    } catch (e) {
      setOlderError((e as ApiError).message);
    } finally {
      setLoadingOlder(false);
    }
  };

  const entries = first.status === 'success' ? [...first.data.entries, ...(more?.entries ?? [])] : [];
  return (
    <Card className="clickpath-report__card">
      <CardHeader>
        <h2 className="clickpath-report__card-title">{__('Activity log', 'clickpath')}</h2>
      </CardHeader>
      <CardBody>
        <p className="clickpath-report__muted">
          {first.status === 'success'
            ? sprintf(
                _n(
                  'Who changed keys, people, settings and goals, and who erased or exported data. Kept for %d day; no IP addresses.',
                  'Who changed keys, people, settings and goals, and who erased or exported data. Kept for %d days; no IP addresses.',
                  first.data.retentionDays,
                  'clickpath',
                ),
                first.data.retentionDays,
              )
            : __('Who changed keys, people, settings and goals, and who erased or exported data.', 'clickpath')}
        </p>
        <SelectControl
          __nextHasNoMarginBottom
          __next40pxDefaultSize
          label={__('Show', 'clickpath')}
          value={filter}
          options={Object.entries(AUDIT_FILTERS).map(([value, { label }]) => ({ value, label: label() }))}
          onChange={(value: string) => setFilter(value)}
        />
        {first.status === 'loading' && <p role="status">{__('Loading activity…', 'clickpath')}</p>}
        {first.status === 'error' && (
          <Notice status="error" isDismissible={false}>
            {sprintf(__('Could not load the activity: %s', 'clickpath'), first.error.message)}
          </Notice>
        )}
        {first.status === 'success' && entries.length === 0 && <p>{__('Nothing recorded yet.', 'clickpath')}</p>}
        {entries.length > 0 && (
          <div
            className="clickpath-dashboard__table-scroll"
            role="region"
            aria-label={__('Activity of this site', 'clickpath')}
            tabIndex={0}
          >
            <table className="clickpath-report__table clickpath-dashboard__audit">
              <thead>
                <tr>
                  <th scope="col">{__('When', 'clickpath')}</th>
                  <th scope="col">{__('Who', 'clickpath')}</th>
                  <th scope="col">{__('What', 'clickpath')}</th>
                </tr>
              </thead>
              <tbody>
                {entries.map((entry) => (
                  <tr key={entry.id}>
                    <td data-label={__('When', 'clickpath')}>
                      <time dateTime={entry.at}>{formatDateTime(entry.at, timeZone)}</time>
                    </td>
                    <td data-label={__('Who', 'clickpath')}>{describeActor(entry.actor)}</td>
                    <td data-label={__('What', 'clickpath')}>{describeAuditEntry(entry)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        {olderError && (
          <Notice status="error" isDismissible={false}>
            {sprintf(__('Could not load older activity: %s', 'clickpath'), olderError)}
          </Notice>
        )}
        {first.status === 'success' && cursor && (
          <Button variant="secondary" isBusy={loadingOlder} disabled={loadingOlder} onClick={() => void showOlder()}>
            {__('Show older', 'clickpath')}
          </Button>
        )}
      </CardBody>
    </Card>
  );
}
