import { Schema, model, type InferSchemaType, type Types } from 'mongoose';

/** What a webhook can subscribe to; `webhook.test` is sent only by the test button. */
export const WEBHOOK_EVENTS = [
  'alert.traffic_spike',
  'alert.traffic_drop',
  'summary.weekly',
  'goal.conversion',
] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];
export type DeliveredEvent = WebhookEvent | 'webhook.test';

/** Webhooks a site may have: `slot` 0 … MAX_WEBHOOKS_PER_SITE − 1 (docs/limits.md). */
export const MAX_WEBHOOKS_PER_SITE = 10;

const webhookSchema = new Schema(
  {
    siteId: { type: Schema.Types.ObjectId, required: true, index: true },
    /**
     * Which of the site's places the webhook takes: unique per site, so two creations racing
     * for the last place cannot both get it (an insert is the one write FerretDB keeps exclusive).
     */
    slot: { type: Number, required: true },
    url: { type: String, required: true },
    description: { type: String, default: '' },
    events: { type: [String], enum: WEBHOOK_EVENTS, required: true },
    /**
     * The signing secret, shown once at creation. Kept as it is (not hashed), because every
     * delivery is signed with it; the API never returns it again.
     */
    secret: { type: String, required: true },
    createdBy: { type: Schema.Types.ObjectId, required: true },
  },
  { timestamps: { createdAt: true, updatedAt: false }, strict: 'throw' },
);
webhookSchema.index({ siteId: 1, slot: 1 }, { unique: true });

export type WebhookDoc = InferSchemaType<typeof webhookSchema> & {
  _id: Types.ObjectId;
  events: WebhookEvent[];
  createdAt: Date;
};
export const Webhook = model('Webhook', webhookSchema, 'webhooks');

/**
 * The delivery queue: one document per event and webhook until it was delivered or gave up,
 * then it leaves (the log keeps what happened). Only pending deliveries stay, so the
 * collection every delivery run scans stays small on FerretDB.
 */
const deliverySchema = new Schema(
  {
    /** `${siteId}:${random}`: names its site, and is the Clickpath-Delivery header. */
    _id: { type: String, required: true },
    siteId: { type: Schema.Types.ObjectId, required: true },
    webhookId: { type: Schema.Types.ObjectId, required: true },
    event: { type: String, required: true },
    /** The JSON body, fixed when the event happened; every attempt sends the same bytes. */
    payload: { type: String, required: true },
    /** Attempts made so far. */
    attempts: { type: Number, default: 0 },
    nextAttemptAt: { type: Date, required: true, index: true },
    createdAt: { type: Date, required: true },
  },
  { versionKey: false, strict: 'throw' },
);

export type DeliveryDoc = InferSchemaType<typeof deliverySchema> & { _id: string; event: DeliveredEvent };
export const WebhookDelivery = model('WebhookDelivery', deliverySchema, 'webhook_deliveries');

/**
 * Who sends an attempt: `_id` `${deliveryId}:${attempt}:${takeover}`, inserted before the
 * request goes out. The unique insert is what keeps two processes from sending the same
 * attempt; a claim older than the longest attempt is taken over under the next number.
 */
const claimSchema = new Schema(
  {
    _id: { type: String, required: true },
    siteId: { type: Schema.Types.ObjectId, required: true },
    at: { type: Date, required: true },
    expiresAt: { type: Date, required: true, index: true },
  },
  { versionKey: false, strict: 'throw' },
);

export type ClaimDoc = InferSchemaType<typeof claimSchema> & { _id: string };
export const WebhookClaim = model('WebhookClaim', claimSchema, 'webhook_claims');

export const OUTCOMES = ['delivered', 'retrying', 'failed', 'dropped'] as const;
export type Outcome = (typeof OUTCOMES)[number];

/** The delivery log: one document per attempt, inserted once; the newest LOG_LIMIT per webhook are kept. */
const logSchema = new Schema(
  {
    siteId: { type: Schema.Types.ObjectId, required: true },
    webhookId: { type: Schema.Types.ObjectId, required: true, index: true },
    deliveryId: { type: String, required: true },
    event: { type: String, required: true },
    attempt: { type: Number, required: true },
    at: { type: Date, required: true },
    /** The receiver's HTTP status; null when no answer came (refused address, timeout, connection error). */
    statusCode: { type: Number, default: null },
    error: { type: String, default: null },
    durationMs: { type: Number, required: true },
    outcome: { type: String, enum: OUTCOMES, required: true },
    /** When a failed attempt is tried again. */
    nextAttemptAt: { type: Date, default: null },
    /** The start of the receiver's answer (at most RESPONSE_EXCERPT characters), for debugging. */
    response: { type: String, default: '' },
  },
  { versionKey: false, strict: 'throw' },
);

export type LogDoc = InferSchemaType<typeof logSchema> & { _id: Types.ObjectId; outcome: Outcome };
export const WebhookLog = model('WebhookLog', logSchema, 'webhook_log');
