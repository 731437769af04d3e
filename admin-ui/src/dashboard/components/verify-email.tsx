/**
 * WordPress dependencies
 */
import { Card, CardBody, CardHeader, Notice, Spinner } from '@wordpress/components';
import { createElement, useEffect, useState } from '@wordpress/element';
import { __, sprintf } from '@wordpress/i18n';

/**
 * Internal dependencies
 */
import { useSubmit } from '../../lib/use-submit';
import { api } from '../query';
import type { Profile } from '../types';

/** The page a confirmation link opens: confirms the address at once (no session needed). */
export function VerifyEmailPage({ token, onDone }: { token: string; onDone: () => void }) {
  const [state, setState] = useState<
    { status: 'busy' } | { status: 'done'; email: string } | { status: 'failed'; message: string }
  >({ status: 'busy' });
  useEffect(() => {
    let live = true;
    api.verifyEmail(token).then(
      ({ email }) => {
        if (!live) return;
        setState({ status: 'done', email });
        onDone();
      },
      (e: Error) => live && setState({ status: 'failed', message: e.message }),
    );
    return () => {
      live = false;
    };
    // Confirmed once, when the page opens for this token.
  }, [token]);
  return (
    <Card className="clickpath-dashboard__auth">
      <CardHeader>
        <h1>{__('Confirm your email address', 'clickpath')}</h1>
      </CardHeader>
      <CardBody>
        {state.status === 'busy' && (
          <div className="clickpath-state clickpath-state--loading" role="status">
            <Spinner /> {__('Confirming…', 'clickpath')}
          </div>
        )}
        {state.status === 'done' && (
          <Notice status="success" isDismissible={false}>
            {sprintf(__('%s is confirmed. Thank you!', 'clickpath'), state.email)}
          </Notice>
        )}
        {state.status === 'failed' && (
          <Notice status="error" isDismissible={false}>
            {state.message} {__('Log in and send a new link from your account page.', 'clickpath')}
          </Notice>
        )}
        <p>
          <a href="#/sites">{__('Go to your sites', 'clickpath')}</a>
        </p>
      </CardBody>
    </Card>
  );
}

/** Says what waits for a confirmation link, with a button to send a new one; nothing once confirmed. */
export function VerificationNotice({ profile }: { profile: Profile }) {
  const [sent, setSent] = useState('');
  const resend = useSubmit(async () => {
    setSent((await api.resendVerification()).message);
  });
  const waiting = profile.pendingEmail ?? (profile.emailVerified === false ? profile.email : null);
  if (!waiting) return null;
  const message = profile.pendingEmail
    ? sprintf(
        __('Confirm %1$s with the link we mailed to it: your account uses %2$s until then.', 'clickpath'),
        profile.pendingEmail,
        profile.email,
      )
    : sprintf(
        __(
          'Confirm %s with the link we mailed to it. Until then you can use one site but not add more, invite people or join other sites.',
          'clickpath',
        ),
        profile.email,
      );
  const outcome = sent || resend.error;
  return (
    <Notice
      status="warning"
      isDismissible={false}
      className="clickpath-dashboard__verify"
      actions={
        outcome || resend.busy
          ? []
          : [{ label: __('Send a new link', 'clickpath'), onClick: () => void resend.submit(), variant: 'link' }]
      }
    >
      {outcome ? `${message} ${outcome}` : message}
    </Notice>
  );
}
