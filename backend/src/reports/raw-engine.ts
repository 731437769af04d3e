import type { mongo } from 'mongoose';

import { cutKey } from '../aggregate/limits';
import { findEarlierVisits, findVisits, readEvents, type RawEvent, type VisitDoc } from '../aggregate/read';
import { PROP_SEPARATOR, VISIT_KEY, type BreakdownDimension } from './dimensions';
import { matches, type Filter } from './filters';
import type { GoalMatcher } from './goals';
import { addCounters, emptyCounters, type Counters } from './metrics';
import { bucketOf, daysOf, hoursOf, type DayRange, type Interval } from './range';
import { checkDeadline } from '../lib/deadline';

/**
 * Filtered reports, counted from stored visits and events of the range. Filters
 * across dimensions (country is NL and source is Google) cannot be answered from
 * single-dimension rollups, so these scan the range; unfiltered reports never do.
 */

type VisitRow = Pick<
  VisitDoc,
  | '_id'
  | 'vid'
  | 'day'
  | 'hour'
  | 'pageviews'
  | 'events'
  | 'duration'
  | 'bounce'
  | 'entryPage'
  | 'exitPage'
  | 'source'
  | 'channel'
  | 'referrerHost'
  | 'utmSource'
  | 'utmMedium'
  | 'utmCampaign'
  | 'utmTerm'
  | 'utmContent'
  | 'country'
  | 'region'
  | 'city'
  | 'browser'
  | 'browserVersion'
  | 'os'
  | 'osVersion'
  | 'device'
  | 'screen'
  | 'language'
>;
type EventRow = Pick<RawEvent, '_id' | 'ts' | 'vid' | 'day' | 'hour' | 'kind' | 'path' | 'name' | 'props' | 'visitId'>;

export interface RawSelection {
  /** Selected visits that started in the range: what visits, bounces, duration, entry and exit pages count. */
  visits: VisitRow[];
  /** Selected visits that started before the range and went on into it: only their hits count here. */
  earlier: VisitRow[];
  /** Pageviews and custom events of all selected visits inside the range; a page filter keeps its pages' views only. */
  events: EventRow[];
  /** All pageviews and custom events inside the range of the selected visits that started in it: what goals and funnels are evaluated on. */
  visitEvents: EventRow[];
}

/**
 * How far before a range the raw engine looks for the visits of the range's hits:
 * a visit longer than this (first-party ids only; cookieless ids change daily) has
 * its hits in the range counted by unfiltered reports only (docs/metrics.md).
 */
export const VISIT_LOOKBACK_DAYS = 31;

/**
 * The visits that pass every filter, with their pageviews and events of the
 * range (docs/metrics.md): a pageview or event belongs to its own day, a visit to
 * the day it started. So the visits that started in the range count as visits,
 * and those that started earlier and went on into it (usually from the evening
 * before) are selected too, for their hits of the range. A page filter selects
 * the visits that viewed a matching page and narrows the counted pageviews to
 * those pages; goals and funnels still see the whole visit (`visitEvents`).
 */
export async function selectRaw(
  siteId: mongo.ObjectId,
  range: DayRange,
  filters: Filter[],
  goals: Map<string, GoalMatcher>,
): Promise<RawSelection> {
  const [started, events] = await Promise.all([
    findVisits(siteId, { days: range }) as Promise<VisitRow[]>,
    readEvents(siteId, range, (e) => e.kind === 'pv' || e.kind === 'ev') as Promise<EventRow[]>,
  ]);
  // Hits whose visit started before the range: its visit is read from the days before, only those visits.
  const known = new Set(started.map((v) => v._id));
  const missing = new Set(events.map((e) => e.visitId).filter((id) => id !== '' && !known.has(id)));
  const visits = missing.size
    ? [...((await findEarlierVisits(siteId, missing, range.from, VISIT_LOOKBACK_DAYS)) as VisitRow[]), ...started]
    : started;

  const eventsByVisit = new Map<string, EventRow[]>();
  for (const event of events) {
    const list = eventsByVisit.get(event.visitId);
    if (list) list.push(event);
    else eventsByVisit.set(event.visitId, [event]);
  }

  const visitFilters = filters.filter((f) => f.dim !== 'goal' && VISIT_KEY[f.dim] !== undefined);
  const eventFilters = filters.filter((f) => f.dim === 'page' || f.dim === 'event' || f.dim === 'event_prop');
  const goalFilters = filters.filter((f) => f.dim === 'goal');

  const keep = visits.filter((visit) => {
    checkDeadline();
    if (!visitFilters.every((f) => matches(f, cutKey(VISIT_KEY[f.dim as BreakdownDimension]!(visit))))) return false;
    const own = eventsByVisit.get(visit._id) ?? [];
    for (const f of eventFilters) {
      // "is not" means the visit never matched, not that some event differs.
      const positive = { op: f.op === 'is_not' ? 'is' : f.op, value: f.value } as const;
      const hit = own.some((e) => eventKeys(f.dim as BreakdownDimension, e).some((k) => matches(positive, k)));
      if (hit === (f.op === 'is_not')) return false;
    }
    for (const f of goalFilters) {
      const goal = goals.get(f.value);
      const converted = goal !== undefined && own.some((e) => goal(e));
      if (converted === (f.op === 'is_not')) return false;
    }
    return true;
  });

  const pageFilters = eventFilters.filter((f) => f.dim === 'page' && f.op !== 'is_not');
  const keptIds = new Set(keep.map((v) => v._id));
  const keptEvents = events.filter(
    (e) => keptIds.has(e.visitId) && (e.kind !== 'pv' || pageFilters.every((f) => matches(f, e.path))),
  );
  const inRange = keep.filter((v) => v.day >= range.from);
  const inRangeIds = new Set(inRange.map((v) => v._id));
  return {
    visits: inRange,
    earlier: keep.filter((v) => v.day < range.from),
    events: keptEvents,
    visitEvents: events.filter((e) => inRangeIds.has(e.visitId)),
  };
}

/** The keys an event has under a page-level dimension, cut as the rollups cut them (aggregate/limits.ts). */
function eventKeys(dim: BreakdownDimension, event: EventRow): string[] {
  if (dim === 'page') return event.kind === 'pv' ? [cutKey(event.path)] : [];
  if (dim === 'event') return event.kind === 'ev' ? [cutKey(event.name)] : [];
  if (dim === 'event_prop' && event.kind === 'ev' && event.props) {
    return Object.entries(event.props).map(([k, v]) => cutKey([event.name, k, String(v)].join(PROP_SEPARATOR)));
  }
  return [];
}

function countSelection(visits: VisitRow[], events: EventRow[]): Counters {
  const counters = emptyCounters();
  counters.visits = visits.length;
  for (const visit of visits) {
    counters.bounces += visit.bounce ? 1 : 0;
    counters.duration += visit.duration;
  }
  for (const event of events) {
    if (event.kind === 'pv') counters.pageviews += 1;
    else counters.events += 1;
  }
  return counters;
}

const uniqueVisitors = (vids: Iterable<string>): number => new Set(vids).size;

export function rawTotals(selection: RawSelection): Counters {
  return {
    ...countSelection(selection.visits, selection.events),
    visitors: uniqueVisitors([...selection.visits.map((v) => v.vid), ...selection.events.map((e) => e.vid)]),
  };
}

/**
 * Per goal, the visits of the selection that started in the range and reached it with a
 * hit of the range, and their visitors once per start day (docs/metrics.md).
 */
export function rawConversions(
  selection: RawSelection,
  goals: ReadonlyMap<string, GoalMatcher>,
): Map<string, { visits: number; visitors: number }> {
  const visits = new Map(selection.visits.map((v) => [v._id, v]));
  const converted = new Map<string, Set<string>>([...goals.keys()].map((id) => [id, new Set()]));
  for (const event of selection.visitEvents) {
    checkDeadline();
    for (const [id, matches] of goals) if (matches(event)) converted.get(id)!.add(event.visitId);
  }
  return new Map(
    [...converted].map(([id, ids]) => {
      const visitors = new Set([...ids].map((visitId) => visits.get(visitId)).map((v) => `${v?.day}|${v?.vid}`));
      return [id, { visits: ids.size, visitors: visitors.size }];
    }),
  );
}

/** All visitors of the selection counted as breakdown rows count them: once per day they were seen. */
export function rawVisitorDays(selection: RawSelection): number {
  return uniqueVisitors([...selection.visits, ...selection.events].map((r) => `${r.day}|${r.vid}`));
}

export function rawSeries(
  selection: RawSelection,
  range: DayRange,
  interval: Interval,
  zone: string,
): Array<{ period: string } & Counters> {
  const periods =
    interval === 'hour'
      ? hoursOf(range, zone).map((h) => ({ period: h.label, key: h.key }))
      : [...new Set(daysOf(range).map((d) => bucketOf(d, interval)))].map((p) => ({ period: p, key: p }));
  const keyOf = (row: { day: string; hour: string }) => (interval === 'hour' ? row.hour : bucketOf(row.day, interval));
  const visits = groupBy(selection.visits, keyOf);
  const events = groupBy(selection.events, keyOf);
  return periods.map(({ period, key }) => {
    const v = visits.get(key) ?? [];
    const e = events.get(key) ?? [];
    return { period, ...countSelection(v, e), visitors: uniqueVisitors([...v, ...e].map((r) => r.vid)) };
  });
}

/** Rows per key; visitors count each visitor once per day and key, as the rollups do. */
export function rawBreakdown(selection: RawSelection, dim: BreakdownDimension): Array<{ key: string } & Counters> {
  const rows = new Map<string, Counters & { seen: Set<string> }>();
  const row = (key: string) => {
    let r = rows.get(key);
    if (!r) rows.set(key, (r = { ...emptyCounters(), seen: new Set() }));
    return r;
  };
  const visitKey = VISIT_KEY[dim];
  if (visitKey) {
    const visitsById = new Map([...selection.earlier, ...selection.visits].map((v) => [v._id, v]));
    const entryOrExit = dim === 'entry_page' || dim === 'exit_page';
    for (const visit of selection.visits) {
      // A visit without a pageview has no entry or exit page, and the rollups give it no row.
      if (entryOrExit && !visitKey(visit)) continue;
      const r = row(cutKey(visitKey(visit)));
      addCounters(r, { visits: 1, bounces: visit.bounce ? 1 : 0, duration: visit.duration });
      r.seen.add(`${visit.day}|${visit.vid}`);
    }
    // Like the rollups, pageviews and events belong to the acquisition and device
    // dimensions of their visit, not to its entry or exit page, on their own day:
    // their visitor is one of that day's for the key, whenever the visit started.
    if (!entryOrExit) {
      for (const event of selection.events) {
        const visit = visitsById.get(event.visitId);
        if (!visit) continue;
        const r = row(cutKey(visitKey(visit)));
        addCounters(r, event.kind === 'pv' ? { pageviews: 1 } : { events: 1 });
        r.seen.add(`${event.day}|${event.vid}`);
      }
    }
  } else {
    for (const event of selection.events) {
      for (const key of eventKeys(dim, event)) {
        const r = row(key);
        addCounters(r, event.kind === 'pv' ? { pageviews: 1 } : { events: 1 });
        r.seen.add(`${event.day}|${event.vid}`);
      }
    }
  }
  return [...rows].map(([key, { seen, ...counters }]) => ({ key, ...counters, visitors: seen.size }));
}

function groupBy<T>(rows: T[], keyOf: (row: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const row of rows) {
    const key = keyOf(row);
    const list = out.get(key);
    if (list) list.push(row);
    else out.set(key, [row]);
  }
  return out;
}
