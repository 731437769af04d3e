/**
 * WordPress dependencies
 */
import { Button, Card, CardBody, CardHeader, Notice } from '@wordpress/components';
import { createElement, useState } from '@wordpress/element';
import { __, sprintf } from '@wordpress/i18n';

/**
 * Internal dependencies
 */
import type { ApiError } from '../../data/errors';
import { formatDateTime } from '../../lib/format';
import { useRequest } from '../../lib/use-request';
import { api } from '../query';
import type { Invitation, Site } from '../types';

/**
 * The invitations waiting for the signed-in person: a site joins their list only when
 * they accept. Renders nothing while there are none. `onAccepted` reloads the sites.
 */
export function PendingInvitations({ onAccepted }: { onAccepted: (site: Site) => void }) {
  const [version, setVersion] = useState(0);
  const state = useRequest(() => api.myInvitations(), String(version));
  const [error, setError] = useState('');
  const answer = async (action: () => Promise<Site | void>) => {
    setError('');
    try {
      const site = await action();
      setVersion((v) => v + 1);
      if (site) onAccepted(site);
    } catch (e) {
      setError((e as ApiError).message);
    }
  };
  if (state.status !== 'success' || state.data.length === 0) return null;
  return (
    <Card className="clickpath-report__card clickpath-dashboard__invitations">
      <CardHeader>
        <h2 className="clickpath-report__card-title">{__('Invitations', 'clickpath')}</h2>
      </CardHeader>
      <CardBody>
        {error && (
          <Notice status="error" isDismissible={false}>
            {error}
          </Notice>
        )}
        <ul className="clickpath-dashboard__invitation-list">
          {state.data.map((invitation) => (
            <InvitationItem key={invitation.id} invitation={invitation} onAnswer={answer} />
          ))}
        </ul>
      </CardBody>
    </Card>
  );
}

function InvitationItem({
  invitation,
  onAnswer,
}: {
  invitation: Invitation;
  onAnswer: (action: () => Promise<Site | void>) => Promise<void>;
}) {
  const { site, role, invitedBy } = invitation;
  const from = invitedBy ? `${invitedBy.name || invitedBy.email} (${invitedBy.email})` : __('someone', 'clickpath');
  return (
    <li className="clickpath-dashboard__invitation">
      <span>
        {/* translators: 1: site name, 2: site domain, 3: role, 4: who invited */}
        {sprintf(__('%1$s (%2$s) as %3$s, from %4$s', 'clickpath'), site.name, site.domain, role, from)}{' '}
        <span className="clickpath-report__muted">
          {sprintf(__('until %s', 'clickpath'), formatDateTime(invitation.expiresAt))}
        </span>
      </span>
      <span className="clickpath-dashboard__actions">
        <Button variant="primary" onClick={() => void onAnswer(() => api.acceptInvitation(invitation.id))}>
          {sprintf(__('Accept %s', 'clickpath'), site.name)}
        </Button>
        <Button variant="tertiary" onClick={() => void onAnswer(() => api.declineInvitation(invitation.id))}>
          {sprintf(__('Decline %s', 'clickpath'), site.name)}
        </Button>
      </span>
    </li>
  );
}
