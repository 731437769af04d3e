import { Types } from 'mongoose';

import type { VisitDoc } from './model';

/**
 * The aggregator's working state: everything a batch may still change, and
 * nothing older. Visits stay here while they can grow (and are inserted into
 * `visits` once, when they close); visitor-day key sets stay while their day
 * can still receive events. Its size follows the traffic of the last hours,
 * never the stored history (decision 0005), and state-store.ts makes it
 * durable as a snapshot plus a journal of deltas.
 */
export interface AggregatorState {
  /** The newest batch clock applied (ms). */
  clock: number;
  /** Open visits by id. */
  visits: Map<string, VisitDoc>;
  /** `${siteId}:${vid}` → the visitor's latest open visit. */
  current: Map<string, string>;
  /** `${siteId}:${day}:${vid}` → the rollup keys the visitor was already counted under that day. */
  days: Map<string, string[]>;
}

/** What one batch (or erasure, deletion, rebuild) changes in the state; journaled as is. */
export interface StateDelta {
  clock: number;
  /** New or changed open visits, whole. */
  visits: VisitDoc[];
  /** Visits that closed: inserted into `visits` by the batch, dropped from the state. */
  closed: string[];
  /** Changed visitor-day key sets, whole. */
  days: Array<[string, string[]]>;
  /** Visitors (`${siteId}:${vid}`) whose state is dropped: erasure. */
  dropVisitors?: string[];
  /** Sites whose state is dropped: site deletion, rebuild (which then adds the rebuilt state). */
  dropSites?: string[];
}

/** The longest visit timeout a site may set (sites/schemas.ts). */
const MAX_VISIT_TIMEOUT_MS = 240 * 60_000;
/**
 * A visit stays open this long after its last activity: engagement pings sent
 * when a tab is finally closed still reach it. Later ones count for the page's
 * day, not the visit (docs/limits.md).
 */
export const LATE_ENGAGEMENT_MS = 2 * 3_600_000;
export const VISIT_OPEN_MS = MAX_VISIT_TIMEOUT_MS + LATE_ENGAGEMENT_MS;
/**
 * Visitor-day key sets are kept for days at most this far behind the clock's UTC
 * day: the collector stamps each event with the current site-local day, and
 * time zones reach 14 hours either side of UTC.
 */
export const VISITOR_DAY_WINDOW_DAYS = 2;

export const visitorKey = (siteId: Types.ObjectId | string, vid: string) => `${String(siteId)}:${vid}`;
export const visitorDayKey = (siteId: Types.ObjectId | string, day: string, vid: string) =>
  `${String(siteId)}:${day}:${vid}`;

const SITE_ID_LENGTH = 24;
const siteOfKey = (key: string) => key.slice(0, SITE_ID_LENGTH);
/** The visitor (`${siteId}:${vid}`) of a visitor-day key. */
const visitorOfDayKey = (key: string) => `${key.slice(0, SITE_ID_LENGTH)}:${key.slice(SITE_ID_LENGTH + 12)}`;
const dayOfDayKey = (key: string) => key.slice(SITE_ID_LENGTH + 1, SITE_ID_LENGTH + 11);

export function emptyState(): AggregatorState {
  return { clock: 0, visits: new Map(), current: new Map(), days: new Map() };
}

/** The first UTC day whose visitor-day sets are kept at `clock`. */
export function firstKeptDay(clock: number): string {
  return new Date(clock - VISITOR_DAY_WINDOW_DAYS * 86_400_000).toISOString().slice(0, 10);
}

/** Whether an open visit has outlived the window in which a batch at `clock` could still change it. */
export const visitHasClosed = (visit: VisitDoc, clock: number) => clock - visit.lastSeen.getTime() > VISIT_OPEN_MS;

/** Applies a delta in place. Deterministic: replaying the journal rebuilds the same state. */
export function applyDelta(state: AggregatorState, delta: StateDelta): void {
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
  // The whole map is walked only when the clock crosses into a new day, not on every batch.
  if (kept !== keptBefore) {
    for (const key of state.days.keys()) if (dayOfDayKey(key) < kept) state.days.delete(key);
  }
}

/** A visit as JSON-safe values (ObjectId as hex, dates as ms). */
type EncodedVisit = Omit<VisitDoc, 'siteId' | 'start' | 'lastSeen'> & {
  siteId: string;
  start: number;
  lastSeen: number;
};

export function encodeVisit(visit: VisitDoc): EncodedVisit {
  return { ...visit, siteId: String(visit.siteId), start: visit.start.getTime(), lastSeen: visit.lastSeen.getTime() };
}

export function decodeVisit(visit: EncodedVisit): VisitDoc {
  return {
    ...visit,
    siteId: new Types.ObjectId(visit.siteId),
    start: new Date(visit.start),
    lastSeen: new Date(visit.lastSeen),
  };
}

interface EncodedDelta {
  clock: number;
  visits: EncodedVisit[];
  closed: string[];
  days: Array<[string, string[]]>;
  dropVisitors?: string[];
  dropSites?: string[];
}

export function encodeDelta(delta: StateDelta): string {
  const encoded: EncodedDelta = { ...delta, visits: delta.visits.map(encodeVisit) };
  return JSON.stringify(encoded);
}

export function decodeDelta(data: string): StateDelta {
  const encoded = JSON.parse(data) as EncodedDelta;
  return { ...encoded, visits: encoded.visits.map(decodeVisit) };
}

/** The whole state as snapshot chunks of at most about `maxBytes` JSON each: the visits part and the visitor-days part. */
export function snapshotChunks(state: AggregatorState, maxBytes: number): { visits: string[]; days: string[] } {
  const chunk = (): StateDelta => ({ clock: state.clock, visits: [], closed: [], days: [] });
  const visits: string[] = [];
  let delta = chunk();
  let bytes = 0;
  for (const visit of state.visits.values()) {
    delta.visits.push(visit);
    // Measured, not estimated: identity traits make some visits far larger than others.
    bytes += JSON.stringify(encodeVisit(visit)).length;
    if (bytes >= maxBytes) {
      visits.push(encodeDelta(delta));
      delta = chunk();
      bytes = 0;
    }
  }
  if (delta.visits.length > 0 || visits.length === 0) visits.push(encodeDelta(delta));
  const days: string[] = [];
  delta = chunk();
  bytes = 0;
  for (const entry of state.days) {
    delta.days.push(entry);
    bytes += entry[0].length + entry[1].reduce((sum, key) => sum + key.length + 3, 8);
    if (bytes >= maxBytes) {
      days.push(encodeDelta(delta));
      delta = chunk();
      bytes = 0;
    }
  }
  if (delta.days.length > 0 || days.length === 0) days.push(encodeDelta(delta));
  return { visits, days };
}

/** A delta split into its visits part and its visitor-days part, stored apart so readers of open visits skip the key sets. */
export function splitDelta(delta: StateDelta): { visits: StateDelta; days: StateDelta } {
  const drops = {
    ...(delta.dropVisitors ? { dropVisitors: delta.dropVisitors } : {}),
    ...(delta.dropSites ? { dropSites: delta.dropSites } : {}),
  };
  return {
    visits: { clock: delta.clock, visits: delta.visits, closed: delta.closed, days: [], ...drops },
    days: { clock: delta.clock, visits: [], closed: [], days: delta.days, ...drops },
  };
}
