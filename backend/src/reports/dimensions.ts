import { DIMENSIONS, type Dimension } from '../aggregate/read';

type NotTotals = Exclude<Dimension, 'all'>;

/** Dimensions a breakdown can be asked for: every rollup dimension except the totals. */
export const BREAKDOWN_DIMENSIONS = DIMENSIONS.filter((d): d is NotTotals => d !== 'all') as [
  NotTotals,
  ...NotTotals[],
];
export type BreakdownDimension = (typeof BREAKDOWN_DIMENSIONS)[number];

type RowMetric = 'visitors' | 'visits' | 'pageviews' | 'viewsPerVisit' | 'bounceRate' | 'avgVisitDuration' | 'events';

/**
 * The metrics a breakdown row of this dimension carries. Pages count views and events count
 * events (neither is a visit); entry and exit pages describe the visits that started or
 * ended there. Exports leave out the columns that would always be 0.
 */
export function rowMetrics(dim: BreakdownDimension): RowMetric[] {
  switch (dim) {
    case 'page':
      return ['visitors', 'pageviews'];
    case 'entry_page':
    case 'exit_page':
      return ['visitors', 'visits', 'bounceRate', 'avgVisitDuration'];
    case 'event':
    case 'event_prop':
      return ['visitors', 'events'];
    default:
      return ['visitors', 'visits', 'pageviews', 'viewsPerVisit', 'bounceRate', 'avgVisitDuration', 'events'];
  }
}

/** The fields of a stored visit that hold a visit-level dimension's key. */
interface VisitFields {
  source: string;
  channel: string;
  referrerHost: string;
  utmSource: string;
  utmMedium: string;
  utmCampaign: string;
  utmTerm: string;
  utmContent: string;
  country: string;
  region: string;
  city: string;
  browser: string;
  browserVersion: string;
  os: string;
  osVersion: string;
  device: string;
  screen: string;
  language: string;
  entryPage: string;
  exitPage: string;
}

/** How to read each visit-level dimension's key from a visit (the same keys the rollups use). */
export const VISIT_KEY: Partial<Record<BreakdownDimension, (v: VisitFields) => string>> = {
  entry_page: (v) => v.entryPage,
  exit_page: (v) => v.exitPage,
  source: (v) => v.source,
  channel: (v) => v.channel,
  referrer: (v) => v.referrerHost,
  utm_source: (v) => v.utmSource,
  utm_medium: (v) => v.utmMedium,
  utm_campaign: (v) => v.utmCampaign,
  utm_term: (v) => v.utmTerm,
  utm_content: (v) => v.utmContent,
  country: (v) => v.country,
  region: (v) => v.region,
  city: (v) => v.city,
  browser: (v) => v.browser,
  browser_version: (v) => `${v.browser} ${v.browserVersion}`.trim(),
  os: (v) => v.os,
  os_version: (v) => `${v.os} ${v.osVersion}`.trim(),
  device: (v) => v.device,
  screen: (v) => v.screen,
  language: (v) => v.language,
};

export const isVisitDimension = (dim: BreakdownDimension): boolean => VISIT_KEY[dim] !== undefined;

/** The separator inside `event_prop` keys: event name, property, value. */
export const PROP_SEPARATOR = '\u0000';
