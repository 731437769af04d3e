import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { createElement } from '@wordpress/element';

import { dashboardBackend as backend, description, invalid, siteFixture } from '../../testing/dashboard-backend';
import { Dashboard } from '../index';
import { TwoFactorPolicy } from './two-factor-policy';
import { TwoFactorSettings } from './two-factor-settings';

const SLOW = { timeout: 5_000 };
const CHALLENGE = 'C'.repeat(43);
const account = {
  id: 'a1',
  email: 'ada@example.com',
  name: 'Ada',
  emailVerified: true,
  pendingEmail: null,
  twoFactorEnabled: true,
  createdAt: '2026-03-01T10:00:00.000Z',
};
const CODES = Array.from({ length: 10 }, (_, i) => `k3m9-7qxa-2b8d-c4f${i}`);
const SETUP = {
  secret: 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP',
  uri: 'otpauth://totp/Clickpath:ada%40example.com?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=Clickpath',
  qrCode: 'data:image/svg+xml;base64,PHN2Zy8+',
  expiresAt: '2026-03-01T10:15:00.000Z',
};
const wrongCode = () => ({
  status: 403,
  body: { error: { code: 'invalid_code', message: 'That code is not right, or was already used' } },
});
const wrongPassword = () => ({
  status: 403,
  body: { error: { code: 'forbidden', message: 'Current password is incorrect' } },
});

afterEach(() => {
  window.location.hash = '';
});

/** The login page of a signed-out dashboard whose login asks for a second factor. */
function signInBackend(secondStep: (init: RequestInit) => { status?: number; body?: unknown }) {
  let signedIn = false;
  return backend({
    'GET /api/v1/auth/session': () => ({
      body: signedIn ? { type: 'session', account, sites: [] } : { type: 'anonymous' },
    }),
    'POST /api/v1/auth/login': () => ({
      status: 202,
      body: { status: 'two_factor_required', challenge: CHALLENGE, expiresAt: '2026-03-01T10:05:00.000Z' },
    }),
    'POST /api/v1/auth/login/two-factor': (init) => {
      const answer = secondStep(init);
      if ((answer.status ?? 200) === 200) signedIn = true;
      return answer;
    },
    'GET /api/v1/invitations': () => ({ body: { invitations: [] } }),
  });
}

async function enterPassword() {
  window.location.hash = '#/login';
  render(<Dashboard />);
  fireEvent.change(await screen.findByLabelText('Email', {}, SLOW), { target: { value: account.email } });
  fireEvent.change(screen.getByLabelText('Password'), { target: { value: 'correct horse battery' } });
  fireEvent.click(screen.getByRole('button', { name: 'Log in' }));
  await screen.findByRole('heading', { name: 'Two-factor sign-in' }, SLOW);
}

describe('Signing in with a second factor', () => {
  it('when the password is right and the account has a second factor, then a code is asked for, and the code signs in', async () => {
    const calls = signInBackend(() => ({ body: account }));
    await enterPassword();
    expect(screen.queryByRole('heading', { name: 'Your sites' })).toBeNull();

    const field = screen.getByLabelText('Code from your authenticator app');
    expect(field).toHaveAttribute('autocomplete', 'one-time-code');
    expect(field).toHaveAttribute('inputmode', 'numeric');
    fireEvent.change(field, { target: { value: '123 456' } });
    fireEvent.click(screen.getByRole('button', { name: 'Verify' }));

    expect(await screen.findByRole('heading', { name: 'Your sites' }, SLOW)).toBeInTheDocument();
    expect(calls.find((c) => c.key === 'POST /api/v1/auth/login/two-factor')?.body).toEqual({
      challenge: CHALLENGE,
      code: '123456',
    });
  });

  it('when the code is wrong, then the message is under the field and the step stays', async () => {
    signInBackend(wrongCode);
    await enterPassword();
    fireEvent.change(screen.getByLabelText('Code from your authenticator app'), { target: { value: '000000' } });
    fireEvent.click(screen.getByRole('button', { name: 'Verify' }));

    const field = screen.getByLabelText('Code from your authenticator app');
    await waitFor(() => expect(description(field)).toMatch(/^That code is not right, or was already used\./));
    expect(field).toHaveAttribute('aria-invalid', 'true');
    expect(screen.getByRole('heading', { name: 'Two-factor sign-in' })).toBeInTheDocument();
  });

  it('when a recovery code is chosen instead, then it is sent as one', async () => {
    const calls = signInBackend(() => ({ body: account }));
    await enterPassword();
    fireEvent.click(screen.getByRole('button', { name: 'Lost your phone? Use a recovery code' }));
    fireEvent.change(screen.getByLabelText('Recovery code'), { target: { value: ' k3m9-7qxa-2b8d-c4f0 ' } });
    fireEvent.click(screen.getByRole('button', { name: 'Verify' }));

    await screen.findByRole('heading', { name: 'Your sites' }, SLOW);
    expect(calls.find((c) => c.key === 'POST /api/v1/auth/login/two-factor')?.body).toEqual({
      challenge: CHALLENGE,
      recoveryCode: 'k3m9-7qxa-2b8d-c4f0',
    });
  });

  it('when the sign-in expired, then the password form comes back and says why', async () => {
    signInBackend(() => ({
      status: 400,
      body: { error: { code: 'invalid_token', message: 'This sign-in has expired or was already completed' } },
    }));
    await enterPassword();
    fireEvent.change(screen.getByLabelText('Code from your authenticator app'), { target: { value: '123456' } });
    fireEvent.click(screen.getByRole('button', { name: 'Verify' }));

    expect(await screen.findByRole('heading', { name: 'Log in to Clickpath' }, SLOW)).toBeInTheDocument();
    expect(screen.getByText('This sign-in has expired or was already completed')).toBeInTheDocument();
    expect(screen.getByLabelText('Password')).toHaveValue('');
  });
});

describe('Account › Two-factor sign-in', () => {
  it('when a person turns it on, then the QR code and the typed key are shown, the first code turns it on and the recovery codes are shown once', async () => {
    let enabled = false;
    const calls = backend({
      'GET /api/v1/account/two-factor': () => ({
        body: enabled
          ? { enabled: true, enabledAt: '2026-03-01T10:01:00.000Z', recoveryCodesLeft: 10 }
          : { enabled: false, enabledAt: null, recoveryCodesLeft: 0 },
      }),
      'POST /api/v1/account/two-factor/setup': () => ({ body: SETUP }),
      'POST /api/v1/account/two-factor/confirm': () => {
        enabled = true;
        return { body: { recoveryCodes: CODES } };
      },
    });
    const onChanged = jest.fn();
    render(<TwoFactorSettings email={account.email} onChanged={onChanged} />);
    fireEvent.change(await screen.findByLabelText('Current password', {}, SLOW), { target: { value: 'secret pw' } });
    fireEvent.click(screen.getByRole('button', { name: 'Set up two-factor sign-in' }));

    const qr = await screen.findByRole('img', { name: 'QR code that adds Clickpath to an authenticator app' });
    expect(qr).toHaveAttribute('src', SETUP.qrCode);
    expect(screen.getByLabelText('Key for the app')).toHaveValue('JBSW Y3DP EHPK 3PXP JBSW Y3DP EHPK 3PXP');
    expect(screen.getByRole('button', { name: 'Copy key' })).toBeInTheDocument();
    expect(calls.find((c) => c.key === 'POST /api/v1/account/two-factor/setup')?.body).toEqual({
      password: 'secret pw',
    });
    fireEvent.change(screen.getByLabelText('Code from the app'), { target: { value: '654 321' } });
    fireEvent.click(screen.getByRole('button', { name: 'Turn on two-factor sign-in' }));

    const list = await screen.findByRole('list', { name: 'Recovery codes' });
    expect(
      within(list)
        .getAllByRole('listitem')
        .map((li) => li.textContent),
    ).toEqual(CODES);
    expect(calls.find((c) => c.key === 'POST /api/v1/account/two-factor/confirm')?.body).toEqual({ code: '654321' });
    expect(onChanged).toHaveBeenCalled();
    const download = screen.getByRole('link', { name: 'Download codes' });
    expect(download).toHaveAttribute('download', 'clickpath-recovery-codes.txt');
    const file = decodeURIComponent(
      download.getAttribute('href')?.replace(/^data:text\/plain;charset=utf-8,/, '') ?? '',
    );
    expect(file).toContain(account.email);
    CODES.forEach((code) => expect(file).toContain(code));
    expect(screen.getByRole('button', { name: 'Copy codes' })).toBeInTheDocument();

    fireEvent.click(screen.getByRole('button', { name: 'I have saved my recovery codes' }));
    expect(await screen.findByText(/On since/, {}, SLOW)).toHaveTextContent('10 recovery codes left.');
    expect(screen.queryByRole('list', { name: 'Recovery codes' })).toBeNull();
    expect(screen.queryByText(CODES[0]!)).toBeNull();
  });

  it('when the password or the first code is wrong, then the message is under that field', async () => {
    let passwordRight = false;
    backend({
      'GET /api/v1/account/two-factor': () => ({ body: { enabled: false, enabledAt: null, recoveryCodesLeft: 0 } }),
      'POST /api/v1/account/two-factor/setup': () => (passwordRight ? { body: SETUP } : wrongPassword()),
      'POST /api/v1/account/two-factor/confirm': wrongCode,
    });
    render(<TwoFactorSettings email={account.email} onChanged={jest.fn()} />);
    fireEvent.change(await screen.findByLabelText('Current password', {}, SLOW), { target: { value: 'nope' } });
    fireEvent.click(screen.getByRole('button', { name: 'Set up two-factor sign-in' }));
    await waitFor(() =>
      expect(description(screen.getByLabelText('Current password'))).toBe('Current password is incorrect.'),
    );

    passwordRight = true;
    fireEvent.click(screen.getByRole('button', { name: 'Set up two-factor sign-in' }));
    fireEvent.change(await screen.findByLabelText('Code from the app', {}, SLOW), { target: { value: '000000' } });
    fireEvent.click(screen.getByRole('button', { name: 'Turn on two-factor sign-in' }));
    await waitFor(() =>
      expect(description(screen.getByLabelText('Code from the app'))).toMatch(/^That code is not right/),
    );
    expect(screen.queryByRole('list', { name: 'Recovery codes' })).toBeNull();
  });

  it('when it is on, then new recovery codes need a code and are shown once', async () => {
    const calls = backend({
      'GET /api/v1/account/two-factor': () => ({
        body: { enabled: true, enabledAt: '2026-03-01T10:01:00.000Z', recoveryCodesLeft: 2 },
      }),
      'POST /api/v1/account/two-factor/recovery-codes': () => ({ body: { recoveryCodes: CODES } }),
    });
    render(<TwoFactorSettings email={account.email} onChanged={jest.fn()} />);
    expect(await screen.findByText('You are running out of recovery codes: make new ones.', {}, SLOW)).toBeVisible();
    const form = screen.getByRole('button', { name: 'Make new recovery codes' }).closest('form')!;
    fireEvent.change(within(form).getByLabelText('Code from your authenticator app'), { target: { value: '111222' } });
    fireEvent.click(within(form).getByRole('button', { name: 'Make new recovery codes' }));

    const list = await screen.findByRole('list', { name: 'Recovery codes' });
    expect(within(list).getAllByRole('listitem')).toHaveLength(10);
    expect(calls.find((c) => c.key === 'POST /api/v1/account/two-factor/recovery-codes')?.body).toEqual({
      code: '111222',
    });
  });

  it('when turning it off, then the password and a code (or a recovery code) are sent, and a wrong code is marked on its field', async () => {
    let codeRight = false;
    let enabled = true;
    const calls = backend({
      'GET /api/v1/account/two-factor': () => ({
        body: enabled
          ? { enabled: true, enabledAt: '2026-03-01T10:01:00.000Z', recoveryCodesLeft: 10 }
          : { enabled: false, enabledAt: null, recoveryCodesLeft: 0 },
      }),
      'DELETE /api/v1/account/two-factor': () => {
        if (!codeRight) return wrongCode();
        enabled = false;
        return { status: 204 };
      },
    });
    render(<TwoFactorSettings email={account.email} onChanged={jest.fn()} />);
    const form = (await screen.findByRole('button', { name: 'Turn off two-factor sign-in' }, SLOW)).closest('form')!;
    fireEvent.change(within(form).getByLabelText('Current password'), { target: { value: 'secret pw' } });
    fireEvent.change(within(form).getByLabelText('Code from your authenticator app'), { target: { value: '999999' } });
    fireEvent.click(within(form).getByRole('button', { name: 'Turn off two-factor sign-in' }));
    await waitFor(() =>
      expect(description(within(form).getByLabelText('Code from your authenticator app'))).toMatch(/^That code/),
    );

    codeRight = true;
    fireEvent.click(within(form).getByRole('button', { name: 'Lost your phone? Use a recovery code' }));
    fireEvent.change(within(form).getByLabelText('Recovery code'), { target: { value: CODES[0] } });
    fireEvent.click(within(form).getByRole('button', { name: 'Turn off two-factor sign-in' }));

    expect(
      await screen.findByText('Two-factor sign-in is off. Signing in asks only for your password.', {}, SLOW),
    ).toBeVisible();
    expect(screen.getByRole('button', { name: 'Set up two-factor sign-in' })).toBeInTheDocument();
    expect(calls.filter((c) => c.key === 'DELETE /api/v1/account/two-factor').map((c) => c.body)).toEqual([
      { password: 'secret pw', code: '999999' },
      { password: 'secret pw', recoveryCode: CODES[0] },
    ]);
  });

  it('when a field breaks a rule, then the API message is under it', async () => {
    backend({
      'GET /api/v1/account/two-factor': () => ({ body: { enabled: false, enabledAt: null, recoveryCodesLeft: 0 } }),
      'POST /api/v1/account/two-factor/setup': () => ({ body: SETUP }),
      'POST /api/v1/account/two-factor/confirm': invalid([
        { path: 'body.code', message: 'must be the 6-digit code your authenticator app shows' },
      ]),
    });
    render(<TwoFactorSettings email={account.email} onChanged={jest.fn()} />);
    fireEvent.change(await screen.findByLabelText('Current password', {}, SLOW), { target: { value: 'pw' } });
    fireEvent.click(screen.getByRole('button', { name: 'Set up two-factor sign-in' }));
    fireEvent.change(await screen.findByLabelText('Code from the app', {}, SLOW), { target: { value: '12' } });
    fireEvent.click(screen.getByRole('button', { name: 'Turn on two-factor sign-in' }));
    await waitFor(() =>
      expect(description(screen.getByLabelText('Code from the app'))).toMatch(
        /^Code from the app must be the 6-digit code your authenticator app shows\./,
      ),
    );
  });
});

describe('Site settings › Two-factor sign-in', () => {
  const members = {
    members: [
      { accountId: 'a1', email: 'ada@example.com', name: 'Ada', role: 'owner', since: '', twoFactorEnabled: true },
      { accountId: 'a2', email: 'bob@example.com', name: 'Bob', role: 'viewer', since: '', twoFactorEnabled: false },
    ],
  };

  it('when the owner has no second factor, then the switch is off and disabled and points to the account page', async () => {
    backend({ 'GET /api/v1/sites/site_1/members': () => ({ body: members }) });
    render(<TwoFactorPolicy site={siteFixture({ id: 'site_1' })} ownTwoFactor={false} onSaved={jest.fn()} />);
    const box = screen.getByRole('checkbox', { name: 'Require two-factor sign-in for members' });
    expect(box).toBeDisabled();
    expect(box).not.toBeChecked();
    expect(screen.getByRole('link', { name: 'Your account' })).toHaveAttribute('href', '#/account');
    expect(await screen.findByText('Without two-factor sign-in (they would be shut out): Bob.')).toBeVisible();
  });

  it('when the owner requires it, then the setting is saved and who is shut out is named', async () => {
    const calls = backend({
      'GET /api/v1/sites/site_1/members': () => ({ body: members }),
      'PUT /api/v1/sites/site_1/two-factor-policy': () => ({
        body: siteFixture({ id: 'site_1', requireTwoFactor: true }),
      }),
    });
    const onSaved = jest.fn();
    const { rerender } = render(
      <TwoFactorPolicy site={siteFixture({ id: 'site_1' })} ownTwoFactor onSaved={onSaved} />,
    );
    fireEvent.click(screen.getByRole('checkbox', { name: 'Require two-factor sign-in for members' }));
    await waitFor(() => expect(onSaved).toHaveBeenCalled());
    expect(calls.find((c) => c.key === 'PUT /api/v1/sites/site_1/two-factor-policy')?.body).toEqual({
      required: true,
    });

    rerender(
      <TwoFactorPolicy site={siteFixture({ id: 'site_1', requireTwoFactor: true })} ownTwoFactor onSaved={onSaved} />,
    );
    expect(screen.getByRole('checkbox', { name: 'Require two-factor sign-in for members' })).toBeChecked();
    expect(await screen.findByText('Shut out until they turn it on: Bob.')).toBeVisible();
  });

  it('when a member without a second factor opens a site that requires it, then they are told to turn it on instead of a failing report', async () => {
    const site = siteFixture({ id: 'site_1', role: 'viewer', requireTwoFactor: true });
    const calls = backend({
      'GET /api/v1/auth/session': () => ({
        body: { type: 'session', account: { ...account, twoFactorEnabled: false }, sites: [site] },
      }),
    });
    window.location.hash = '#/sites/site_1';
    render(<Dashboard />);

    expect(
      await screen.findByText(
        'Shop requires two-factor sign-in of its members. Turn it on for your account to open the site.',
        {},
        SLOW,
      ),
    ).toBeVisible();
    expect(screen.getByRole('link', { name: 'Set up two-factor sign-in' })).toHaveAttribute('href', '#/account');
    expect(calls.filter((c) => c.key.includes('/sites/site_1/'))).toEqual([]);
  });
});
