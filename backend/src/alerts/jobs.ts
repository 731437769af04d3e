import type { Job } from '../lib/scheduler';
import { checkAlerts, pruneAlertEvents, type AlertDeps } from './service';

/** The alerts domain's scheduled jobs, for server.ts. */
export function alertJobs(deps: AlertDeps): Job[] {
  return [
    // Every process checks; an alert fires once per period whoever sees it first (service.ts).
    { name: 'check-alerts', everyMs: 5 * 60_000, run: () => checkAlerts(deps) },
    { name: 'prune-alert-events', everyMs: 6 * 3_600_000, run: () => pruneAlertEvents() },
  ];
}
