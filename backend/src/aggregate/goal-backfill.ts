import { randomUUID } from 'node:crypto';

import type { mongo } from 'mongoose';

import {
  claimGoalBackfill,
  goalBackfillDone,
  goalDefinition,
  goalMatcher,
  releaseGoalBackfill,
  sitesWithPendingGoalRollups,
  type GoalBackfillClaim,
} from '../reports/goals';
import { changeState, emptyStats, writeBatch } from './aggregator';
import type { CounterDelta, RollupDelta, SiteGoal } from './compute';
import { ANY_GOAL, conversionLag, goalRowKey, goalVisitorKey, GOAL_VISITOR_PREFIX, parseGoalRowKey } from './goal-keys';
import { siteEventsByDay } from './history';
import type { Conversion, RawEvent, VisitDoc } from './model';
import { counters, rollupWrites, siteKeyedDays } from './rollups';
import { firstKeptDay, type AggregatorState, type StateDelta } from './state';

/**
 * Goal backfills (decision 0010): when a site's goals change, its `goals`
 * rollup part is recounted from its stored events, so that a goal created after
 * its traffic arrived (or edited, or deleted) reports from the rollups like
 * the rest. Most of the history is read without the aggregator lease; only the
 * last days, the writes and the open visits' state change under it, so the
 * aggregator waits for a few days of one site's events, not for its history.
 */

const DAY_MS = 86_400_000;
/** How long a claim keeps other processes off a site's backfill; renewed while the history is read. */
const CLAIM_MS = 10 * 60_000;
/** Days read under the lease: those whose events may still arrive (an inbox backlog) or whose visits may still be open. */
const LEASED_DAYS = 3;
const EARLIEST = '0000-01-01';
const LATEST = '9999-12-31';

/**
 * Start days whose visitors' lags the replay keeps after their visits are over: the live
 * state's visitor-day sets reach back two UTC days from its clock (state.ts), which is at
 * most four site-local days before the newest event day.
 */
const KEPT_LAG_DAYS = 4;

const daysBefore = (day: string, days: number) =>
  new Date(Date.parse(`${day}T00:00:00Z`) - days * DAY_MS).toISOString().slice(0, 10);
const previousDay = (day: string) => daysBefore(day, 1);

interface ReplayVisit {
  day: string;
  vid: string;
  /** The event day that last had a hit of the visit. */
  lastDay: string;
  /** Goal → days from the start day to the first matching hit. */
  conversions: Map<string, number>;
}

/** Converted visits and visitors of a row. */
export interface GoalCounts {
  visits: number;
  visitors: number;
}

/**
 * A site's goal conversions counted from its stored events, day by day in time
 * order, the way compute.ts counts them batch by batch: a visit starts with the
 * hit whose client id its id carries and converts on a pageview or custom event
 * that matches a goal; it counts on its start day under the lag of its first
 * matching hit, and its visitor once per start day and goal, under the
 * smallest lag.
 */
export class GoalReplay {
  /** Start day → row key → counts. */
  private readonly rows = new Map<string, Map<string, GoalCounts>>();
  /** Start day → visitor → goal → smallest lag, until the day's visits are all over. */
  private readonly lags = new Map<string, Map<string, Map<string, number>>>();
  /** Visits that may still have hits, by id. */
  private readonly active = new Map<string, ReplayVisit>();
  /** Start day → its visits still active. */
  private readonly activeOn = new Map<string, number>();
  /** The open visits' conversions, once `finish` ran. */
  private readonly finished = new Map<string, Conversion[]>();
  /** The first event day read: the raw history begins there. */
  firstDay: string | undefined;

  constructor(
    private readonly siteId: string,
    private readonly goals: readonly SiteGoal[],
  ) {}

  /** One event day of the site, its events in time order; days come oldest first. */
  add(day: string, events: readonly RawEvent[]): void {
    this.firstDay ??= day;
    // Visits first: a late hit may be ordered before the one that opened its visit.
    for (const event of events) {
      if (!this.opensVisit(event) || this.active.has(event.visitId)) continue;
      this.active.set(event.visitId, { day: event.day, vid: event.vid, lastDay: day, conversions: new Map() });
      this.activeOn.set(event.day, (this.activeOn.get(event.day) ?? 0) + 1);
    }
    for (const event of events) {
      const visit = this.active.get(event.visitId);
      if (!visit) continue;
      visit.lastDay = day;
      if (event.kind !== 'pv' && event.kind !== 'ev') continue;
      let lag: number | undefined;
      for (const goal of this.goals) {
        if (!goal.matches(event)) continue;
        lag ??= conversionLag(visit.day, event.day);
        if ((visit.conversions.get(goal.id) ?? Infinity) > lag) visit.conversions.set(goal.id, lag);
      }
    }
    // A visit's hits are at most a visit timeout (4 hours at most) apart: one without a hit today or yesterday is over.
    const yesterday = previousDay(day);
    for (const [id, visit] of this.active) {
      if (visit.lastDay >= yesterday) continue;
      this.close(visit);
      this.active.delete(id);
    }
    const settled = daysBefore(day, KEPT_LAG_DAYS);
    for (const [start, byVisitor] of this.lags) {
      if (start < settled && !this.activeOn.get(start)) this.countVisitors(start, byVisitor);
    }
  }

  /**
   * Ends the replay: the visits still active count as they stand (the aggregator's open
   * visits count so too) and their conversions are kept for the live state; the visitor
   * lags of start days from `keepFrom` on are kept for its visitor-day keys.
   */
  finish(keepFrom: string): void {
    for (const [id, visit] of this.active) {
      this.finished.set(id, [...visit.conversions]);
      this.close(visit);
    }
    this.active.clear();
    for (const [start, byVisitor] of this.lags) this.countVisitors(start, byVisitor, start >= keepFrom);
  }

  /** The counts by start day and row key (after `finish`). */
  result(): ReadonlyMap<string, ReadonlyMap<string, GoalCounts>> {
    return this.rows;
  }

  /** An open visit's conversions as the live state should hold them (after `finish`). */
  conversionsOf(visitId: string): Conversion[] {
    return this.finished.get(visitId) ?? [];
  }

  /** A visitor's goal keys of a start day, as the live state's visitor-day set should hold them (after `finish`). */
  visitorKeys(day: string, vid: string): string[] {
    return [...(this.lags.get(day)?.get(vid) ?? [])].map(([goal, lag]) => goalVisitorKey(goal, lag));
  }

  /** Whether the event is the first of its visit: the visit's id ends with the event's client id. */
  private opensVisit(event: RawEvent): boolean {
    if (!event.visitId) return false;
    const prefix = `${this.siteId}:`;
    const clientId = event._id.startsWith(prefix) ? event._id.slice(prefix.length) : event._id;
    return event.visitId === `${this.siteId}:${event.vid}:${clientId}`;
  }

  private close(visit: ReplayVisit): void {
    this.activeOn.set(visit.day, (this.activeOn.get(visit.day) ?? 1) - 1);
    if (visit.conversions.size === 0) return;
    const lags = new Map(visit.conversions);
    lags.set(ANY_GOAL, Math.min(...lags.values()));
    const byVisitor = this.lags.get(visit.day) ?? new Map<string, Map<string, number>>();
    this.lags.set(visit.day, byVisitor);
    const mine = byVisitor.get(visit.vid) ?? new Map<string, number>();
    byVisitor.set(visit.vid, mine);
    for (const [goal, lag] of lags) {
      this.row(visit.day, goalRowKey(goal, lag)).visits += 1;
      if ((mine.get(goal) ?? Infinity) > lag) mine.set(goal, lag);
    }
  }

  private countVisitors(day: string, byVisitor: Map<string, Map<string, number>>, keep = false): void {
    for (const lags of byVisitor.values()) {
      for (const [goal, lag] of lags) this.row(day, goalRowKey(goal, lag)).visitors += 1;
    }
    if (!keep) this.lags.delete(day);
    this.activeOn.delete(day);
  }

  private row(day: string, key: string): GoalCounts {
    const rows = this.rows.get(day) ?? new Map<string, GoalCounts>();
    this.rows.set(day, rows);
    const row = rows.get(key) ?? { visits: 0, visitors: 0 };
    rows.set(key, row);
    return row;
  }
}

export interface BackfillOptions {
  /** First event day read under the lease (default: three UTC days before now). */
  leasedFrom?: string;
}

/**
 * Recounts a site's `goals` rollup part for its current goals, when a backfill
 * is due and no other process holds it; false when there was nothing to do.
 * Days before the raw history (retention) cannot be recounted: there the rows
 * of goals whose definition is unchanged, and of "any goal", are kept, and
 * those of changed or deleted goals dropped.
 */
export async function backfillGoalRollups(siteId: mongo.ObjectId, options: BackfillOptions = {}): Promise<boolean> {
  const claim = await claimGoalBackfill(siteId, CLAIM_MS);
  if (!claim) return false;
  try {
    const goals = claim.goals.map((g) => ({ id: g._id.toHexString(), matches: goalMatcher(g) }));
    const replay = new GoalReplay(String(siteId), goals);
    const leasedFrom = options.leasedFrom ?? new Date(Date.now() - LEASED_DAYS * DAY_MS).toISOString().slice(0, 10);
    let renewed = Date.now();
    for await (const { day, events } of siteEventsByDay(siteId, { from: EARLIEST, to: previousDay(leasedFrom) })) {
      replay.add(day, events);
      if (Date.now() - renewed < CLAIM_MS / 4) continue;
      // Another process finished it meanwhile (or the goals changed again and it took over).
      if (!(await claimGoalBackfill(siteId, CLAIM_MS, true))) return false;
      renewed = Date.now();
    }
    await changeState(siteId, async (live) => {
      for await (const { day, events } of siteEventsByDay(siteId, { from: leasedFrom, to: LATEST })) {
        replay.add(day, events);
      }
      replay.finish(firstKeptDay(live.state.clock));
      await writeGoalRows(siteId, claim, replay, live.state.clock);
      return openStateDelta(String(siteId), replay, live.state);
    });
    await goalBackfillDone(siteId, claim);
    return true;
  } catch (error) {
    await releaseGoalBackfill(siteId);
    throw error;
  }
}

/**
 * Writes the replay's rows as deltas against the stored ones, through the
 * aggregator's own rollup writes (open days stay open, as the live clock says).
 */
async function writeGoalRows(
  siteId: mongo.ObjectId,
  claim: GoalBackfillClaim,
  replay: GoalReplay,
  clock: number,
): Promise<void> {
  const stored = await siteKeyedDays('goals', siteId);
  const counted = replay.result();
  const unchanged = new Set([
    ANY_GOAL,
    ...claim.goals.filter((g) => g.rollupsMatch === goalDefinition(g)).map((g) => g._id.toHexString()),
  ]);
  const deltas: RollupDelta[] = [];
  for (const day of new Set([...stored.keys(), ...counted.keys()])) {
    const before = new Map([...(stored.get(day) ?? [])].map(([key, row]) => [key, counters(row)]));
    let after: ReadonlyMap<string, GoalCounts>;
    if (replay.firstDay !== undefined && day >= replay.firstDay) after = counted.get(day) ?? new Map();
    else after = new Map([...before].filter(([key]) => unchanged.has(parseGoalRowKey(key)?.goal ?? '')));
    const goals = new Map<string, CounterDelta>();
    for (const key of new Set([...before.keys(), ...after.keys()])) {
      const visits = (after.get(key)?.visits ?? 0) - (before.get(key)?.visits ?? 0);
      const visitors = (after.get(key)?.visitors ?? 0) - (before.get(key)?.visitors ?? 0);
      if (visits !== 0 || visitors !== 0) goals.set(key, { visits, visitors });
    }
    if (goals.size > 0)
      deltas.push({ siteId, day, totals: {}, hours: new Map(), hll: undefined, dims: new Map(), goals });
  }
  if (deltas.length === 0) return;
  const batchId = `goals-${String(siteId)}-${claim.revision}-${randomUUID()}`;
  const writes = await rollupWrites(batchId, deltas, { clock, foldScan: false });
  const stats = emptyStats();
  const nothing = { clock, visits: [], closed: [], days: [] };
  await writeBatch(batchId, writes, { rollups: [], delta: nothing, closedVisits: [], eventsByVisit: new Map() }, stats);
}

const sameKeys = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && [...a].sort().join('\n') === [...b].sort().join('\n');

/**
 * The live state brought in line with the rows just written: the site's open
 * visits with the replay's conversions, and its visitors' goal keys on the days
 * the state still keeps, so the next batches continue from them.
 */
function openStateDelta(site: string, replay: GoalReplay, state: AggregatorState): StateDelta {
  const visits: VisitDoc[] = [];
  for (const visit of state.visits.values()) {
    if (String(visit.siteId) !== site) continue;
    const conversions = replay.conversionsOf(visit._id);
    const encode = (list: readonly Conversion[]) => list.map(([goal, lag]) => `${goal}|${lag}`);
    if (sameKeys(encode(visit.conversions ?? []), encode(conversions))) continue;
    const { conversions: _stale, ...rest } = visit;
    visits.push(conversions.length > 0 ? { ...rest, conversions } : rest);
  }
  const days: Array<[string, string[]]> = [];
  const prefix = `${site}:`;
  for (const [key, keys] of state.days) {
    if (!key.startsWith(prefix)) continue;
    // `${siteId}:${day}:${vid}` (state.ts visitorDayKey).
    const day = key.slice(prefix.length, prefix.length + 10);
    const vid = key.slice(prefix.length + 11);
    const next = [...keys.filter((k) => !k.startsWith(GOAL_VISITOR_PREFIX)), ...replay.visitorKeys(day, vid)];
    if (!sameKeys(next, keys)) days.push([key, next]);
  }
  return { clock: state.clock, visits, closed: [], days };
}

let running: Promise<number> | undefined;

/**
 * Runs the due backfills of every site, one site at a time (the scheduled job; tests call
 * it directly). Returns how many sites it backfilled; a site that fails stays due and the
 * others still run.
 */
export function runGoalBackfills(options: BackfillOptions = {}): Promise<number> {
  running ??= (async () => {
    try {
      let done = 0;
      const failures: unknown[] = [];
      for (const siteId of await sitesWithPendingGoalRollups()) {
        try {
          if (await backfillGoalRollups(siteId, options)) done += 1;
        } catch (error) {
          failures.push(error);
        }
      }
      if (failures.length > 0) throw new AggregateError(failures, `${failures.length} goal backfills failed`);
      return done;
    } finally {
      running = undefined;
    }
  })();
  return running;
}
