/**
 * WordPress dependencies
 */
import { createElement, useMemo } from '@wordpress/element';

/**
 * Internal dependencies
 */
import { AlertsCard } from '../../reports-alerts/components/alerts-card';
import type { AlertsSource } from '../../reports-alerts/types';
import { api } from '../query';

export { describeAlert } from '../../reports-alerts/components/alerts-card';

/**
 * A site's traffic alerts in its dashboard settings, for its owner and admins: the shared card
 * on the backend's API, with the members to choose who gets the mail. `timeZone`: the site's.
 */
export function Alerts({ siteId, timeZone }: { siteId: string; timeZone?: string }) {
  const source = useMemo<AlertsSource>(
    () => ({
      loadAlerts: () => api.alerts(siteId),
      saveAlerts: (body) => api.saveAlerts(siteId, body),
      members: () => api.members(siteId),
    }),
    [siteId],
  );
  return <AlertsCard source={source} sourceKey={siteId} timeZone={timeZone} className="clickpath-report__card" />;
}
