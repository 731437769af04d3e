import type { mongo } from 'mongoose';

import { ANY_GOAL, goalRowKey } from './goal-keys';
import { add as hllAdd, createRegisters, type Registers } from './hll';
import { cutKey } from './limits';
import type { Conversion, Counter, KeyDimension, VisitAttributes, VisitDoc, VisitState } from './model';
import type { PlacedHit, Sessionised } from './sessionise';
import { visitorDayLedger, type VisitorDayLedger } from './visitor-days';

export type CounterDelta = Partial<Record<Counter, number>>;

/** What a batch adds to one site-local day: its totals, local hours, visitor sketch and keyed rows. */
export interface RollupDelta {
  siteId: mongo.ObjectId;
  day: string;
  totals: CounterDelta;
  /** By the local hour (lib/local-hour.ts) of the events and visits that belong to this local day. */
  hours: Map<string, CounterDelta>;
  hll: Registers | undefined;
  dims: Map<KeyDimension, Map<string, CounterDelta>>;
  /** Converted visits and visitors by goal row key (goal-keys.ts), on the visits' start day. */
  goals: Map<string, CounterDelta>;
}

/** Visit-level dimensions and how to read their key from a visit. */
const VISIT_DIMS: ReadonlyArray<readonly [KeyDimension, (v: VisitAttributes) => string]> = [
  ['source', (v) => v.source],
  ['channel', (v) => v.channel],
  ['referrer', (v) => v.referrerHost],
  ['utm_source', (v) => v.utmSource],
  ['utm_medium', (v) => v.utmMedium],
  ['utm_campaign', (v) => v.utmCampaign],
  ['utm_term', (v) => v.utmTerm],
  ['utm_content', (v) => v.utmContent],
  ['country', (v) => v.country],
  ['region', (v) => v.region],
  ['city', (v) => v.city],
  ['browser', (v) => v.browser],
  ['browser_version', (v) => `${v.browser} ${v.browserVersion}`.trim()],
  ['os', (v) => v.os],
  ['os_version', (v) => `${v.os} ${v.osVersion}`.trim()],
  ['device', (v) => v.device],
  ['screen', (v) => v.screen],
  ['language', (v) => v.language],
];

/** A row of counters: the day's totals (`all`), a local hour (`hour`), a key of a dimension, or a goal row. */
type Target =
  | { kind: 'all' }
  | { kind: 'hour'; hour: string }
  | { kind: 'dim'; dim: KeyDimension; key: string }
  | { kind: 'goal'; key: string };
const ALL: Target = { kind: 'all' };
const hourRow = (hour: string): Target => ({ kind: 'hour', hour });
const keyRow = (dim: KeyDimension, key: string): Target => ({ kind: 'dim', dim, key: cutKey(key) });
const goalRow = (goal: string, lag: number): Target => ({ kind: 'goal', key: goalRowKey(goal, lag) });

class RollupAccumulator {
  private readonly days = new Map<string, RollupDelta>();

  add(siteId: mongo.ObjectId, day: string, target: Target, counter: Counter, amount: number): void {
    if (amount === 0) return;
    const delta = this.row(this.day(siteId, day), target);
    delta[counter] = (delta[counter] ?? 0) + amount;
  }

  hll(siteId: mongo.ObjectId, day: string, vid: string): void {
    const delta = this.day(siteId, day);
    delta.hll = hllAdd(delta.hll ?? createRegisters(), vid);
  }

  result(): RollupDelta[] {
    return [...this.days.values()];
  }

  /** The last day looked up: an event adds dozens of rows to one day, and `String(siteId)` is not cheap. */
  private last: { siteId: mongo.ObjectId; day: string; delta: RollupDelta } | undefined;

  private day(siteId: mongo.ObjectId, day: string): RollupDelta {
    if (this.last?.siteId === siteId && this.last.day === day) return this.last.delta;
    const id = `${String(siteId)}:${day}`;
    let delta = this.days.get(id);
    if (!delta) {
      delta = { siteId, day, totals: {}, hours: new Map(), hll: undefined, dims: new Map(), goals: new Map() };
      this.days.set(id, delta);
    }
    this.last = { siteId, day, delta };
    return delta;
  }

  private row(day: RollupDelta, target: Target): CounterDelta {
    if (target.kind === 'all') return day.totals;
    let rows = target.kind === 'goal' ? day.goals : day.hours;
    if (target.kind === 'dim') {
      rows = day.dims.get(target.dim) ?? new Map<string, CounterDelta>();
      day.dims.set(target.dim, rows);
    }
    const key = target.kind === 'hour' ? target.hour : target.key;
    let row = rows.get(key);
    if (!row) {
      row = {};
      rows.set(key, row);
    }
    return row;
  }
}

/** The lag of each goal a visit reached and, under ANY_GOAL, of the first of them. */
function firstConversions(conversions: readonly Conversion[] | undefined): Map<string, number> {
  const lags = new Map<string, number>(conversions ?? []);
  if (lags.size > 0) lags.set(ANY_GOAL, Math.min(...lags.values()));
  return lags;
}

/** The counters a visit contributes as a whole; a batch applies contribution(after) − contribution(before). */
function contribute(visit: VisitDoc, state: VisitState, sign: 1 | -1, out: RollupAccumulator): void {
  const { siteId, day, hour } = visit;
  const bounces = state.bounce ? sign : 0;
  const duration = sign * state.duration;
  const visitCounters = (target: Target) => {
    out.add(siteId, day, target, 'visits', sign);
    out.add(siteId, day, target, 'bounces', bounces);
    out.add(siteId, day, target, 'duration', duration);
  };
  visitCounters(ALL);
  visitCounters(hourRow(hour));
  for (const [dim, keyOf] of VISIT_DIMS) visitCounters(keyRow(dim, keyOf(visit)));
  if (state.entryPage) {
    visitCounters(keyRow('entry_page', state.entryPage));
    out.add(siteId, day, keyRow('page', state.entryPage), 'entries', sign);
  }
  if (state.exitPage) {
    visitCounters(keyRow('exit_page', state.exitPage));
    out.add(siteId, day, keyRow('exit_page', state.exitPage), 'exits', sign);
    out.add(siteId, day, keyRow('page', state.exitPage), 'exits', sign);
  }
  // A converted visit counts once per goal and once for any goal, under the lag of its first matching hit.
  if (!state.conversions?.length) return;
  for (const [goal, lag] of firstConversions(state.conversions))
    out.add(siteId, day, goalRow(goal, lag), 'visits', sign);
}

/** What one hit adds on its own day: its counters, and its visitor where the day had not counted them yet. */
function addHit(hit: PlacedHit, ledger: VisitorDayLedger, rollups: RollupAccumulator): void {
  const { event, visit } = hit;
  const { siteId, day, hour, vid } = event;
  const uniqueDaily = (on: string, dim: KeyDimension, key: string) => {
    if (ledger.count(siteId, on, vid, `${dim}|${cutKey(key)}`))
      rollups.add(siteId, on, keyRow(dim, key), 'visitors', 1);
  };
  const engaged = () => {
    rollups.add(siteId, day, ALL, 'engaged', event.engagedMs);
    rollups.add(siteId, day, hourRow(hour), 'engaged', event.engagedMs);
    rollups.add(siteId, day, keyRow('page', event.path), 'engaged', event.engagedMs);
  };
  // Engagement reported after its visit closed still belongs to the page's day.
  if (!visit) return engaged();

  if (hit.opened) for (const [dim, keyOf] of VISIT_DIMS) uniqueDaily(visit.day, dim, keyOf(visit));
  // A day's (and hour's) visitors: those with a pageview or custom event in it, or whose
  // visit opened in it; an identify joining a visit from the day before adds none, as the
  // raw engine counts them.
  if (event.kind === 'pv' || event.kind === 'ev' || hit.opened) {
    if (ledger.count(siteId, day, vid, 'all|')) {
      rollups.add(siteId, day, ALL, 'visitors', 1);
      rollups.hll(siteId, day, vid);
    }
    if (ledger.count(siteId, day, vid, `h|${hour}`)) rollups.add(siteId, day, hourRow(hour), 'visitors', 1);
  }
  // Pageviews and custom events count on their own day in the rows of their visit's
  // attributes too, so a hit after midnight makes its visitor one of that day's for
  // those keys; the visit itself stays on its first day (docs/metrics.md).
  if ((event.kind === 'pv' || event.kind === 'ev') && day !== visit.day) {
    for (const [dim, keyOf] of VISIT_DIMS) uniqueDaily(day, dim, keyOf(visit));
  }

  switch (event.kind) {
    case 'pv': {
      const nf = event.notFound ? 1 : 0;
      if (hit.entered) uniqueDaily(visit.day, 'entry_page', event.path);
      rollups.add(siteId, day, ALL, 'pageviews', 1);
      rollups.add(siteId, day, ALL, 'notFound', nf);
      rollups.add(siteId, day, hourRow(hour), 'pageviews', 1);
      rollups.add(siteId, day, keyRow('page', event.path), 'pageviews', 1);
      rollups.add(siteId, day, keyRow('page', event.path), 'notFound', nf);
      uniqueDaily(day, 'page', event.path);
      for (const [dim, keyOf] of VISIT_DIMS) rollups.add(siteId, day, keyRow(dim, keyOf(visit)), 'pageviews', 1);
      break;
    }
    case 'ev': {
      rollups.add(siteId, day, ALL, 'events', 1);
      rollups.add(siteId, day, hourRow(hour), 'events', 1);
      rollups.add(siteId, day, keyRow('event', event.name), 'events', 1);
      uniqueDaily(day, 'event', event.name);
      for (const [prop, value] of Object.entries(event.props ?? {})) {
        const key = `${event.name}\u0000${prop}\u0000${String(value)}`;
        rollups.add(siteId, day, keyRow('event_prop', key), 'events', 1);
        uniqueDaily(day, 'event_prop', key);
      }
      for (const [dim, keyOf] of VISIT_DIMS) rollups.add(siteId, day, keyRow(dim, keyOf(visit)), 'events', 1);
      break;
    }
    case 'en':
      engaged();
      break;
    case 'id':
      break;
  }
}

/** What a changed visit adds as a whole: contribution(after) − contribution(before), its exit page's and goals' visitors. */
function addVisit(
  visit: VisitDoc,
  before: VisitState | null,
  ledger: VisitorDayLedger,
  rollups: RollupAccumulator,
): void {
  const { siteId, day } = visit;
  if (before) contribute(visit, before, -1, rollups);
  contribute(visit, visit, 1, rollups);
  const from = before?.exitPage ?? '';
  if (from !== visit.exitPage) {
    const { left, arrived } = ledger.moveExit(visit, from, visit.exitPage);
    if (from) rollups.add(siteId, day, keyRow('exit_page', from), 'visitors', left);
    if (visit.exitPage) rollups.add(siteId, day, keyRow('exit_page', visit.exitPage), 'visitors', arrived);
  }
  // A visitor counts once per start day and goal, under the smallest lag of their visits'
  // conversions, so every range that holds one of those conversions counts them once.
  if (visit.conversions === before?.conversions) return;
  const was = firstConversions(before?.conversions);
  for (const [goal, lag] of firstConversions(visit.conversions)) {
    if ((was.get(goal) ?? Infinity) <= lag) continue;
    const counted = ledger.convert(visit, goal, lag);
    if (!counted.counted) continue;
    if (counted.was !== undefined) rollups.add(siteId, day, goalRow(goal, counted.was), 'visitors', -1);
    rollups.add(siteId, day, goalRow(goal, lag), 'visitors', 1);
  }
}

/**
 * The rollup deltas of a sessionised batch, and the visitor-day key sets it changed. Each
 * hit counts on its own day; each visit the batch opened or changed adds
 * contribution(after) − contribution(before), so consecutive batches of events in time
 * order add up to one batch of all of them (compute.unit.test.ts). Pure: `days` (the aggregator's key sets) and the visits are only read.
 */
export function rollupDeltas(
  batch: Sessionised,
  days: ReadonlyMap<string, readonly string[]>,
): { rollups: RollupDelta[]; days: Array<[string, string[]]> } {
  const rollups = new RollupAccumulator();
  const ledger = visitorDayLedger(days);
  for (const hit of batch.hits) addHit(hit, ledger, rollups);
  for (const { visit, before } of batch.changes) addVisit(visit, before, ledger, rollups);
  return { rollups: rollups.result(), days: ledger.changes() };
}
