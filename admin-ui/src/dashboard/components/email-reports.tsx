/**
 * WordPress dependencies
 */
import { createElement, useMemo } from '@wordpress/element';

/**
 * Internal dependencies
 */
import { EmailReportsCard } from '../../reports-alerts/components/email-reports-card';
import type { EmailReportsSource } from '../../reports-alerts/types';
import { api } from '../query';

/**
 * A site's scheduled email reports in its dashboard settings, for its owner and admins: the
 * shared card on the backend's API. `defaultEmail`: the signed-in person's address, to start
 * the form with; `timeZone`: the site's.
 */
export function EmailReports({
  siteId,
  defaultEmail = '',
  timeZone,
}: {
  siteId: string;
  defaultEmail?: string;
  timeZone?: string;
}) {
  const source = useMemo<EmailReportsSource>(
    () => ({
      listEmailReports: () => api.emailReports(siteId),
      addEmailReport: (body) => api.addEmailReport(siteId, body),
      removeEmailReport: (id) => api.removeEmailReport(siteId, id),
      previewEmailReport: (id) => api.previewEmailReport(siteId, id),
    }),
    [siteId],
  );
  return (
    <EmailReportsCard
      source={source}
      sourceKey={siteId}
      defaultEmail={defaultEmail}
      timeZone={timeZone}
      className="clickpath-report__card"
    />
  );
}
