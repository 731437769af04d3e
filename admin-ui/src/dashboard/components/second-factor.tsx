/**
 * WordPress dependencies
 */
import { Button, Card, CardBody, CardHeader, Notice, TextControl } from '@wordpress/components';
import { createElement, Fragment, useState } from '@wordpress/element';
import { __ } from '@wordpress/i18n';

/**
 * Internal dependencies
 */
import { isApiError } from '../../data/errors';
import { fieldProps } from '../../lib/field-errors';
import { useSubmit } from '../../lib/use-submit';
import { api } from '../query';
import type { SecondFactor } from '../types';

/** What the person types as their second factor, and whether it is a recovery code. */
export function useFactor() {
  const [recovery, setRecovery] = useState(false);
  const [value, setValue] = useState('');
  const factor: SecondFactor = recovery ? { recoveryCode: value.trim() } : { code: value.replace(/\s/g, '') };
  return {
    recovery,
    value,
    setValue,
    factor,
    /** The API's name of the field in use, where its messages land. */
    field: recovery ? 'recoveryCode' : 'code',
    toggle: () => {
      setRecovery((r) => !r);
      setValue('');
    },
  };
}

export type FactorState = ReturnType<typeof useFactor>;

/** A wrong or used code is a 403 without details: it belongs to the field in use. */
export const wrongCode = (factor: FactorState) => (error: unknown) =>
  isApiError(error) && error.code === 'invalid_code' ? factor.field : undefined;

/** The code field (or the recovery-code field, once asked for) and the switch between them. */
export function FactorField({
  factor,
  error,
  allowRecovery = true,
}: {
  factor: FactorState;
  error: string | undefined;
  allowRecovery?: boolean;
}) {
  return (
    <Fragment>
      <TextControl
        __nextHasNoMarginBottom
        __next40pxDefaultSize
        {...fieldProps(
          factor.recovery ? __('Recovery code', 'clickpath') : __('Code from your authenticator app', 'clickpath'),
          error,
          factor.recovery
            ? __('One of the codes you saved when you turned two-factor sign-in on; each works once.', 'clickpath')
            : __('6 digits; the app shows a new one every 30 seconds.', 'clickpath'),
        )}
        value={factor.value}
        onChange={factor.setValue}
        autoComplete={factor.recovery ? 'off' : 'one-time-code'}
        inputMode={factor.recovery ? 'text' : 'numeric'}
        spellCheck={false}
        required
      />
      {allowRecovery && (
        <Button variant="link" className="clickpath-dashboard__factor-switch" onClick={factor.toggle}>
          {factor.recovery
            ? __('Use a code from your app instead', 'clickpath')
            : __('Lost your phone? Use a recovery code', 'clickpath')}
        </Button>
      )}
    </Fragment>
  );
}

/**
 * The second step of signing in: the password was right, and no session exists until a code
 * (or a recovery code) is accepted. `onRestart` goes back to the password, with why.
 */
export function SecondFactorForm({
  challenge,
  onDone,
  onRestart,
}: {
  challenge: string;
  onDone: () => void;
  onRestart: (message: string) => void;
}) {
  const factor = useFactor();
  const { busy, error, submit, fieldError } = useSubmit(
    async () => {
      try {
        await api.loginSecondFactor(challenge, factor.factor);
      } catch (e) {
        // Five minutes passed, or the sign-in was finished elsewhere: the password step opens a new one.
        if (isApiError(e) && e.code === 'invalid_token') {
          onRestart(e.message);
          return;
        }
        throw e;
      }
      onDone();
    },
    { fields: ['code', 'recoveryCode'], fieldFor: wrongCode(factor) },
  );

  return (
    <Card className="clickpath-dashboard__auth">
      <CardHeader>
        <h1>{__('Two-factor sign-in', 'clickpath')}</h1>
      </CardHeader>
      <CardBody>
        <form onSubmit={submit} className="clickpath-dashboard__form">
          <p>
            {factor.recovery
              ? __('Enter one of your recovery codes.', 'clickpath')
              : __('Open your authenticator app and enter the code it shows for Clickpath.', 'clickpath')}
          </p>
          {error && (
            <Notice status="error" isDismissible={false}>
              {error}
            </Notice>
          )}
          <FactorField factor={factor} error={fieldError(factor.field)} />
          <Button variant="primary" type="submit" isBusy={busy} disabled={busy || !factor.value.trim()}>
            {__('Verify', 'clickpath')}
          </Button>
          <p>
            <Button variant="link" onClick={() => onRestart('')}>
              {__('Cancel and go back', 'clickpath')}
            </Button>
          </p>
        </form>
      </CardBody>
    </Card>
  );
}
