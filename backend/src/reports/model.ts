import { Schema, model, type InferSchemaType, type Types } from 'mongoose';

/** The reports domain's stored configuration: goals (with their backfill state), funnels and annotations. */

/**
 * A goal is a pageview of a path pattern (`*` matches any run of characters) or
 * a custom event by name, optionally with one property value.
 */
const goalSchema = new Schema(
  {
    siteId: { type: Schema.Types.ObjectId, required: true, index: true },
    name: { type: String, required: true },
    kind: { type: String, enum: ['page', 'event'], required: true },
    /** Path pattern for page goals, event name for event goals. */
    match: { type: String, required: true },
    propKey: { type: String, default: '' },
    propValue: { type: String, default: '' },
    /**
     * Conversions in the rollups (decision 0010): `revision` moves whenever what the site's
     * conversions mean changes (this goal's definition, or the site's set of goals), and
     * `rollupsPending` stays true until a backfill has written that revision's conversions;
     * reports read the raw history meanwhile. `rollupsMatch` is the definition the rollups
     * hold for the days before the raw history (retention), which a backfill cannot recompute.
     */
    revision: { type: Number, default: 1 },
    rollupsPending: { type: Boolean, default: true },
    rollupsMatch: { type: String, default: '' },
  },
  { timestamps: true, strict: 'throw' },
);
export type GoalDoc = InferSchemaType<typeof goalSchema> & { _id: Types.ObjectId };
export const Goal = model('Goal', goalSchema, 'goals');

/**
 * Per site that has had goals (`_id` the site id): the revision of its goal set that the
 * goals rollup part must reflect and whether a backfill is due, also when no goal is left
 * (a deleted goal's rows are dropped by one); `claimedUntil` keeps two processes from
 * running the same backfill.
 */
const goalBackfillSchema = new Schema(
  {
    _id: { type: String, required: true },
    siteId: { type: Schema.Types.ObjectId, required: true },
    revision: { type: Number, required: true },
    pending: { type: Boolean, required: true, index: true },
    claimedUntil: { type: Date, default: () => new Date(0) },
  },
  { versionKey: false, strict: 'throw' },
);
export const GoalBackfill = model('GoalBackfill', goalBackfillSchema, 'goal_backfills');

const funnelSchema = new Schema(
  {
    siteId: { type: Schema.Types.ObjectId, required: true, index: true },
    name: { type: String, required: true },
    /** Goal ids, in order: 2 to 8 steps. */
    steps: { type: [Schema.Types.ObjectId], required: true },
  },
  { timestamps: true, strict: 'throw' },
);
export type FunnelDoc = InferSchemaType<typeof funnelSchema> & { _id: Types.ObjectId };
export const Funnel = model('Funnel', funnelSchema, 'funnels');

/** A dated note shown on the time series ("launched the new pricing page"). */
const annotationSchema = new Schema(
  {
    siteId: { type: Schema.Types.ObjectId, required: true },
    /** Site-local day, YYYY-MM-DD. */
    day: { type: String, required: true },
    text: { type: String, required: true },
    /** Who wrote it: a user's name, or an API key's name for automatic notes (e.g. from WordPress). */
    author: { type: String, default: '' },
  },
  { timestamps: true, strict: 'throw' },
);
annotationSchema.index({ siteId: 1, day: 1 });

export type AnnotationDoc = InferSchemaType<typeof annotationSchema> & { _id: Types.ObjectId };
export const Annotation = model('Annotation', annotationSchema, 'annotations');
