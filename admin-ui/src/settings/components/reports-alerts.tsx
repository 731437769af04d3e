/**
 * WordPress dependencies
 */
import { Notice } from '@wordpress/components';
import { createElement } from '@wordpress/element';
import { __ } from '@wordpress/i18n';

/**
 * Internal dependencies
 */
import { AlertsCard } from '../../reports-alerts/components/alerts-card';
import { EmailReportsCard } from '../../reports-alerts/components/email-reports-card';
import { alertsSource, emailReportsSource } from '../query';

interface ReportsAlertsProps {
  /** The connected site: the cards load again when it changes. */
  siteId: string;
  /** The key's scopes as Connect read them. */
  scopes: string[];
  userEmail: string;
  timeZone?: string | undefined;
}

/**
 * "Reports & alerts": the connected Clickpath site's traffic alerts and scheduled email reports,
 * the same settings its dashboard shows, read and changed through the plugin with its API key.
 */
export function ReportsAlerts({ siteId, scopes, userEmail, timeZone }: ReportsAlertsProps) {
  return (
    <section className="clickpath-settings__section" aria-labelledby="clickpath-reports-alerts">
      <h2 id="clickpath-reports-alerts" className="clickpath-settings__section-title">
        {__('Reports & alerts', 'clickpath')}
      </h2>
      <p>
        {__(
          'These belong to the Clickpath site, not to this WordPress: its dashboard shows and changes the same alerts and email reports.',
          'clickpath',
        )}
      </p>
      {!scopes.includes('sites:manage') && (
        <Notice status="warning" isDismissible={false}>
          {__(
            'Alerts and email reports are a site admin’s settings: the Clickpath server lets only an API key with the sites:manage scope read and change them. Create such a key in the Clickpath dashboard (the site’s API keys) and connect with it, or change them in the dashboard.',
            'clickpath',
          )}
        </Notice>
      )}
      <AlertsCard source={alertsSource} sourceKey={siteId} timeZone={timeZone} className="clickpath-settings__card" />
      <EmailReportsCard
        source={emailReportsSource}
        sourceKey={siteId}
        defaultEmail={userEmail}
        timeZone={timeZone}
        className="clickpath-settings__card"
      />
    </section>
  );
}
