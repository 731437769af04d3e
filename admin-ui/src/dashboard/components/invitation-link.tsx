/**
 * WordPress dependencies
 */
import { Button, Card, CardBody, CardHeader, Notice, Spinner, TextControl } from '@wordpress/components';
import { createElement, useState } from '@wordpress/element';
import { __, sprintf } from '@wordpress/i18n';

/**
 * Internal dependencies
 */
import { formatDateTime } from '../../lib/format';
import { fieldProps } from '../../lib/field-errors';
import { useRequest } from '../../lib/use-request';
import { useSubmit } from '../../lib/use-submit';
import { api } from '../query';
import type { Profile, Site } from '../types';

/**
 * The page an invitation mail's link opens: accept with the account signed in here, create an
 * account with the invited address, or decline. `onJoined` gets the site once it is yours.
 */
export function InvitationLinkPage({
  token,
  account,
  onLogIn,
  onJoined,
}: {
  token: string;
  account: Profile | null;
  /** Sends a signed-out person with an account to log in, and back here afterwards. */
  onLogIn: () => void;
  onJoined: (site: Site | null) => void;
}) {
  const invitation = useRequest(() => api.invitationLink(token), token);
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [declined, setDeclined] = useState(false);
  const accept = useSubmit(async () => {
    onJoined(await api.acceptInvitationLink(token));
  });
  const decline = useSubmit(async () => {
    await api.declineInvitationLink(token);
    setDeclined(true);
  });
  const signup = useSubmit(
    async () => {
      const { email } = await api.signUpWithInvitationLink({ token, name, password });
      await api.login({ email, password });
      onJoined(null);
    },
    { fields: ['name', 'password'] },
  );

  let body;
  if (declined) {
    body = (
      <Notice status="success" isDismissible={false}>
        {__('Invitation declined. Nothing about you was shared with the site.', 'clickpath')}
      </Notice>
    );
  } else if (invitation.status === 'loading') {
    body = (
      <div className="clickpath-state clickpath-state--loading" role="status">
        <Spinner /> {__('Loading…', 'clickpath')}
      </div>
    );
  } else if (invitation.status === 'error') {
    body = (
      <Notice status="error" isDismissible={false}>
        {invitation.error.message}
      </Notice>
    );
  } else {
    const { data } = invitation;
    const who = data.invitedBy ? data.invitedBy.name || data.invitedBy.email : __('Someone', 'clickpath');
    const error = accept.error ?? decline.error;
    body = (
      <div className="clickpath-dashboard__form">
        <p>
          {sprintf(
            /* translators: 1: who invited, 2: invited address, 3: site name, 4: site domain, 5: role */
            __('%1$s invited %2$s to %3$s (%4$s) as %5$s.', 'clickpath'),
            who,
            data.email,
            data.site.name,
            data.site.domain,
            data.role,
          )}{' '}
          <span className="clickpath-report__muted">
            {sprintf(__('Until %s.', 'clickpath'), formatDateTime(data.expiresAt))}
          </span>
        </p>
        {error && (
          <Notice status="error" isDismissible={false}>
            {error}
          </Notice>
        )}
        {account ? (
          <p>
            <Button variant="primary" onClick={() => void accept.submit()} isBusy={accept.busy} disabled={accept.busy}>
              {sprintf(__('Accept as %s', 'clickpath'), account.email)}
            </Button>
          </p>
        ) : data.hasAccount ? (
          <p>
            <Button variant="primary" onClick={onLogIn}>
              {__('Log in to accept', 'clickpath')}
            </Button>
          </p>
        ) : (
          <form onSubmit={signup.submit} className="clickpath-dashboard__form">
            <h2>{sprintf(__('Create your account as %s', 'clickpath'), data.email)}</h2>
            {signup.error && (
              <Notice status="error" isDismissible={false}>
                {signup.error}
              </Notice>
            )}
            <TextControl
              __nextHasNoMarginBottom
              __next40pxDefaultSize
              {...fieldProps(__('Name', 'clickpath'), signup.fieldError('name'))}
              value={name}
              onChange={setName}
              autoComplete="name"
            />
            <TextControl
              __nextHasNoMarginBottom
              __next40pxDefaultSize
              {...fieldProps(
                __('Password', 'clickpath'),
                signup.fieldError('password'),
                __('At least 8 characters.', 'clickpath'),
              )}
              type="password"
              value={password}
              onChange={setPassword}
              autoComplete="new-password"
              required
            />
            <Button variant="primary" type="submit" isBusy={signup.busy} disabled={signup.busy}>
              {__('Create account and join', 'clickpath')}
            </Button>
          </form>
        )}
        <p>
          <Button variant="tertiary" isDestructive onClick={() => void decline.submit()} disabled={decline.busy}>
            {__('Decline the invitation', 'clickpath')}
          </Button>
        </p>
      </div>
    );
  }
  return (
    <Card className="clickpath-dashboard__auth">
      <CardHeader>
        <h1>{__('Invitation to Clickpath', 'clickpath')}</h1>
      </CardHeader>
      <CardBody>{body}</CardBody>
    </Card>
  );
}
