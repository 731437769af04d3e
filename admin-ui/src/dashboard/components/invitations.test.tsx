import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import { createElement } from '@wordpress/element';

import { dashboardBackend } from '../../testing/dashboard-backend';
import { PendingInvitations } from './invitations';
import { Keys, Members } from './site-settings';

const SITE_ID = '0123456789abcdef01234567';
const INVITATION_ID = 'aaaaaaaaaaaaaaaaaaaaaaaa';
const site = { id: SITE_ID, name: 'Shared shop', domain: 'shared.example' };
const invitation = {
  id: INVITATION_ID,
  site,
  role: 'admin',
  invitedBy: { name: 'Olga Owner', email: 'olga@example.com' },
  createdAt: '2026-03-01T10:00:00.000Z',
  expiresAt: '2026-03-15T10:00:00.000Z',
};

/** The `METHOD /path` of each request the dashboard made, in order. */
const keysOf = (calls: ReturnType<typeof dashboardBackend>) => calls.map((c) => c.key);

describe('PendingInvitations', () => {
  it('when an invitation is pending, then it names the site, role and inviter, and accepting joins the site', async () => {
    let pending = [invitation];
    const calls = dashboardBackend({
      'GET /api/v1/invitations': () => ({ body: { invitations: pending } }),
      [`POST /api/v1/invitations/${INVITATION_ID}/accept`]: () => {
        pending = [];
        return { body: { ...site, role: 'admin' } };
      },
    });
    const onAccepted = jest.fn();
    render(<PendingInvitations onAccepted={onAccepted} />);

    expect(await screen.findByText(/Shared shop \(shared\.example\) as admin, from Olga Owner/)).toBeInTheDocument();
    fireEvent.click(screen.getByRole('button', { name: 'Accept Shared shop' }));

    await waitFor(() => expect(onAccepted).toHaveBeenCalledWith(expect.objectContaining({ id: SITE_ID })));
    await waitFor(() => expect(screen.queryByText(/Shared shop/)).not.toBeInTheDocument());
    expect(keysOf(calls)).toContain(`POST /api/v1/invitations/${INVITATION_ID}/accept`);
  });

  it('when the person declines, then the invitation goes and no site is joined', async () => {
    let pending = [invitation];
    const calls = dashboardBackend({
      'GET /api/v1/invitations': () => ({ body: { invitations: pending } }),
      [`POST /api/v1/invitations/${INVITATION_ID}/decline`]: () => {
        pending = [];
        return { status: 204 };
      },
    });
    const onAccepted = jest.fn();
    render(<PendingInvitations onAccepted={onAccepted} />);

    fireEvent.click(await screen.findByRole('button', { name: 'Decline Shared shop' }));

    await waitFor(() => expect(screen.queryByText(/Shared shop/)).not.toBeInTheDocument());
    expect(keysOf(calls)).toContain(`POST /api/v1/invitations/${INVITATION_ID}/decline`);
    expect(onAccepted).not.toHaveBeenCalled();
  });

  it('when nothing is pending, then nothing is shown', async () => {
    const calls = dashboardBackend({ 'GET /api/v1/invitations': () => ({ body: { invitations: [] } }) });
    const { container } = render(<PendingInvitations onAccepted={jest.fn()} />);
    await waitFor(() => expect(keysOf(calls)).toEqual(['GET /api/v1/invitations']));
    expect(container).toBeEmptyDOMElement();
  });
});

describe("a site's people", () => {
  const members = {
    members: [{ accountId: 'b'.repeat(24), email: 'olga@example.com', name: 'Olga', role: 'owner', since: '' }],
  };
  const siteInvitation = {
    id: INVITATION_ID,
    email: 'pending@example.com',
    role: 'viewer',
    invitedBy: invitation.invitedBy,
    createdAt: invitation.createdAt,
    expiresAt: invitation.expiresAt,
  };

  it('when the owner revokes a pending invitation, then it is deleted and the list reloads without it', async () => {
    let pending = [siteInvitation];
    const calls = dashboardBackend({
      [`GET /api/v1/sites/${SITE_ID}/members`]: () => ({ body: members }),
      [`GET /api/v1/sites/${SITE_ID}/invitations`]: () => ({ body: { invitations: pending } }),
      [`DELETE /api/v1/sites/${SITE_ID}/invitations/${INVITATION_ID}`]: () => {
        pending = [];
        return { status: 204 };
      },
    });
    render(<Members siteId={SITE_ID} role="owner" />);

    fireEvent.click(await screen.findByRole('button', { name: 'Revoke the invitation to pending@example.com' }));

    await waitFor(() => expect(screen.queryByText('pending@example.com')).not.toBeInTheDocument());
    expect(keysOf(calls)).toContain(`DELETE /api/v1/sites/${SITE_ID}/invitations/${INVITATION_ID}`);
  });

  it('when the owner invites an address, then the answer says it waits for their acceptance', async () => {
    const sent: unknown[] = [];
    dashboardBackend({
      [`GET /api/v1/sites/${SITE_ID}/members`]: () => ({ body: members }),
      [`GET /api/v1/sites/${SITE_ID}/invitations`]: () => ({ body: { invitations: [] } }),
      [`POST /api/v1/sites/${SITE_ID}/members`]: (init) => {
        sent.push(JSON.parse(String(init.body)));
        return { status: 202, body: { ...siteInvitation, email: 'new@example.com' } };
      },
    });
    render(<Members siteId={SITE_ID} role="owner" />);

    fireEvent.change(await screen.findByLabelText('Email'), { target: { value: 'new@example.com' } });
    fireEvent.click(screen.getByRole('button', { name: 'Invite' }));

    expect(await screen.findByText(/Invitation mailed to new@example\.com\./)).toBeInTheDocument();
    expect(sent).toEqual([{ email: 'new@example.com', role: 'viewer' }]);
  });

  it('when the owner resends a pending invitation, then it is mailed again and the page says so', async () => {
    const calls = dashboardBackend({
      [`GET /api/v1/sites/${SITE_ID}/members`]: () => ({ body: members }),
      [`GET /api/v1/sites/${SITE_ID}/invitations`]: () => ({ body: { invitations: [siteInvitation] } }),
      [`POST /api/v1/sites/${SITE_ID}/invitations/${INVITATION_ID}/resend`]: () => ({
        status: 202,
        body: siteInvitation,
      }),
    });
    render(<Members siteId={SITE_ID} role="owner" />);

    fireEvent.click(await screen.findByRole('button', { name: 'Resend the invitation to pending@example.com' }));

    expect(
      await screen.findByText('Invitation to pending@example.com sent again with a new link.'),
    ).toBeInTheDocument();
    expect(keysOf(calls)).toContain(`POST /api/v1/sites/${SITE_ID}/invitations/${INVITATION_ID}/resend`);
  });

  it('when the owner hands the site to a member after confirming, then the transfer is sent and the page reloads the site', async () => {
    const member = { accountId: 'c'.repeat(24), email: 'max@example.com', name: 'Max', role: 'admin', since: '' };
    const calls = dashboardBackend({
      [`GET /api/v1/sites/${SITE_ID}/members`]: () => ({ body: { members: [...members.members, member] } }),
      [`GET /api/v1/sites/${SITE_ID}/invitations`]: () => ({ body: { invitations: [] } }),
      [`POST /api/v1/sites/${SITE_ID}/owner`]: () => ({ body: { id: SITE_ID, role: 'admin' } }),
    });
    const onOwnerChanged = jest.fn();
    render(<Members siteId={SITE_ID} role="owner" onOwnerChanged={onOwnerChanged} />);
    const label = 'Max';

    fireEvent.click(await screen.findByRole('button', { name: `Make ${label} the owner…` }));
    expect(
      await screen.findByText(/Max becomes the owner and is told by mail\. You become an admin/),
    ).toBeInTheDocument();
    expect(keysOf(calls)).not.toContain(`POST /api/v1/sites/${SITE_ID}/owner`);
    fireEvent.click(screen.getByRole('button', { name: `Make ${label} the owner` }));

    await waitFor(() => expect(onOwnerChanged).toHaveBeenCalled());
    expect(calls.find((c) => c.key === `POST /api/v1/sites/${SITE_ID}/owner`)?.body).toEqual({
      accountId: member.accountId,
    });
  });

  it('when an admin looks, then pending invitations are listed without revoke or invite controls', async () => {
    dashboardBackend({
      [`GET /api/v1/sites/${SITE_ID}/members`]: () => ({ body: members }),
      [`GET /api/v1/sites/${SITE_ID}/invitations`]: () => ({ body: { invitations: [siteInvitation] } }),
    });
    render(<Members siteId={SITE_ID} role="admin" />);

    expect(await screen.findByText('pending@example.com')).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: /Revoke/ })).not.toBeInTheDocument();
    expect(screen.queryByRole('button', { name: /Resend/ })).not.toBeInTheDocument();
    expect(screen.queryByRole('button', { name: /the owner/ })).not.toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Invite' })).not.toBeInTheDocument();
  });
});

describe('API keys', () => {
  it('when keys are listed, then each shows who created it', async () => {
    const key = (id: string, createdBy: unknown) => ({
      id,
      name: `key ${id}`,
      prefix: 'cpk_abcdefgh',
      scopes: ['sites:manage'],
      createdBy,
      createdAt: invitation.createdAt,
      lastUsedAt: null,
      revokedAt: null,
      rotatedFrom: null,
    });
    dashboardBackend({
      [`GET /api/v1/sites/${SITE_ID}/keys`]: () => ({
        body: {
          keys: [key('1', { id: 'c'.repeat(24), name: 'Adam Admin', email: 'adam@example.com' }), key('2', null)],
        },
      }),
    });
    render(<Keys siteId={SITE_ID} />);

    const adam = (await screen.findByText('key 1')).closest('tr')!;
    expect(adam).toHaveTextContent('Adam Admin');
    expect(screen.getByText('key 2').closest('tr')).toHaveTextContent('deleted account');
  });

  it("when a key was last used, then the time is on the site's clock", async () => {
    dashboardBackend({
      [`GET /api/v1/sites/${SITE_ID}/keys`]: () => ({
        body: {
          keys: [
            {
              id: '1',
              name: 'key 1',
              prefix: 'cpk_abcdefgh',
              scopes: ['stats:read'],
              createdBy: null,
              createdAt: invitation.createdAt,
              lastUsedAt: '2026-03-05T23:30:00.000Z',
              revokedAt: null,
              rotatedFrom: null,
            },
          ],
        },
      }),
    });
    render(<Keys siteId={SITE_ID} timeZone="Asia/Tokyo" />);

    // 23:30 UTC on March 5th is 08:30 on March 6th in Tokyo.
    const row = (await screen.findByText('key 1')).closest('tr')!;
    expect(row).toHaveTextContent(/Mar 6, 2026,? 08:30/);
  });
});
