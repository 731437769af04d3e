import { Schema, model, type InferSchemaType, type Types } from 'mongoose';

export const FREQUENCIES = ['weekly', 'monthly'] as const;
export type Frequency = (typeof FREQUENCIES)[number];

/** Subscriptions a site may have (docs/limits.md). */
export const MAX_SUBSCRIPTIONS_PER_SITE = 50;

/**
 * Who gets a site's report and how often: any address (recipients need no account; each mail
 * carries a signed unsubscribe link). One per site, address and frequency.
 */
const subscriptionSchema = new Schema(
  {
    siteId: { type: Schema.Types.ObjectId, required: true },
    email: { type: String, required: true },
    frequency: { type: String, enum: FREQUENCIES, required: true },
    /** 1 = Monday … 7 = Sunday, the day weekly reports go out; null for monthly ones. */
    weekday: { type: Number, default: null },
    /** The account that added it (a key's creator when a key did). */
    createdBy: { type: Schema.Types.ObjectId, required: true },
    createdAt: { type: Date, required: true },
    /** The last period sent on schedule (`weekly:2026-03-02`, `monthly:2026-02`): the job skips it without a read. */
    lastPeriod: { type: String, default: null },
    lastSentAt: { type: Date, default: null },
  },
  { versionKey: false, strict: 'throw' },
);
subscriptionSchema.index({ siteId: 1, email: 1, frequency: 1 }, { unique: true });

export type SubscriptionDoc = InferSchemaType<typeof subscriptionSchema> & {
  _id: Types.ObjectId;
  frequency: Frequency;
};
export const EmailReportSubscription = model(
  'EmailReportSubscription',
  subscriptionSchema,
  'email_report_subscriptions',
);

/**
 * One scheduled report: `_id` `${siteId}:${subscriptionId}:${period}`, inserted by the process
 * that sends it first. It is both the claim (`leaseUntil`: until when that process is at it)
 * and the record (`sentAt`), so a send that failed is tried again once the lease passes.
 */
const sendSchema = new Schema(
  {
    _id: { type: String, required: true },
    siteId: { type: Schema.Types.ObjectId, required: true },
    subscriptionId: { type: Schema.Types.ObjectId, required: true },
    period: { type: String, required: true },
    /** Attempts claimed so far; a takeover claims the next number by a unique insert. */
    attempts: { type: Number, required: true },
    leaseUntil: { type: Date, required: true },
    sentAt: { type: Date, default: null },
    lastError: { type: String, default: null },
    expiresAt: { type: Date, required: true, index: true },
  },
  { versionKey: false, strict: 'throw' },
);

export type SendDoc = InferSchemaType<typeof sendSchema> & { _id: string };
export const EmailReportSend = model('EmailReportSend', sendSchema, 'email_report_sends');
