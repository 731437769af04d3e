import type { Job } from '../lib/scheduler';
import { pruneEmailReportSends, sendDueReports, type EmailReportDeps } from './service';

/** The email reports domain's scheduled jobs, for server.ts. */
export function emailReportJobs(deps: EmailReportDeps): Job[] {
  return [
    // Every process runs it; each report is sent once, by whoever claims it first (service.ts).
    { name: 'send-email-reports', everyMs: 5 * 60_000, run: () => sendDueReports(deps) },
    { name: 'prune-email-report-sends', everyMs: 6 * 3_600_000, run: () => pruneEmailReportSends() },
  ];
}
