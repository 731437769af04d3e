import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import { createElement } from '@wordpress/element';

import { dashboardBackend, description, invalid, siteFixture } from '../../testing/dashboard-backend';
import { SITE } from '../../testing/fake-backend';
import { SiteData } from './site-data';

const ERASE = (userId: string) => `DELETE /api/v1/sites/${SITE}/people/${userId}`;

afterEach(() => jest.restoreAllMocks());

describe('Site data and privacy', () => {
  it('offers the whole site as one JSON download', () => {
    dashboardBackend({});
    render(<SiteData site={siteFixture()} />);
    const link = screen.getByRole('link', { name: 'Download site export (JSON)' });
    expect(link).toHaveAttribute('href', `/api/v1/sites/${SITE}/export/site`);
    expect(link).toHaveAttribute('download');
  });

  it('when erasing a person is confirmed, then the API erases them by user ID and the card says what went', async () => {
    const calls = dashboardBackend({
      [ERASE('user%2042')]: () => ({ body: { visitors: 2, visits: 3, events: 1, complete: true } }),
    });
    const confirm = jest.spyOn(window, 'confirm').mockReturnValue(true);
    render(<SiteData site={siteFixture()} />);
    fireEvent.change(screen.getByLabelText('User ID'), { target: { value: ' user 42 ' } });
    fireEvent.click(screen.getByRole('button', { name: 'Erase person' }));

    expect(
      await screen.findByText('Erased 2 visitors, 3 visits, 1 event.', { selector: '.components-notice__content' }),
    ).toBeInTheDocument();
    expect(confirm).toHaveBeenCalledWith(
      'Erase everything stored about the person with user ID “user 42”? This cannot be undone.',
    );
    expect(calls.map((c) => c.key)).toEqual([ERASE('user%2042')]);
    expect(screen.getByLabelText('User ID')).toHaveValue('');
  });

  it('when the erasure is not confirmed, then nothing is sent', () => {
    const calls = dashboardBackend({});
    jest.spyOn(window, 'confirm').mockReturnValue(false);
    render(<SiteData site={siteFixture()} />);
    fireEvent.change(screen.getByLabelText('User ID'), { target: { value: 'user-42' } });
    fireEvent.click(screen.getByRole('button', { name: 'Erase person' }));
    expect(calls).toEqual([]);
    expect(screen.getByLabelText('User ID')).toHaveValue('user-42');
  });

  it('when the API refuses the user ID, then its message stands under the field', async () => {
    dashboardBackend({
      [ERASE('bad%07id')]: invalid([{ path: 'params.userId', message: 'must not contain control characters' }]),
    });
    jest.spyOn(window, 'confirm').mockReturnValue(true);
    render(<SiteData site={siteFixture()} />);
    fireEvent.change(screen.getByLabelText('User ID'), { target: { value: 'bad\u0007id' } });
    fireEvent.click(screen.getByRole('button', { name: 'Erase person' }));
    const field = screen.getByLabelText('User ID');
    await waitFor(() => expect(description(field)).toBe('User ID must not contain control characters.'));
  });

  it('when the erasure fails, then the card says why', async () => {
    dashboardBackend({
      [ERASE('user-42')]: () => ({
        status: 403,
        body: { error: { code: 'forbidden', message: 'This action needs the admin role on this site' } },
      }),
    });
    jest.spyOn(window, 'confirm').mockReturnValue(true);
    render(<SiteData site={siteFixture()} />);
    fireEvent.change(screen.getByLabelText('User ID'), { target: { value: 'user-42' } });
    fireEvent.click(screen.getByRole('button', { name: 'Erase person' }));
    // The notice also speaks its text through an a11y live region; the visible notice is the one that counts.
    expect(
      await screen.findByText('This action needs the admin role on this site', {
        selector: '.components-notice__content',
      }),
    ).toBeInTheDocument();
  });
});
