import type { Types } from 'mongoose';

/**
 * A raw hit, enriched by the collector (never holding a raw IP or user-agent
 * string): the shape of the inbox's events, which the aggregator stores in its
 * day-partitioned history once it knows each hit's visit (aggregate/history.ts).
 * Its _id is `${siteId}:${clientEventId}`, so a retried send is counted once.
 */
export interface StoredEvent {
  _id: string;
  siteId: Types.ObjectId;
  ts: Date;
  /** Day and hour in the site's time zone (YYYY-MM-DD; hour keyed by lib/local-hour.ts), fixed at write time. */
  day: string;
  hour: string;
  kind: 'pv' | 'ev' | 'en' | 'id';
  /** Visitor id: a daily salted hash (cookieless) or `f:` + the tracker's first-party id. */
  vid: string;
  host: string;
  path: string;
  title: string;
  referrer: string;
  referrerHost: string;
  source: string;
  channel: string;
  utmSource: string;
  utmMedium: string;
  utmCampaign: string;
  utmTerm: string;
  utmContent: string;
  clickId: string;
  browser: string;
  browserVersion: string;
  os: string;
  osVersion: string;
  device: string;
  screen: string;
  language: string;
  country: string;
  region: string;
  city: string;
  name: string;
  props?: Record<string, unknown> | undefined;
  engagedMs: number;
  notFound: boolean;
  userId: string;
  traits?: Record<string, unknown> | undefined;
  /** Empty until the aggregator assigns the hit to a visit. */
  visitId: string;
}
