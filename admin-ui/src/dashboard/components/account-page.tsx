/**
 * WordPress dependencies
 */
import { Button, Card, CardBody, CardHeader, Modal, Notice, TextControl } from '@wordpress/components';
import { createElement, useState } from '@wordpress/element';
import { __ } from '@wordpress/i18n';

/**
 * Internal dependencies
 */
import type { ApiError } from '../../data/errors';
import { api } from '../query';
import type { Profile } from '../types';

type Message = { status: 'error' | 'success'; text: string } | null;

function Feedback({ message, onRemove }: { message: Message; onRemove: () => void }) {
  if (!message) return null;
  return (
    <Notice status={message.status} onRemove={onRemove}>
      {message.text}
    </Notice>
  );
}

/** Profile, password and account deletion. */
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
  const [profileMsg, setProfileMsg] = useState<Message>(null);
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [passwordMsg, setPasswordMsg] = useState<Message>(null);
  const [deleting, setDeleting] = useState(false);
  const [deletePassword, setDeletePassword] = useState('');
  const [deleteMsg, setDeleteMsg] = useState<Message>(null);

  const saveProfile = async (event: { preventDefault(): void }) => {
    event.preventDefault();
    try {
      await api.updateProfile({ name, email });
      setProfileMsg({ status: 'success', text: __('Profile saved.', 'clickpath') });
      onChanged();
    } catch (e) {
      setProfileMsg({ status: 'error', text: (e as ApiError).message });
    }
  };
  const changePassword = async (event: { preventDefault(): void }) => {
    event.preventDefault();
    try {
      await api.changePassword({ currentPassword: current, newPassword: next });
      setCurrent('');
      setNext('');
      setPasswordMsg({ status: 'success', text: __('Password changed.', 'clickpath') });
    } catch (e) {
      setPasswordMsg({ status: 'error', text: (e as ApiError).message });
    }
  };
  const deleteAccount = async (event: { preventDefault(): void }) => {
    event.preventDefault();
    try {
      await api.deleteAccount(deletePassword);
      onDeleted();
    } catch (e) {
      setDeleteMsg({ status: 'error', text: (e as ApiError).message });
    }
  };

  return (
    <div className="clickpath-dashboard__account">
      <h1>{__('Your account', 'clickpath')}</h1>
      <Card className="clickpath-report__card">
        <CardHeader>
          <h2 className="clickpath-report__card-title">{__('Profile', 'clickpath')}</h2>
        </CardHeader>
        <CardBody>
          <form className="clickpath-dashboard__form" onSubmit={saveProfile}>
            <Feedback message={profileMsg} onRemove={() => setProfileMsg(null)} />
            <TextControl
              __nextHasNoMarginBottom
              __next40pxDefaultSize
              label={__('Name', 'clickpath')}
              value={name}
              onChange={setName}
              autoComplete="name"
            />
            <TextControl
              __nextHasNoMarginBottom
              __next40pxDefaultSize
              label={__('Email', 'clickpath')}
              type="email"
              value={email}
              onChange={setEmail}
              autoComplete="email"
              required
            />
            <Button variant="primary" type="submit">
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
          <form className="clickpath-dashboard__form" onSubmit={changePassword}>
            <Feedback message={passwordMsg} onRemove={() => setPasswordMsg(null)} />
            <TextControl
              __nextHasNoMarginBottom
              __next40pxDefaultSize
              label={__('Current password', 'clickpath')}
              type="password"
              value={current}
              onChange={setCurrent}
              autoComplete="current-password"
              required
            />
            <TextControl
              __nextHasNoMarginBottom
              __next40pxDefaultSize
              label={__('New password', 'clickpath')}
              type="password"
              value={next}
              onChange={setNext}
              autoComplete="new-password"
              required
            />
            <Button variant="primary" type="submit">
              {__('Change password', 'clickpath')}
            </Button>
          </form>
        </CardBody>
      </Card>
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
          <form className="clickpath-dashboard__form" onSubmit={deleteAccount}>
            <p>{__('This cannot be undone. Enter your password to confirm.', 'clickpath')}</p>
            <Feedback message={deleteMsg} onRemove={() => setDeleteMsg(null)} />
            <TextControl
              __nextHasNoMarginBottom
              __next40pxDefaultSize
              label={__('Password', 'clickpath')}
              type="password"
              value={deletePassword}
              onChange={setDeletePassword}
              autoComplete="current-password"
              required
            />
            <Button variant="primary" isDestructive type="submit" disabled={!deletePassword}>
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
