import type { AlertEvent, AlertSettings, Member } from '../dashboard/types';

export type { AlertEvent, AlertSettings, Member };

/** What `GET`/`PUT /sites/:siteId/alerts` answer: the settings and the latest alerts that fired. */
export type AlertSettingsView = AlertSettings & { recent: AlertEvent[] };

/**
 * Where a host reads and changes a site's alerts: the backend's API in the dashboard, the
 * plugin's REST proxy in wp-admin. `members` only where the members can be listed (a signed-in
 * dashboard); without it, the recipients chosen there are sent back unchanged.
 */
export interface AlertsSource {
  loadAlerts(signal?: AbortSignal): Promise<AlertSettingsView>;
  saveAlerts(body: AlertSettings): Promise<AlertSettingsView>;
  members?: () => Promise<Member[]>;
}

export type ReportFrequency = 'weekly' | 'monthly';

/** One scheduled email report (backend/src/email-reports/schemas.ts). */
export interface EmailReportSubscription {
  id: string;
  email: string;
  frequency: ReportFrequency;
  /** 1 = Monday … 7 = Sunday (ISO) for weekly reports; null for monthly ones. */
  weekday: number | null;
  createdAt: string;
  lastSentAt: string | null;
}

/** What `POST /sites/:siteId/email-reports` takes; `weekday` for weekly reports only. */
export interface NewEmailReport {
  email: string;
  frequency: ReportFrequency;
  weekday?: number;
}

/** Where a host lists, adds, removes and previews a site's email reports. */
export interface EmailReportsSource {
  listEmailReports(signal?: AbortSignal): Promise<{ subscriptions: EmailReportSubscription[] }>;
  addEmailReport(body: NewEmailReport): Promise<EmailReportSubscription>;
  removeEmailReport(id: string): Promise<void>;
  previewEmailReport(id: string): Promise<void>;
}
