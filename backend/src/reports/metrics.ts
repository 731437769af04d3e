/** Additive counters read from rollups or counted from raw visits and events. */
export interface Counters {
  visitors: number;
  visits: number;
  pageviews: number;
  bounces: number;
  /** Sum of visit durations, ms. */
  duration: number;
  events: number;
}

export const emptyCounters = (): Counters => ({
  visitors: 0,
  visits: 0,
  pageviews: 0,
  bounces: 0,
  duration: 0,
  events: 0,
});

export function addCounters(into: Counters, from: Partial<Counters>): Counters {
  into.visitors += from.visitors ?? 0;
  into.visits += from.visits ?? 0;
  into.pageviews += from.pageviews ?? 0;
  into.bounces += from.bounces ?? 0;
  into.duration += from.duration ?? 0;
  into.events += from.events ?? 0;
  return into;
}

/** What every report shows for a set of counters. */
export interface Metrics {
  visitors: number;
  visits: number;
  pageviews: number;
  viewsPerVisit: number;
  /** Percent of visits with at most one interaction: one pageview or one custom event (docs/metrics.md). */
  bounceRate: number;
  /** Seconds. */
  avgVisitDuration: number;
  events: number;
}

const round = (value: number, digits: number) => Math.round(value * 10 ** digits) / 10 ** digits;

export function toMetrics(c: Counters): Metrics {
  return {
    visitors: c.visitors,
    visits: c.visits,
    pageviews: c.pageviews,
    viewsPerVisit: c.visits ? round(c.pageviews / c.visits, 2) : 0,
    bounceRate: c.visits ? round((100 * c.bounces) / c.visits, 1) : 0,
    avgVisitDuration: c.visits ? Math.round(c.duration / c.visits / 1000) : 0,
    events: c.events,
  };
}

/** Percent change from `previous` to `current`; null when there is nothing to compare with. */
export function change(current: number, previous: number): number | null {
  if (previous === 0) return current === 0 ? 0 : null;
  return round((100 * (current - previous)) / previous, 1);
}
