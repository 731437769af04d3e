import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import { createElement } from '@wordpress/element';

import { dashboardBackend as backend, description, invalid } from '../../testing/dashboard-backend';
import { Dashboard } from '../index';
import { ForgotPasswordForm, ResetPasswordForm } from './password-reset';
import { SitesPage } from './sites-page';
import { VerificationNotice, VerifyEmailPage } from './verify-email';

const SLOW = { timeout: 5_000 };
const TOKEN = 'A'.repeat(43);
const profile = {
  id: 'a1',
  email: 'ada@example.com',
  name: 'Ada',
  emailVerified: true,
  pendingEmail: null,
  twoFactorEnabled: false,
  createdAt: '2026-03-01T10:00:00.000Z',
};
const RESET_ANSWER = {
  status: 'accepted',
  message:
    'If an account uses this address, a link to choose a new password is on its way. It works once, for an hour.',
};

afterEach(() => {
  window.location.hash = '';
});

describe('Forgot password', () => {
  it('when a signed-out person follows "Forgot password?" and sends an address, then the server\'s one answer is shown', async () => {
    const calls = backend({
      'GET /api/v1/auth/session': () => ({ body: { type: 'anonymous' } }),
      'POST /api/v1/auth/password-reset': () => ({ status: 202, body: RESET_ANSWER }),
    });
    window.location.hash = '#/login';
    render(<Dashboard />);
    expect(await screen.findByRole('link', { name: 'Forgot password?' }, SLOW)).toHaveAttribute(
      'href',
      '#/forgot-password',
    );
    window.location.hash = '#/forgot-password';
    await screen.findByRole('heading', { name: 'Forgot your password?' }, SLOW);
    fireEvent.change(screen.getByLabelText('Email'), { target: { value: 'ada@example.com' } });
    fireEvent.click(screen.getByRole('button', { name: 'Send me a link' }));

    expect(await screen.findByText(RESET_ANSWER.message)).toBeInTheDocument();
    expect(calls.find((c) => c.key === 'POST /api/v1/auth/password-reset')?.body).toEqual({ email: 'ada@example.com' });
  });

  it('when the address is malformed, then the message is under the field', async () => {
    backend({
      'POST /api/v1/auth/password-reset': invalid([{ path: 'body.email', message: 'Invalid email address' }]),
    });
    render(<ForgotPasswordForm />);
    // Valid to the browser's own check, refused by the API.
    fireEvent.change(screen.getByLabelText('Email'), { target: { value: 'ada@localhost' } });
    fireEvent.click(screen.getByRole('button', { name: 'Send me a link' }));
    const field = screen.getByLabelText('Email');
    await waitFor(() => expect(description(field)).toBe('Invalid email address.'));
  });
});

describe('Reset password (from the mailed link)', () => {
  it('when the link from the mail is opened, then the token from the URL and the new password are sent, and the page says to log in', async () => {
    const calls = backend({
      'GET /api/v1/auth/session': () => ({ body: { type: 'anonymous' } }),
      'POST /api/v1/auth/password-reset/confirm': () => ({ status: 204 }),
    });
    window.location.hash = `#/reset-password?token=${TOKEN}`;
    render(<Dashboard />);
    fireEvent.change(await screen.findByLabelText('New password', {}, SLOW), {
      target: { value: 'a much better one' },
    });
    fireEvent.click(screen.getByRole('button', { name: 'Set new password' }));

    expect(await screen.findByText(/Your password was changed and every session logged out/)).toBeInTheDocument();
    expect(calls.find((c) => c.key === 'POST /api/v1/auth/password-reset/confirm')?.body).toEqual({
      token: TOKEN,
      password: 'a much better one',
    });
  });

  it('when the link was used or has expired, then the page says so and offers a new one', async () => {
    backend({
      'POST /api/v1/auth/password-reset/confirm': () => ({
        status: 400,
        body: { error: { code: 'invalid_token', message: 'This link is invalid, was already used or has expired' } },
      }),
    });
    render(<ResetPasswordForm token={TOKEN} onDone={jest.fn()} />);
    fireEvent.change(screen.getByLabelText('New password'), { target: { value: 'a much better one' } });
    fireEvent.click(screen.getByRole('button', { name: 'Set new password' }));
    expect(await screen.findByText(/was already used or has expired\. Ask for a new one\./)).toBeInTheDocument();
    expect(screen.getByRole('link', { name: 'Ask for a new link' })).toHaveAttribute('href', '#/forgot-password');
  });

  it('when the new password breaks a rule, then the rule is under the field and the form stays', async () => {
    backend({
      'POST /api/v1/auth/password-reset/confirm': invalid([
        { path: 'body.password', message: 'is one of the most common passwords; choose another' },
      ]),
    });
    render(<ResetPasswordForm token={TOKEN} onDone={jest.fn()} />);
    fireEvent.change(screen.getByLabelText('New password'), { target: { value: 'password' } });
    fireEvent.click(screen.getByRole('button', { name: 'Set new password' }));
    const field = screen.getByLabelText('New password');
    await waitFor(() =>
      expect(description(field)).toMatch(/^New password is one of the most common passwords; choose another\./),
    );
  });
});

describe('Email verification', () => {
  it('when the confirmation link is opened, then the address is confirmed at once', async () => {
    const calls = backend({
      'POST /api/v1/auth/verify-email': () => ({ body: { email: 'ada@example.com', emailVerified: true } }),
    });
    const onDone = jest.fn();
    render(<VerifyEmailPage token={TOKEN} onDone={onDone} />);
    expect(await screen.findByText('ada@example.com is confirmed. Thank you!')).toBeInTheDocument();
    expect(calls).toEqual([{ key: 'POST /api/v1/auth/verify-email', body: { token: TOKEN } }]);
    expect(onDone).toHaveBeenCalled();
  });

  it('when the confirmation link is no longer valid, then the page says why and what to do', async () => {
    backend({
      'POST /api/v1/auth/verify-email': () => ({
        status: 400,
        body: { error: { code: 'invalid_token', message: 'This link is invalid, was already used or has expired.' } },
      }),
    });
    render(<VerifyEmailPage token={TOKEN} onDone={jest.fn()} />);
    expect(await screen.findByText(/already used or has expired\. Log in and send a new link/)).toBeInTheDocument();
  });

  it('when the address is unconfirmed, then a notice says what waits and sends a new link on request', async () => {
    const calls = backend({
      'POST /api/v1/account/verification': () => ({
        status: 202,
        body: { status: 'accepted', message: 'A new confirmation link is on its way to ada@example.com.' },
      }),
    });
    render(<VerificationNotice profile={{ ...profile, emailVerified: false }} />);
    expect(screen.getByText(/Confirm ada@example\.com with the link we mailed to it\. Until then/)).toBeInTheDocument();
    fireEvent.click(screen.getByRole('button', { name: 'Send a new link' }));
    expect(await screen.findByText(/A new confirmation link is on its way/)).toBeInTheDocument();
    expect(calls.map((c) => c.key)).toEqual(['POST /api/v1/account/verification']);
  });

  it('when a new address is pending, then the notice names both; a confirmed account sees no notice', () => {
    const { rerender, container } = render(
      <VerificationNotice profile={{ ...profile, pendingEmail: 'ada@new.example' }} />,
    );
    expect(
      screen.getByText(/Confirm ada@new\.example .* your account uses ada@example\.com until then/),
    ).toBeInTheDocument();
    rerender(<VerificationNotice profile={profile} />);
    expect(container).toBeEmptyDOMElement();
  });

  it('when the address is unconfirmed, then the sites page does not ask for invitations', () => {
    const calls = backend({});
    render(<SitesPage sites={[]} verified={false} onChanged={jest.fn()} />);
    expect(screen.getByRole('heading', { name: 'Your sites' })).toBeInTheDocument();
    expect(calls).toEqual([]);
  });
});

describe('Invitation link', () => {
  const preview = (over: Record<string, unknown> = {}) => ({
    email: 'nina@example.com',
    site: { name: 'Shared shop', domain: 'shared.example' },
    role: 'admin',
    invitedBy: { name: 'Olga Owner', email: 'olga@example.com' },
    expiresAt: '2026-03-15T10:00:00.000Z',
    hasAccount: false,
    ...over,
  });
  const site = { id: 's1', name: 'Shared shop', domain: 'shared.example', role: 'admin' };

  it('when a person without an account opens the link, then they create one with the invited address, are logged in and land on the sites', async () => {
    let signedIn = false;
    const calls = backend({
      'GET /api/v1/auth/session': () => ({
        body: signedIn
          ? { type: 'session', account: { ...profile, email: 'nina@example.com' }, sites: [site] }
          : { type: 'anonymous' },
      }),
      'POST /api/v1/invitations/link': () => ({ body: preview() }),
      'POST /api/v1/invitations/link/signup': () => ({ status: 201, body: { email: 'nina@example.com' } }),
      'POST /api/v1/auth/login': () => {
        signedIn = true;
        return { body: profile };
      },
      'GET /api/v1/invitations': () => ({ body: { invitations: [] } }),
    });
    window.location.hash = `#/invitation?token=${TOKEN}`;
    render(<Dashboard />);
    expect(
      await screen.findByText(
        /Olga Owner invited nina@example\.com to Shared shop \(shared\.example\) as admin\./,
        {},
        SLOW,
      ),
    ).toBeInTheDocument();
    fireEvent.change(screen.getByLabelText('Name'), { target: { value: 'Nina' } });
    fireEvent.change(screen.getByLabelText('Password'), { target: { value: 'a much better one' } });
    fireEvent.click(screen.getByRole('button', { name: 'Create account and join' }));

    await screen.findByRole('heading', { name: 'Your sites' }, SLOW);
    expect(calls.find((c) => c.key === 'POST /api/v1/invitations/link/signup')?.body).toEqual({
      token: TOKEN,
      name: 'Nina',
      password: 'a much better one',
    });
    expect(calls.find((c) => c.key === 'POST /api/v1/auth/login')?.body).toEqual({
      email: 'nina@example.com',
      password: 'a much better one',
    });
  });

  it('when someone signed in opens the link, then they accept as themselves and land on the site', async () => {
    const calls = backend({
      'GET /api/v1/auth/session': () => ({ body: { type: 'session', account: profile, sites: [] } }),
      'POST /api/v1/invitations/link': () => ({ body: preview({ hasAccount: true }) }),
      'POST /api/v1/invitations/link/accept': () => ({ body: site }),
    });
    window.location.hash = `#/invitation?token=${TOKEN}`;
    render(<Dashboard />);
    fireEvent.click(await screen.findByRole('button', { name: 'Accept as ada@example.com' }, SLOW));
    await waitFor(() => expect(window.location.hash).toBe('#/sites/s1'));
    expect(calls.find((c) => c.key === 'POST /api/v1/invitations/link/accept')?.body).toEqual({ token: TOKEN });
  });

  it('when a signed-out person with an account opens the link, then "Log in to accept" leads to the login and back', async () => {
    backend({
      'GET /api/v1/auth/session': () => ({ body: { type: 'anonymous' } }),
      'POST /api/v1/invitations/link': () => ({ body: preview({ hasAccount: true }) }),
    });
    window.location.hash = `#/invitation?token=${TOKEN}`;
    render(<Dashboard />);
    fireEvent.click(await screen.findByRole('button', { name: 'Log in to accept' }, SLOW));
    expect(await screen.findByRole('heading', { name: 'Log in to Clickpath' }, SLOW)).toBeInTheDocument();
    expect(window.location.hash).toBe('#/login');
  });

  it('when the link is declined, then it says nothing was shared; a dead link says why', async () => {
    const calls = backend({
      'GET /api/v1/auth/session': () => ({ body: { type: 'anonymous' } }),
      'POST /api/v1/invitations/link': () => ({ body: preview() }),
      'POST /api/v1/invitations/link/decline': () => ({ status: 204 }),
    });
    window.location.hash = `#/invitation?token=${TOKEN}`;
    const { unmount } = render(<Dashboard />);
    fireEvent.click(await screen.findByRole('button', { name: 'Decline the invitation' }, SLOW));
    expect(await screen.findByText(/Invitation declined\. Nothing about you was shared/)).toBeInTheDocument();
    expect(calls.map((c) => c.key)).toContain('POST /api/v1/invitations/link/decline');
    unmount();

    backend({
      'GET /api/v1/auth/session': () => ({ body: { type: 'anonymous' } }),
      'POST /api/v1/invitations/link': () => ({
        status: 400,
        body: {
          error: {
            code: 'invalid_token',
            message: 'This invitation link is invalid, was already answered, revoked or has expired',
          },
        },
      }),
    });
    render(<Dashboard />);
    expect(
      await screen.findByText(/This invitation link is invalid, was already answered/, {}, SLOW),
    ).toBeInTheDocument();
  });
});

describe('Outbox', () => {
  it('when the operator opens the outbox, then each kept message shows with its link clickable', async () => {
    const link = `https://stats.example.com/#/verify-email?token=${TOKEN}`;
    backend({
      'GET /api/v1/auth/session': () => ({
        body: { type: 'session', account: profile, sites: [], operator: true },
      }),
      'GET /api/v1/admin/outbox': () => ({
        body: {
          mode: 'outbox',
          messages: [
            {
              id: 'm1',
              to: 'grace@example.com',
              subject: 'Confirm your email address for Clickpath',
              kind: 'verify-email',
              text: `Hello Grace,\n\nConfirm this address:\n${link}\n\n— Clickpath`,
              html: '<p>ignored</p>',
              createdAt: '2026-03-01T10:00:00.000Z',
            },
          ],
        },
      }),
      'GET /api/v1/invitations': () => ({ body: { invitations: [] } }),
    });
    window.location.hash = '#/sites';
    render(<Dashboard />);
    expect(await screen.findByRole('link', { name: 'Outbox' }, SLOW)).toHaveAttribute('href', '#/outbox');
    window.location.hash = '#/outbox';
    expect(
      await screen.findByRole('heading', { name: 'Confirm your email address for Clickpath' }, SLOW),
    ).toBeInTheDocument();
    expect(screen.getByText(/^To grace@example\.com/)).toBeInTheDocument();
    expect(screen.getByRole('link', { name: link })).toHaveAttribute('href', link);
    expect(screen.queryByText('ignored')).not.toBeInTheDocument();
  });

  it('when someone who does not operate the instance opens #/outbox, then there is no outbox link or page', async () => {
    const calls = backend({
      'GET /api/v1/auth/session': () => ({ body: { type: 'session', account: profile, sites: [], operator: false } }),
      'GET /api/v1/invitations': () => ({ body: { invitations: [] } }),
    });
    window.location.hash = '#/outbox';
    render(<Dashboard />);
    expect(await screen.findByRole('heading', { name: 'Your sites' }, SLOW)).toBeInTheDocument();
    expect(screen.queryByRole('link', { name: 'Outbox' })).not.toBeInTheDocument();
    expect(calls.map((c) => c.key)).not.toContain('GET /api/v1/admin/outbox');
  });
});
