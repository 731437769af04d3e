/**
 * WordPress dependencies
 */
import { Button, Card, CardBody, CardHeader, Modal, TextControl } from '@wordpress/components';
import { createElement, useState } from '@wordpress/element';
import { __, sprintf } from '@wordpress/i18n';

/**
 * Internal dependencies
 */
import { isApiError } from '../../data/errors';
import { fieldProps } from '../../lib/field-errors';
import { useSubmit } from '../../lib/use-submit';
import { api } from '../query';
import { Feedback } from './feedback';
import { TwoFactorSettings } from './two-factor-settings';
import type { Profile } from '../types';

/** A wrong current password is a 403 without details: it belongs to the password field. */
const wrongPassword = (field: string) => (error: unknown) =>
  isApiError(error) && error.code === 'forbidden' ? field : undefined;

/** Profile, password, two-factor sign-in and account deletion. */
export function AccountPage({
  profile,
  onChanged,
  onDeleted,
}: {
  profile: Profile;
  onChanged: () => void;
  onDeleted: () => void;
}) {
  const [name, setName] = useState(profile.name);
  const [email, setEmail] = useState(profile.email);
  const [profileSaved, setProfileSaved] = useState('');
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [passwordChanged, setPasswordChanged] = useState('');
  const [deleting, setDeleting] = useState(false);
  const [deletePassword, setDeletePassword] = useState('');

  const [emailPassword, setEmailPassword] = useState('');
  const emailChanged = email.trim().toLowerCase() !== profile.email;
  const saveProfile = useSubmit(
    async () => {
      setProfileSaved('');
      // The email is sent only when it changes: changing it needs the current password.
      const saved = await api.updateProfile(emailChanged ? { name, email, currentPassword: emailPassword } : { name });
      setEmailPassword('');
      // A new address waits for its link; the field shows the address in use until then.
      setEmail(saved.email);
      setProfileSaved(
        emailChanged && saved.pendingEmail
          ? sprintf(
              __('Profile saved. Confirm %s with the link we mailed to it; %s stays in use until then.', 'clickpath'),
              saved.pendingEmail,
              saved.email,
            )
          : __('Profile saved.', 'clickpath'),
      );
      onChanged();
    },
    { fields: ['name', 'email', 'currentPassword'], fieldFor: wrongPassword('currentPassword') },
  );
  const changePassword = useSubmit(
    async () => {
      setPasswordChanged('');
      await api.changePassword({ currentPassword: current, newPassword: next });
      setCurrent('');
      setNext('');
      setPasswordChanged(__('Password changed.', 'clickpath'));
    },
    { fields: ['currentPassword', 'newPassword'], fieldFor: wrongPassword('currentPassword') },
  );
  const deleteAccount = useSubmit(
    async () => {
      await api.deleteAccount(deletePassword);
      onDeleted();
    },
    { fields: ['password'], fieldFor: wrongPassword('password') },
  );

  return (
    <div className="clickpath-dashboard__account">
      <h1>{__('Your account', 'clickpath')}</h1>
      <Card className="clickpath-report__card">
        <CardHeader>
          <h2 className="clickpath-report__card-title">{__('Profile', 'clickpath')}</h2>
        </CardHeader>
        <CardBody>
          <form className="clickpath-dashboard__form" onSubmit={saveProfile.submit}>
            <Feedback
              error={saveProfile.error}
              success={profileSaved}
              onRemove={() => {
                saveProfile.clearError();
                setProfileSaved('');
              }}
            />
            <TextControl
              __nextHasNoMarginBottom
              __next40pxDefaultSize
              {...fieldProps(__('Name', 'clickpath'), saveProfile.fieldError('name'))}
              value={name}
              onChange={setName}
              autoComplete="name"
            />
            <TextControl
              __nextHasNoMarginBottom
              __next40pxDefaultSize
              {...fieldProps(__('Email', 'clickpath'), saveProfile.fieldError('email'))}
              type="email"
              value={email}
              onChange={setEmail}
              autoComplete="email"
              required
            />
            {emailChanged && (
              <TextControl
                __nextHasNoMarginBottom
                __next40pxDefaultSize
                {...fieldProps(
                  __('Current password (needed to change the email)', 'clickpath'),
                  saveProfile.fieldError('currentPassword'),
                )}
                type="password"
                value={emailPassword}
                onChange={setEmailPassword}
                autoComplete="current-password"
                required
              />
            )}
            <Button variant="primary" type="submit" isBusy={saveProfile.busy} disabled={saveProfile.busy}>
              {__('Save profile', 'clickpath')}
            </Button>
          </form>
        </CardBody>
      </Card>
      <Card className="clickpath-report__card">
        <CardHeader>
          <h2 className="clickpath-report__card-title">{__('Password', 'clickpath')}</h2>
        </CardHeader>
        <CardBody>
          <form className="clickpath-dashboard__form" onSubmit={changePassword.submit}>
            <Feedback
              error={changePassword.error}
              success={passwordChanged}
              onRemove={() => {
                changePassword.clearError();
                setPasswordChanged('');
              }}
            />
            <TextControl
              __nextHasNoMarginBottom
              __next40pxDefaultSize
              {...fieldProps(__('Current password', 'clickpath'), changePassword.fieldError('currentPassword'))}
              type="password"
              value={current}
              onChange={setCurrent}
              autoComplete="current-password"
              required
            />
            <TextControl
              __nextHasNoMarginBottom
              __next40pxDefaultSize
              {...fieldProps(
                __('New password', 'clickpath'),
                changePassword.fieldError('newPassword'),
                __('At least 8 characters.', 'clickpath'),
              )}
              type="password"
              value={next}
              onChange={setNext}
              autoComplete="new-password"
              required
            />
            <Button variant="primary" type="submit" isBusy={changePassword.busy} disabled={changePassword.busy}>
              {__('Change password', 'clickpath')}
            </Button>
          </form>
        </CardBody>
      </Card>
      <TwoFactorSettings email={profile.email} onChanged={onChanged} />
      <Card className="clickpath-report__card">
        <CardHeader>
          <h2 className="clickpath-report__card-title">{__('Delete account', 'clickpath')}</h2>
        </CardHeader>
        <CardBody>
          <p>{__('Deletes your account and the sites you own, with all their statistics.', 'clickpath')}</p>
          <Button variant="secondary" isDestructive onClick={() => setDeleting(true)}>
            {__('Delete my account…', 'clickpath')}
          </Button>
        </CardBody>
      </Card>
      {deleting && (
        <Modal title={__('Delete your account?', 'clickpath')} onRequestClose={() => setDeleting(false)}>
          <form className="clickpath-dashboard__form" onSubmit={deleteAccount.submit}>
            <p>{__('This cannot be undone. Enter your password to confirm.', 'clickpath')}</p>
            <Feedback error={deleteAccount.error} success="" onRemove={deleteAccount.clearError} />
            <TextControl
              __nextHasNoMarginBottom
              __next40pxDefaultSize
              {...fieldProps(__('Password', 'clickpath'), deleteAccount.fieldError('password'))}
              type="password"
              value={deletePassword}
              onChange={setDeletePassword}
              autoComplete="current-password"
              required
            />
            <Button
              variant="primary"
              isDestructive
              type="submit"
              isBusy={deleteAccount.busy}
              disabled={!deletePassword || deleteAccount.busy}
            >
              {__('Delete account', 'clickpath')}
            </Button>{' '}
            <Button variant="tertiary" onClick={() => setDeleting(false)}>
              {__('Cancel', 'clickpath')}
            </Button>
          </form>
        </Modal>
      )}
    </div>
  );
}
