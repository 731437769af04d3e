import { randomBytes } from 'node:crypto';

import { trusted, type Types } from 'mongoose';

import { accountActor, type Actor } from '../audit/actor';
import { recordAudit } from '../audit/service';
import { isDuplicateKey } from '../lib/db-errors';
import { AppError } from '../lib/errors';
import {
  MAX_WEBHOOKS_PER_SITE,
  Webhook,
  WebhookClaim,
  WebhookDelivery,
  WebhookLog,
  type DeliveredEvent,
  type DeliveryDoc,
  type LogDoc,
  type WebhookDoc,
  type WebhookEvent,
} from './model';
import { TargetRefused, resolveTarget, type PostOptions } from './target';

/** Recognisable by secret scanners, as Stripe's are. */
const SECRET_PREFIX = 'whsec_';
const HINT_LENGTH = SECRET_PREFIX.length + 4;

/** The largest JSON body a delivery carries (docs/limits.md). */
export const MAX_PAYLOAD_BYTES = 64 * 1024;
/** Deliveries waiting per webhook; more are dropped (and logged) until the receiver catches up. */
export const MAX_PENDING_PER_WEBHOOK = 100;
/** Attempts kept in each webhook's log. */
export const LOG_LIMIT = 100;

export interface WebhookView {
  id: string;
  url: string;
  description: string;
  events: WebhookEvent[];
  secretHint: string;
  createdAt: string;
}

export function toWebhookView(hook: WebhookDoc): WebhookView {
  return {
    id: hook._id.toHexString(),
    url: hook.url,
    description: hook.description,
    events: hook.events,
    secretHint: `${hook.secret.slice(0, HINT_LENGTH)}…`,
    createdAt: hook.createdAt.toISOString(),
  };
}

export async function listWebhooks(siteId: Types.ObjectId): Promise<WebhookDoc[]> {
  return Webhook.find({ siteId }).sort({ createdAt: 1 }).lean<WebhookDoc[]>();
}

export async function requireWebhook(siteId: Types.ObjectId, webhookId: string): Promise<WebhookDoc> {
  const hook = await Webhook.findOne({ _id: webhookId, siteId }).lean<WebhookDoc>();
  if (!hook) throw new AppError('not_found', 'Webhook not found');
  return hook;
}

/**
 * A webhook as the audit log names it: its URL by origin only (paths and queries often carry
 * a receiver's token, e.g. Slack's), never its signing secret.
 */
const webhookRef = (hook: Pick<WebhookDoc, '_id' | 'url' | 'events' | 'description'>) => ({
  id: hook._id.toHexString(),
  target: new URL(hook.url).origin,
  events: [...hook.events],
  description: hook.description,
});

/** The 400 for a URL that may not be a target: the address and why, under `body.url`. */
const refusedUrl = (reason: string) =>
  new AppError('validation_failed', `Webhook URL refused: ${reason}`, [{ path: 'body.url', message: reason }]);

/**
 * Creates a webhook after checking where its URL resolves to. The site's places are slots
 * with a unique index: of two creations racing for the last one, one gets 409.
 */
export async function createWebhook(
  siteId: Types.ObjectId,
  createdBy: Types.ObjectId,
  input: { url: string; events: WebhookEvent[]; description: string },
  { allowPrivate, resolve }: Pick<PostOptions, 'allowPrivate' | 'resolve'>,
): Promise<{ webhook: WebhookDoc; secret: string }> {
  const full = () =>
    new AppError('conflict', `A site may have at most ${MAX_WEBHOOKS_PER_SITE} webhooks; delete one first`);
  if ((await Webhook.countDocuments({ siteId })) >= MAX_WEBHOOKS_PER_SITE) throw full();
  try {
    await resolveTarget(new URL(input.url), allowPrivate, resolve);
  } catch (error) {
    if (error instanceof TargetRefused) throw refusedUrl(error.message);
    throw error;
  }
  const secret = SECRET_PREFIX + randomBytes(32).toString('base64url');
  for (;;) {
    const taken = new Set((await Webhook.find({ siteId }, { slot: 1 }).lean()).map((h) => h.slot));
    const slot = [...Array(MAX_WEBHOOKS_PER_SITE).keys()].find((s) => !taken.has(s));
    if (slot === undefined) throw full();
    try {
      const created = await Webhook.create({
        siteId,
        slot,
        url: input.url,
        description: input.description,
        events: [...new Set(input.events)],
        secret,
        createdBy,
      });
      const webhook = created.toObject() as WebhookDoc;
      await recordAudit(siteId, accountActor(createdBy), 'webhook.created', { webhook: webhookRef(webhook) });
      return { webhook, secret };
    } catch (error) {
      // Another creation took this slot a moment ago: look again.
      if (!isDuplicateKey(error)) throw error;
    }
  }
}

/** Deletes a webhook with its queued deliveries, claims and log. */
export async function deleteWebhook(siteId: Types.ObjectId, webhookId: string, actor: Actor): Promise<void> {
  const hook = await requireWebhook(siteId, webhookId);
  const { deletedCount } = await Webhook.deleteOne({ _id: hook._id, siteId });
  if (deletedCount > 0) await recordAudit(siteId, actor, 'webhook.deleted', { webhook: webhookRef(hook) });
  await WebhookDelivery.deleteMany({ siteId, webhookId: hook._id });
  await WebhookLog.deleteMany({ siteId, webhookId: hook._id });
}

/** Everything webhooks keep for a site (the site is being deleted). */
export async function deleteWebhooksForSite(siteId: Types.ObjectId): Promise<void> {
  await Webhook.deleteMany({ siteId });
  await WebhookDelivery.deleteMany({ siteId });
  await WebhookLog.deleteMany({ siteId });
  await WebhookClaim.deleteMany({ siteId });
}

export interface AttemptView {
  id: string;
  deliveryId: string;
  event: string;
  attempt: number;
  at: string;
  statusCode: number | null;
  error: string | null;
  durationMs: number;
  outcome: LogDoc['outcome'];
  nextAttemptAt: string | null;
  response: string;
}

export function toAttemptView(entry: LogDoc): AttemptView {
  return {
    id: entry._id.toHexString(),
    deliveryId: entry.deliveryId,
    event: entry.event,
    attempt: entry.attempt,
    at: entry.at.toISOString(),
    statusCode: entry.statusCode ?? null,
    error: entry.error ?? null,
    durationMs: entry.durationMs,
    outcome: entry.outcome,
    nextAttemptAt: entry.nextAttemptAt?.toISOString() ?? null,
    response: entry.response ?? '',
  };
}

/** A webhook's log, newest first, and the deliveries still waiting for it. */
export async function deliveryLog(siteId: Types.ObjectId, webhookId: string) {
  const hook = await requireWebhook(siteId, webhookId);
  const [attempts, pending] = await Promise.all([
    WebhookLog.find({ siteId, webhookId: hook._id }).sort({ _id: -1 }).limit(LOG_LIMIT).lean<LogDoc[]>(),
    WebhookDelivery.find({ siteId, webhookId: hook._id }).sort({ nextAttemptAt: 1 }).lean<DeliveryDoc[]>(),
  ]);
  return {
    attempts: attempts.map(toAttemptView),
    pending: pending.map((d) => ({
      deliveryId: d._id,
      event: d.event,
      attempts: d.attempts,
      nextAttemptAt: d.nextAttemptAt.toISOString(),
    })),
  };
}

/** Adds an attempt to the log and drops the webhook's entries beyond the newest LOG_LIMIT. */
export async function logAttempt(entry: Omit<LogDoc, '_id'>): Promise<LogDoc> {
  const created = (await WebhookLog.create(entry)).toObject() as LogDoc;
  const older = await WebhookLog.find({ siteId: entry.siteId, webhookId: entry.webhookId }, { _id: 1 })
    .sort({ _id: -1 })
    .skip(LOG_LIMIT)
    .lean();
  if (older.length > 0) {
    await WebhookLog.deleteMany({ siteId: entry.siteId, _id: trusted({ $in: older.map((o) => o._id) }) });
  }
  return created;
}

export interface EventSite {
  _id: Types.ObjectId;
  name: string;
  domain: string;
}

/** The JSON body of an event: the same envelope for every type (docs/webhooks.md). */
export function eventPayload(site: EventSite, type: DeliveredEvent, data: unknown, now: Date): string {
  const payload = JSON.stringify({
    id: `evt_${randomBytes(12).toString('base64url')}`,
    type,
    createdAt: now.toISOString(),
    site: { id: site._id.toHexString(), name: site.name, domain: site.domain },
    data,
  });
  if (Buffer.byteLength(payload) > MAX_PAYLOAD_BYTES) {
    throw new Error(`a ${type} payload of ${Buffer.byteLength(payload)} bytes exceeds ${MAX_PAYLOAD_BYTES}`);
  }
  return payload;
}

export const newDeliveryId = (siteId: Types.ObjectId) => `${siteId.toHexString()}:${randomBytes(9).toString('hex')}`;

/**
 * Queues an event for every webhook of the site that subscribed to its type; the delivery
 * job sends it within seconds. A webhook with MAX_PENDING_PER_WEBHOOK deliveries waiting
 * gets this one logged as dropped instead. Returns how many deliveries were queued.
 */
export async function queueEvent(
  site: EventSite,
  type: WebhookEvent,
  data: unknown,
  now = new Date(),
): Promise<number> {
  const hooks = (await listWebhooks(site._id)).filter((h) => h.events.includes(type));
  if (hooks.length === 0) return 0;
  const payload = eventPayload(site, type, data, now);
  let queued = 0;
  for (const hook of hooks) if (await queueDelivery(hook, type, payload, now)) queued += 1;
  return queued;
}

/** Logs that an event was not sent to a webhook (`attempt` 0, outcome `dropped`), and why. */
export async function logDropped(
  hook: Pick<WebhookDoc, '_id' | 'siteId'>,
  type: WebhookEvent,
  reason: string,
  now: Date,
): Promise<void> {
  await logAttempt({
    siteId: hook.siteId,
    webhookId: hook._id,
    deliveryId: newDeliveryId(hook.siteId),
    event: type,
    attempt: 0,
    at: now,
    statusCode: null,
    error: reason,
    durationMs: 0,
    outcome: 'dropped',
    nextAttemptAt: null,
    response: '',
  });
}

/**
 * Queues one payload for one webhook, unless MAX_PENDING_PER_WEBHOOK deliveries wait for it
 * already (then it is logged as dropped). Returns whether it was queued.
 */
export async function queueDelivery(
  hook: Pick<WebhookDoc, '_id' | 'siteId'>,
  type: WebhookEvent,
  payload: string,
  now: Date,
): Promise<boolean> {
  if ((await WebhookDelivery.countDocuments({ siteId: hook.siteId, webhookId: hook._id })) >= MAX_PENDING_PER_WEBHOOK) {
    await logDropped(hook, type, `${MAX_PENDING_PER_WEBHOOK} deliveries are already waiting for this webhook`, now);
    return false;
  }
  await WebhookDelivery.create({
    _id: newDeliveryId(hook.siteId),
    siteId: hook.siteId,
    webhookId: hook._id,
    event: type,
    payload,
    attempts: 0,
    nextAttemptAt: now,
    createdAt: now,
  });
  return true;
}

/** Whether any webhook of the site listens for `type` (to skip computing a payload nobody gets). */
export async function siteListensFor(siteId: Types.ObjectId, type: WebhookEvent): Promise<boolean> {
  return (await listWebhooks(siteId)).some((h) => h.events.includes(type));
}

/** Sites with a webhook that listens for `type`, for a scheduled job (a query across sites: a few documents per site). */
export async function sitesListeningFor(type: WebhookEvent): Promise<Types.ObjectId[]> {
  const hooks = await Webhook.find({}, { siteId: 1, events: 1 }).lean<Array<Pick<WebhookDoc, 'siteId' | 'events'>>>();
  const sites = new Map<string, Types.ObjectId>();
  for (const hook of hooks) if (hook.events.includes(type)) sites.set(hook.siteId.toHexString(), hook.siteId);
  return [...sites.values()];
}
