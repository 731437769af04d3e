/**
 * WordPress dependencies
 */
import { Button, Card, CardBody, CardHeader, Notice, TextControl } from '@wordpress/components';
import { createElement, useState } from '@wordpress/element';
import { __ } from '@wordpress/i18n';

/**
 * Internal dependencies
 */
import { fieldProps } from '../../lib/field-errors';
import { useSubmit } from '../../lib/use-submit';
import { api } from '../query';
import { SecondFactorForm } from './second-factor';

/** Log in or sign up (then the second factor, when the account has one); `onDone` reloads who the user is. */
export function AuthForm({ mode, onDone }: { mode: 'login' | 'signup'; onDone: () => void }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [name, setName] = useState('');
  const [challenge, setChallenge] = useState<string | null>(null);
  const [restarted, setRestarted] = useState('');
  const signup = mode === 'signup';
  const { busy, error, submit, fieldError } = useSubmit(
    async () => {
      setRestarted('');
      // Signup answers alike for a new and a registered address and starts no session, so log in next.
      if (signup) await api.signup({ email, password, name });
      try {
        const answer = await api.login({ email, password });
        if ('challenge' in answer) {
          setChallenge(answer.challenge);
          return;
        }
      } catch (e) {
        if (!signup) throw e;
        throw new Error(
          __(
            'Could not log you in with this password. If this address already had an account, log in with its password.',
            'clickpath',
          ),
          { cause: e },
        );
      }
      onDone();
    },
    { fields: ['name', 'email', 'password'] },
  );

  if (challenge) {
    return (
      <SecondFactorForm
        challenge={challenge}
        onDone={onDone}
        onRestart={(message) => {
          setChallenge(null);
          setPassword('');
          setRestarted(message);
        }}
      />
    );
  }
  return (
    <Card className="clickpath-dashboard__auth">
      <CardHeader>
        <h1>{signup ? __('Create your Clickpath account', 'clickpath') : __('Log in to Clickpath', 'clickpath')}</h1>
      </CardHeader>
      <CardBody>
        <form onSubmit={submit} className="clickpath-dashboard__form">
          {restarted && !error && (
            <Notice status="warning" isDismissible={false}>
              {restarted}
            </Notice>
          )}
          {error && (
            <Notice status="error" isDismissible={false}>
              {error}
            </Notice>
          )}
          {signup && (
            <TextControl
              __nextHasNoMarginBottom
              __next40pxDefaultSize
              {...fieldProps(__('Name', 'clickpath'), fieldError('name'))}
              value={name}
              onChange={setName}
              autoComplete="name"
            />
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
          <TextControl
            __nextHasNoMarginBottom
            __next40pxDefaultSize
            {...fieldProps(
              __('Password', 'clickpath'),
              fieldError('password'),
              signup ? __('At least 8 characters.', 'clickpath') : undefined,
            )}
            type="password"
            value={password}
            onChange={setPassword}
            autoComplete={signup ? 'new-password' : 'current-password'}
            required
          />
          <Button variant="primary" type="submit" isBusy={busy} disabled={busy}>
            {signup ? __('Sign up', 'clickpath') : __('Log in', 'clickpath')}
          </Button>
          <p>
            {signup ? (
              <a href="#/login">{__('Already have an account? Log in', 'clickpath')}</a>
            ) : (
              <a href="#/signup">{__('New here? Create an account', 'clickpath')}</a>
            )}
          </p>
          {!signup && (
            <p>
              <a href="#/forgot-password">{__('Forgot password?', 'clickpath')}</a>
            </p>
          )}
        </form>
      </CardBody>
    </Card>
  );
}
