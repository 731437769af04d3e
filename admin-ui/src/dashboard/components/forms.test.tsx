import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { createElement } from '@wordpress/element';

import { dashboardBackend as backend, description, type Route } from '../../testing/dashboard-backend';
import type { Site } from '../types';
import { AccountPage } from './account-page';
import { AuthForm } from './auth-form';
import { SiteSettings } from './site-settings';
import { SiteForm } from './sites-page';

const SITE_ID = '0123456789abcdef01234567';

const site = (over: Partial<Site> = {}): Site => ({
  id: SITE_ID,
  name: 'Shop',
  domain: 'shop.example',
  timezone: 'Europe/Amsterdam',
  publicId: 'pub_shop_0001',
  role: 'owner',
  settings: {
    identityMode: 'cookieless',
    honorDoNotTrack: false,
    visitTimeoutMinutes: 30,
    rawEventRetentionDays: 760,
    excludedIps: [],
    trackOutbound: true,
    trackDownloads: true,
    trackEngagement: true,
  },
  requireTwoFactor: false,
  createdAt: '2026-03-01T10:00:00.000Z',
  updatedAt: '2026-03-01T10:00:00.000Z',
  ...over,
});

const invalid = (part: string, details: Array<{ path: string; message: string }>) => () => ({
  status: 400,
  body: { error: { code: 'validation_failed', message: `Invalid request ${part}`, details } },
});

const resolvedZone = (timeZone: string) =>
  jest
    .spyOn(Intl.DateTimeFormat.prototype, 'resolvedOptions')
    .mockReturnValue({ timeZone } as Intl.ResolvedDateTimeFormatOptions);

// jsdom lays nothing out; the combobox scrolls its highlighted suggestion into view.
beforeAll(() => {
  Element.prototype.scrollIntoView = () => undefined;
});

afterEach(() => jest.restoreAllMocks());

/** The form's own notice (speak() repeats it in a live region outside the form). */
const notice = (field: HTMLElement) => field.closest('form')!.querySelector('.components-notice__content')?.textContent;

describe('Add a site', () => {
  it('when the API refuses fields, then each message stands next to its field and the top only says what to check', async () => {
    backend({
      'POST /api/v1/sites': invalid('body', [
        { path: 'body.domain', message: 'must be a domain name like example.com (or localhost)' },
        { path: 'body.timezone', message: 'must be an IANA time zone such as Europe/Amsterdam' },
      ]),
    });
    render(<SiteForm onSaved={jest.fn()} />);

    fireEvent.change(screen.getByLabelText('Name'), { target: { value: 'Blog' } });
    fireEvent.change(screen.getByLabelText('Domain'), { target: { value: 'not a domain' } });
    fireEvent.click(screen.getByRole('button', { name: 'Add site' }));

    const domain = screen.getByLabelText('Domain');
    await waitFor(() => expect(domain).toHaveAttribute('aria-invalid', 'true'));
    expect(description(domain)).toBe('Domain must be a domain name like example.com (or localhost).');
    const zone = screen.getByRole('combobox', { name: 'Time zone (reports count days in it)' });
    expect(description(zone)).toBe(
      'Time zone (reports count days in it) must be an IANA time zone such as Europe/Amsterdam.',
    );
    expect(notice(domain)).toBe('Check the 2 marked fields.');
    expect(screen.queryByText('Invalid request body')).not.toBeInTheDocument();
    expect(screen.getByLabelText('Name')).not.toHaveAttribute('aria-invalid');
  });

  it('when a failure names no field, then its message is shown at the top', async () => {
    backend({
      'POST /api/v1/sites': () => ({ status: 429, body: { error: { code: 'rate_limited', message: 'Slow down' } } }),
    });
    render(<SiteForm onSaved={jest.fn()} />);
    fireEvent.change(screen.getByLabelText('Name'), { target: { value: 'Blog' } });
    fireEvent.change(screen.getByLabelText('Domain'), { target: { value: 'blog.example' } });
    fireEvent.click(screen.getByRole('button', { name: 'Add site' }));

    expect(await screen.findByText('Slow down')).toBeInTheDocument();
  });

  it("when the browser's zone has a legacy ICU name, then the picker starts on its current IANA name", () => {
    resolvedZone('Asia/Calcutta');
    render(<SiteForm onSaved={jest.fn()} />);

    expect(screen.getByRole('combobox', { name: 'Time zone (reports count days in it)' })).toHaveValue('Asia/Kolkata');
  });

  it('when the user searches the zones and picks one, then the IANA name is sent', async () => {
    resolvedZone('Europe/Amsterdam');
    const calls = backend({ 'POST /api/v1/sites': () => ({ status: 201, body: site() }) });
    const onSaved = jest.fn();
    render(<SiteForm onSaved={onSaved} />);

    const zone = screen.getByRole('combobox', { name: 'Time zone (reports count days in it)' });
    fireEvent.focus(zone);
    fireEvent.change(zone, { target: { value: 'new york' } });
    const listbox = await screen.findByRole('listbox');
    expect(within(listbox).queryByRole('option', { name: 'Asia/Calcutta' })).not.toBeInTheDocument();
    fireEvent.click(within(listbox).getByRole('option', { name: 'America/New York' }));
    fireEvent.change(screen.getByLabelText('Name'), { target: { value: 'Blog' } });
    fireEvent.change(screen.getByLabelText('Domain'), { target: { value: 'blog.example' } });
    fireEvent.click(screen.getByRole('button', { name: 'Add site' }));

    await waitFor(() => expect(onSaved).toHaveBeenCalled());
    expect(calls.find((c) => c.key === 'POST /api/v1/sites')?.body).toEqual({
      name: 'Blog',
      domain: 'blog.example',
      timezone: 'America/New_York',
    });
  });

  it('when a search finds legacy spellings, then only the current names are offered', async () => {
    render(<SiteForm onSaved={jest.fn()} />);
    const zone = screen.getByRole('combobox', { name: 'Time zone (reports count days in it)' });
    fireEvent.focus(zone);
    fireEvent.change(zone, { target: { value: 'kyiv' } });
    const listbox = await screen.findByRole('listbox');

    expect(
      within(listbox)
        .getAllByRole('option')
        .map((o) => o.textContent),
    ).toEqual(['Europe/Kyiv']);
    fireEvent.change(zone, { target: { value: 'kiev' } });
    await waitFor(() => expect(screen.queryByRole('option', { name: 'Europe/Kiev' })).not.toBeInTheDocument());
  });

  it('when the domain is localhost or 127.0.0.1, then the form says the snippet will carry data-localhost', () => {
    render(<SiteForm onSaved={jest.fn()} />);
    const domain = screen.getByLabelText('Domain');

    fireEvent.change(domain, { target: { value: 'http://127.0.0.1:8080' } });
    expect(description(domain)).toMatch(/data-localhost/);
    fireEvent.change(domain, { target: { value: 'shop.example' } });
    expect(description(domain)).not.toMatch(/data-localhost/);
  });
});

describe('Log in and sign up', () => {
  it("when signup refuses the password, then the API's reason is under the password field", async () => {
    backend({
      'POST /api/v1/auth/signup': invalid('body', [
        { path: 'body.password', message: 'is one of the most common passwords; choose another' },
      ]),
    });
    render(<AuthForm mode="signup" onDone={jest.fn()} />);
    fireEvent.change(screen.getByLabelText('Email'), { target: { value: 'ada@example.com' } });
    fireEvent.change(screen.getByLabelText('Password'), { target: { value: 'password1' } });
    fireEvent.click(screen.getByRole('button', { name: 'Sign up' }));

    const password = screen.getByLabelText('Password');
    await waitFor(() => expect(password).toHaveAttribute('aria-invalid', 'true'));
    expect(description(password)).toBe('Password is one of the most common passwords; choose another.');
    expect(notice(password)).toBe('Check the marked field.');
  });
});

describe('Your account', () => {
  const profile = {
    id: 'a1',
    email: 'ada@example.com',
    name: 'Ada',
    emailVerified: true,
    pendingEmail: null,
    twoFactorEnabled: false,
    createdAt: '2026-03-01T10:00:00.000Z',
  };

  it('when the current password is wrong, then the message is under that field', async () => {
    backend({
      'PUT /api/v1/account/password': () => ({
        status: 403,
        body: { error: { code: 'forbidden', message: 'Current password is incorrect' } },
      }),
    });
    render(<AccountPage profile={profile} onChanged={jest.fn()} onDeleted={jest.fn()} />);
    fireEvent.change(screen.getByLabelText('Current password'), { target: { value: 'wrong one' } });
    fireEvent.change(screen.getByLabelText('New password'), { target: { value: 'a much better one' } });
    fireEvent.click(screen.getByRole('button', { name: 'Change password' }));

    const current = screen.getByLabelText('Current password');
    await waitFor(() => expect(current).toHaveAttribute('aria-invalid', 'true'));
    expect(description(current)).toBe('Current password is incorrect.');
  });

  it('when the new password is too short, then the rule is under the new password', async () => {
    backend({
      'PUT /api/v1/account/password': invalid('body', [
        { path: 'body.newPassword', message: 'must be at least 8 characters' },
      ]),
    });
    render(<AccountPage profile={profile} onChanged={jest.fn()} onDeleted={jest.fn()} />);
    fireEvent.change(screen.getByLabelText('Current password'), { target: { value: 'the old one' } });
    fireEvent.change(screen.getByLabelText('New password'), { target: { value: 'short' } });
    fireEvent.click(screen.getByRole('button', { name: 'Change password' }));

    const next = screen.getByLabelText('New password');
    await waitFor(() => expect(description(next)).toBe('New password must be at least 8 characters.'));
  });
});

describe('Site settings', () => {
  /** Renders the settings of `shown` once its keys and members have loaded. */
  const renderSettings = async (shown: Site = site()) => {
    render(<SiteSettings site={shown} onChanged={jest.fn()} onDeleted={jest.fn()} />);
    await screen.findByText('No API keys yet.');
    await waitFor(() => expect(screen.queryByText('Loading people…')).not.toBeInTheDocument());
  };
  const settingsBackend = (over: Record<string, Route> = {}) =>
    backend({
      [`GET /api/v1/sites/${SITE_ID}/keys`]: () => ({ body: { keys: [] } }),
      [`GET /api/v1/sites/${SITE_ID}/members`]: () => ({ body: { members: [] } }),
      [`GET /api/v1/sites/${SITE_ID}/invitations`]: () => ({ body: { invitations: [] } }),
      ...over,
    });

  it.each(['shop.example', 'SHOP.EXAMPLE', '  Shop.Example ', 'SHOP', 'shop'])(
    'when %j is typed to confirm deleting the site, then the delete button is enabled',
    async (typed) => {
      settingsBackend();
      await renderSettings();
      const button = screen.getByRole('button', { name: 'Delete site' });
      expect(button).toBeDisabled();

      fireEvent.change(screen.getByLabelText('Type shop.example to confirm'), { target: { value: typed } });
      expect(button).toBeEnabled();
    },
  );

  it('when something else is typed, then the delete button stays disabled', async () => {
    settingsBackend();
    await renderSettings();
    fireEvent.change(screen.getByLabelText('Type shop.example to confirm'), { target: { value: 'shop.exampl' } });
    expect(screen.getByRole('button', { name: 'Delete site' })).toBeDisabled();
  });

  it('when the site is localhost, then its snippet carries data-localhost and the card explains why', async () => {
    settingsBackend();
    await renderSettings(site({ domain: 'localhost' }));

    expect(screen.getByText(/data-site="pub_shop_0001" data-localhost><\/script>/)).toBeInTheDocument();
    expect(screen.getByText(/unless its tag has the data-localhost attribute/)).toBeInTheDocument();
  });

  it("when a key's name is refused, then the message is under the key name", async () => {
    settingsBackend({
      [`POST /api/v1/sites/${SITE_ID}/keys`]: invalid('body', [
        { path: 'body.name', message: 'must not contain control characters' },
      ]),
    });
    await renderSettings();
    fireEvent.change(screen.getByLabelText('Key name'), { target: { value: 'bad\u0007name' } });
    fireEvent.click(screen.getByRole('button', { name: 'Create key' }));

    const name = screen.getByLabelText('Key name');
    await waitFor(() => expect(description(name)).toBe('Key name must not contain control characters.'));
  });

  it("when an invitation's address is refused, then the message is under the email field", async () => {
    settingsBackend({
      [`POST /api/v1/sites/${SITE_ID}/members`]: invalid('body', [
        { path: 'body.email', message: 'Invalid email address' },
      ]),
    });
    await renderSettings();
    const form = screen.getByRole('heading', { name: 'Invite someone' }).closest('form')!;
    fireEvent.change(within(form).getByLabelText('Email'), { target: { value: 'nobody@' } });
    fireEvent.submit(form);

    const email = within(form).getByLabelText('Email');
    await waitFor(() => expect(description(email)).toBe('Invalid email address.'));
  });
});
