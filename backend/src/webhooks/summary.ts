import { DateTime } from 'luxon';

import { reportNumbers } from '../email-reports/service';
import { spendOnce } from '../lib/spend-once';
import { getSite, type SiteDoc } from '../sites/service';
import { queueEvent, sitesListeningFor } from './service';

const WEEK_MS = 7 * 86_400_000;

/**
 * The `summary.weekly` payload: a site-local week (Monday to Sunday) with the numbers of the
 * email reports (email-reports/service.ts, from the report service): the overview with its
 * change on the week before, the top pages and sources, and the goals' conversions.
 */
export async function weeklySummary(site: SiteDoc, from: string, to: string) {
  const start = DateTime.fromISO(from);
  return reportNumbers(site, {
    from,
    to,
    compareFrom: start.minus({ days: 7 }).toISODate()!,
    compareTo: start.minus({ days: 1 }).toISODate()!,
  });
}

/**
 * Queues last week's summary for each site with a webhook that wants it, on the Monday that
 * follows in the site's zone. Once per site and week whatever the processes: the week is
 * spent by a unique insert before the numbers are read (a failure then skips that week).
 * Returns the deliveries queued.
 */
export async function queueWeeklySummaries(now = new Date()): Promise<number> {
  let queued = 0;
  for (const siteId of await sitesListeningFor('summary.weekly')) {
    const site = await getSite(siteId);
    if (!site) continue;
    const local = DateTime.fromJSDate(now, { zone: site.timezone });
    if (local.weekday !== 1) continue;
    const monday = local.startOf('week').minus({ weeks: 1 });
    const from = monday.toISODate()!;
    const to = monday.plus({ days: 6 }).toISODate()!;
    if (
      !(await spendOnce(`summary.weekly:${siteId.toHexString()}:${from}`, { until: new Date(now.getTime() + WEEK_MS) }))
    )
      continue;
    queued += await queueEvent(site, 'summary.weekly', await weeklySummary(site, from, to), now);
  }
  return queued;
}
