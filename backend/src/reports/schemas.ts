import { DateTime } from 'luxon';

import { objectId, text } from '../lib/validate';
import { z } from '../lib/zod';
import { BREAKDOWN_DIMENSIONS } from './dimensions';
import { EARLIEST_DAY, FURTHEST_AHEAD_ZONE, latestDay, MAX_RANGE_DAYS, WINDOW_TEXT } from './range';

const ISO_DAY = /^\d{4}-\d{2}-\d{2}$/;

// The regex alone lets 2026-02-30 through, and an annotation stores its day as given.
const day = () =>
  z
    .string()
    .regex(ISO_DAY, 'must be a date like 2026-01-31')
    .refine((value) => DateTime.fromISO(value).isValid, 'must be a real date');

/**
 * A day of a report range. The site's zone is not known yet, so this refuses only
 * what no zone allows; resolveRange then applies the site's own tomorrow.
 * YYYY-MM-DD strings of four-digit years order as their dates do.
 */
const rangeDay = (description: string) =>
  day()
    .refine(
      (value) => !ISO_DAY.test(value) || (value >= EARLIEST_DAY && value <= latestDay(FURTHEST_AHEAD_ZONE)),
      `must be ${WINDOW_TEXT}`,
    )
    .openapi({ description, format: 'date' });

const range = {
  from: rangeDay(`First day of the range (site-local), ${WINDOW_TEXT}; a range covers at most ${MAX_RANGE_DAYS} days`),
  to: rangeDay(`Last day of the range (site-local, inclusive), ${WINDOW_TEXT}`),
};

/** `filter` may repeat: `?filter=country:is:NL&filter=source:is:Google`. */
const filterParam = z.union([z.string().max(600), z.array(z.string().max(600)).max(10)]).optional();

export const RangeQuery = z.strictObject({ ...range, filter: filterParam });

export const OverviewQuery = RangeQuery.extend({
  compare: z.enum(['previous', 'none', 'custom']).default('previous'),
  compareFrom: rangeDay(`First day of the compare=custom range, ${WINDOW_TEXT}`).optional(),
  compareTo: rangeDay(`Last day of the compare=custom range, ${WINDOW_TEXT}`).optional(),
});

export const TimeseriesQuery = RangeQuery.extend({
  interval: z.enum(['hour', 'day', 'week', 'month']).default('day'),
});

export const SORTABLE = ['visitors', 'visits', 'pageviews', 'bounceRate', 'avgVisitDuration', 'events', 'key'] as const;

export const BreakdownQuery = RangeQuery.extend({
  limit: z.coerce.number().int().min(1).max(1000).default(10),
  page: z.coerce.number().int().min(1).max(100_000).default(1),
  sort: z.enum(SORTABLE).default('visitors'),
  order: z.enum(['asc', 'desc']).default('desc'),
  goal: objectId().optional(),
});

export const ExportQuery = BreakdownQuery.extend({ format: z.enum(['csv', 'json']).default('csv') }).omit({
  limit: true,
  page: true,
});
export const EventsExportQuery = z.strictObject({
  ...range,
  format: z.enum(['csv', 'json']).default('csv'),
});

export const DimensionParams = z.strictObject({ siteId: objectId(), dimension: z.enum(BREAKDOWN_DIMENSIONS) });
export const VisitorParams = z.strictObject({
  siteId: objectId(),
  visitorId: z.string().regex(/^[cf]:[A-Za-z0-9_-]{10,40}$/, 'must be a visitor id'),
});
export const ItemParams = z.strictObject({ siteId: objectId(), id: objectId() });

/** The days a visitor profile covers; by default the last PROFILE_DEFAULT_DAYS in the site's zone. */
export const PROFILE_DEFAULT_DAYS = 90;
export const VisitorProfileQuery = z.strictObject({
  from: range.from.optional(),
  to: range.to.optional(),
});

export const RealtimeQuery = z.strictObject({
  /** Opaque cursor from a previous answer: only newer events are returned. */
  after: z
    .string()
    .max(200)
    .regex(/^\d{13}:[\w:-]+$/, 'must be a cursor from a previous response')
    .optional(),
});

export const VisitorsQuery = z.strictObject({
  ...range,
  filter: filterParam,
  limit: z.coerce.number().int().min(1).max(200).default(50),
  page: z.coerce.number().int().min(1).max(100_000).default(1),
});

export const MetricsSchema = z
  .object({
    visitors: z.number(),
    visits: z.number(),
    pageviews: z.number(),
    viewsPerVisit: z.number(),
    bounceRate: z.number(),
    avgVisitDuration: z.number(),
    events: z.number(),
  })
  .openapi('Metrics');

const Range = z.object({ from: z.string(), to: z.string() });

export const OverviewResponse = z
  .object({
    range: Range,
    compareRange: Range.nullable(),
    metrics: MetricsSchema.extend({ conversions: z.number(), conversionRate: z.number() }),
    previous: MetricsSchema.extend({ conversions: z.number(), conversionRate: z.number() }).nullable(),
    change: z.record(z.string(), z.number().nullable()).nullable(),
    visitorsExact: z.boolean(),
    source: z.enum(['rollups', 'raw']),
  })
  .openapi('Overview');

export const AnnotationView = z
  .object({
    id: z.string(),
    day: z.string(),
    text: z.string(),
    author: z.string(),
    createdAt: z.string(),
  })
  .openapi('Annotation');

export const TimeseriesResponse = z
  .object({
    interval: z.enum(['hour', 'day', 'week', 'month']),
    points: z.array(MetricsSchema.extend({ period: z.string() })),
    annotations: z.array(AnnotationView),
  })
  .openapi('Timeseries');

export const BreakdownResponse = z
  .object({
    dimension: z.enum(BREAKDOWN_DIMENSIONS),
    rows: z.array(
      MetricsSchema.extend({
        key: z.string(),
        share: z.number(),
        conversions: z.number().optional(),
        conversionRate: z.number().optional(),
      }),
    ),
    total: z.number(),
    page: z.number(),
    limit: z.number(),
  })
  .openapi('Breakdown');

export const GoalConversionsResponse = z
  .object({
    range: Range,
    visits: z
      .number()
      .openapi({ description: "Visits of the range (of the filters' selection): what the rates divide by" }),
    goals: z.array(
      z.object({
        id: z.string(),
        name: z.string(),
        kind: z.enum(['page', 'event']),
        match: z.string(),
        propKey: z.string(),
        propValue: z.string(),
        visits: z
          .number()
          .openapi({ description: 'Visits that started in the range and reached the goal with a hit of the range' }),
        visitors: z
          .number()
          .openapi({ description: 'Their visitors, counted once per day a converted visit of theirs started' }),
        conversionRate: z.number().openapi({ description: 'Percent of the range’s visits' }),
      }),
    ),
    source: z.enum(['rollups', 'raw']),
  })
  .openapi('GoalConversions');

const goalMatch = () =>
  text(500).openapi({
    description:
      'Page goals: the whole path, where `*` matches any run of characters (slashes included) and every other character itself. Event goals: the event name.',
  });

export const CreateGoalBody = z
  .strictObject({
    name: text(100),
    kind: z.enum(['page', 'event']),
    match: goalMatch(),
    propKey: text(60, 0).default(''),
    propValue: text(500, 0).default(''),
  })
  .openapi('CreateGoal');
export const UpdateGoalBody = z
  .strictObject({ name: text(100), match: goalMatch(), propKey: text(60, 0), propValue: text(500, 0) })
  .partial()
  .refine((b) => Object.keys(b).length > 0, 'nothing to update')
  .openapi('UpdateGoal');

export const CreateFunnelBody = z
  .strictObject({ name: text(100), steps: z.array(objectId()).min(2).max(8) })
  .openapi('CreateFunnel');
export const FunnelQuery = z.strictObject({ ...range, filter: filterParam });

export const CreateAnnotationBody = z.strictObject({ day: day(), text: text(500) }).openapi('CreateAnnotation');
export const AnnotationsQuery = z.strictObject(range);

export const AnnotationsResponse = z.object({ annotations: z.array(AnnotationView) }).openapi('Annotations');

export const GoalView = z
  .object({
    id: z.string(),
    name: z.string(),
    kind: z.enum(['page', 'event']),
    match: z.string(),
    propKey: z.string(),
    propValue: z.string(),
  })
  .openapi('Goal');
export const GoalsResponse = z.object({ goals: z.array(GoalView) }).openapi('Goals');

export const FunnelView = z
  .object({
    id: z.string(),
    name: z.string(),
    steps: z.array(z.string()).openapi({ description: 'Goal ids, in order' }),
  })
  .openapi('Funnel');
export const FunnelsResponse = z.object({ funnels: z.array(FunnelView) }).openapi('Funnels');

export const FunnelReportResponse = z
  .object({
    funnel: z.object({ id: z.string(), name: z.string() }),
    range: Range,
    steps: z.array(
      z.object({
        goalId: z.string(),
        name: z.string(),
        visits: z.number(),
        conversionRate: z.number().openapi({ description: 'Percent of the visits that reached the first step' }),
        dropOff: z.number(),
        dropOffRate: z.number(),
      }),
    ),
  })
  .openapi('FunnelReport');

const EventKind = z.enum(['pv', 'ev', 'en', 'id']);

export const LiveEventView = z
  .object({
    id: z.string(),
    ts: z.string(),
    kind: EventKind,
    path: z.string(),
    title: z.string(),
    name: z.string(),
    props: z.record(z.string(), z.unknown()),
    visitorId: z.string(),
    country: z.string(),
    device: z.string(),
    source: z.string(),
  })
  .openapi('LiveEvent');

export const RealtimeResponse = z
  .object({
    visitorsNow: z.number(),
    pages: z.array(z.object({ path: z.string(), visitors: z.number() })),
    events: z.array(LiveEventView),
    cursor: z.string().nullable().openapi({ description: 'Send as `after` to get only newer events' }),
  })
  .openapi('Realtime');

export const VisitorSummaryView = z
  .object({
    id: z.string(),
    firstSeen: z.string(),
    lastSeen: z.string(),
    visits: z.number(),
    pageviews: z.number(),
    events: z.number(),
    country: z.string(),
    device: z.string(),
    browser: z.string(),
    source: z.string(),
    userId: z.string().nullable(),
    identified: z.boolean(),
  })
  .openapi('VisitorSummary');

export const VisitorsResponse = z
  .object({ visitors: z.array(VisitorSummaryView), total: z.number(), page: z.number(), limit: z.number() })
  .openapi('VisitorsPage');

const ClickstreamEventView = LiveEventView.extend({
  sincePreviousSeconds: z.number(),
  engagedSeconds: z.number().optional().openapi({ description: 'Engagement events only' }),
}).openapi('ClickstreamEvent');

export const VisitView = z
  .object({
    id: z.string(),
    start: z.string(),
    end: z.string(),
    durationSeconds: z.number(),
    pageviews: z.number(),
    events: z.number(),
    bounce: z.boolean(),
    entryPage: z.string(),
    exitPage: z.string(),
    source: z.string(),
    channel: z.string(),
    referrer: z.string().openapi({ description: 'The referring host' }),
    country: z.string(),
    city: z.string(),
    device: z.string(),
    browser: z.string(),
    os: z.string(),
    osVersion: z.string().optional(),
    browserVersion: z.string().optional(),
    screen: z.string().optional(),
    language: z.string().optional(),
    region: z.string().optional(),
    referrerUrl: z.string().optional().openapi({ description: 'The referring page, without its query string' }),
    utm: z.object({
      source: z.string().optional(),
      medium: z.string().optional(),
      campaign: z.string().optional(),
      term: z.string().optional(),
      content: z.string().optional(),
    }),
    clickstream: z.array(ClickstreamEventView),
  })
  .openapi('Visit');

export const VisitorProfileResponse = z
  .object({
    visitor: z.object({
      id: z.string(),
      firstSeen: z.string(),
      lastSeen: z.string(),
      visits: z.number(),
      pageviews: z.number(),
      events: z.number(),
      engagedSeconds: z.number(),
      userId: z.string().nullable(),
      traits: z.record(z.string(), z.unknown()),
      country: z.string(),
      device: z.string(),
      browser: z.string(),
      source: z.string(),
      lifetime: z.boolean().openapi({ description: 'A first-party (lifetime) visitor id, not a daily one' }),
    }),
    visits: z.array(VisitView),
  })
  .openapi('VisitorProfile');
