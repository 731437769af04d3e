import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import { createElement } from '@wordpress/element';

import { dashboardBackend, description, invalid, siteFixture } from '../../testing/dashboard-backend';
import { SITE } from '../../testing/fake-backend';
import { CollectionOptions } from './collection-options';

const PATCH = `PATCH /api/v1/sites/${SITE}`;

describe('Collection options', () => {
  it('when the options are saved, then the API gets them all in settings and the form shows what it stored', async () => {
    const calls = dashboardBackend({
      [PATCH]: (init) => {
        const { settings } = JSON.parse(String(init.body)) as { settings: object };
        return {
          body: siteFixture({
            settings: { ...siteFixture().settings, ...settings, excludedIps: ['10.0.0.0/8', '203.0.113.7'] },
          }),
        };
      },
    });
    const onSaved = jest.fn();
    render(<CollectionOptions site={siteFixture()} onSaved={onSaved} />);

    fireEvent.change(screen.getByLabelText('Visitor identity'), { target: { value: 'first-party' } });
    expect(screen.getByText(/you may need their consent/)).toBeInTheDocument();
    fireEvent.click(screen.getByLabelText('Respect Do Not Track and Global Privacy Control'));
    fireEvent.click(screen.getByLabelText('Track file downloads'));
    fireEvent.change(screen.getByLabelText('Excluded IP addresses'), {
      target: { value: '10.0.0.0/8\n 203.0.113.7 \n' },
    });
    fireEvent.change(screen.getByLabelText('Keep detailed visit records for (days)'), { target: { value: '90' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save collection options' }));

    expect(
      await screen.findByText('Collection options saved.', { selector: '.components-notice__content' }),
    ).toBeInTheDocument();
    expect(calls).toEqual([
      {
        key: PATCH,
        body: {
          settings: {
            identityMode: 'first-party',
            honorDoNotTrack: true,
            visitTimeoutMinutes: 30,
            rawEventRetentionDays: 90,
            excludedIps: ['10.0.0.0/8', '203.0.113.7'],
            trackOutbound: true,
            trackDownloads: false,
            trackEngagement: true,
          },
        },
      },
    ]);
    expect(onSaved).toHaveBeenCalledWith(expect.objectContaining({ id: SITE }));
    expect(screen.getByLabelText('Excluded IP addresses')).toHaveValue('10.0.0.0/8\n203.0.113.7');
  });

  it('when the API refuses fields, then each message stands under its field and names the bad address', async () => {
    dashboardBackend({
      [PATCH]: invalid([
        { path: 'body.settings.excludedIps.1', message: 'Invalid input' },
        { path: 'body.settings.rawEventRetentionDays', message: 'must be at most 3650' },
      ]),
    });
    render(<CollectionOptions site={siteFixture()} onSaved={jest.fn()} />);
    fireEvent.change(screen.getByLabelText('Excluded IP addresses'), { target: { value: '10.0.0.1\n10.0.0.300' } });
    fireEvent.change(screen.getByLabelText('Keep detailed visit records for (days)'), { target: { value: '5000' } });
    // Past the browser's own min/max check, as an older browser or a pasted value would be.
    fireEvent.submit(screen.getByRole('form', { name: 'Collection options' }));

    const ips = screen.getByLabelText('Excluded IP addresses');
    await waitFor(() => expect(description(ips)).toBe('“10.0.0.300”: Invalid input.'));
    expect(ips).toHaveAttribute('aria-invalid', 'true');
    expect(description(screen.getByLabelText('Keep detailed visit records for (days)'))).toBe(
      'Keep detailed visit records for (days) must be at most 3650.',
    );
    const form = screen.getByRole('form', { name: 'Collection options' });
    expect(form.querySelector('.components-notice__content')).toHaveTextContent('Check the 2 marked fields.');
  });
});
