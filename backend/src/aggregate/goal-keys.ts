/**
 * Keys of the `goals` rollup part (decision 0010). A converted visit counts on
 * its start day under `${goalId}|${lag}` (and `*|${lag}` for "any goal"), where
 * `lag` is the number of days from that day to its first matching hit: a range
 * counts the row when the hit falls inside it too, as the raw engine counts
 * only a visit's hits of the range.
 */

/** The row key of "any goal": the overview's converted visits. */
export const ANY_GOAL = '*';

export const goalRowKey = (goal: string, lag: number) => `${goal}|${lag}`;

/** A goals row key's goal and lag, or null for a key this part never writes. */
export function parseGoalRowKey(key: string): { goal: string; lag: number } | null {
  const bar = key.lastIndexOf('|');
  const lag = Number(key.slice(bar + 1));
  if (bar <= 0 || !Number.isInteger(lag) || lag < 0) return null;
  return { goal: key.slice(0, bar), lag };
}

const DAY_MS = 86_400_000;

/** Days from a visit's start day to the day of one of its hits (site-local YYYY-MM-DD), never negative. */
export const conversionLag = (visitDay: string, hitDay: string) =>
  Math.max(0, Math.round((Date.parse(`${hitDay}T00:00:00Z`) - Date.parse(`${visitDay}T00:00:00Z`)) / DAY_MS));

/** Whether a row of `day` with `lag` counts in a range ending on `to`: its first matching hit lies inside it. */
export const convertedBy = (day: string, lag: number, to: string) => lag === 0 || conversionDay(day, lag) <= to;

/** The day `lag` days after `day`. */
export const conversionDay = (day: string, lag: number) =>
  new Date(Date.parse(`${day}T00:00:00Z`) + lag * DAY_MS).toISOString().slice(0, 10);

/**
 * The visitor-day state key (state.ts `days`) that remembers under which lag a
 * visitor's conversions of a goal on that day count: the smallest, so that a
 * visitor counts once per day and goal in every range.
 */
export const GOAL_VISITOR_PREFIX = 'goal|';
export const goalVisitorKey = (goal: string, lag: number) => `${GOAL_VISITOR_PREFIX}${goal}|${lag}`;
