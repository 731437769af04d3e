import type { mongo } from 'mongoose';

import { GOAL_VISITOR_PREFIX, goalVisitorKey } from './goal-keys';
import { MAX_KEYS_PER_VISITOR_DAY } from './limits';
import { visitorDayKey } from './state';

/**
 * The keys a visitor was counted under on a site-local day (`all|`, `h|<hour>`,
 * `<dim>|<key>`, exit-page and goal markers), which make the rollups' daily visitor
 * counts exact. A ledger reads the aggregator's key sets and records a batch's changes
 * beside them: the sets it was given are never changed (a changed set is a new array).
 */
export interface VisitorDayLedger {
  /**
   * Counts the visitor under `key` on `day` unless they already are: true when this is the
   * first time. Past MAX_KEYS_PER_VISITOR_DAY a visitor's further keys are neither
   * remembered nor counted (docs/limits.md).
   */
  count(siteId: mongo.ObjectId, day: string, vid: string, key: string): boolean;
  /**
   * Moves a visit's exit marker (`exit_page|<page>|<visit id>`) from page `from` to `to`
   * ('' for none): the page has the visitor while any of their visits that day ends there.
   * Returns the change to each page's visitors: -1 for `from` when no other visit of theirs
   * ends there, +1 for `to` when none did yet.
   */
  moveExit(visit: VisitKey, from: string, to: string): { left: number; arrived: number };
  /**
   * Records that the visitor converted on `goal` with `lag` (`goal|<goal>|<lag>`), keeping the
   * smallest lag of their visits that day. Returns the lag they were counted under before, if
   * any, and whether `lag` is now the one they count under. Bounded by the site's goals, not
   * MAX_KEYS_PER_VISITOR_DAY.
   */
  convert(visit: VisitKey, goal: string, lag: number): { was: number | undefined; counted: boolean };
  /** The changed key sets, whole, in the order first changed: the state delta's `days`. */
  changes(): Array<[string, string[]]>;
}

/** Which visitor-day a visit belongs to. */
export type VisitKey = { siteId: mongo.ObjectId; day: string; vid: string; _id: string };

export function visitorDayLedger(base: ReadonlyMap<string, readonly string[]>): VisitorDayLedger {
  const days = new Map<string, string[]>();
  /**
   * Each counted visitor-day's keys as a set: a batch counts a visitor under up to
   * MAX_KEYS_PER_VISITOR_DAY keys per hit, and looking them up in the list made one
   * visitor's batch of many event properties quadratic. Dropped when a key is moved or replaced.
   */
  const keySets = new Map<string, Set<string>>();
  const keysOf = (id: string): string[] => {
    let keys = days.get(id);
    if (!keys) {
      keys = [...(base.get(id) ?? [])];
      days.set(id, keys);
    }
    return keys;
  };
  const keySetOf = (id: string): Set<string> => {
    let set = keySets.get(id);
    if (!set) {
      set = new Set(days.get(id) ?? base.get(id));
      keySets.set(id, set);
    }
    return set;
  };
  return {
    count(siteId, day, vid, key) {
      const id = visitorDayKey(siteId, day, vid);
      const known = keySetOf(id);
      const counted = (days.get(id) ?? base.get(id))?.length ?? 0;
      if (known.has(key) || counted >= MAX_KEYS_PER_VISITOR_DAY) return false;
      keysOf(id).push(key);
      known.add(key);
      return true;
    },
    moveExit(visit, from, to) {
      const id = visitorDayKey(visit.siteId, visit.day, visit.vid);
      keySets.delete(id);
      let keys = keysOf(id);
      const marker = (page: string) => `exit_page|${page}|${visit._id}`;
      const exitsAt = (page: string) => keys.some((k) => k.startsWith(`exit_page|${page}|`));
      let left = 0;
      let arrived = 0;
      if (from) {
        const gone = marker(from);
        keys = keys.filter((k) => k !== gone);
        days.set(id, keys);
        if (!exitsAt(from)) left = -1;
      }
      if (to) {
        if (!exitsAt(to)) arrived = 1;
        keys.push(marker(to));
      }
      return { left, arrived };
    },
    convert(visit, goal, lag) {
      const id = visitorDayKey(visit.siteId, visit.day, visit.vid);
      keySets.delete(id);
      const keys = keysOf(id);
      const prefix = `${GOAL_VISITOR_PREFIX}${goal}|`;
      const i = keys.findIndex((k) => k.startsWith(prefix));
      if (i < 0) {
        keys.push(goalVisitorKey(goal, lag));
        return { was: undefined, counted: true };
      }
      const was = Number(keys[i]!.slice(prefix.length));
      if (was <= lag) return { was, counted: false };
      keys[i] = goalVisitorKey(goal, lag);
      return { was, counted: true };
    },
    changes: () => [...days],
  };
}
