/**
 * WordPress dependencies
 */
import { Button, Card, CardBody, CardHeader, CheckboxControl, Notice } from '@wordpress/components';
import { createElement, useState } from '@wordpress/element';
import { __, sprintf } from '@wordpress/i18n';

/**
 * Internal dependencies
 */
import type { ApiError } from '../../data/errors';
import { useRequest } from '../../lib/use-request';
import { api } from '../query';
import type { Site } from '../types';

/**
 * The owner's switch "require two-factor sign-in for members", and who would be (or is) shut
 * out by it. Turning it on needs two-factor sign-in on the owner's own account first.
 */
export function TwoFactorPolicy({
  site,
  ownTwoFactor,
  onSaved,
}: {
  site: Site;
  /** Whether the owner's own account has two-factor sign-in on. */
  ownTwoFactor: boolean;
  onSaved: () => void;
}) {
  const required = site.requireTwoFactor === true;
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const members = useRequest(() => api.members(site.id), `${site.id}|${String(required)}`);
  const without =
    members.status === 'success'
      ? members.data.filter((m) => m.twoFactorEnabled === false).map((m) => m.name || m.email)
      : [];
  const change = async (value: boolean) => {
    setBusy(true);
    setError('');
    try {
      await api.setTwoFactorPolicy(site.id, value);
      onSaved();
    } catch (e) {
      setError((e as ApiError).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Card className="clickpath-report__card">
      <CardHeader>
        <h2 className="clickpath-report__card-title">{__('Two-factor sign-in', 'clickpath')}</h2>
      </CardHeader>
      <CardBody>
        {error && (
          <Notice status="error" isDismissible={false}>
            {error}
          </Notice>
        )}
        <CheckboxControl
          __nextHasNoMarginBottom
          label={__('Require two-factor sign-in for members', 'clickpath')}
          help={__(
            'Members without it, and the API keys they created, cannot open this site until they turn it on in their account.',
            'clickpath',
          )}
          checked={required}
          disabled={busy || (!required && !ownTwoFactor)}
          onChange={(value: boolean) => void change(value)}
        />
        {!required && !ownTwoFactor && (
          <p>
            {__('Turn on two-factor sign-in for your own account first:', 'clickpath')}{' '}
            <a href="#/account">{__('Your account', 'clickpath')}</a>
          </p>
        )}
        {without.length > 0 && (
          <p className="clickpath-report__muted">
            {sprintf(
              required
                ? /* translators: %s: names of members */
                  __('Shut out until they turn it on: %s.', 'clickpath')
                : /* translators: %s: names of members */
                  __('Without two-factor sign-in (they would be shut out): %s.', 'clickpath'),
              without.join(', '),
            )}
          </p>
        )}
      </CardBody>
    </Card>
  );
}

/** What a member without two-factor sign-in sees instead of a site that requires it. */
export function TwoFactorRequired({ site }: { site: Pick<Site, 'name'> }) {
  return (
    <Notice status="warning" isDismissible={false}>
      <p>
        {sprintf(
          /* translators: %s: site name */
          __(
            '%s requires two-factor sign-in of its members. Turn it on for your account to open the site.',
            'clickpath',
          ),
          site.name,
        )}
      </p>
      <Button variant="primary" href="#/account">
        {__('Set up two-factor sign-in', 'clickpath')}
      </Button>
    </Notice>
  );
}
