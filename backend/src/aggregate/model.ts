import mongoose, { Schema, model, type mongo } from 'mongoose';

import type { StoredEvent } from '../collect/event';

/**
 * Derived data written by the aggregator. Mongoose models declare the indexes
 * (ensureIndexes creates them); the aggregator itself writes through the
 * driver's collections so a batch of thousands of ops is not cast one by one.
 */

export const VISIT_ATTRIBUTES = [
  'source',
  'channel',
  'referrer',
  'referrerHost',
  'utmSource',
  'utmMedium',
  'utmCampaign',
  'utmTerm',
  'utmContent',
  'country',
  'region',
  'city',
  'browser',
  'browserVersion',
  'os',
  'osVersion',
  'device',
  'screen',
  'language',
] as const;
export type VisitAttribute = (typeof VISIT_ATTRIBUTES)[number];
export type VisitAttributes = Record<VisitAttribute, string>;

/** The parts of a visit that change while it grows: a batch applies contribution(after) − contribution(before). */
export interface VisitState {
  lastSeen: Date;
  entryPage: string;
  exitPage: string;
  pageviews: number;
  events: number;
  engagedMs: number;
  duration: number;
  bounce: boolean;
  /**
   * The goals the visit reached so far, each with the days from the visit's start day to
   * its first matching hit (compute.ts); only while the visit is open (closed visits are
   * stored without them: a goal edit would leave them stale).
   */
  conversions?: Conversion[];
}

/** A goal a visit reached: the goal's id and the days from the visit's start day to its first matching hit. */
export type Conversion = [goalId: string, lag: number];

/**
 * One visit. While it can still grow it lives in the aggregator's state (see
 * state.ts); once it closed it is inserted into the `visits_<day>` partition of
 * its start day (history.ts) and never changed.
 */
export interface VisitDoc extends VisitState, VisitAttributes {
  /** `${siteId}:${vid}:${first event's client id}`: a replayed batch recreates the same visit. */
  _id: string;
  siteId: mongo.ObjectId;
  vid: string;
  start: Date;
  /** Site-local day and hour (lib/local-hour.ts) of the visit's first event. */
  day: string;
  hour: string;
  /** The identified user (first-party sites with consent), from this visit or an open one before it. */
  userId: string;
  traits: Record<string, unknown> | null;
}

export const COUNTERS = [
  'pageviews',
  'visits',
  'visitors',
  'bounces',
  'duration',
  'events',
  'engaged',
  'entries',
  'exits',
  'notFound',
] as const;
export type Counter = (typeof COUNTERS)[number];

export const DIMENSIONS = [
  'all',
  'page',
  'entry_page',
  'exit_page',
  'source',
  'channel',
  'referrer',
  'utm_source',
  'utm_medium',
  'utm_campaign',
  'utm_term',
  'utm_content',
  'country',
  'region',
  'city',
  'browser',
  'browser_version',
  'os',
  'os_version',
  'device',
  'screen',
  'language',
  'event',
  'event_prop',
] as const;
export type Dimension = (typeof DIMENSIONS)[number];

export type Granularity = 'day' | 'hour';

/** Dimensions whose rows are keyed (everything but the day's totals). */
export type KeyDimension = Exclude<Dimension, 'all'>;

/**
 * What one rollup collection holds: the days' totals, their local hours, their visitor
 * sketches, their goal conversions (decision 0010), or one dimension's keyed rows.
 */
export type RollupPart = 'totals' | 'hours' | 'sketches' | 'goals' | KeyDimension;
export const ROLLUP_PARTS: readonly RollupPart[] = [
  'totals',
  'hours',
  'sketches',
  'goals',
  ...DIMENSIONS.filter((d): d is KeyDimension => d !== 'all'),
];

/**
 * One document per site × site-local month in the collection of its part and
 * month (`rollup_totals_202603`, `rollup_hours_202603`, `rollup_page_202603`, …),
 * holding that month's days as one JSON string (see rollups.ts for the format,
 * decision 0004 for why, and decision 0006 for the monthly collections). `_id`
 * is `${siteId}:${YYYY-MM}`, so every read and write is a primary-key lookup
 * in a collection no larger than one month of every site. The last few days
 * live in the same form, one document per site holding its open days, in the
 * part's open collection until they are folded into their month (decision 0007).
 */
export interface RollupMonthDoc {
  _id: string;
  siteId: mongo.ObjectId;
  month: string;
  /** On a site's open document (`rollup_<part>_open`, `_id` the site's id): the days it holds. */
  days?: string[];
  /** On a site's open document: per day, the batch that last wrote it (rollups.ts `openWrite`). */
  dayBatches?: Record<string, string>;
  /** The batch that last wrote the document: a replay of that batch skips a month document. */
  lastBatch: string;
  data: string;
}

export interface PendingBatch {
  batchId: string;
  /** The inbox chunks, as `inbox.ts` `chunkRef`s. */
  chunkIds: string[];
  /** The batch's clock (ms): a replay closes the same visits. */
  clock: number;
}

/** A lease term (`<lock>#<term>`), a live aggregator process (`member:<holder>`) or a caller waiting for a lock (`wait:<lock>:<holder>`). */
export interface LeaseDoc {
  _id: string;
  holder: string;
  expiresAt: Date;
}

export interface LockDoc {
  _id: string;
  /** Who holds the lease (lease.ts): every write to this document must name them. */
  holder: string;
  /** The batch being applied: replayed as-is by the next holder if this one died mid-way. */
  pending: PendingBatch | null;
  /** The aggregator state's current epoch (state.ts); absent before the first batch. */
  epoch?: string;
  /** Journal entries in that epoch so far: a holder whose state is at another count reloads it. */
  seq?: number;
}

const loose = { versionKey: false, strict: false } as const;

const lockSchema = new Schema({ _id: String }, loose);

export const Lock = model('Lock', lockSchema, 'locks');

function db(): mongo.Db {
  const database = mongoose.connection.db;
  if (!database) throw new Error('database not connected');
  return database;
}

/** Typed driver collections for the aggregator's bulk reads and writes. */
export const collections = {
  /** One part's documents of one site-local month (YYYY-MM). */
  rollups: (part: RollupPart, month: string) =>
    db().collection<RollupMonthDoc>(`rollup_${part}_${month.replace('-', '')}`),
  /** One part's open days (rollups.ts): one document per site × recent day, until it is folded into its month. */
  openRollups: (part: RollupPart) => db().collection<RollupMonthDoc>(`rollup_${part}_open`),
  locks: () => db().collection<LockDoc>('locks'),
  /** The aggregator leases' terms, members and waiters (lease.ts). */
  leaseTerms: () => db().collection<LeaseDoc>('lease_terms'),
  /** Event-id claims of one UTC day (claims.ts): whole days are dropped, never scanned for deletes. */
  eventClaims: (day: string) => db().collection<EventClaimDoc>(`event_claims_${day.replaceAll('-', '')}`),
  deadLetters: () => db().collection<DeadLetterDoc>('dead_letters'),
  /** One part of one epoch of the aggregator's state (state-store.ts). */
  aggregatorState: (epoch: string, part: 'visits' | 'days') =>
    db().collection<StateRecord>(`aggstate_${epoch}_${part}`),
};

/** An event the aggregator could not apply (aggregator.ts), kept for operators. */
export interface DeadLetterDoc {
  /** The event's id. */
  _id: string;
  siteId: mongo.ObjectId;
  batchId: string;
  reason: string;
  at: Date;
  /** The event as JSON (cut at 100,000 characters). */
  event: string;
}

/** A snapshot chunk or a journal entry of the aggregator's state, as one JSON string (state-store.ts). */
export interface StateRecord {
  /** `s<chunk>` for snapshot chunks, `j<seq>` for journal entries, zero-padded; a snapshot applies before its journal. */
  _id: string;
  batchId: string;
  data: string;
}

/**
 * A stored event as the aggregator keeps it in its history and reads it back: the
 * collector's event (collect/event.ts, its one definition) less the fields the aggregator
 * never reads (host, clickId), its site id as the driver returns it, and a title that
 * events stored before titles were collected lack.
 */
export type RawEvent = Omit<StoredEvent, 'siteId' | 'host' | 'clickId' | 'title'> & {
  siteId: mongo.ObjectId;
  title?: string;
};

/** Which batch first aggregated an event id: a resent event is recognised and counted once. */
export interface EventClaimDoc {
  /** The event's `${siteId}:${clientId}`. */
  _id: string;
  batch: string;
}
