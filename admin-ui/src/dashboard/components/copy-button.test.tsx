import { act, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { createElement } from '@wordpress/element';

import { dashboardBackend, siteFixture } from '../../testing/dashboard-backend';
import { SITE } from '../../testing/fake-backend';
import { CopyButton } from './copy-button';
import { SiteSettings } from './site-settings';

const clipboard = (writeText: jest.Mock) =>
  Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true });

afterEach(() => {
  jest.useRealTimers();
  jest.restoreAllMocks();
});

describe('Copy buttons', () => {
  it('when the snippet is copied, then it is on the clipboard and the card says so', async () => {
    const writeText = jest.fn(async () => undefined);
    clipboard(writeText);
    dashboardBackend({
      [`GET /api/v1/sites/${SITE}/keys`]: () => ({ body: { keys: [] } }),
      [`GET /api/v1/sites/${SITE}/members`]: () => ({ body: { members: [] } }),
      [`GET /api/v1/sites/${SITE}/invitations`]: () => ({ body: { invitations: [] } }),
    });
    render(<SiteSettings site={siteFixture()} onChanged={jest.fn()} onDeleted={jest.fn()} />);
    fireEvent.click(screen.getByRole('button', { name: 'Copy snippet' }));

    expect(await screen.findByText('Copied to the clipboard.')).toHaveAttribute('role', 'status');
    expect(writeText).toHaveBeenCalledWith(
      `<script defer src="${window.location.origin}/js/clickpath.js" data-site="pub_shop_0001"></script>`,
    );
  });

  it('when a key is created, then its secret has a Copy button that copies it', async () => {
    const writeText = jest.fn(async () => undefined);
    clipboard(writeText);
    const key = {
      id: 'k1',
      name: 'WordPress',
      prefix: 'cp_abc',
      scopes: ['stats:read'],
      createdBy: null,
      createdAt: '2026-03-01T10:00:00.000Z',
      lastUsedAt: null,
      revokedAt: null,
      rotatedFrom: null,
    };
    dashboardBackend({
      [`GET /api/v1/sites/${SITE}/keys`]: () => ({ body: { keys: [] } }),
      [`POST /api/v1/sites/${SITE}/keys`]: () => ({ status: 201, body: { ...key, secret: 'cp_abc_secret' } }),
      [`GET /api/v1/sites/${SITE}/members`]: () => ({ body: { members: [] } }),
      [`GET /api/v1/sites/${SITE}/invitations`]: () => ({ body: { invitations: [] } }),
    });
    render(<SiteSettings site={siteFixture()} onChanged={jest.fn()} onDeleted={jest.fn()} />);
    await screen.findByText('No API keys yet.');
    fireEvent.change(screen.getByLabelText('Key name'), { target: { value: 'WordPress' } });
    fireEvent.click(screen.getByRole('button', { name: 'Create key' }));

    const secret = await screen.findByLabelText('Secret key');
    const notice = secret.closest('.components-notice') as HTMLElement;
    fireEvent.click(within(notice).getByRole('button', { name: 'Copy key' }));
    expect(await within(notice).findByText('Copied to the clipboard.')).toBeInTheDocument();
    expect(writeText).toHaveBeenCalledWith('cp_abc_secret');
  });

  it('when the clipboard refuses, then it says to copy by hand; the confirmation goes after a while', async () => {
    jest.useFakeTimers();
    clipboard(jest.fn(async () => Promise.reject(new Error('denied'))));
    render(<CopyButton text="x" label="Copy" />);
    fireEvent.click(screen.getByRole('button', { name: 'Copy' }));
    await waitFor(() =>
      expect(screen.getByRole('status')).toHaveTextContent('Copy failed: select the text and copy it by hand.'),
    );
    act(() => {
      jest.advanceTimersByTime(6000);
    });
    expect(screen.getByRole('status')).toHaveTextContent('');
  });
});
