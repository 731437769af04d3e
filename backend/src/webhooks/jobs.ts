import type { Job } from '../lib/scheduler';
import { deliveryJob, pruneWebhookClaims } from './delivery';
import { queueWeeklySummaries } from './summary';
import type { PostOptions } from './target';

const HOUR = 3_600_000;

/** The webhooks domain's scheduled jobs, for server.ts. */
export function webhookJobs(options: PostOptions): Job[] {
  return [
    // Every process delivers; each attempt is claimed by one of them (delivery.ts).
    { name: 'deliver-webhooks', everyMs: 5_000, run: deliveryJob(options) },
    { name: 'weekly-summaries', everyMs: 15 * 60_000, run: () => queueWeeklySummaries() },
    { name: 'prune-webhook-claims', everyMs: HOUR, run: () => pruneWebhookClaims() },
  ];
}
