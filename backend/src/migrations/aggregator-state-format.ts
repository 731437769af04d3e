import { randomBytes } from 'node:crypto';

import { Types, type mongo } from 'mongoose';

import { isDuplicateKey } from '../lib/db-errors';

// The aggregator's state and lock as migrations 4 and 10 write and read them (aggregate/state.ts,
// state-store.ts and model.ts when migration 10 shipped), kept here: a migration works on the format
// of its time, and both must agree on it, whatever the aggregator's code becomes.

/** The lock of all sites before partitions (decision 0005); migration 10 splits it into one per partition. */
export const LEGACY_LOCK = 'aggregator';

/** The fields of an open visit the format reads; every other field is carried as it is. */
interface VisitFields {
  _id: string;
  vid: string;
  userId: string;
  traits: Record<string, unknown> | null;
  [field: string]: unknown;
}

export interface FrozenVisit extends VisitFields {
  siteId: Types.ObjectId;
  start: Date;
  lastSeen: Date;
}

/** A visit as JSON: the site id as hex, dates as ms. */
interface EncodedVisit extends VisitFields {
  siteId: string;
  start: number;
  lastSeen: number;
}

export interface FrozenPendingBatch {
  batchId: string;
  /** `<slot>/<chunk id>`, or a bare id for the `inbox` collection before slots. */
  chunkIds: string[];
  clock?: number;
}

export interface FrozenLock {
  _id: string;
  holder: string;
  expiresAt?: Date;
  pending: FrozenPendingBatch | null;
  epoch?: string;
  seq?: number;
}

export interface FrozenState {
  clock: number;
  visits: Map<string, FrozenVisit>;
  /** `${siteId}:${vid}` → the visitor's latest open visit. */
  current: Map<string, string>;
  /** `${siteId}:${day}:${vid}` → the rollup keys the visitor was already counted under that day. */
  days: Map<string, string[]>;
}

interface FrozenDelta {
  clock: number;
  visits: FrozenVisit[];
  closed: string[];
  days: Array<[string, string[]]>;
  dropVisitors?: string[];
  dropSites?: string[];
}

interface StateRecord {
  _id: string;
  batchId: string;
  data: string;
}

/** How long a visit stayed open after its last activity: the longest visit timeout (240 min) plus late engagement (2 h). */
export const VISIT_OPEN_MS = 240 * 60_000 + 2 * 3_600_000;
const VISITOR_DAY_WINDOW_DAYS = 2;
const SNAPSHOT_CHUNK_BYTES = 1 << 20;
const SITE_ID_LENGTH = 24;

const visitorKey = (siteId: Types.ObjectId | string, vid: string) => `${String(siteId)}:${vid}`;
const siteOfKey = (key: string) => key.slice(0, SITE_ID_LENGTH);
const visitorOfDayKey = (key: string) => `${key.slice(0, SITE_ID_LENGTH)}:${key.slice(SITE_ID_LENGTH + 12)}`;
const dayOfDayKey = (key: string) => key.slice(SITE_ID_LENGTH + 1, SITE_ID_LENGTH + 11);
const pad = (n: number) => String(n).padStart(10, '0');
const stateCollection = (db: mongo.Db, epoch: string, part: 'visits' | 'days') =>
  db.collection<StateRecord>(`aggstate_${epoch}_${part}`);

export function emptyState(): FrozenState {
  return { clock: 0, visits: new Map(), current: new Map(), days: new Map() };
}

/** The first UTC day whose visitor-day sets are kept at `clock`. */
export function firstKeptDay(clock: number): string {
  return new Date(clock - VISITOR_DAY_WINDOW_DAYS * 86_400_000).toISOString().slice(0, 10);
}

/** The part of a state that belongs to the sites `keep` accepts, at the same clock. */
export function stateOfSites(state: FrozenState, keep: (siteId: string) => boolean): FrozenState {
  const part: FrozenState = { ...emptyState(), clock: state.clock };
  for (const [id, visit] of state.visits) if (keep(String(visit.siteId))) part.visits.set(id, visit);
  for (const [visitor, id] of state.current) if (keep(siteOfKey(visitor))) part.current.set(visitor, id);
  for (const [key, keys] of state.days) if (keep(siteOfKey(key))) part.days.set(key, keys);
  return part;
}

export function applyDelta(state: FrozenState, delta: FrozenDelta): void {
  const dropVisitors = new Set(delta.dropVisitors ?? []);
  const dropSites = new Set(delta.dropSites ?? []);
  if (dropVisitors.size > 0 || dropSites.size > 0) {
    const dropped = (visitor: string) => dropVisitors.has(visitor) || dropSites.has(siteOfKey(visitor));
    for (const [id, visit] of state.visits) if (dropped(visitorKey(visit.siteId, visit.vid))) state.visits.delete(id);
    for (const visitor of state.current.keys()) if (dropped(visitor)) state.current.delete(visitor);
    for (const key of state.days.keys()) if (dropped(visitorOfDayKey(key))) state.days.delete(key);
  }
  for (const visit of delta.visits) {
    state.visits.set(visit._id, visit);
    const visitor = visitorKey(visit.siteId, visit.vid);
    const current = state.visits.get(state.current.get(visitor) ?? '');
    if (!current || current.start.getTime() <= visit.start.getTime()) state.current.set(visitor, visit._id);
  }
  for (const id of delta.closed) {
    const visit = state.visits.get(id);
    if (!visit) continue;
    state.visits.delete(id);
    const visitor = visitorKey(visit.siteId, visit.vid);
    if (state.current.get(visitor) === id) state.current.delete(visitor);
  }
  const keptBefore = firstKeptDay(state.clock);
  state.clock = Math.max(state.clock, delta.clock);
  const kept = firstKeptDay(state.clock);
  for (const [key, keys] of delta.days) if (dayOfDayKey(key) >= kept) state.days.set(key, keys);
  if (kept !== keptBefore) {
    for (const key of state.days.keys()) if (dayOfDayKey(key) < kept) state.days.delete(key);
  }
}

type EncodedDelta = Omit<FrozenDelta, 'visits'> & { visits: EncodedVisit[] };

const encodeVisit = (visit: FrozenVisit): EncodedVisit => ({
  ...visit,
  siteId: String(visit.siteId),
  start: visit.start.getTime(),
  lastSeen: visit.lastSeen.getTime(),
});

function decodeDelta(data: string): FrozenDelta {
  const encoded = JSON.parse(data) as EncodedDelta;
  return {
    ...encoded,
    visits: encoded.visits.map((v) => ({
      ...v,
      siteId: new Types.ObjectId(v.siteId),
      start: new Date(v.start),
      lastSeen: new Date(v.lastSeen),
    })),
  };
}

/** The state as snapshot chunks of about SNAPSHOT_CHUNK_BYTES of JSON each: the visits part and the visitor-days part. */
function snapshotChunks(state: FrozenState): { visits: string[]; days: string[] } {
  const chunk = (): EncodedDelta => ({ clock: state.clock, visits: [], closed: [], days: [] });
  const split = (add: (delta: EncodedDelta) => Iterable<number>): string[] => {
    const chunks: string[] = [];
    let delta = chunk();
    let bytes = 0;
    for (const size of add(delta)) {
      bytes += size;
      if (bytes < SNAPSHOT_CHUNK_BYTES) continue;
      chunks.push(JSON.stringify(delta));
      delta = chunk();
      bytes = 0;
    }
    if (delta.visits.length > 0 || delta.days.length > 0 || chunks.length === 0) chunks.push(JSON.stringify(delta));
    return chunks;
  };
  return {
    visits: split(function* (delta) {
      for (const visit of state.visits.values()) {
        const encoded = encodeVisit(visit);
        delta.visits.push(encoded);
        yield JSON.stringify(encoded).length;
      }
    }),
    days: split(function* (delta) {
      for (const entry of state.days) {
        delta.days.push(entry);
        yield entry[0].length + entry[1].reduce((sum, key) => sum + key.length + 3, 8);
      }
    }),
  };
}

/** An epoch's id starts with its lock's (`L` for the lock of all sites, `p07` for partition 7's). */
function newEpochId(lockId: string): string {
  const prefix = lockId === LEGACY_LOCK ? 'L' : `p${lockId.slice(-2)}`;
  return `${prefix}x${Date.now().toString(36)}${randomBytes(4).toString('hex')}`;
}

/**
 * Loads an epoch: its snapshot, then its journal in order (a visitor-days record
 * without its visits record belongs to a batch that never committed). Returns the
 * state and the batches its journal holds.
 */
export async function loadState(db: mongo.Db, epoch: string): Promise<{ state: FrozenState; journaled: Set<string> }> {
  const read = async (part: 'visits' | 'days') => {
    const order = (r: StateRecord) => `${r._id.startsWith('s') ? 0 : 1}${r._id}`;
    const records = await stateCollection(db, epoch, part).find({}).toArray();
    return records.sort((a, b) => (order(a) < order(b) ? -1 : order(a) > order(b) ? 1 : 0));
  };
  const [visits, days] = [await read('visits'), await read('days')];
  const committed = new Set(visits.map((r) => r._id));
  const state = emptyState();
  for (const record of [...visits, ...days.filter((r) => committed.has(r._id))]) {
    applyDelta(state, decodeDelta(record.data));
  }
  const journaled = new Set(visits.filter((r) => r._id.startsWith('j')).map((r) => r.batchId));
  return { state, journaled };
}

/** Writes `state` as a new epoch of `lockId` (its snapshot records, visitor days first); returns the epoch. */
export async function writeSnapshot(db: mongo.Db, lockId: string, state: FrozenState): Promise<string> {
  const epoch = newEpochId(lockId);
  const chunks = snapshotChunks(state);
  for (const part of ['days', 'visits'] as const) {
    const records = chunks[part].map((data, i) => ({ _id: `s${pad(i)}`, batchId: '', data }));
    try {
      await stateCollection(db, epoch, part).insertMany(records, { ordered: false });
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
    }
  }
  return epoch;
}
