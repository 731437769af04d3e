import { conversionLag } from './goal-keys';
import { VISIT_ATTRIBUTES, type RawEvent, type VisitAttributes, type VisitDoc, type VisitState } from './model';
import { visitHasClosed, visitorKey, type AggregatorState } from './state';

/** A goal as a batch evaluates it; reports/goals.ts defines goals and their matching. */
export interface SiteGoal {
  id: string;
  matches: (event: RawEvent) => boolean;
}

/** What the aggregator needs to know about a site, read once per batch. */
export interface SiteConfig {
  timeoutMs: number;
  firstParty: boolean;
  /** The site's goals, whose conversions the batch counts (decision 0010). */
  goals?: readonly SiteGoal[];
}

/** The visits still open before a batch: the part of the aggregator's state sessionising reads. */
export type OpenVisits = Pick<AggregatorState, 'visits' | 'current'>;

/** One event of the batch and the visit it became part of. */
export interface PlacedHit {
  event: RawEvent;
  /** The visit, as it is at the end of the batch; undefined for engagement with no open visit. */
  visit: VisitDoc | undefined;
  /** This hit opened the visit. */
  opened: boolean;
  /** This pageview became the visit's entry page. */
  entered: boolean;
}

/** A visit the batch opened or changed: its state before the batch (null when the batch opened it) and after. */
export interface VisitChange {
  before: VisitState | null;
  visit: VisitDoc;
}

export interface Sessionised {
  /** The batch's events of known sites, in batch order. */
  hits: PlacedHit[];
  /** Every visit the batch opened or changed, in the order the batch first touched it. */
  changes: VisitChange[];
  /** Event ids per visit id ('' for engagement that arrived after its visit closed). */
  eventsByVisit: Map<string, string[]>;
}

/** The counters and pages of a visit that a batch may change; its contribution to the rollups is computed from these. */
export function visitState(v: VisitState): VisitState {
  const { lastSeen, entryPage, exitPage, pageviews, events, engagedMs, duration, bounce, conversions } = v;
  const state = { lastSeen, entryPage, exitPage, pageviews, events, engagedMs, duration, bounce };
  return conversions ? { ...state, conversions } : state;
}

/** A visit as stored (and shown): its conversions stay behind, since a goal edit would leave them stale. */
export function storedVisit(visit: VisitDoc): VisitDoc {
  if (!visit.conversions) return visit;
  const { conversions: _conversions, ...stored } = visit;
  return stored;
}

/** At most one interaction, a pageview or a custom event, as Plausible counts it (docs/metrics.md). */
const isBounce = (v: VisitState) => v.pageviews + v.events <= 1;

function newVisit(event: RawEvent): VisitDoc {
  const siteId = String(event.siteId);
  const clientId = event._id.startsWith(`${siteId}:`) ? event._id.slice(siteId.length + 1) : event._id;
  const attributes = Object.fromEntries(VISIT_ATTRIBUTES.map((a) => [a, event[a] ?? ''])) as VisitAttributes;
  return {
    _id: `${siteId}:${event.vid}:${clientId}`,
    siteId: event.siteId,
    vid: event.vid,
    start: event.ts,
    day: event.day,
    hour: event.hour,
    ...attributes,
    lastSeen: event.ts,
    entryPage: '',
    exitPage: '',
    pageviews: 0,
    events: 0,
    engagedMs: 0,
    duration: 0,
    bounce: true,
    userId: '',
    traits: null,
  };
}

/** A copy a batch may change without touching the state it was read from. */
const copyVisit = (visit: VisitDoc): VisitDoc => ({ ...visit, traits: visit.traits ? { ...visit.traits } : null });

/** Records that a pageview or custom event of `visit` matched its site's goals; the visit's list is replaced, never changed in place. */
function convert(visit: VisitDoc, goals: readonly SiteGoal[], event: RawEvent): void {
  let lag: number | undefined;
  for (const goal of goals) {
    if (!goal.matches(event)) continue;
    lag ??= conversionLag(visit.day, event.day);
    const list = visit.conversions ?? [];
    const known = list.find(([id]) => id === goal.id);
    if (known && known[1] <= lag) continue;
    visit.conversions = [...list.filter(([id]) => id !== goal.id), [goal.id, lag]];
  }
}

/**
 * Sessionising: turns a batch of events (sorted by ts, _id) into visits. A hit belongs to
 * its visitor's latest open visit that began at most the site's timeout after it. A
 * pageview, custom event or identify call joins that visit when it also comes within the
 * timeout of the visit's last activity, else it opens a new visit; an engagement ping
 * joins it (lengthening it only within the timeout) and never opens one. In time order
 * that is the visitor's current visit; a hit that arrives a batch late, after later hits
 * of its visitor were aggregated, joins the visit it lies in or within the timeout of, or
 * else opens a visit of its own, as it would have in time order. A hit joining a visit
 * before its start leaves the start (with its day, hour and entry page) where the visit
 * was first aggregated.
 * Pure: `open` and the events are only read (visits are copied before they change).
 */
export function sessionise(
  events: readonly RawEvent[],
  sites: ReadonlyMap<string, SiteConfig>,
  open: OpenVisits,
): Sessionised {
  const visits = new Map<string, VisitDoc>();
  const current = new Map<string, string>();
  const before = new Map<string, VisitState | null>();
  const hits: PlacedHit[] = [];
  const eventsByVisit = new Map<string, string[]>();

  /** Per visitor, the open visits and those the batch opened: built once, when a hit comes late. */
  let byVisitor: Map<string, string[]> | undefined;
  const visitsOf = (vKey: string): string[] => {
    if (!byVisitor) {
      byVisitor = new Map();
      for (const v of open.visits.values()) push(byVisitor, visitorKey(v.siteId, v.vid), v._id);
      for (const id of before.keys()) if (!open.visits.has(id)) push(byVisitor, vKeyOf(visits.get(id)!), id);
    }
    return byVisitor.get(vKey) ?? [];
  };
  /** The visitor's latest visit that began no later than `timeoutMs` after `ts`. */
  const visitFor = (vKey: string, ts: number, timeoutMs: number): VisitDoc | undefined => {
    const latest = visitById(current.get(vKey) ?? open.current.get(vKey));
    if (!latest || latest.start.getTime() - timeoutMs <= ts) return latest;
    let found: VisitDoc | undefined;
    for (const id of visitsOf(vKey)) {
      const v = visits.get(id) ?? open.visits.get(id)!;
      if (v.start.getTime() - timeoutMs <= ts && (!found || v.start.getTime() > found.start.getTime())) found = v;
    }
    return found && visitById(found._id);
  };

  const visitById = (id: string | undefined): VisitDoc | undefined => {
    if (id === undefined) return undefined;
    let visit = visits.get(id);
    if (!visit) {
      const stored = open.visits.get(id);
      if (!stored) return undefined;
      visit = copyVisit(stored);
      visits.set(id, visit);
    }
    return visit;
  };

  for (const event of events) {
    const site = sites.get(String(event.siteId));
    // Callers drop the events of deleted sites before a batch.
    if (!site) continue;
    const ts = event.ts;
    const vKey = visitorKey(event.siteId, event.vid);
    const previous = visitFor(vKey, ts.getTime(), site.timeoutMs);
    let visit = previous;
    const continues =
      visit !== undefined && (event.kind === 'en' || ts.getTime() - visit.lastSeen.getTime() <= site.timeoutMs);
    if (!visit || !continues) {
      if (event.kind === 'en') {
        hits.push({ event, visit: undefined, opened: false, entered: false });
        push(eventsByVisit, '', event._id);
        continue;
      }
      visit = newVisit(event);
      // Identity carries over from the visitor's previous visit (the one before it) while it is still open.
      if (previous) {
        visit.userId = previous.userId;
        visit.traits = previous.traits ? { ...previous.traits } : null;
      }
      visits.set(visit._id, visit);
      before.set(visit._id, null);
      if (byVisitor) push(byVisitor, vKey, visit._id);
      // A visit opened by a late hit is older than the visitor's current one, which stays current.
      const latest = visitById(current.get(vKey) ?? open.current.get(vKey));
      if (!latest || latest.start.getTime() <= ts.getTime()) current.set(vKey, visit._id);
    } else if (!before.has(visit._id)) {
      before.set(visit._id, visitState(visit));
    }
    push(eventsByVisit, visit._id, event._id);

    // Engagement reported after the timeout still belongs to the page, but does not extend the visit.
    const active = event.kind !== 'en' || ts.getTime() - visit.lastSeen.getTime() <= site.timeoutMs;
    const latest = ts.getTime() >= visit.lastSeen.getTime();
    if (active && latest) visit.lastSeen = ts;

    let entered = false;
    switch (event.kind) {
      case 'pv':
        visit.pageviews += 1;
        if (!visit.entryPage) {
          visit.entryPage = event.path;
          entered = true;
        }
        if (latest) visit.exitPage = event.path;
        break;
      case 'ev':
        visit.events += 1;
        break;
      case 'en':
        visit.engagedMs += event.engagedMs;
        break;
      case 'id':
        // Identity is only kept where the site runs first-party ids with consent.
        if (site.firstParty) {
          if (event.userId) visit.userId = event.userId;
          if (event.traits) visit.traits = { ...visit.traits, ...event.traits };
        }
        break;
    }
    if ((event.kind === 'pv' || event.kind === 'ev') && site.goals?.length) convert(visit, site.goals, event);
    visit.duration = visit.lastSeen.getTime() - visit.start.getTime();
    visit.bounce = isBounce(visit);
    hits.push({ event, visit, opened: visit !== previous, entered });
  }

  const changes = [...before].map(([id, prior]) => ({ before: prior, visit: visits.get(id)! }));
  return { hits, changes, eventsByVisit };
}

/**
 * Which visits are closed at `clock` (no batch can change them any more): of those the batch
 * changed, and of those it left alone in `open`. The rest of the changed ones stay open.
 */
export function closeVisits(
  changed: readonly VisitDoc[],
  open: ReadonlyMap<string, VisitDoc>,
  clock: number,
): { open: VisitDoc[]; closed: VisitDoc[] } {
  const touched = new Set(changed.map((v) => v._id));
  const out = { open: [] as VisitDoc[], closed: [] as VisitDoc[] };
  for (const visit of changed) (visitHasClosed(visit, clock) ? out.closed : out.open).push(visit);
  for (const visit of open.values()) {
    if (!touched.has(visit._id) && visitHasClosed(visit, clock)) out.closed.push(visit);
  }
  return out;
}

const vKeyOf = (visit: VisitDoc) => visitorKey(visit.siteId, visit.vid);

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
