import type { AlertSettings, AlertSettingsInput, Member } from '../dashboard/types';
import type {
  CreateEmailReportSubscription,
  EmailReportSubscription,
  EmailReportSubscriptionList,
} from '../data/api.generated';

export type { AlertEvent, AlertSettings, AlertSettingsInput, Member } from '../dashboard/types';
export type { CreateEmailReportSubscription, EmailReportSubscription } from '../data/api.generated';

/**
 * Where a host reads and changes a site's alerts: the backend's API in the dashboard, the
 * plugin's REST proxy in wp-admin. `members` only where the members can be listed (a signed-in
 * dashboard); without it, the recipients chosen there are sent back unchanged.
 */
export interface AlertsSource {
  loadAlerts(signal?: AbortSignal): Promise<AlertSettings>;
  saveAlerts(body: AlertSettingsInput): Promise<AlertSettings>;
  members?: () => Promise<Member[]>;
}

export type ReportFrequency = EmailReportSubscription['frequency'];

/** Where a host lists, adds, removes and previews a site's email reports. */
export interface EmailReportsSource {
  listEmailReports(signal?: AbortSignal): Promise<EmailReportSubscriptionList>;
  addEmailReport(body: CreateEmailReportSubscription): Promise<EmailReportSubscription>;
  removeEmailReport(id: string): Promise<void>;
  previewEmailReport(id: string): Promise<void>;
}
