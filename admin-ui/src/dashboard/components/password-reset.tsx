/**
 * WordPress dependencies
 */
import { Button, Card, CardBody, CardHeader, Notice, TextControl } from '@wordpress/components';
import { createElement, useState } from '@wordpress/element';
import { __ } from '@wordpress/i18n';

/**
 * Internal dependencies
 */
import { isApiError } from '../../data/errors';
import { fieldProps } from '../../lib/field-errors';
import { useSubmit } from '../../lib/use-submit';
import { api } from '../query';

/** "Forgot password?": asks for a reset link; the answer is the same whether or not the address has an account. */
export function ForgotPasswordForm() {
  const [email, setEmail] = useState('');
  const [sent, setSent] = useState('');
  const { busy, error, submit, fieldError } = useSubmit(
    async () => {
      setSent((await api.requestPasswordReset(email)).message);
    },
    { fields: ['email'] },
  );
  return (
    <Card className="clickpath-dashboard__auth">
      <CardHeader>
        <h1>{__('Forgot your password?', 'clickpath')}</h1>
      </CardHeader>
      <CardBody>
        {sent ? (
          <Notice status="success" isDismissible={false}>
            {sent}
          </Notice>
        ) : (
          <form onSubmit={submit} className="clickpath-dashboard__form">
            <p>
              {__(
                'Enter the address of your account and we will mail you a link to choose a new password.',
                'clickpath',
              )}
            </p>
            {error && (
              <Notice status="error" isDismissible={false}>
                {error}
              </Notice>
            )}
            <TextControl
              __nextHasNoMarginBottom
              __next40pxDefaultSize
              {...fieldProps(__('Email', 'clickpath'), fieldError('email'))}
              type="email"
              value={email}
              onChange={setEmail}
              autoComplete="email"
              required
            />
            <Button variant="primary" type="submit" isBusy={busy} disabled={busy}>
              {__('Send me a link', 'clickpath')}
            </Button>
          </form>
        )}
        <p>
          <a href="#/login">{__('Back to log in', 'clickpath')}</a>
        </p>
      </CardBody>
    </Card>
  );
}

/** The page a reset link opens: choose a new password with the link's token. */
export function ResetPasswordForm({ token, onDone }: { token: string; onDone: () => void }) {
  const [password, setPassword] = useState('');
  const [done, setDone] = useState(false);
  const [expired, setExpired] = useState(false);
  const { busy, error, submit, fieldError } = useSubmit(
    async () => {
      try {
        await api.resetPassword(token, password);
      } catch (e) {
        // A used, superseded or expired link (or a mangled one): only a new link helps.
        if (isApiError(e) && (e.code === 'invalid_token' || fieldErrorsOnToken(e))) setExpired(true);
        throw e;
      }
      setDone(true);
      onDone();
    },
    { fields: ['password'] },
  );
  return (
    <Card className="clickpath-dashboard__auth">
      <CardHeader>
        <h1>{__('Choose a new password', 'clickpath')}</h1>
      </CardHeader>
      <CardBody>
        {done ? (
          <Notice status="success" isDismissible={false}>
            {__('Your password was changed and every session logged out. Log in with the new password.', 'clickpath')}
          </Notice>
        ) : expired ? (
          <Notice status="error" isDismissible={false}>
            {__('This link is invalid, was already used or has expired. Ask for a new one.', 'clickpath')}
          </Notice>
        ) : (
          <form onSubmit={submit} className="clickpath-dashboard__form">
            {error && (
              <Notice status="error" isDismissible={false}>
                {error}
              </Notice>
            )}
            <TextControl
              __nextHasNoMarginBottom
              __next40pxDefaultSize
              {...fieldProps(
                __('New password', 'clickpath'),
                fieldError('password'),
                __('At least 8 characters. Every session of your account will be logged out.', 'clickpath'),
              )}
              type="password"
              value={password}
              onChange={setPassword}
              autoComplete="new-password"
              required
            />
            <Button variant="primary" type="submit" isBusy={busy} disabled={busy}>
              {__('Set new password', 'clickpath')}
            </Button>
          </form>
        )}
        <p>
          {expired ? (
            <a href="#/forgot-password">{__('Ask for a new link', 'clickpath')}</a>
          ) : (
            <a href="#/login">{__('Log in', 'clickpath')}</a>
          )}
        </p>
      </CardBody>
    </Card>
  );
}

const fieldErrorsOnToken = (e: { details?: unknown }): boolean =>
  Array.isArray(e.details) && e.details.some((d: { path?: string }) => d.path === 'body.token');
