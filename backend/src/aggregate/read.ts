/**
 * What the aggregator stores, as its readers (reports, people) read it: visits, raw
 * events and rollups, with the types and constants that describe them. Other domains
 * read aggregate's collections only through this module; the queries are the ones the
 * store modules below run (history.ts, rollups.ts, service.ts).
 */
export { readEvents, readLatestEvents, readRecentEvents, siteEventsByDay, type DaySpan } from './history';
export { DIMENSIONS, VISIT_ATTRIBUTES, type Dimension, type RawEvent, type VisitDoc } from './model';
export { counters, readDays, readKeyed, readKeyedDays, rollupRows, uniqueVisitors, type DayRollup } from './rollups';
export {
  allVisits,
  findEarlierVisits,
  findVisits,
  getVisitorClickstream,
  summariseVisitors,
  visitorIdsOfUser,
  type VisitorSummary,
} from './service';
