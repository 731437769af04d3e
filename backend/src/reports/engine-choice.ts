import type { Filter } from './filters';

/** Where a report's numbers come from: the rollups (rollup-engine.ts) or the stored visits and events (raw-engine.ts). */
export type Engine = 'rollups' | 'raw';

/**
 * What a report reads: `counters` (totals, series, breakdown rows, the visitors a share
 * divides by) or `conversions` (goal conversions, decision 0010).
 */
export interface EngineQuery {
  read: 'counters' | 'conversions';
  filters: readonly Filter[];
  /** The site's goals, for `conversions`: each says whether a backfill of its conversions is pending. */
  goals?: ReadonlyArray<{ rollupsPending?: boolean | null | undefined }>;
}

/**
 * The one place a report chooses its engine. Rollups hold each dimension on its own, so any
 * filter needs the raw visits and events; goal conversions are in the rollups only once every
 * goal's backfill has written them (decision 0010), and the raw history answers meanwhile.
 */
export function chooseEngine(query: EngineQuery): Engine {
  if (query.filters.length > 0) return 'raw';
  if (query.read === 'counters') return 'rollups';
  return (query.goals ?? []).every((g) => g.rollupsPending === false) ? 'rollups' : 'raw';
}
