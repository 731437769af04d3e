/**
 * WordPress dependencies
 */
import { Button, Card, CardBody, CardHeader, Notice, TextControl } from '@wordpress/components';
import { createElement, useState } from '@wordpress/element';
import { __, _n, sprintf } from '@wordpress/i18n';

/**
 * Internal dependencies
 */
import { isApiError } from '../../data/errors';
import { fieldProps } from '../../lib/field-errors';
import { formatDateTime } from '../../lib/format';
import { useRequest } from '../../lib/use-request';
import { useSubmit } from '../../lib/use-submit';
import { api } from '../query';
import type { TwoFactorSetupStarted } from '../types';
import { CopyButton } from './copy-button';
import { Feedback } from './feedback';
import { FactorField, useFactor, wrongCode } from './second-factor';

/** A wrong password is a 403 `forbidden` without details: it belongs to the password field. */
const wrongPassword = (error: unknown) => (isApiError(error) && error.code === 'forbidden' ? 'password' : undefined);

/** The secret in groups of four, as apps that take it typed show it. */
const grouped = (secret: string) => secret.match(/.{1,4}/g)?.join(' ') ?? secret;

/** Recovery codes, shown once: to copy, download or print before they are gone. */
export function RecoveryCodes({ codes, email, onSaved }: { codes: string[]; email: string; onSaved: () => void }) {
  const text = [
    sprintf(__('Clickpath recovery codes for %s', 'clickpath'), email),
    __('Each code signs you in once if you cannot use your authenticator app.', 'clickpath'),
    '',
    ...codes,
    '',
  ].join('\n');
  return (
    <div className="clickpath-dashboard__recovery">
      <Notice status="warning" isDismissible={false}>
        {__(
          'Save these recovery codes now: they are shown only this once. Each signs you in once if you lose your phone.',
          'clickpath',
        )}
      </Notice>
      <ol className="clickpath-dashboard__recovery-codes" aria-label={__('Recovery codes', 'clickpath')}>
        {codes.map((code) => (
          <li key={code}>
            <code>{code}</code>
          </li>
        ))}
      </ol>
      <div className="clickpath-dashboard__actions">
        <CopyButton text={codes.join('\n')} label={__('Copy codes', 'clickpath')} />
        <Button
          variant="secondary"
          href={`data:text/plain;charset=utf-8,${encodeURIComponent(text)}`}
          download="clickpath-recovery-codes.txt"
        >
          {__('Download codes', 'clickpath')}
        </Button>
        <Button variant="primary" onClick={onSaved}>
          {__('I have saved my recovery codes', 'clickpath')}
        </Button>
      </div>
    </div>
  );
}

/** Step 2 of turning it on: the QR code and typed key for the app, then its first code. */
function SetupSteps({
  setup,
  onEnabled,
  onCancel,
}: {
  setup: TwoFactorSetupStarted;
  onEnabled: (codes: string[]) => void;
  onCancel: () => void;
}) {
  const [code, setCode] = useState('');
  const confirm = useSubmit(
    async () => {
      const { recoveryCodes } = await api.confirmTwoFactorSetup(code.replace(/\s/g, ''));
      onEnabled(recoveryCodes);
    },
    { fields: ['code'], fieldFor: (e) => (isApiError(e) && e.code === 'invalid_code' ? 'code' : undefined) },
  );
  return (
    <form className="clickpath-dashboard__form clickpath-dashboard__totp-setup" onSubmit={confirm.submit}>
      <ol className="clickpath-dashboard__steps">
        <li>
          <p>
            {__(
              'Scan this QR code with an authenticator app on your phone (such as 2FAS, Aegis, Google Authenticator or 1Password):',
              'clickpath',
            )}
          </p>
          <img
            className="clickpath-dashboard__qr"
            src={setup.qrCode}
            alt={__('QR code that adds Clickpath to an authenticator app', 'clickpath')}
            width={192}
            height={192}
          />
        </li>
        <li>
          <TextControl
            __nextHasNoMarginBottom
            __next40pxDefaultSize
            className="clickpath-dashboard__secret"
            label={__('Key for the app', 'clickpath')}
            help={__('Cannot scan the code? Type this key into the app instead.', 'clickpath')}
            value={grouped(setup.secret)}
            readOnly
            onChange={() => undefined}
            onFocus={(event: { target: HTMLInputElement }) => event.target.select()}
          />
          <CopyButton text={setup.secret} label={__('Copy key', 'clickpath')} />
        </li>
        <li>
          <Feedback error={confirm.error} success="" onRemove={confirm.clearError} />
          <TextControl
            __nextHasNoMarginBottom
            __next40pxDefaultSize
            {...fieldProps(
              __('Code from the app', 'clickpath'),
              confirm.fieldError('code'),
              sprintf(
                /* translators: %s: a time */
                __('Enter the 6-digit code the app now shows for Clickpath, before %s.', 'clickpath'),
                formatDateTime(setup.expiresAt),
              ),
            )}
            value={code}
            onChange={setCode}
            autoComplete="one-time-code"
            inputMode="numeric"
            required
          />
        </li>
      </ol>
      <span className="clickpath-dashboard__actions">
        <Button variant="primary" type="submit" isBusy={confirm.busy} disabled={confirm.busy || !code.trim()}>
          {__('Turn on two-factor sign-in', 'clickpath')}
        </Button>
        <Button variant="tertiary" onClick={onCancel}>
          {__('Cancel', 'clickpath')}
        </Button>
      </span>
    </form>
  );
}

/**
 * The account's two-factor sign-in: turning it on (password, QR code and typed key, a first
 * code, then the recovery codes once), new recovery codes, and turning it off.
 */
export function TwoFactorSettings({ email, onChanged }: { email: string; onChanged: () => void }) {
  const [version, setVersion] = useState(0);
  const status = useRequest(() => api.twoFactor(), String(version));
  const reload = () => {
    setVersion((v) => v + 1);
    onChanged();
  };
  const [password, setPassword] = useState('');
  const [setup, setSetup] = useState<TwoFactorSetupStarted | null>(null);
  const [codes, setCodes] = useState<string[] | null>(null);
  const [done, setDone] = useState('');

  const start = useSubmit(
    async () => {
      setDone('');
      setSetup(await api.startTwoFactorSetup(password));
      setPassword('');
    },
    { fields: ['password'], fieldFor: wrongPassword },
  );

  const regenerateFactor = useFactor();
  const regenerate = useSubmit(
    async () => {
      setDone('');
      const { recoveryCodes } = await api.regenerateRecoveryCodes(regenerateFactor.value.replace(/\s/g, ''));
      regenerateFactor.setValue('');
      setCodes(recoveryCodes);
      setVersion((v) => v + 1);
    },
    { fields: ['code'], fieldFor: wrongCode(regenerateFactor) },
  );

  const [offPassword, setOffPassword] = useState('');
  const offFactor = useFactor();
  const turnOff = useSubmit(
    async () => {
      await api.disableTwoFactor(offPassword, offFactor.factor);
      setOffPassword('');
      offFactor.setValue('');
      setDone(__('Two-factor sign-in is off. Signing in asks only for your password.', 'clickpath'));
      reload();
    },
    {
      fields: ['password', 'code', 'recoveryCode'],
      fieldFor: (e) => wrongPassword(e) ?? wrongCode(offFactor)(e),
    },
  );

  let body;
  if (codes) {
    body = (
      <RecoveryCodes
        codes={codes}
        email={email}
        onSaved={() => {
          setCodes(null);
          setDone(__('Two-factor sign-in is on.', 'clickpath'));
        }}
      />
    );
  } else if (setup) {
    body = (
      <SetupSteps
        setup={setup}
        onEnabled={(recoveryCodes) => {
          setSetup(null);
          setCodes(recoveryCodes);
          reload();
        }}
        onCancel={() => setSetup(null)}
      />
    );
  } else if (status.status === 'loading') {
    body = <p role="status">{__('Loading…', 'clickpath')}</p>;
  } else if (status.status === 'error') {
    body = (
      <Notice status="error" isDismissible={false}>
        {sprintf(__('Could not load two-factor sign-in: %s', 'clickpath'), status.error.message)}
      </Notice>
    );
  } else if (!status.data.enabled) {
    body = (
      <form className="clickpath-dashboard__form" onSubmit={start.submit}>
        <Feedback
          error={start.error}
          success={done}
          onRemove={() => {
            start.clearError();
            setDone('');
          }}
        />
        <p>
          {__(
            'Off: signing in asks only for your password. Turn it on and signing in also asks for a code from an authenticator app on your phone, so a stolen password alone opens nothing.',
            'clickpath',
          )}
        </p>
        <TextControl
          __nextHasNoMarginBottom
          __next40pxDefaultSize
          {...fieldProps(__('Current password', 'clickpath'), start.fieldError('password'))}
          type="password"
          value={password}
          onChange={setPassword}
          autoComplete="current-password"
          required
        />
        <Button variant="primary" type="submit" isBusy={start.busy} disabled={start.busy || !password}>
          {__('Set up two-factor sign-in', 'clickpath')}
        </Button>
      </form>
    );
  } else {
    const { enabledAt, recoveryCodesLeft } = status.data;
    body = (
      <div>
        <Feedback error={null} success={done} onRemove={() => setDone('')} />
        <p>
          {enabledAt
            ? sprintf(
                /* translators: %s: date and time */
                __('On since %s: signing in asks for a code from your authenticator app.', 'clickpath'),
                formatDateTime(enabledAt),
              )
            : __('On: signing in asks for a code from your authenticator app.', 'clickpath')}{' '}
          {sprintf(
            /* translators: %d: number of recovery codes */
            _n('%d recovery code left.', '%d recovery codes left.', recoveryCodesLeft, 'clickpath'),
            recoveryCodesLeft,
          )}
        </p>
        {recoveryCodesLeft <= 2 && (
          <Notice status="warning" isDismissible={false}>
            {__('You are running out of recovery codes: make new ones.', 'clickpath')}
          </Notice>
        )}
        <form className="clickpath-report__form" onSubmit={regenerate.submit}>
          <h3>{__('New recovery codes', 'clickpath')}</h3>
          <p>{__('Ten new codes replace the ones you have; the old ones stop working.', 'clickpath')}</p>
          <Feedback error={regenerate.error} success="" onRemove={regenerate.clearError} />
          <FactorField factor={regenerateFactor} error={regenerate.fieldError('code')} allowRecovery={false} />
          <Button
            variant="secondary"
            type="submit"
            isBusy={regenerate.busy}
            disabled={regenerate.busy || !regenerateFactor.value.trim()}
          >
            {__('Make new recovery codes', 'clickpath')}
          </Button>
        </form>
        <form className="clickpath-report__form" onSubmit={turnOff.submit}>
          <h3>{__('Turn off', 'clickpath')}</h3>
          <p>
            {__(
              'Needs your password and a code. Sites that require two-factor sign-in will not open for you until you turn it on again.',
              'clickpath',
            )}
          </p>
          <Feedback error={turnOff.error} success="" onRemove={turnOff.clearError} />
          <TextControl
            __nextHasNoMarginBottom
            __next40pxDefaultSize
            {...fieldProps(__('Current password', 'clickpath'), turnOff.fieldError('password'))}
            type="password"
            value={offPassword}
            onChange={setOffPassword}
            autoComplete="current-password"
            required
          />
          <FactorField factor={offFactor} error={turnOff.fieldError(offFactor.field)} />
          <Button
            variant="secondary"
            isDestructive
            type="submit"
            isBusy={turnOff.busy}
            disabled={turnOff.busy || !offPassword || !offFactor.value.trim()}
          >
            {__('Turn off two-factor sign-in', 'clickpath')}
          </Button>
        </form>
      </div>
    );
  }

  return (
    <Card className="clickpath-report__card">
      <CardHeader>
        <h2 className="clickpath-report__card-title">{__('Two-factor sign-in', 'clickpath')}</h2>
      </CardHeader>
      <CardBody>{body}</CardBody>
    </Card>
  );
}
