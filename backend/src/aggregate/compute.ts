import type { mongo } from 'mongoose';

import { ANY_GOAL, conversionLag, goalRowKey, goalVisitorKey, GOAL_VISITOR_PREFIX } from './goal-keys';
import { add as hllAdd, createRegisters, type Registers } from './hll';
import { MAX_KEYS_PER_VISITOR_DAY, cutKey } from './limits';
import {
  VISIT_ATTRIBUTES,
  type Conversion,
  type Counter,
  type KeyDimension,
  type RawEvent,
  type VisitAttributes,
  type VisitDoc,
  type VisitState,
} from './model';
import { visitHasClosed, visitorDayKey, visitorKey, type AggregatorState, type StateDelta } from './state';

/** A goal as a batch evaluates it; reports/goals.ts defines goals and their matching. */
export interface SiteGoal {
  id: string;
  matches: (event: RawEvent) => boolean;
}

/** What the aggregator needs to know about a site, read once per batch. */
export interface SiteConfig {
  timeoutMs: number;
  firstParty: boolean;
  /** The site's goals, whose conversions the batch counts (decision 0010). */
  goals?: readonly SiteGoal[];
}

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

export interface BatchResult {
  rollups: RollupDelta[];
  /** The state change, applied once the batch is journaled. */
  delta: StateDelta;
  /** Visits that closed with this batch, to insert into `visits`. */
  closedVisits: VisitDoc[];
  /** Event ids per visit id ('' for engagement that arrived after its visit closed). */
  eventsByVisit: Map<string, string[]>;
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

export function visitState(v: VisitState): VisitState {
  const { lastSeen, entryPage, exitPage, pageviews, events, engagedMs, duration, bounce, conversions } = v;
  const state = { lastSeen, entryPage, exitPage, pageviews, events, engagedMs, duration, bounce };
  return conversions ? { ...state, conversions } : state;
}

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

/** The lag of each goal a visit reached and, under ANY_GOAL, of the first of them. */
function firstConversions(conversions: readonly Conversion[] | undefined): Map<string, number> {
  const lags = new Map<string, number>(conversions ?? []);
  if (lags.size > 0) lags.set(ANY_GOAL, Math.min(...lags.values()));
  return lags;
}

/** Records that a pageview or custom event of `visit` matched its site's goals; the visit's list is replaced, never changed in place. */
function convert(visit: VisitDoc, goals: readonly SiteGoal[], event: RawEvent): void {
  let lag: number | undefined;
  for (const goal of goals) {
    if (!goal.matches(event)) continue;
    lag ??= conversionLag(visit.day, event.day);
    const list = visit.conversions ?? [];
    const known = list.find(([id]) => id === goal.id);
    if (known && known[1] <= lag) continue;
    visit.conversions = [...list.filter(([id]) => id !== goal.id), [goal.id, lag]];
  }
}

/** At most one interaction, a pageview or a custom event, as Plausible counts it (docs/metrics.md). */
const isBounce = (v: VisitState) => v.pageviews + v.events <= 1;

function newVisit(event: RawEvent): VisitDoc {
  const siteId = String(event.siteId);
  const clientId = event._id.startsWith(`${siteId}:`) ? event._id.slice(siteId.length + 1) : event._id;
  const attributes = Object.fromEntries(VISIT_ATTRIBUTES.map((a) => [a, event[a] ?? ''])) as VisitAttributes;
  return {
    _id: `${siteId}:${event.vid}:${clientId}`,
    siteId: event.siteId,
    vid: event.vid,
    start: event.ts,
    day: event.day,
    hour: event.hour,
    ...attributes,
    lastSeen: event.ts,
    entryPage: '',
    exitPage: '',
    pageviews: 0,
    events: 0,
    engagedMs: 0,
    duration: 0,
    bounce: true,
    userId: '',
    traits: null,
  };
}

/** A visit as stored (and shown): its conversions stay behind, since a goal edit would leave them stale. */
export function storedVisit(visit: VisitDoc): VisitDoc {
  if (!visit.conversions) return visit;
  const { conversions: _conversions, ...stored } = visit;
  return stored;
}

/** A copy a batch may change without touching the state it was read from. */
const copyVisit = (visit: VisitDoc): VisitDoc => ({ ...visit, traits: visit.traits ? { ...visit.traits } : null });

/**
 * Turns one batch of raw events (sorted by ts, _id) into rollup deltas, the
 * visits that closed and the state delta. Pure: `state` is only read, and the
 * same events, state and clock always give the same result, which is what makes
 * a replayed batch exact. `clock` (ms) closes the visits that can no longer grow.
 */
export function computeBatch(
  events: readonly RawEvent[],
  sites: ReadonlyMap<string, SiteConfig>,
  state: AggregatorState,
  clock: number,
): BatchResult {
  const rollups = new RollupAccumulator();
  const visits = new Map<string, VisitDoc>();
  const current = new Map<string, string>();
  const days = new Map<string, string[]>();
  const before = new Map<string, VisitState | null>();
  const eventsByVisit = new Map<string, string[]>();

  const visitById = (id: string | undefined): VisitDoc | undefined => {
    if (id === undefined) return undefined;
    let visit = visits.get(id);
    if (!visit) {
      const stored = state.visits.get(id);
      if (!stored) return undefined;
      visit = copyVisit(stored);
      visits.set(id, visit);
    }
    return visit;
  };
  const dayKeys = (siteId: mongo.ObjectId, day: string, vid: string): string[] => {
    const id = visitorDayKey(siteId, day, vid);
    let keys = days.get(id);
    if (!keys) {
      keys = [...(state.days.get(id) ?? [])];
      days.set(id, keys);
    }
    return keys;
  };
  const countVisitor = (siteId: mongo.ObjectId, day: string, vid: string, entry: string): boolean => {
    const keys = days.get(visitorDayKey(siteId, day, vid)) ?? state.days.get(visitorDayKey(siteId, day, vid));
    if (keys?.includes(entry)) return false;
    // Past the bound a visitor's further keys are not remembered, nor counted as a new visitor (docs/limits.md).
    if ((keys?.length ?? 0) >= MAX_KEYS_PER_VISITOR_DAY) return false;
    dayKeys(siteId, day, vid).push(entry);
    return true;
  };
  /**
   * A visit's exit page moves with each pageview, so its visitor is counted through one
   * marker per visit (`exit_page|<page>|<visit id>`): the page has the visitor while any of
   * their visits that day ends there.
   */
  const moveExit = (visit: VisitDoc, from: string, to: string) => {
    let keys = dayKeys(visit.siteId, visit.day, visit.vid);
    const marker = (page: string) => `exit_page|${page}|${visit._id}`;
    const exitsAt = (page: string) => keys.some((k) => k.startsWith(`exit_page|${page}|`));
    if (from) {
      const gone = marker(from);
      keys = keys.filter((k) => k !== gone);
      days.set(visitorDayKey(visit.siteId, visit.day, visit.vid), keys);
      if (!exitsAt(from)) rollups.add(visit.siteId, visit.day, keyRow('exit_page', from), 'visitors', -1);
    }
    if (to) {
      if (!exitsAt(to)) rollups.add(visit.siteId, visit.day, keyRow('exit_page', to), 'visitors', 1);
      keys.push(marker(to));
    }
  };
  const uniqueDaily = (siteId: mongo.ObjectId, day: string, vid: string, dim: KeyDimension, key: string) => {
    if (countVisitor(siteId, day, vid, `${dim}|${cutKey(key)}`))
      rollups.add(siteId, day, keyRow(dim, key), 'visitors', 1);
  };
  /**
   * A visitor counts once per start day and goal, under the smallest lag of their visits'
   * conversions (remembered as `goal|<goal>|<lag>`), so every range that holds one of
   * those conversions counts them once. Bounded by the site's goals, not MAX_KEYS_PER_VISITOR_DAY.
   */
  const countConverted = (visit: VisitDoc, before: readonly Conversion[] | undefined) => {
    const was = firstConversions(before);
    for (const [goal, lag] of firstConversions(visit.conversions)) {
      if ((was.get(goal) ?? Infinity) <= lag) continue;
      const keys = dayKeys(visit.siteId, visit.day, visit.vid);
      const prefix = `${GOAL_VISITOR_PREFIX}${goal}|`;
      const i = keys.findIndex((k) => k.startsWith(prefix));
      if (i >= 0) {
        const counted = Number(keys[i]!.slice(prefix.length));
        if (counted <= lag) continue;
        rollups.add(visit.siteId, visit.day, goalRow(goal, counted), 'visitors', -1);
        keys[i] = goalVisitorKey(goal, lag);
      } else {
        keys.push(goalVisitorKey(goal, lag));
      }
      rollups.add(visit.siteId, visit.day, goalRow(goal, lag), 'visitors', 1);
    }
  };

  for (const event of events) {
    const siteId = event.siteId;
    const site = sites.get(String(siteId));
    // Callers drop the events of deleted sites before a batch.
    if (!site) continue;
    const ts = event.ts;
    const { day, hour } = event;
    const vKey = visitorKey(siteId, event.vid);
    const previous = visitById(current.get(vKey) ?? state.current.get(vKey));
    let visit = previous;
    const continues =
      visit !== undefined && (event.kind === 'en' || ts.getTime() - visit.lastSeen.getTime() <= site.timeoutMs);
    if (!visit || !continues) {
      if (event.kind === 'en') {
        // Engagement reported after its visit closed still belongs to the page's day.
        rollups.add(siteId, day, ALL, 'engaged', event.engagedMs);
        rollups.add(siteId, day, hourRow(hour), 'engaged', event.engagedMs);
        rollups.add(siteId, day, keyRow('page', event.path), 'engaged', event.engagedMs);
        push(eventsByVisit, '', event._id);
        continue;
      }
      visit = newVisit(event);
      // Identity carries over from the visitor's previous visit while it is still open.
      if (previous) {
        visit.userId = previous.userId;
        visit.traits = previous.traits ? { ...previous.traits } : null;
      }
      visits.set(visit._id, visit);
      before.set(visit._id, null);
      current.set(vKey, visit._id);
      for (const [dim, keyOf] of VISIT_DIMS) uniqueDaily(siteId, visit.day, visit.vid, dim, keyOf(visit));
    } else if (!before.has(visit._id)) {
      before.set(visit._id, visitState(visit));
    }
    push(eventsByVisit, visit._id, event._id);

    // Engagement reported after the timeout still belongs to the page, but does not extend the visit.
    const active = event.kind !== 'en' || ts.getTime() - visit.lastSeen.getTime() <= site.timeoutMs;
    const latest = ts.getTime() >= visit.lastSeen.getTime();
    if (active && latest) visit.lastSeen = ts;

    // A day's (and hour's) visitors: those with a pageview or custom event in it, or whose
    // visit opened in it (this event replaced `previous`); an identify joining a visit from
    // the day before adds none, as the raw engine counts them.
    if (event.kind === 'pv' || event.kind === 'ev' || visit !== previous) {
      if (countVisitor(siteId, day, event.vid, 'all|')) {
        rollups.add(siteId, day, ALL, 'visitors', 1);
        rollups.hll(siteId, day, event.vid);
      }
      if (countVisitor(siteId, day, event.vid, `h|${hour}`)) rollups.add(siteId, day, hourRow(hour), 'visitors', 1);
    }
    // Pageviews and custom events count on their own day in the rows of their visit's
    // attributes too, so a hit after midnight makes its visitor one of that day's for
    // those keys; the visit itself stays on its first day (docs/metrics.md).
    if ((event.kind === 'pv' || event.kind === 'ev') && day !== visit.day) {
      for (const [dim, keyOf] of VISIT_DIMS) uniqueDaily(siteId, day, event.vid, dim, keyOf(visit));
    }

    switch (event.kind) {
      case 'pv': {
        const nf = event.notFound ? 1 : 0;
        visit.pageviews += 1;
        if (!visit.entryPage) {
          visit.entryPage = event.path;
          uniqueDaily(siteId, visit.day, event.vid, 'entry_page', event.path);
        }
        if (latest) visit.exitPage = event.path;
        rollups.add(siteId, day, ALL, 'pageviews', 1);
        rollups.add(siteId, day, ALL, 'notFound', nf);
        rollups.add(siteId, day, hourRow(hour), 'pageviews', 1);
        rollups.add(siteId, day, keyRow('page', event.path), 'pageviews', 1);
        rollups.add(siteId, day, keyRow('page', event.path), 'notFound', nf);
        uniqueDaily(siteId, day, event.vid, 'page', event.path);
        for (const [dim, keyOf] of VISIT_DIMS) rollups.add(siteId, day, keyRow(dim, keyOf(visit)), 'pageviews', 1);
        break;
      }
      case 'ev': {
        visit.events += 1;
        rollups.add(siteId, day, ALL, 'events', 1);
        rollups.add(siteId, day, hourRow(hour), 'events', 1);
        rollups.add(siteId, day, keyRow('event', event.name), 'events', 1);
        uniqueDaily(siteId, day, event.vid, 'event', event.name);
        for (const [prop, value] of Object.entries(event.props ?? {})) {
          const key = `${event.name}\u0000${prop}\u0000${String(value)}`;
          rollups.add(siteId, day, keyRow('event_prop', key), 'events', 1);
          uniqueDaily(siteId, day, event.vid, 'event_prop', key);
        }
        for (const [dim, keyOf] of VISIT_DIMS) rollups.add(siteId, day, keyRow(dim, keyOf(visit)), 'events', 1);
        break;
      }
      case 'en': {
        const ms = event.engagedMs;
        visit.engagedMs += ms;
        rollups.add(siteId, day, ALL, 'engaged', ms);
        rollups.add(siteId, day, hourRow(hour), 'engaged', ms);
        rollups.add(siteId, day, keyRow('page', event.path), 'engaged', ms);
        break;
      }
      case 'id': {
        // Identity is only kept where the site runs first-party ids with consent.
        if (site.firstParty) {
          if (event.userId) visit.userId = event.userId;
          if (event.traits) visit.traits = { ...visit.traits, ...event.traits };
        }
        break;
      }
    }
    if ((event.kind === 'pv' || event.kind === 'ev') && site.goals?.length) convert(visit, site.goals, event);
    visit.duration = visit.lastSeen.getTime() - visit.start.getTime();
    visit.bounce = isBounce(visit);
  }

  const changed: VisitDoc[] = [];
  for (const [id, prior] of before) {
    const visit = visits.get(id)!;
    if (prior) contribute(visit, prior, -1, rollups);
    contribute(visit, visitState(visit), 1, rollups);
    if ((prior?.exitPage ?? '') !== visit.exitPage) moveExit(visit, prior?.exitPage ?? '', visit.exitPage);
    if (visit.conversions !== prior?.conversions) countConverted(visit, prior?.conversions);
    changed.push(visit);
  }
  const closedVisits: VisitDoc[] = [];
  const open: VisitDoc[] = [];
  for (const visit of changed) (visitHasClosed(visit, clock) ? closedVisits : open).push(visit);
  for (const visit of state.visits.values()) {
    if (!before.has(visit._id) && visitHasClosed(visit, clock)) closedVisits.push(visit);
  }
  return {
    rollups: rollups.result(),
    delta: { clock, visits: open, closed: closedVisits.map((v) => v._id), days: [...days] },
    closedVisits: closedVisits.map(storedVisit),
    eventsByVisit,
  };
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
