/**
 * WordPress dependencies
 */
import { Button, Card, CardBody, CardHeader, TextControl } from '@wordpress/components';
import { createElement, useState } from '@wordpress/element';
import { __, sprintf } from '@wordpress/i18n';

/**
 * Internal dependencies
 */
import type { Erased } from '../../data/types';
import { fieldProps } from '../../lib/field-errors';
import { erasedSummary } from '../../lib/erased';
import { useSubmit } from '../../lib/use-submit';
import { api } from '../query';
import type { Site } from '../types';
import { Feedback } from './feedback';

/** Data portability and erasure: the whole site as one file, and one identified person erased. */
export function SiteData({ site }: { site: Site }) {
  const [userId, setUserId] = useState('');
  const [erased, setErased] = useState('');
  const erase = useSubmit(
    async () => {
      setErased('');
      const result: Erased = await api.erasePerson(site.id, userId.trim());
      setUserId('');
      setErased(erasedSummary(result));
    },
    { fields: ['userId'] },
  );
  return (
    <Card className="clickpath-report__card">
      <CardHeader>
        <h2 className="clickpath-report__card-title">{__('Data and privacy', 'clickpath')}</h2>
      </CardHeader>
      <CardBody>
        <h3>{__('Export the whole site', 'clickpath')}</h3>
        <p>
          {__(
            'One JSON file with everything stored for the site: settings, goals, funnels, notes, daily totals, visitors and raw events.',
            'clickpath',
          )}
        </p>
        <Button variant="secondary" href={api.siteExportUrl(site.id)} download>
          {__('Download site export (JSON)', 'clickpath')}
        </Button>
        <form
          className="clickpath-dashboard__form"
          onSubmit={(event) => {
            event.preventDefault();
            const question = sprintf(
              __('Erase everything stored about the person with user ID “%s”? This cannot be undone.', 'clickpath'),
              userId.trim(),
            );
            if (window.confirm(question)) void erase.submit();
          }}
          aria-label={__('Erase a person', 'clickpath')}
        >
          <h3>{__('Erase a person', 'clickpath')}</h3>
          <p className="clickpath-report__muted">
            {__(
              'For a request to be forgotten: erases the visitors, visits and raw events linked to the user ID your site passed to identify (first-party mode). To erase one visitor, open their profile under Visitors.',
              'clickpath',
            )}
          </p>
          <Feedback
            error={erase.error}
            success={erased}
            onRemove={() => {
              erase.clearError();
              setErased('');
            }}
          />
          <TextControl
            __nextHasNoMarginBottom
            __next40pxDefaultSize
            {...fieldProps(__('User ID', 'clickpath'), erase.fieldError('userId'))}
            value={userId}
            onChange={setUserId}
            maxLength={128}
            required
          />
          <Button
            variant="primary"
            isDestructive
            type="submit"
            isBusy={erase.busy}
            disabled={erase.busy || !userId.trim()}
          >
            {__('Erase person', 'clickpath')}
          </Button>
        </form>
      </CardBody>
    </Card>
  );
}
