import type { RawEvent, VisitDoc } from './model';
import { rollupDeltas, type RollupDelta } from './rollup-deltas';
import { closeVisits, sessionise, storedVisit, type SiteConfig } from './sessionise';
import type { AggregatorState, StateDelta } from './state';

export type { CounterDelta, RollupDelta } from './rollup-deltas';
export { storedVisit, type SiteConfig, type SiteGoal } from './sessionise';

export interface BatchResult {
  rollups: RollupDelta[];
  /** The state change, applied once the batch is journaled. */
  delta: StateDelta;
  /** Visits that closed with this batch, to insert into `visits`. */
  closedVisits: VisitDoc[];
  /** Event ids per visit id ('' for engagement that arrived after its visit closed). */
  eventsByVisit: Map<string, string[]>;
}

/**
 * One batch of raw events (sorted by ts, _id) through the pipeline: sessionise.ts turns
 * them into visits, rollup-deltas.ts (with visitor-days.ts) into rollup deltas and changed
 * visitor-day key sets, and the visits that can no longer change at `clock` (ms) close.
 * Pure: `state` and the events are only read, and the same events, state and clock give
 * the same result, which is what makes a replayed batch exact (compute.unit.test.ts).
 */
export function computeBatch(
  events: readonly RawEvent[],
  sites: ReadonlyMap<string, SiteConfig>,
  state: AggregatorState,
  clock: number,
): BatchResult {
  const sessionised = sessionise(events, sites, state);
  const { rollups, days } = rollupDeltas(sessionised, state.days);
  const visits = closeVisits(
    sessionised.changes.map((c) => c.visit),
    state.visits,
    clock,
  );
  return {
    rollups,
    delta: { clock, visits: visits.open, closed: visits.closed.map((v) => v._id), days },
    closedVisits: visits.closed.map(storedVisit),
    eventsByVisit: sessionised.eventsByVisit,
  };
}
