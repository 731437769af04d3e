/** Report dimensions a breakdown can be asked for (mirrors backend/src/reports/dimensions.ts). */
export const DIMENSIONS = [
  'page',
  'entry_page',
  'exit_page',
  'source',
  'channel',
  'referrer',
  'utm_source',
  'utm_medium',
  'utm_campaign',
  'utm_term',
  'utm_content',
  'country',
  'region',
  'city',
  'browser',
  'browser_version',
  'os',
  'os_version',
  'device',
  'screen',
  'language',
  'event',
  'event_prop',
] as const;
export type Dimension = (typeof DIMENSIONS)[number];

export const FILTER_OPERATORS = ['is', 'is_not', 'contains'] as const;
export type FilterOperator = (typeof FILTER_OPERATORS)[number];

export interface Filter {
  dim: Dimension | 'goal';
  op: FilterOperator;
  value: string;
}

/** Site-local days, inclusive, as YYYY-MM-DD. */
export interface RangeQuery {
  from: string;
  to: string;
  filters: readonly Filter[];
}

export type Compare = 'previous' | 'none';

export interface OverviewQuery extends RangeQuery {
  compare: Compare;
}

export type Interval = 'hour' | 'day' | 'week' | 'month';

export interface TimeseriesQuery extends RangeQuery {
  interval: Interval;
}

export const SORTABLE = ['visitors', 'visits', 'pageviews', 'bounceRate', 'avgVisitDuration', 'events', 'key'] as const;
export type SortKey = (typeof SORTABLE)[number];

export interface BreakdownQuery extends RangeQuery {
  limit: number;
  page: number;
  sort: SortKey;
  order: 'asc' | 'desc';
  goal?: string;
}

export interface VisitorsQuery extends RangeQuery {
  limit: number;
  page: number;
}

export interface Metrics {
  visitors: number;
  visits: number;
  pageviews: number;
  viewsPerVisit: number;
  /** Percent, 0–100. */
  bounceRate: number;
  /** Seconds. */
  avgVisitDuration: number;
  events: number;
}

export interface OverviewMetrics extends Metrics {
  conversions: number;
  conversionRate: number;
}

export interface DayRange {
  from: string;
  to: string;
}

export interface Overview {
  range: DayRange;
  compareRange: DayRange | null;
  metrics: OverviewMetrics;
  previous: OverviewMetrics | null;
  /** Percent change per metric; null when the previous value was 0. */
  change: Record<string, number | null> | null;
  visitorsExact: boolean;
  source: 'rollups' | 'raw';
}

export interface Annotation {
  id: string;
  day: string;
  text: string;
  author: string;
  createdAt: string;
}

export interface TimeseriesPoint extends Metrics {
  period: string;
}

export interface Timeseries {
  interval: Interval;
  points: TimeseriesPoint[];
  annotations: Annotation[];
}

export interface BreakdownRow extends Metrics {
  key: string;
  share: number;
  conversions?: number;
  conversionRate?: number;
}

export interface Breakdown {
  dimension: Dimension;
  rows: BreakdownRow[];
  total: number;
  page: number;
  limit: number;
}

export type EventKind = 'pv' | 'ev' | 'en' | 'id';

export interface LiveEvent {
  id: string;
  ts: string;
  kind: EventKind;
  path: string;
  title: string;
  name: string;
  props: Record<string, unknown>;
  visitorId: string;
  country: string;
  device: string;
  source: string;
}

export interface Realtime {
  visitorsNow: number;
  pages: Array<{ path: string; visitors: number }>;
  events: LiveEvent[];
  cursor: string | null;
}

export interface VisitorSummary {
  id: string;
  firstSeen: string;
  lastSeen: string;
  visits: number;
  pageviews: number;
  events: number;
  country: string;
  device: string;
  browser: string;
  source: string;
  userId: string | null;
  identified: boolean;
}

export interface VisitorsPage {
  visitors: VisitorSummary[];
  total: number;
  page: number;
  limit: number;
}

export interface ClickstreamEvent extends LiveEvent {
  sincePreviousSeconds: number;
  engagedSeconds?: number;
}

export interface Visit {
  id: string;
  start: string;
  end: string;
  durationSeconds: number;
  pageviews: number;
  events: number;
  bounce: boolean;
  entryPage: string;
  exitPage: string;
  source: string;
  channel: string;
  referrer: string;
  country: string;
  city: string;
  device: string;
  browser: string;
  os: string;
  /** Newer backends only: what the visit came with and on. */
  osVersion?: string;
  browserVersion?: string;
  screen?: string;
  language?: string;
  region?: string;
  /** The referring page (no query string); `referrer` is its host. */
  referrerUrl?: string;
  utm?: { source: string; medium: string; campaign: string; term: string; content: string };
  clickstream: ClickstreamEvent[];
}

export interface VisitorProfile {
  visitor: {
    id: string;
    firstSeen: string;
    lastSeen: string;
    visits: number;
    pageviews: number;
    events: number;
    engagedSeconds: number;
    userId: string | null;
    traits: Record<string, unknown>;
    country: string;
    device: string;
    browser: string;
    source: string;
    lifetime: boolean;
  };
  visits: Visit[];
}

export type GoalKind = 'page' | 'event';

export interface Goal {
  id: string;
  name: string;
  kind: GoalKind;
  match: string;
  propKey: string;
  propValue: string;
}

export interface GoalInput {
  name: string;
  kind: GoalKind;
  match: string;
  propKey?: string;
  propValue?: string;
}

/** A goal with its conversions in a range (`stats/goals`). */
export interface GoalConversionsRow extends Goal {
  /** Visits of the range that reached the goal. */
  visits: number;
  /** Their visitors, once per day a converted visit of theirs started. */
  visitors: number;
  /** Percent of the range's visits. */
  conversionRate: number;
}

export interface GoalConversions {
  range: DayRange;
  /** Visits of the range (of the filters' selection): what the rates divide by. */
  visits: number;
  goals: GoalConversionsRow[];
  source: 'rollups' | 'raw';
}

/** What an edit may change: a goal's kind stays as it was created. */
export type GoalChanges = Partial<Pick<GoalInput, 'name' | 'match' | 'propKey' | 'propValue'>>;

export interface Funnel {
  id: string;
  name: string;
  steps: string[];
}

export interface FunnelInput {
  name: string;
  steps: string[];
}

export interface FunnelStep {
  goalId: string;
  name: string;
  visits: number;
  conversionRate: number;
  dropOff: number;
  dropOffRate: number;
}

export interface FunnelReport {
  funnel: { id: string; name: string };
  range: DayRange;
  steps: FunnelStep[];
}

export interface AnnotationInput {
  day: string;
  text: string;
}

export type ExportFormat = 'csv' | 'json';

/** What an erasure removed; `complete` is false while earlier events were still being aggregated. */
export interface Erased {
  visitors: number;
  visits: number;
  events: number;
  complete: boolean;
}

/** What optionally cancels a request (React effects abort on unmount). */
export interface RequestOptions {
  signal?: AbortSignal;
}

/**
 * Where the report panel gets its data: the WordPress plugin's REST proxy in wp-admin
 * (`wordpress.ts`) or the backend's API in the standalone dashboard (`standalone.ts`).
 * Every method rejects with an `ApiError`.
 */
export interface DataSource {
  overview(q: OverviewQuery, options?: RequestOptions): Promise<Overview>;
  timeseries(q: TimeseriesQuery, options?: RequestOptions): Promise<Timeseries>;
  breakdown(dim: Dimension, q: BreakdownQuery, options?: RequestOptions): Promise<Breakdown>;
  realtime(cursor: string | null, options?: RequestOptions): Promise<Realtime>;
  visitors(q: VisitorsQuery, options?: RequestOptions): Promise<VisitorsPage>;
  /** A visitor's profile over the 90 days up to `to` (the report range's last day). */
  visitor(id: string, to: string, options?: RequestOptions): Promise<VisitorProfile>;
  goals(options?: RequestOptions): Promise<Goal[]>;
  /** Every goal with its conversions in the range, in one request. */
  goalConversions(q: RangeQuery, options?: RequestOptions): Promise<GoalConversions>;
  createGoal(input: GoalInput): Promise<Goal>;
  deleteGoal(id: string): Promise<void>;
  funnels(options?: RequestOptions): Promise<Funnel[]>;
  createFunnel(input: FunnelInput): Promise<Funnel>;
  funnelReport(id: string, q: RangeQuery, options?: RequestOptions): Promise<FunnelReport>;
  annotations(q: Pick<RangeQuery, 'from' | 'to'>, options?: RequestOptions): Promise<Annotation[]>;
  createAnnotation(input: AnnotationInput): Promise<Annotation>;
  /** A URL that downloads the whole breakdown (a plain link: the browser's cookies authenticate it). */
  exportUrl(
    dim: Dimension,
    q: RangeQuery & Partial<Pick<BreakdownQuery, 'sort' | 'order'>>,
    format: ExportFormat,
  ): string;
  /*
   * Writes a host may lack: WordPress erases personal data through its own privacy tools, so its
   * source has no erase methods. The panel hides what is missing.
   */
  updateGoal?(id: string, changes: GoalChanges): Promise<Goal>;
  deleteFunnel?(id: string): Promise<void>;
  deleteAnnotation?(id: string): Promise<void>;
  eraseVisitor?(id: string): Promise<Erased>;
  erasePerson?(userId: string): Promise<Erased>;
}
