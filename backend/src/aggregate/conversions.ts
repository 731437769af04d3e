import type { mongo } from 'mongoose';

import type { SiteConfig } from './compute';
import type { RawEvent } from './model';
import type { AggregatorState } from './state';

/** A goal reached by a visit in a batch: what converted and when, nothing about who. */
export interface GoalConversion {
  siteId: mongo.ObjectId;
  goalId: string;
  /** A pageview (`page` its path) or a custom event (`event` its name, `page` where it was sent from). */
  kind: 'pageview' | 'event';
  page: string;
  event: string | null;
  at: Date;
}

/**
 * The goal conversions a committed batch made: for each visit and goal of its site, the
 * visit's first pageview or custom event in the batch that matches the goal, unless the
 * visit had reached that goal before the batch (`before`: the state the batch was computed
 * from). A visit counts once per goal, as the goal reports count it. Reads only the batch's
 * events, the sites' goals and its `eventsByVisit`; never throws (the aggregator must not
 * fail for a notification), an error yields none.
 */
export function batchConversions(
  events: readonly RawEvent[],
  sites: ReadonlyMap<string, SiteConfig>,
  eventsByVisit: ReadonlyMap<string, readonly string[]>,
  before: AggregatorState,
): GoalConversion[] {
  try {
    if (![...sites.values()].some((site) => site.goals?.length)) return [];
    const byId = new Map(events.map((event) => [event._id, event]));
    const found: GoalConversion[] = [];
    for (const [visitId, ids] of eventsByVisit) {
      if (!visitId) continue;
      const reached = new Set((before.visits.get(visitId)?.conversions ?? []).map(([goal]) => goal));
      for (const id of ids) {
        const event = byId.get(id);
        if (!event || (event.kind !== 'pv' && event.kind !== 'ev')) continue;
        for (const goal of sites.get(String(event.siteId))?.goals ?? []) {
          if (reached.has(goal.id) || !goal.matches(event)) continue;
          reached.add(goal.id);
          found.push({
            siteId: event.siteId,
            goalId: goal.id,
            kind: event.kind === 'pv' ? 'pageview' : 'event',
            page: event.path,
            event: event.kind === 'ev' ? event.name : null,
            at: event.ts,
          });
        }
      }
    }
    return found;
  } catch {
    return [];
  }
}
