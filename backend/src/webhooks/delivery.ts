import { trusted } from 'mongoose';

import { isDuplicateKey } from '../lib/db-errors';
import { WebhookClaim, WebhookDelivery, Webhook, type DeliveryDoc, type LogDoc, type WebhookDoc } from './model';
import { eventPayload, logAttempt, newDeliveryId, requireWebhook, type EventSite } from './service';
import { SIGNATURE_HEADER, signatureHeader } from './signature';
import { postToTarget, type PostOptions, type PostResult } from './target';

/**
 * The delivery job: sends due deliveries, each attempt by exactly one process, and retries a
 * failed one with growing delays until it was delivered or MAX_ATTEMPTS were made.
 */

export const MAX_ATTEMPTS = 6;
/** The wait after each failed attempt: the sixth comes about an hour after the first. */
export const RETRY_DELAYS_MS = [1, 3, 8, 18, 30].map((minutes) => minutes * 60_000);
/**
 * How long a claimed attempt is left to its process: longer than the longest attempt
 * (WEBHOOKS_TIMEOUT_MS ≤ 30 s, plus DNS), so only a process that died loses its claim.
 */
export const CLAIM_MS = 2 * 60_000;
/** Times an attempt is taken over from a process that died with it before it is given up. */
const MAX_TAKEOVERS = 3;
/** Due deliveries one run reads, and how many it sends at once. */
const BATCH = 20;
const CONCURRENCY = 4;
/** Claims are kept a day after they were made (far past CLAIM_MS), then pruned. */
const CLAIM_KEPT_MS = 86_400_000;

const USER_AGENT = 'Clickpath-Webhooks/1';

export interface DeliveryOptions extends PostOptions {
  /** The clock (tests move it to see the backoff). */
  now?: () => Date;
}

/** The headers of one attempt: the event, the delivery id (stable across retries) and a fresh signature. */
function deliveryHeaders(
  hook: Pick<WebhookDoc, 'secret'>,
  delivery: Pick<DeliveryDoc, '_id' | 'event' | 'payload'>,
  at: Date,
) {
  return {
    'Content-Type': 'application/json',
    'User-Agent': USER_AGENT,
    'Clickpath-Event': delivery.event,
    'Clickpath-Delivery': delivery._id,
    [SIGNATURE_HEADER]: signatureHeader(hook.secret, delivery.payload, at),
  };
}

const delivered = (result: PostResult) =>
  result.statusCode !== null && result.statusCode >= 200 && result.statusCode < 300;

/** Sends one attempt now and returns what happened (the test button, and the job below). */
export async function sendAttempt(
  hook: Pick<WebhookDoc, 'secret' | 'url'>,
  delivery: Pick<DeliveryDoc, '_id' | 'event' | 'payload'>,
  at: Date,
  options: PostOptions,
): Promise<PostResult & { ok: boolean }> {
  const result = await postToTarget(hook.url, delivery.payload, deliveryHeaders(hook, delivery, at), options);
  return { ...result, ok: delivered(result) };
}

/**
 * Claims the delivery's next attempt for this process by inserting its claim. A claim another
 * process made less than CLAIM_MS ago means that process is sending it; an older one means it
 * died, and the attempt is taken over under the next takeover number (again a unique insert,
 * so of several processes noticing, one takes it). Returns false when someone else has it,
 * 'abandoned' when it was taken over MAX_TAKEOVERS times already.
 */
async function claimAttempt(delivery: DeliveryDoc, now: Date): Promise<boolean | 'abandoned'> {
  for (let takeover = 0; takeover < MAX_TAKEOVERS; takeover++) {
    const _id = `${delivery._id}:${delivery.attempts}:${takeover}`;
    try {
      await WebhookClaim.create({
        _id,
        siteId: delivery.siteId,
        at: now,
        expiresAt: new Date(now.getTime() + CLAIM_KEPT_MS),
      });
      return true;
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
    }
    const held = await WebhookClaim.findOne({ _id, siteId: delivery.siteId }).lean();
    if (!held || held.at.getTime() > now.getTime() - CLAIM_MS) return false;
  }
  return 'abandoned';
}

export interface DeliveryRun {
  attempted: number;
  delivered: number;
  retrying: number;
  failed: number;
}

/** One attempt of a claimed delivery: send, log, then leave the queue or wait for the next try. */
async function attempt(delivery: DeliveryDoc, now: Date, options: PostOptions, run: DeliveryRun): Promise<void> {
  // Read again under the claim: a process that read the queue long ago may hold an attempt already made.
  const current = await WebhookDelivery.findOne({ _id: delivery._id, siteId: delivery.siteId }).lean<DeliveryDoc>();
  if (current?.attempts !== delivery.attempts) return;
  const hook = await Webhook.findOne({ _id: delivery.webhookId, siteId: delivery.siteId }).lean<WebhookDoc>();
  if (!hook) {
    // Deleted since the event: nobody to send it to.
    await WebhookDelivery.deleteOne({ _id: delivery._id, siteId: delivery.siteId });
    return;
  }
  const number = delivery.attempts + 1;
  const result = await sendAttempt(hook, delivery, now, options);
  run.attempted += 1;
  const last = number >= MAX_ATTEMPTS;
  const nextAttemptAt =
    result.ok || last ? null : new Date(now.getTime() + (RETRY_DELAYS_MS[number - 1] ?? RETRY_DELAYS_MS.at(-1)!));
  const outcome: LogDoc['outcome'] = result.ok ? 'delivered' : last ? 'failed' : 'retrying';
  run[outcome === 'delivered' ? 'delivered' : outcome === 'failed' ? 'failed' : 'retrying'] += 1;
  await logAttempt({
    siteId: delivery.siteId,
    webhookId: delivery.webhookId,
    deliveryId: delivery._id,
    event: delivery.event,
    attempt: number,
    at: now,
    statusCode: result.statusCode,
    error: result.error,
    durationMs: result.durationMs,
    outcome,
    nextAttemptAt,
    response: result.response,
  });
  if (nextAttemptAt) {
    await WebhookDelivery.updateOne(
      { _id: delivery._id, siteId: delivery.siteId },
      { $set: { attempts: number, nextAttemptAt } },
    );
  } else {
    await WebhookDelivery.deleteOne({ _id: delivery._id, siteId: delivery.siteId });
  }
}

/** Gives up a delivery whose attempt died with its process MAX_TAKEOVERS times. */
async function abandon(delivery: DeliveryDoc, now: Date, run: DeliveryRun): Promise<void> {
  run.failed += 1;
  await logAttempt({
    siteId: delivery.siteId,
    webhookId: delivery.webhookId,
    deliveryId: delivery._id,
    event: delivery.event,
    attempt: delivery.attempts + 1,
    at: now,
    statusCode: null,
    error: `Given up: the attempt was interrupted ${MAX_TAKEOVERS} times`,
    durationMs: 0,
    outcome: 'failed',
    nextAttemptAt: null,
    response: '',
  });
  await WebhookDelivery.deleteOne({ _id: delivery._id, siteId: delivery.siteId });
}

/**
 * Sends the deliveries that are due, oldest first, up to BATCH per run and CONCURRENCY at a
 * time. Safe to run in every process at once: each attempt is claimed by a unique insert.
 */
export async function deliverDueWebhooks(options: DeliveryOptions): Promise<DeliveryRun> {
  const clock = options.now ?? (() => new Date());
  const run: DeliveryRun = { attempted: 0, delivered: 0, retrying: 0, failed: 0 };
  const work = await dueDeliveries(clock());
  const worker = async () => {
    for (let delivery = work.shift(); delivery; delivery = work.shift()) {
      // Each attempt on its own clock reading: its claim, signature and log say when it was sent.
      const now = clock();
      const claimed = await claimAttempt(delivery, now);
      if (claimed === 'abandoned') await abandon(delivery, now, run);
      else if (claimed) await attempt(delivery, now, options, run);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return run;
}

/** The deliveries due now, across sites (the queue holds only pending deliveries, so it stays small). */
async function dueDeliveries(now: Date): Promise<DeliveryDoc[]> {
  const due = await WebhookDelivery.find({ nextAttemptAt: trusted({ $lte: now }) })
    .sort({ nextAttemptAt: 1 })
    .limit(BATCH)
    .lean<DeliveryDoc[]>();
  return due;
}

/**
 * The test button: sends a `webhook.test` event to one webhook now, once (no retries), logs
 * the attempt and returns it.
 */
export async function sendTestEvent(
  site: EventSite,
  webhookId: string,
  options: PostOptions,
  now = new Date(),
): Promise<LogDoc> {
  const hook = await requireWebhook(site._id, webhookId);
  const delivery = {
    _id: newDeliveryId(site._id),
    event: 'webhook.test' as const,
    payload: eventPayload(
      site,
      'webhook.test',
      { message: 'A test delivery from Clickpath: if you can read this, the webhook works.' },
      now,
    ),
  };
  const result = await sendAttempt(hook, delivery, now, options);
  return logAttempt({
    siteId: site._id,
    webhookId: hook._id,
    deliveryId: delivery._id,
    event: delivery.event,
    attempt: 1,
    at: now,
    statusCode: result.statusCode,
    error: result.error,
    durationMs: result.durationMs,
    outcome: result.ok ? 'delivered' : 'failed',
    nextAttemptAt: null,
    response: result.response,
  });
}

/** Deletes claims older than a day: their attempts are long over. Run by the scheduler. */
export async function pruneWebhookClaims(now = new Date()): Promise<number> {
  return (await WebhookClaim.deleteMany({ expiresAt: trusted({ $lte: now }) })).deletedCount;
}

/** The delivery job for the scheduler: one run at a time in this process (a run may wait on slow receivers). */
export function deliveryJob(options: DeliveryOptions): () => Promise<DeliveryRun | 'busy'> {
  let running = false;
  return async () => {
    if (running) return 'busy';
    running = true;
    try {
      return await deliverDueWebhooks(options);
    } finally {
      running = false;
    }
  };
}
