/**
 * WordPress dependencies
 */
import {
  Button,
  Card,
  CardBody,
  CardHeader,
  CheckboxControl,
  Modal,
  Notice,
  SelectControl,
  TextControl,
} from '@wordpress/components';
import { createElement, useState } from '@wordpress/element';
import { __, sprintf } from '@wordpress/i18n';

/**
 * Internal dependencies
 */
import type { ApiError } from '../../data/errors';
import { fieldMessage, fieldProps } from '../../lib/field-errors';
import { formatDateTime } from '../../lib/format';
import { useRequest } from '../../lib/use-request';
import { useSubmit } from '../../lib/use-submit';
import { api, trackingSnippet } from '../query';
import type { ApiKeyWithSecret, Role, Scope, Site } from '../types';
import { AuditLog } from './audit-log';
import { Alerts } from './alerts';
import { CollectionOptions } from './collection-options';
import { CopyButton } from './copy-button';
import { EmailReports } from './email-reports';
import { SiteData } from './site-data';
import { SiteForm } from './sites-page';
import { TwoFactorPolicy } from './two-factor-policy';
import { Webhooks } from './webhooks';

const failure = (e: unknown) => (e as ApiError).message;

export function SiteSettings({
  site,
  onChanged,
  onDeleted,
  ownTwoFactor = false,
}: {
  site: Site;
  onChanged: () => void;
  onDeleted: () => void;
  /** Whether your own account has two-factor sign-in on (the owner needs it to require it of members). */
  ownTwoFactor?: boolean;
}) {
  return (
    <div className="clickpath-dashboard__site-settings">
      <h1>{sprintf(__('%s — settings', 'clickpath'), site.name)}</h1>
      <Snippet publicId={site.publicId} domain={site.domain} />
      <SiteForm site={site} onSaved={onChanged} />
      {site.role !== 'viewer' && <CollectionOptions site={site} onSaved={onChanged} />}
      {site.role !== 'viewer' && <SiteData site={site} />}
      <Keys siteId={site.id} timeZone={site.timezone} />
      <Members siteId={site.id} role={site.role} timeZone={site.timezone} onOwnerChanged={onChanged} />
      {site.role === 'owner' && <TwoFactorPolicy site={site} ownTwoFactor={ownTwoFactor} onSaved={onChanged} />}
      {site.role !== 'viewer' && <Alerts siteId={site.id} timeZone={site.timezone} />}
      {site.role !== 'viewer' && <EmailReports siteId={site.id} timeZone={site.timezone} />}
      {site.role !== 'viewer' && <Webhooks siteId={site.id} timeZone={site.timezone} />}
      {site.role !== 'viewer' && <AuditLog siteId={site.id} timeZone={site.timezone} />}
      {site.role === 'owner' && <DeleteSite site={site} onDeleted={onDeleted} />}
    </div>
  );
}

export function Snippet({ publicId, domain }: { publicId: string; domain: string }) {
  const snippet = trackingSnippet(window.location.origin, publicId, domain);
  return (
    <Card className="clickpath-report__card">
      <CardHeader>
        <h2 className="clickpath-report__card-title">{__('Tracking snippet', 'clickpath')}</h2>
      </CardHeader>
      <CardBody>
        <p>{__('Paste this into the <head> of every page of the site:', 'clickpath')}</p>
        <pre className="clickpath-dashboard__snippet" tabIndex={0}>
          <code>{snippet}</code>
        </pre>
        <CopyButton text={snippet} label={__('Copy snippet', 'clickpath')} />
        <p className="clickpath-report__muted">
          {__(
            'The tracker sends nothing from localhost, 127.0.0.1 or [::1] unless its tag has the data-localhost attribute, so testing on your own computer does not count as visits. A site whose domain is localhost gets it in its snippet; add it by hand to try another site locally.',
            'clickpath',
          )}
        </p>
      </CardBody>
    </Card>
  );
}

function SecretNotice({ secret, onDismiss }: { secret: ApiKeyWithSecret; onDismiss: () => void }) {
  return (
    <Notice status="warning" onRemove={onDismiss}>
      <p>{sprintf(__('The key “%s” — copy it now; it will not be shown again:', 'clickpath'), secret.name)}</p>
      <TextControl
        __nextHasNoMarginBottom
        __next40pxDefaultSize
        className="clickpath-dashboard__secret"
        label={__('Secret key', 'clickpath')}
        value={secret.secret}
        readOnly
        onChange={() => undefined}
        onFocus={(event: { target: HTMLInputElement }) => event.target.select()}
      />
      <CopyButton text={secret.secret} label={__('Copy key', 'clickpath')} />
    </Notice>
  );
}

const SCOPES: Array<{ scope: Scope; label: string }> = [
  { scope: 'stats:read', label: 'stats:read' },
  { scope: 'events:write', label: 'events:write' },
  { scope: 'sites:manage', label: 'sites:manage' },
];

/** `timeZone`: the site's, for when keys were last used (one clock on every screen). */
export function Keys({ siteId, timeZone }: { siteId: string; timeZone?: string }) {
  const [version, setVersion] = useState(0);
  const state = useRequest(() => api.keys(siteId), `${siteId}|${version}`);
  const [secret, setSecret] = useState<ApiKeyWithSecret | null>(null);
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState<Scope[]>(['stats:read']);
  const [error, setError] = useState('');
  const create = useSubmit(
    async () => {
      setError('');
      setSecret(await api.createKey(siteId, name.trim(), scopes));
      setVersion((v) => v + 1);
      setName('');
    },
    { fields: ['name', 'scopes'] },
  );
  const run = async (action: () => Promise<unknown>) => {
    setError('');
    try {
      const result = await action();
      if (result && typeof result === 'object' && 'secret' in result) setSecret(result as ApiKeyWithSecret);
      setVersion((v) => v + 1);
    } catch (e) {
      setError(failure(e));
    }
  };
  return (
    <Card className="clickpath-report__card">
      <CardHeader>
        <h2 className="clickpath-report__card-title">{__('API keys', 'clickpath')}</h2>
      </CardHeader>
      <CardBody>
        {secret && <SecretNotice secret={secret} onDismiss={() => setSecret(null)} />}
        {error && (
          <Notice status="error" isDismissible={false}>
            {error}
          </Notice>
        )}
        {state.status === 'loading' && <p role="status">{__('Loading keys…', 'clickpath')}</p>}
        {state.status === 'error' && (
          <Notice status="error" isDismissible={false}>
            {sprintf(__('Could not load the keys: %s', 'clickpath'), state.error.message)}
          </Notice>
        )}
        {state.status === 'success' && state.data.length === 0 && <p>{__('No API keys yet.', 'clickpath')}</p>}
        {state.status === 'success' && state.data.length > 0 && (
          // Scrolls on its own when a phone is too narrow, instead of widening the page.
          <div
            className="clickpath-dashboard__table-scroll"
            role="region"
            aria-label={__('API keys of this site', 'clickpath')}
            tabIndex={0}
          >
            <table className="clickpath-report__table clickpath-dashboard__keys">
              <thead>
                <tr>
                  <th scope="col">{__('Key', 'clickpath')}</th>
                  <th scope="col">{__('Scopes', 'clickpath')}</th>
                  <th scope="col">{__('Created by', 'clickpath')}</th>
                  <th scope="col">{__('Last used', 'clickpath')}</th>
                  <th scope="col">
                    <span className="clickpath-visually-hidden">{__('Actions', 'clickpath')}</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {state.data.map((k) => (
                  <tr key={k.id}>
                    <th scope="row">
                      {k.name} <code className="clickpath-dashboard__key-prefix">{k.prefix}…</code>
                    </th>
                    <td data-label={__('Scopes', 'clickpath')}>{k.scopes.join(', ')}</td>
                    <td data-label={__('Created by', 'clickpath')}>
                      {k.createdBy ? k.createdBy.name || k.createdBy.email : __('deleted account', 'clickpath')}
                    </td>
                    <td data-label={__('Last used', 'clickpath')}>
                      {k.revokedAt
                        ? __('revoked', 'clickpath')
                        : k.lastUsedAt
                          ? formatDateTime(k.lastUsedAt, timeZone)
                          : __('never', 'clickpath')}
                    </td>
                    <td>
                      {!k.revokedAt && (
                        <span className="clickpath-dashboard__actions">
                          <Button variant="secondary" onClick={() => void run(() => api.rotateKey(siteId, k.id))}>
                            {__('Rotate', 'clickpath')}
                          </Button>
                          <Button
                            variant="tertiary"
                            isDestructive
                            onClick={() => {
                              if (
                                window.confirm(
                                  sprintf(
                                    __('Revoke the key “%s”? Anything using it stops working.', 'clickpath'),
                                    k.name,
                                  ),
                                )
                              )
                                void run(() => api.revokeKey(siteId, k.id));
                            }}
                          >
                            {__('Revoke', 'clickpath')}
                          </Button>
                        </span>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        <form className="clickpath-report__form" onSubmit={create.submit}>
          <h3>{__('Create a key', 'clickpath')}</h3>
          {create.error && (
            <Notice status="error" isDismissible={false}>
              {create.error}
            </Notice>
          )}
          <TextControl
            __nextHasNoMarginBottom
            __next40pxDefaultSize
            {...fieldProps(__('Key name', 'clickpath'), create.fieldError('name'))}
            value={name}
            onChange={setName}
            required
            maxLength={100}
            placeholder="WordPress"
          />
          <fieldset
            aria-invalid={create.fieldError('scopes') ? true : undefined}
            aria-describedby={create.fieldError('scopes') ? `clickpath-key-scopes-error-${siteId}` : undefined}
          >
            <legend>{__('Scopes', 'clickpath')}</legend>
            {SCOPES.map(({ scope, label }) => (
              <CheckboxControl
                __nextHasNoMarginBottom
                key={scope}
                label={label}
                checked={scopes.includes(scope)}
                onChange={(on: boolean) => setScopes(on ? [...scopes, scope] : scopes.filter((s) => s !== scope))}
              />
            ))}
            {create.fieldError('scopes') && (
              <p id={`clickpath-key-scopes-error-${siteId}`} className="clickpath-field__error">
                {fieldMessage(__('Scopes', 'clickpath'), create.fieldError('scopes') ?? '')}
              </p>
            )}
          </fieldset>
          <Button
            variant="primary"
            type="submit"
            isBusy={create.busy}
            disabled={create.busy || !name.trim() || scopes.length === 0}
          >
            {__('Create key', 'clickpath')}
          </Button>
        </form>
      </CardBody>
    </Card>
  );
}

type Assignable = Exclude<Role, 'owner'>;

/** Members and pending invitations: admins see them, only the owner invites, changes roles and revokes. */
export function Members({
  siteId,
  role: myRole,
  timeZone,
  onOwnerChanged,
}: {
  siteId: string;
  role: Role;
  /** The site's, for when invitations expire. */
  timeZone?: string;
  /** The site now belongs to someone else (you are an admin of it): reload what depends on your role. */
  onOwnerChanged?: () => void;
}) {
  const canManage = myRole === 'owner';
  const [handingTo, setHandingTo] = useState<{ accountId: string; label: string } | null>(null);
  const [version, setVersion] = useState(0);
  const state = useRequest(() => api.members(siteId), `${siteId}|${version}`);
  const pending = useRequest(() => api.siteInvitations(siteId), `${siteId}|${version}`);
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<Assignable>('viewer');
  const [error, setError] = useState('');
  const [sent, setSent] = useState('');
  /** Runs a change and reloads; false when it failed (its message is shown). */
  const run = async (action: () => Promise<unknown>): Promise<boolean> => {
    setError('');
    setSent('');
    try {
      await action();
      setVersion((v) => v + 1);
      return true;
    } catch (e) {
      setError(failure(e));
      return false;
    }
  };
  const invite = useSubmit(
    async () => {
      const address = email.trim();
      setError('');
      setSent('');
      await api.inviteMember(siteId, address, role);
      setVersion((v) => v + 1);
      setEmail('');
      setSent(
        sprintf(
          __(
            'Invitation mailed to %s. They accept it from the link in the mail, or under Your sites once they sign in with this address.',
            'clickpath',
          ),
          address,
        ),
      );
    },
    { fields: ['email', 'role'] },
  );
  const roleOptions = [
    { value: 'viewer', label: __('Viewer (reports only)', 'clickpath') },
    { value: 'admin', label: __('Admin (settings, goals, keys)', 'clickpath') },
  ];
  return (
    <Card className="clickpath-report__card">
      <CardHeader>
        <h2 className="clickpath-report__card-title">{__('People', 'clickpath')}</h2>
      </CardHeader>
      <CardBody>
        {error && (
          <Notice status="error" isDismissible={false}>
            {error}
          </Notice>
        )}
        {sent && (
          <Notice status="success" isDismissible={false}>
            {sent}
          </Notice>
        )}
        {state.status === 'loading' && <p role="status">{__('Loading people…', 'clickpath')}</p>}
        {state.status === 'error' && (
          <Notice status="error" isDismissible={false}>
            {sprintf(__('Could not load the members: %s', 'clickpath'), state.error.message)}
          </Notice>
        )}
        {state.status === 'success' && (
          <ul className="clickpath-dashboard__members">
            {state.data.map((m) => (
              <li key={m.accountId}>
                <span>
                  {m.name || m.email} <span className="clickpath-report__muted">{m.email}</span>
                </span>
                {m.role === 'owner' || !canManage ? (
                  <span>{m.role}</span>
                ) : (
                  <span className="clickpath-dashboard__actions">
                    <SelectControl
                      __nextHasNoMarginBottom
                      __next40pxDefaultSize
                      label={sprintf(__('Role of %s', 'clickpath'), m.email)}
                      hideLabelFromVision
                      value={m.role}
                      options={roleOptions}
                      onChange={(value: string) =>
                        void run(() => api.setMemberRole(siteId, m.accountId, value as Assignable))
                      }
                    />
                    <Button
                      variant="tertiary"
                      isDestructive
                      onClick={() => void run(() => api.removeMember(siteId, m.accountId))}
                    >
                      {__('Remove', 'clickpath')}
                    </Button>
                    <Button
                      variant="tertiary"
                      onClick={() => setHandingTo({ accountId: m.accountId, label: m.name || m.email })}
                    >
                      {sprintf(__('Make %s the owner…', 'clickpath'), m.name || m.email)}
                    </Button>
                  </span>
                )}
              </li>
            ))}
          </ul>
        )}
        {handingTo && (
          <Modal title={__('Hand over this site?', 'clickpath')} onRequestClose={() => setHandingTo(null)}>
            <p>
              {sprintf(
                __(
                  '%s becomes the owner and is told by mail. You become an admin: you can no longer invite or remove people, change roles or delete the site.',
                  'clickpath',
                ),
                handingTo.label,
              )}
            </p>
            <Button
              variant="primary"
              onClick={() => {
                const { accountId } = handingTo;
                setHandingTo(null);
                void run(() => api.transferOwnership(siteId, accountId)).then((ok) => ok && onOwnerChanged?.());
              }}
            >
              {sprintf(__('Make %s the owner', 'clickpath'), handingTo.label)}
            </Button>{' '}
            <Button variant="tertiary" onClick={() => setHandingTo(null)}>
              {__('Cancel', 'clickpath')}
            </Button>
          </Modal>
        )}
        {pending.status === 'success' && pending.data.length > 0 && (
          <div className="clickpath-dashboard__pending">
            <h3>{__('Pending invitations', 'clickpath')}</h3>
            <ul className="clickpath-dashboard__members">
              {pending.data.map((invitation) => (
                <li key={invitation.id}>
                  <span>
                    {invitation.email}{' '}
                    <span className="clickpath-report__muted">
                      {sprintf(
                        __('%1$s, until %2$s', 'clickpath'),
                        invitation.role,
                        formatDateTime(invitation.expiresAt, timeZone),
                      )}
                    </span>
                  </span>
                  {canManage && (
                    <Button
                      variant="tertiary"
                      onClick={() =>
                        void run(() => api.resendInvitation(siteId, invitation.id)).then(
                          (ok) =>
                            ok &&
                            setSent(
                              sprintf(
                                __('Invitation to %s sent again with a new link.', 'clickpath'),
                                invitation.email,
                              ),
                            ),
                        )
                      }
                    >
                      {sprintf(__('Resend the invitation to %s', 'clickpath'), invitation.email)}
                    </Button>
                  )}
                  {canManage && (
                    <Button
                      variant="tertiary"
                      isDestructive
                      onClick={() => void run(() => api.revokeInvitation(siteId, invitation.id))}
                    >
                      {sprintf(__('Revoke the invitation to %s', 'clickpath'), invitation.email)}
                    </Button>
                  )}
                </li>
              ))}
            </ul>
          </div>
        )}
        {canManage && (
          <form className="clickpath-report__form" onSubmit={invite.submit}>
            <h3>{__('Invite someone', 'clickpath')}</h3>
            {invite.error && (
              <Notice status="error" isDismissible={false}>
                {invite.error}
              </Notice>
            )}
            <TextControl
              __nextHasNoMarginBottom
              __next40pxDefaultSize
              {...fieldProps(__('Email', 'clickpath'), invite.fieldError('email'))}
              type="email"
              value={email}
              onChange={setEmail}
              required
            />
            <SelectControl
              __nextHasNoMarginBottom
              __next40pxDefaultSize
              {...fieldProps(__('Role', 'clickpath'), invite.fieldError('role'))}
              value={role}
              options={roleOptions}
              onChange={(value: string) => setRole(value as Assignable)}
            />
            <Button variant="primary" type="submit" isBusy={invite.busy} disabled={invite.busy || !email.trim()}>
              {__('Invite', 'clickpath')}
            </Button>
          </form>
        )}
      </CardBody>
    </Card>
  );
}

/** What the delete confirmation compares: case and surrounding spaces do not matter. */
const comparable = (text: string) => text.trim().toLocaleLowerCase();

/** True when `typed` names the site, by its domain (what the label asks for) or its name. */
export const confirmsSite = (typed: string, site: Pick<Site, 'domain' | 'name'>): boolean =>
  comparable(typed) !== '' && [site.domain, site.name].some((name) => comparable(name) === comparable(typed));

function DeleteSite({ site, onDeleted }: { site: Site; onDeleted: () => void }) {
  const [confirm, setConfirm] = useState('');
  const [error, setError] = useState('');
  return (
    <Card className="clickpath-report__card">
      <CardHeader>
        <h2 className="clickpath-report__card-title">{__('Delete this site', 'clickpath')}</h2>
      </CardHeader>
      <CardBody>
        <form
          className="clickpath-report__form"
          onSubmit={(event) => {
            event.preventDefault();
            setError('');
            api.deleteSite(site.id).then(onDeleted, (e: unknown) => setError(failure(e)));
          }}
        >
          <p>{__('This deletes the site and all its statistics for good.', 'clickpath')}</p>
          <TextControl
            __nextHasNoMarginBottom
            __next40pxDefaultSize
            label={sprintf(__('Type %s to confirm', 'clickpath'), site.domain)}
            value={confirm}
            onChange={setConfirm}
          />
          <Button variant="primary" isDestructive type="submit" disabled={!confirmsSite(confirm, site)}>
            {__('Delete site', 'clickpath')}
          </Button>
          {error && (
            <p className="clickpath-report__form-error" role="alert">
              {error}
            </p>
          )}
        </form>
      </CardBody>
    </Card>
  );
}
