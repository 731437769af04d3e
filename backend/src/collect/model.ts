import { Schema, model, type InferSchemaType } from 'mongoose';

/**
 * A raw hit, enriched by the collector (never holding a raw IP or user-agent
 * string) and stored by the aggregator once it knows the hit's visit. Its _id is
 * `${siteId}:${clientEventId}`, so a retried send is stored once. Written once,
 * never updated (see collect/inbox.ts for why).
 */
const eventSchema = new Schema(
  {
    _id: { type: String, required: true },
    siteId: { type: Schema.Types.ObjectId, required: true },
    ts: { type: Date, required: true },
    /** Day and hour in the site's time zone (YYYY-MM-DD; hour keyed by lib/local-hour.ts), fixed at write time. */
    day: { type: String, required: true },
    hour: { type: String, required: true },
    kind: { type: String, enum: ['pv', 'ev', 'en', 'id'], required: true },
    /** Visitor id: a daily salted hash (cookieless) or `f:` + the tracker's first-party id. */
    vid: { type: String, required: true },
    host: { type: String, required: true },
    path: { type: String, required: true },
    title: { type: String, default: '' },
    referrer: { type: String, default: '' },
    referrerHost: { type: String, default: '' },
    source: { type: String, default: '' },
    channel: { type: String, default: '' },
    utmSource: { type: String, default: '' },
    utmMedium: { type: String, default: '' },
    utmCampaign: { type: String, default: '' },
    utmTerm: { type: String, default: '' },
    utmContent: { type: String, default: '' },
    clickId: { type: String, default: '' },
    browser: { type: String, default: '' },
    browserVersion: { type: String, default: '' },
    os: { type: String, default: '' },
    osVersion: { type: String, default: '' },
    device: { type: String, default: '' },
    screen: { type: String, default: '' },
    language: { type: String, default: '' },
    country: { type: String, default: '' },
    region: { type: String, default: '' },
    city: { type: String, default: '' },
    name: { type: String, default: '' },
    props: { type: Schema.Types.Mixed, default: undefined },
    engagedMs: { type: Number, default: 0 },
    notFound: { type: Boolean, default: false },
    userId: { type: String, default: '' },
    traits: { type: Schema.Types.Mixed, default: undefined },
    visitId: { type: String, default: '' },
  },
  { versionKey: false, strict: 'throw', minimize: true },
);
eventSchema.index({ siteId: 1, day: 1 });
eventSchema.index({ siteId: 1, ts: 1 });
eventSchema.index({ siteId: 1, vid: 1, ts: 1 });
eventSchema.index({ siteId: 1, visitId: 1, ts: 1 });

export type StoredEvent = InferSchemaType<typeof eventSchema>;
export const Event = model('Event', eventSchema, 'events');

/** Daily salts for cookieless visitor ids; deleted after 48 hours so ids cannot be linked across days. */
const saltSchema = new Schema(
  {
    _id: { type: String, required: true }, // UTC day, YYYY-MM-DD
    value: { type: String, required: true },
    createdAt: { type: Date, required: true },
  },
  { versionKey: false, strict: 'throw' },
);
export const Salt = model('Salt', saltSchema, 'salts');
