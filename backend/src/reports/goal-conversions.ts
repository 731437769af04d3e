import type { SiteDoc } from '../sites/service';
import { parseFilters } from './filters';
import { chooseEngine } from './engine-choice';
import { goalMatcher, listGoals, type GoalDoc } from './goals';
import { rawConversions, selectRaw } from './raw-engine';
import { resolveRange, type DayRange } from './range';
import { rollupConversions, rollupVisits } from './rollup-engine';
import type { ReportQuery } from './service';

/** One goal with its conversions in the range. */
export interface GoalConversionsRow {
  id: string;
  name: string;
  kind: 'page' | 'event';
  match: string;
  propKey: string;
  propValue: string;
  /** Visits of the range that reached the goal with a hit of the range. */
  visits: number;
  /** Their visitors, once per day a converted visit of theirs started. */
  visitors: number;
  /** Percent of the range's visits. */
  conversionRate: number;
}

export interface GoalConversions {
  range: DayRange;
  /** Visits of the range (of the selection, when filtered): what the rates divide by. */
  visits: number;
  goals: GoalConversionsRow[];
  /** `rollups` unless filtered, or while a goal change's backfill is pending (decision 0010). */
  source: 'rollups' | 'raw';
}

const pct = (part: number, whole: number) => (whole ? Math.round((1000 * part) / whole) / 10 : 0);

/**
 * Every goal of the site with its conversions in the range, in one request: read from the
 * goals rollup part when unfiltered and current, else counted from the range's visits and
 * events; both count what the overview's conversions and a `goal` filter count.
 */
export async function goalConversions(site: SiteDoc, query: ReportQuery): Promise<GoalConversions> {
  const filters = parseFilters(query.filter);
  const range = resolveRange(query.from, query.to, site.timezone);
  const goals = await listGoals(site._id);
  const fromRollups = chooseEngine({ read: 'conversions', filters, goals }) === 'rollups';
  let visits: number;
  let counts: Map<string, { visits: number; visitors: number }>;
  if (fromRollups) {
    let perRange: Array<Map<string, { visits: number; visitors: number }>>;
    [visits, perRange] = await Promise.all([rollupVisits(site._id, range), rollupConversions(site._id, [range])]);
    counts = perRange[0]!;
  } else {
    const matchers = new Map(goals.map((g) => [g._id.toHexString(), goalMatcher(g)]));
    const selection = await selectRaw(site._id, range, filters, matchers);
    visits = selection.visits.length;
    counts = rawConversions(selection, matchers);
  }
  return {
    range,
    visits,
    goals: goals.map((goal: GoalDoc) => {
      const id = goal._id.toHexString();
      const count = counts.get(id) ?? { visits: 0, visitors: 0 };
      return {
        id,
        name: goal.name,
        kind: goal.kind,
        match: goal.match,
        propKey: goal.propKey,
        propValue: goal.propValue,
        visits: count.visits,
        visitors: count.visitors,
        conversionRate: pct(count.visits, visits),
      };
    }),
    source: fromRollups ? 'rollups' : 'raw',
  };
}
