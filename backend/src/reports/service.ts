import { trusted, type Types } from 'mongoose';

import type { SiteDoc } from '../sites/service';
import { listAnnotations, toAnnotationView } from './annotations';
import type { BreakdownDimension } from './dimensions';
import { chooseEngine } from './engine-choice';
import { parseFilters, type Filter } from './filters';
import { ANY_GOAL } from '../aggregate/goal-keys';
import { goalMatchers, getFunnel, goalMatcher, listGoals, type GoalDoc, type GoalMatcher } from './goals';
import { Goal } from './model';
import { change, toMetrics, type Counters, type Metrics } from './metrics';
import { rawBreakdown, rawSeries, rawTotals, rawVisitorDays, selectRaw, type RawSelection } from './raw-engine';
import { previousRange, resolveRange, type DayRange, type Interval } from './range';
import { rollupBreakdown, rollupConversions, rollupSeries, rollupTotals, rollupVisitorDays } from './rollup-engine';
import { AppError } from '../lib/errors';

export interface ReportQuery {
  from: string;
  to: string;
  filter?: string | string[] | undefined;
}

interface Prepared {
  siteId: Types.ObjectId;
  zone: string;
  range: DayRange;
  filters: Filter[];
  goals: Map<string, GoalMatcher>;
}

async function prepare(site: SiteDoc, query: ReportQuery): Promise<Prepared> {
  const filters = parseFilters(query.filter);
  const needsGoals = filters.some((f) => f.dim === 'goal');
  return {
    siteId: site._id,
    zone: site.timezone,
    range: resolveRange(query.from, query.to, site.timezone),
    filters,
    goals: needsGoals ? await goalMatchers(site._id) : new Map(),
  };
}

const pct = (part: number, whole: number) => (whole ? Math.round((1000 * part) / whole) / 10 : 0);

/** Visits of the selection that reached any goal (or the given one) anywhere in the visit, whatever a page filter shows. */
function convertedVisits(selection: RawSelection, goals: GoalMatcher[]): Set<string> {
  const converted = new Set<string>();
  for (const event of selection.visitEvents) if (goals.some((g) => g(event))) converted.add(event.visitId);
  return converted;
}

/**
 * The totals of each range and their conversions when the site has goals: from the rollups
 * when unfiltered and its goals' rollups are current (decision 0010), else counted from the
 * ranges' visits and events, which is also what the rollups must equal. The rollups of all
 * ranges are read at once (rollup-engine.ts).
 */
async function totalsOf(p: Prepared, ranges: readonly DayRange[], goals: readonly GoalDoc[]) {
  const counted = chooseEngine({ read: 'counters', filters: p.filters }) === 'raw';
  const conversionsCounted =
    goals.length > 0 && chooseEngine({ read: 'conversions', filters: p.filters, goals }) === 'raw';
  const selections =
    counted || conversionsCounted
      ? await Promise.all(ranges.map((range) => selectRaw(p.siteId, range, p.filters, p.goals)))
      : null;
  const [totals, rolledConversions] = await Promise.all([
    selections && counted
      ? selections.map((selection) => ({ ...rawTotals(selection), visitorsExact: true }))
      : rollupTotals(p.siteId, ranges),
    goals.length > 0 && !conversionsCounted ? rollupConversions(p.siteId, ranges) : null,
  ]);
  const matchers = conversionsCounted ? goals.map(goalMatcher) : [];
  return totals.map(({ visitorsExact, ...counters }, i) => {
    const conversions = rolledConversions
      ? (rolledConversions[i]!.get(ANY_GOAL)?.visits ?? 0)
      : selections && conversionsCounted
        ? convertedVisits(selections[i]!, matchers).size
        : 0;
    const metrics = toMetrics(counters);
    return { metrics: { ...metrics, conversions, conversionRate: pct(conversions, metrics.visits) }, visitorsExact };
  });
}

export async function overview(
  site: SiteDoc,
  query: ReportQuery & {
    compare: 'previous' | 'none' | 'custom';
    compareFrom?: string | undefined;
    compareTo?: string | undefined;
  },
) {
  const p = await prepare(site, query);
  let compareRange: DayRange | null = null;
  if (query.compare === 'previous') compareRange = previousRange(p.range);
  if (query.compare === 'custom') {
    if (!query.compareFrom || !query.compareTo) {
      throw new AppError('validation_failed', 'compare=custom needs compareFrom and compareTo');
    }
    compareRange = resolveRange(query.compareFrom, query.compareTo, p.zone, {
      fields: { from: 'compareFrom', to: 'compareTo' },
    });
  }
  const goals = await listGoals(p.siteId);
  const totals = await totalsOf(p, compareRange ? [p.range, compareRange] : [p.range], goals);
  const current = totals[0]!;
  const previous = totals[1];
  const changes = previous
    ? Object.fromEntries(
        Object.entries(current.metrics).map(([k, v]) => [
          k,
          change(v, previous.metrics[k as keyof typeof previous.metrics]),
        ]),
      )
    : null;
  return {
    range: p.range,
    compareRange,
    metrics: current.metrics,
    previous: previous?.metrics ?? null,
    change: changes,
    visitorsExact: current.visitorsExact,
    source: chooseEngine({ read: 'counters', filters: p.filters }),
  };
}

export async function timeseries(site: SiteDoc, query: ReportQuery & { interval: Interval }) {
  const p = await prepare(site, query);
  if (
    query.interval === 'hour' &&
    p.range.from !== p.range.to &&
    Date.parse(p.range.to) - Date.parse(p.range.from) > 31 * 86_400_000
  ) {
    throw new AppError('validation_failed', 'Hourly series cover at most 32 days');
  }
  const points =
    chooseEngine({ read: 'counters', filters: p.filters }) === 'raw'
      ? rawSeries(await selectRaw(p.siteId, p.range, p.filters, p.goals), p.range, query.interval, p.zone)
      : await rollupSeries(p.siteId, p.range, query.interval, p.zone);
  const annotations = await listAnnotations(p.siteId, p.range);
  return {
    interval: query.interval,
    points: points.map(({ period, ...counters }) => ({ period, ...toMetrics(counters) })),
    annotations: annotations.map(toAnnotationView),
  };
}

export interface BreakdownRow extends Metrics {
  key: string;
  share: number;
  conversions?: number;
  conversionRate?: number;
}

export async function breakdownRows(
  site: SiteDoc,
  dimension: BreakdownDimension,
  query: ReportQuery & { sort: string; order: 'asc' | 'desc'; goal?: string | undefined },
): Promise<BreakdownRow[]> {
  const p = await prepare(site, query);
  let selection: RawSelection | undefined;
  let rows: Array<{ key: string } & Counters>;
  // Share is of all visitors in the selection, not of the column's sum (a visitor sees many pages).
  let totalVisitors: number;
  if (chooseEngine({ read: 'counters', filters: p.filters }) === 'raw') {
    selection = await selectRaw(p.siteId, p.range, p.filters, p.goals);
    rows = rawBreakdown(selection, dimension);
    totalVisitors = rawVisitorDays(selection);
  } else {
    [rows, totalVisitors] = await Promise.all([
      rollupBreakdown(p.siteId, p.range, dimension),
      rollupVisitorDays(p.siteId, p.range),
    ]);
  }
  let out: BreakdownRow[] = rows.map(({ key, ...counters }) => ({
    key,
    ...toMetrics(counters),
    share: pct(counters.visitors, totalVisitors),
  }));

  if (query.goal) {
    const goal = await Goal.findOne({ _id: query.goal, siteId: p.siteId }).lean();
    if (!goal) throw new AppError('not_found', 'Goal not found');
    selection ??= await selectRaw(p.siteId, p.range, p.filters, p.goals);
    const converted = convertedVisits(selection, [goalMatcher(goal)]);
    const perKey = rawBreakdown(
      {
        visits: selection.visits.filter((v) => converted.has(v._id)),
        // Conversions are visits, counted on the day they started: visits from before the range have none here.
        earlier: [],
        events: selection.events.filter((e) => converted.has(e.visitId)),
        visitEvents: selection.visitEvents.filter((e) => converted.has(e.visitId)),
      },
      dimension,
    );
    const conversions = new Map(perKey.map((r) => [r.key, r.visits || r.visitors]));
    out = out.map((row) => {
      const c = conversions.get(row.key) ?? 0;
      return { ...row, conversions: c, conversionRate: pct(c, row.visits || row.visitors) };
    });
  }

  const direction = query.order === 'asc' ? 1 : -1;
  const sortKey = query.sort as keyof BreakdownRow;
  return out.sort((a, b) => {
    const x = a[sortKey] ?? 0;
    const y = b[sortKey] ?? 0;
    if (x === y) return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
    return (x < y ? -1 : 1) * direction;
  });
}

export async function breakdown(
  site: SiteDoc,
  dimension: BreakdownDimension,
  query: ReportQuery & { sort: string; order: 'asc' | 'desc'; limit: number; page: number; goal?: string | undefined },
) {
  const rows = await breakdownRows(site, dimension, query);
  const start = (query.page - 1) * query.limit;
  return {
    dimension,
    rows: rows.slice(start, start + query.limit),
    total: rows.length,
    page: query.page,
    limit: query.limit,
  };
}

/**
 * Per-step visits and drop-off: a visit reaches step n when it completed steps 1..n in order.
 * Filters select the visits; the steps are matched on each selected visit as a whole.
 */
export async function funnelReport(site: SiteDoc, funnelId: string, query: ReportQuery) {
  const p = await prepare(site, query);
  const funnel = await getFunnel(p.siteId, funnelId);
  const goals = await Goal.find({ siteId: p.siteId, _id: trusted({ $in: funnel.steps }) }).lean();
  const byId = new Map(goals.map((g) => [g._id.toHexString(), g]));
  const steps = funnel.steps.map((id) => byId.get(id.toHexString())).filter((g) => g !== undefined);
  const matchers = steps.map((g) => goalMatcher(g));
  const selection = await selectRaw(p.siteId, p.range, p.filters, p.goals);
  const eventsByVisit = new Map<string, RawSelection['visitEvents']>();
  for (const event of selection.visitEvents) {
    const list = eventsByVisit.get(event.visitId) ?? [];
    list.push(event);
    eventsByVisit.set(event.visitId, list);
  }
  const reached = new Array<number>(matchers.length).fill(0);
  for (const events of eventsByVisit.values()) {
    events.sort((a, b) => a.ts.getTime() - b.ts.getTime());
    let step = 0;
    for (const event of events) if (step < matchers.length && matchers[step]!(event)) step += 1;
    for (let i = 0; i < step; i++) reached[i]! += 1;
  }
  return {
    funnel: { id: funnel._id.toHexString(), name: funnel.name },
    range: p.range,
    steps: steps.map((goal, i) => ({
      goalId: goal._id.toHexString(),
      name: goal.name,
      visits: reached[i]!,
      conversionRate: pct(reached[i]!, reached[0]!),
      dropOff: i === 0 ? 0 : reached[i - 1]! - reached[i]!,
      dropOffRate: i === 0 ? 0 : pct(reached[i - 1]! - reached[i]!, reached[i - 1]!),
    })),
  };
}
