import { chooseEngine, type Engine, type EngineQuery } from './engine-choice';
import { parseFilters } from './filters';

const current = { rollupsPending: false };
const pending = { rollupsPending: true };
// A goal stored before decision 0010's migration has no flag: its conversions are not in the rollups.
const unmarked = {};

describe('chooseEngine', () => {
  it.each<[string, Engine, EngineQuery['read'], string[], EngineQuery['goals']]>([
    ['unfiltered counters', 'rollups', 'counters', [], undefined],
    ['unfiltered counters while a goal backfill is pending', 'rollups', 'counters', [], [pending]],
    ['counters with one filter', 'raw', 'counters', ['country:is:NL'], undefined],
    ['counters with a goal filter', 'raw', 'counters', ['goal:is:abc'], [current]],
    ['counters with two filters', 'raw', 'counters', ['country:is:NL', 'page:contains:/blog'], undefined],
    ['unfiltered conversions, every goal current', 'rollups', 'conversions', [], [current, current]],
    ['unfiltered conversions, no goals', 'rollups', 'conversions', [], []],
    ['unfiltered conversions, one goal pending', 'raw', 'conversions', [], [current, pending]],
    ['unfiltered conversions, a goal without the flag', 'raw', 'conversions', [], [unmarked]],
    ['filtered conversions, every goal current', 'raw', 'conversions', ['source:is:Google'], [current]],
  ])('when a report reads %s, then the engine is %s', (_label, engine, read, filter, goals) => {
    const query: EngineQuery = { read, filters: parseFilters(filter), ...(goals ? { goals } : {}) };
    expect(chooseEngine(query)).toBe(engine);
  });
});
