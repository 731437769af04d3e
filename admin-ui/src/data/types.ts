import type {
  Annotation,
  Breakdown,
  CreateAnnotation,
  CreateFunnel,
  CreateGoal,
  Erased,
  Funnel,
  FunnelReport,
  Goal,
  GoalConversions,
  LiveEvent,
  Overview,
  Realtime,
  SiteOperations,
  Timeseries,
  UpdateGoal,
  VisitorProfile,
  VisitorsPage,
} from './api.generated';

/** Report dimensions a breakdown can be asked for (the backend's, checked by ListsMatchTheBackend below). */
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

/*
 * What the backend answers and accepts: generated from its OpenAPI document (`npm run contract`),
 * named here as the report panel uses them.
 */
export type {
  Annotation,
  Breakdown,
  ClickstreamEvent,
  Erased,
  Funnel,
  FunnelReport,
  Goal,
  GoalConversions,
  LiveEvent,
  Metrics,
  Overview,
  Realtime,
  Timeseries,
  Visit,
  VisitorProfile,
  VisitorsPage,
  VisitorSummary,
} from './api.generated';

export type GoalInput = CreateGoal;
/** What an edit may change: a goal's kind stays as it was created. */
export type GoalChanges = UpdateGoal;
export type FunnelInput = CreateFunnel;
export type AnnotationInput = CreateAnnotation;

export type OverviewMetrics = Overview['metrics'];
export type DayRange = Overview['range'];
export type TimeseriesPoint = Timeseries['points'][number];
export type BreakdownRow = Breakdown['rows'][number];
export type EventKind = LiveEvent['kind'];
export type GoalKind = Goal['kind'];
/** A goal with its conversions in a range (`stats/goals`). */
export type GoalConversionsRow = GoalConversions['goals'][number];
export type FunnelStep = FunnelReport['steps'][number];

export type ExportFormat = NonNullable<SiteOperations['exportBreakdown']['query']['format']>;

/** Compiles only while the panel's lists hold exactly the values the backend accepts. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Assert<T extends true> = T;
export type ListsMatchTheBackend = [
  Assert<Same<Dimension, SiteOperations['getBreakdown']['pathParams']['dimension']>>,
  Assert<Same<SortKey, NonNullable<SiteOperations['getBreakdown']['query']['sort']>>>,
  Assert<Same<Interval, NonNullable<SiteOperations['getTimeseries']['query']['interval']>>>,
];

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
