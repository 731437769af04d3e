import { wpRequest } from '../data/wordpress';
import type { AlertSettings, AlertsSource, EmailReportSubscription, EmailReportsSource } from '../reports-alerts/types';
import type { CollectionSettings, PluginSettings, SelfTestSetup } from './types';

export const loadSettings = (signal?: AbortSignal) =>
  wpRequest<PluginSettings>({ method: 'GET', path: 'settings' }, signal ? { signal } : undefined);

export const saveSettings = (update: CollectionSettings) =>
  wpRequest<PluginSettings>({ method: 'POST', path: 'settings', body: update });

/** Verifies the URL and key (the typed one, or the stored one when left empty) and stores them. */
export const connect = (backendUrl: string, apiKey: string) =>
  wpRequest<PluginSettings>({
    method: 'POST',
    path: 'connect',
    body: apiKey ? { backendUrl, apiKey } : { backendUrl },
  });

export const disconnect = () => wpRequest<PluginSettings>({ method: 'POST', path: 'disconnect', body: {} });

/** What the collection self-test runs against; the server checks the stored key on the way. */
export const loadSelfTestSetup = () => wpRequest<SelfTestSetup>({ method: 'GET', path: 'self-test' });

/** The realtime report through the plugin's proxy: the self-test looks for its event there. */
export const loadRealtime = (after?: string) =>
  wpRequest<{ events: Array<{ id: string }>; cursor: string | null }>({
    method: 'GET',
    path: after ? `stats/realtime?after=${encodeURIComponent(after)}` : 'stats/realtime',
  });

/** The connected site's alerts through the plugin (`clickpath/v1/alerts` → `/sites/:siteId/alerts`). */
export const alertsSource: AlertsSource = {
  loadAlerts: (signal) => wpRequest<AlertSettings>({ method: 'GET', path: 'alerts' }, signal ? { signal } : undefined),
  saveAlerts: (body) => wpRequest<AlertSettings>({ method: 'PUT', path: 'alerts', body }),
};

/** The connected site's email reports through the plugin (`clickpath/v1/email-reports…`). */
export const emailReportsSource: EmailReportsSource = {
  listEmailReports: (signal) =>
    wpRequest<{ subscriptions: EmailReportSubscription[] }>(
      { method: 'GET', path: 'email-reports' },
      signal ? { signal } : undefined,
    ),
  addEmailReport: (body) => wpRequest<EmailReportSubscription>({ method: 'POST', path: 'email-reports', body }),
  removeEmailReport: (id) => wpRequest<void>({ method: 'DELETE', path: `email-reports/${encodeURIComponent(id)}` }),
  previewEmailReport: (id) =>
    wpRequest<void>({ method: 'POST', path: `email-reports/${encodeURIComponent(id)}/preview` }),
};
