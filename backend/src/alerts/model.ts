import { Schema, model, type InferSchemaType, type Types } from 'mongoose';

export const ALERT_KINDS = ['spike', 'drop'] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];

/** A site's alert settings: `_id` the site id; absent until someone saves them. */
const alertSettingsSchema = new Schema(
  {
    _id: { type: String, required: true },
    siteId: { type: Schema.Types.ObjectId, required: true },
    /** Whether any alert is on: the job's search across sites reads these few documents. */
    active: { type: Boolean, required: true, index: true },
    spike: {
      enabled: { type: Boolean, required: true },
      /** Fires when more visitors than this come in one site-local clock hour. */
      threshold: { type: Number, required: true },
    },
    drop: {
      enabled: { type: Boolean, required: true },
      /** Fires when a day has fewer visitors than this percentage of the usual day. */
      percent: { type: Number, required: true },
    },
    /** Whether alerts are mailed (webhooks that subscribed get them either way). */
    email: { type: Boolean, required: true },
    /** Members mailed; empty means the owner and the admins. */
    recipients: { type: [Schema.Types.ObjectId], default: [] },
  },
  { versionKey: false, timestamps: { createdAt: false, updatedAt: true }, strict: 'throw' },
);

export type AlertSettingsDoc = Omit<InferSchemaType<typeof alertSettingsSchema>, 'spike' | 'drop'> & {
  _id: string;
  spike: { enabled: boolean; threshold: number };
  drop: { enabled: boolean; percent: number };
};
export const AlertSettings = model('AlertSettings', alertSettingsSchema, 'alert_settings');

/**
 * Alerts that fired: `_id` `${siteId}:${kind}:${period}` (a site-local hour for spikes, a day
 * for drops). The unique insert is what makes an alert fire once per period, however many
 * processes check at once; the documents are also the site's recent alerts.
 */
const alertEventSchema = new Schema(
  {
    _id: { type: String, required: true },
    siteId: { type: Schema.Types.ObjectId, required: true },
    kind: { type: String, enum: ALERT_KINDS, required: true },
    period: { type: String, required: true },
    at: { type: Date, required: true },
    /** The numbers the alert was sent with (its webhook payload's `data`). */
    data: { type: Schema.Types.Mixed, required: true },
    expiresAt: { type: Date, required: true, index: true },
  },
  { versionKey: false, strict: 'throw', minimize: false },
);

export type AlertEventDoc = InferSchemaType<typeof alertEventSchema> & {
  _id: string;
  kind: AlertKind;
  siteId: Types.ObjectId;
};
export const AlertEvent = model('AlertEvent', alertEventSchema, 'alert_events');

/**
 * Alert mail waiting to be sent: one document per alert and recipient, `_id`
 * `${alertId}:${accountId}`, until the mail went out or MAX_MAIL_ATTEMPTS failed. Each attempt
 * is claimed by a unique insert first (lib/spend-once.ts), so however many processes check,
 * an attempt is made once and a mail that went out is not sent again.
 */
const alertMailSchema = new Schema(
  {
    _id: { type: String, required: true },
    siteId: { type: Schema.Types.ObjectId, required: true },
    /** The alert_events document the mail tells of. */
    alertId: { type: String, required: true },
    /** The recipient's address when the alert fired. */
    to: { type: String, required: true },
    /** Attempts made so far. */
    attempts: { type: Number, default: 0 },
    nextAttemptAt: { type: Date, required: true, index: true },
    /** Why the last attempt failed (the SMTP server's answer), for the log. */
    lastError: { type: String, default: null },
    expiresAt: { type: Date, required: true },
  },
  { versionKey: false, strict: 'throw' },
);

export type AlertMailDoc = InferSchemaType<typeof alertMailSchema> & { _id: string };
export const AlertMail = model('AlertMail', alertMailSchema, 'alert_mails');
