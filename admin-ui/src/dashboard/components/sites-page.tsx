/**
 * WordPress dependencies
 */
import { Button, Card, CardBody, CardHeader, TextControl } from '@wordpress/components';
import { createElement, useState } from '@wordpress/element';
import { __ } from '@wordpress/i18n';

/**
 * Internal dependencies
 */
import { fieldProps } from '../../lib/field-errors';
import { browserZone, canonicalZone } from '../../lib/timezones';
import { useSubmit } from '../../lib/use-submit';
import { api, isLocalDomain, routeHash } from '../query';
import type { Site } from '../types';
import { Feedback } from './feedback';
import { PendingInvitations } from './invitations';
import { TimezonePicker } from './timezone-picker';

/**
 * The sites the account can see, and a form to add one. Invitations are shown once the
 * address is confirmed: before that the API refuses them (docs/email.md).
 */
export function SitesPage({
  sites,
  verified = true,
  onChanged,
}: {
  sites: Site[];
  verified?: boolean;
  onChanged: (created?: Site) => void;
}) {
  return (
    <div className="clickpath-dashboard__sites">
      <h1>{__('Your sites', 'clickpath')}</h1>
      {verified && <PendingInvitations onAccepted={() => onChanged()} />}
      {sites.length === 0 ? (
        <p>
          {__('No sites yet. Add the first one below, then paste its tracking snippet into your pages.', 'clickpath')}
        </p>
      ) : (
        <ul className="clickpath-dashboard__site-list">
          {sites.map((s) => (
            <li key={s.id}>
              <a href={routeHash({ name: 'report', siteId: s.id })}>{s.name}</a>{' '}
              <span className="clickpath-report__muted">{s.domain}</span>{' '}
              {s.role !== 'viewer' && (
                <a href={routeHash({ name: 'site-settings', siteId: s.id })}>{__('Settings', 'clickpath')}</a>
              )}
            </li>
          ))}
        </ul>
      )}
      <SiteForm onSaved={(site) => onChanged(site)} />
    </div>
  );
}

/** Create a site, or edit one when `site` is given. */
export function SiteForm({ site, onSaved }: { site?: Site; onSaved: (site: Site) => void }) {
  const [name, setName] = useState(site?.name ?? '');
  const [domain, setDomain] = useState(site?.domain ?? '');
  const [timezone, setTimezone] = useState(site ? canonicalZone(site.timezone) : browserZone());
  const [saved, setSaved] = useState('');
  const { busy, error, submit, clearError, fieldError } = useSubmit(
    async () => {
      setSaved('');
      const result = site
        ? await api.updateSite(site.id, { name, domain, timezone })
        : await api.createSite({ name, domain, timezone });
      if (!site) {
        setName('');
        setDomain('');
      }
      setSaved(site ? __('Site saved.', 'clickpath') : __('Site added.', 'clickpath'));
      onSaved(result);
    },
    { fields: ['name', 'domain', 'timezone'] },
  );

  return (
    <Card className="clickpath-report__card">
      <CardHeader>
        <h2 className="clickpath-report__card-title">
          {site ? __('Site details', 'clickpath') : __('Add a site', 'clickpath')}
        </h2>
      </CardHeader>
      <CardBody>
        <form className="clickpath-dashboard__form" onSubmit={submit}>
          <Feedback
            error={error}
            success={saved}
            onRemove={() => {
              clearError();
              setSaved('');
            }}
          />
          <TextControl
            __nextHasNoMarginBottom
            __next40pxDefaultSize
            {...fieldProps(__('Name', 'clickpath'), fieldError('name'))}
            value={name}
            onChange={setName}
            required
            maxLength={100}
          />
          <TextControl
            __nextHasNoMarginBottom
            __next40pxDefaultSize
            {...fieldProps(
              __('Domain', 'clickpath'),
              fieldError('domain'),
              isLocalDomain(domain)
                ? __(
                    'A local site: its snippet gets data-localhost, without which the tracker ignores localhost.',
                    'clickpath',
                  )
                : __('example.com, or localhost / 127.0.0.1 while you develop.', 'clickpath'),
            )}
            placeholder="example.com"
            value={domain}
            onChange={setDomain}
            required
          />
          <TimezonePicker
            label={__('Time zone (reports count days in it)', 'clickpath')}
            value={timezone}
            onChange={setTimezone}
            error={fieldError('timezone')}
          />
          <Button variant="primary" type="submit" isBusy={busy} disabled={busy}>
            {site ? __('Save', 'clickpath') : __('Add site', 'clickpath')}
          </Button>
        </form>
      </CardBody>
    </Card>
  );
}
