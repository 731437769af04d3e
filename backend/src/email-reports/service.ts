import { timingSafeEqual } from 'node:crypto';

import { DateTime } from 'luxon';
import { trusted, Types } from 'mongoose';
import type { Logger } from 'pino';

import type { Actor } from '../audit/actor';
import { recordAudit } from '../audit/service';
import { isDuplicateKey } from '../lib/db-errors';
import { AppError } from '../lib/errors';
import { pseudonymise } from '../lib/secrets';
import { spendOnce } from '../lib/spend-once';
import type { Mailer } from '../mail/mailer';
import { goalConversions } from '../reports/goal-conversions';
import { breakdown, overview } from '../reports/service';
import { getSite, type SiteDoc } from '../sites/service';
import { siteConfigurations } from '../sites/settings';
import { reportMail } from './messages';
import {
  EmailReportSend,
  EmailReportSubscription,
  MAX_SUBSCRIPTIONS_PER_SITE,
  type Frequency,
  type SendDoc,
  type SubscriptionDoc,
} from './model';

/** Reports go out at this site-local hour. */
export const SEND_HOUR = 8;
/** Rows of each top list in a report. */
const TOP = 5;
/** Goals listed in a report, most conversions first. */
const TOP_GOALS = 10;
/** How long a process holds a send it claimed: far longer than any SMTP exchange. */
const LEASE_MS = 15 * 60_000;
/** After a failed send, the next try waits this long (the job runs every 5 minutes). */
const RETRY_MS = 10 * 60_000;
/** Claimed attempts before a period is given up (about two hours of retries). */
const MAX_ATTEMPTS = 12;
/** Send records are kept this long (a period is never sent again within it), then pruned. */
const KEPT_MS = 62 * 86_400_000;

export interface SubscriptionInput {
  email: string;
  frequency: Frequency;
  weekday?: number | undefined;
}

export interface SubscriptionView {
  id: string;
  email: string;
  frequency: Frequency;
  weekday: number | null;
  createdAt: string;
  lastSentAt: string | null;
}

export const toSubscriptionView = (doc: SubscriptionDoc): SubscriptionView => ({
  id: doc._id.toHexString(),
  email: doc.email,
  frequency: doc.frequency,
  weekday: doc.frequency === 'weekly' ? (doc.weekday ?? 1) : null,
  createdAt: doc.createdAt.toISOString(),
  lastSentAt: doc.lastSentAt ? doc.lastSentAt.toISOString() : null,
});

export async function listSubscriptions(siteId: Types.ObjectId): Promise<SubscriptionDoc[]> {
  return EmailReportSubscription.find({ siteId }).sort({ createdAt: 1, _id: 1 }).lean<SubscriptionDoc[]>();
}

async function findSubscription(siteId: Types.ObjectId, subscriptionId: string): Promise<SubscriptionDoc> {
  const doc = await EmailReportSubscription.findOne({
    _id: new Types.ObjectId(subscriptionId),
    siteId,
  }).lean<SubscriptionDoc>();
  if (!doc) throw new AppError('not_found', 'Subscription not found');
  return doc;
}

const auditRef = (doc: SubscriptionDoc) => ({
  id: doc._id.toHexString(),
  email: doc.email,
  frequency: doc.frequency,
  weekday: doc.frequency === 'weekly' ? (doc.weekday ?? 1) : null,
});

/**
 * Subscribes an address to the site's weekly or monthly report: 409 when it already gets that
 * one, 400 past MAX_SUBSCRIPTIONS_PER_SITE (counted before the insert, so two racing adds may
 * pass it by one).
 */
export async function addSubscription(
  siteId: Types.ObjectId,
  input: SubscriptionInput,
  createdBy: Types.ObjectId,
  actor: Actor,
  now = new Date(),
): Promise<SubscriptionDoc> {
  if ((await EmailReportSubscription.countDocuments({ siteId })) >= MAX_SUBSCRIPTIONS_PER_SITE) {
    throw new AppError(
      'validation_failed',
      `A site has at most ${MAX_SUBSCRIPTIONS_PER_SITE} email report subscriptions; remove one first`,
      [{ path: 'body.email', message: `the site already has ${MAX_SUBSCRIPTIONS_PER_SITE} subscriptions` }],
    );
  }
  let created;
  try {
    created = await EmailReportSubscription.create({
      siteId,
      email: input.email,
      frequency: input.frequency,
      weekday: input.frequency === 'weekly' ? (input.weekday ?? 1) : null,
      createdBy,
      createdAt: now,
    });
  } catch (error) {
    if (isDuplicateKey(error)) {
      throw new AppError('conflict', `${input.email} already gets the ${input.frequency} report of this site`);
    }
    throw error;
  }
  const doc = created.toObject() as SubscriptionDoc;
  await recordAudit(siteId, actor, 'email_report.added', { subscription: auditRef(doc) });
  return doc;
}

export async function removeSubscription(siteId: Types.ObjectId, subscriptionId: string, actor: Actor): Promise<void> {
  const doc = await findSubscription(siteId, subscriptionId);
  const { deletedCount } = await EmailReportSubscription.deleteOne({ _id: doc._id, siteId });
  if (deletedCount > 0) await recordAudit(siteId, actor, 'email_report.removed', { subscription: auditRef(doc) });
}

/** Site deletion: its subscriptions and send records. */
export async function deleteEmailReportsForSite(siteId: Types.ObjectId): Promise<void> {
  await EmailReportSubscription.deleteMany({ siteId });
  await EmailReportSend.deleteMany({ siteId });
}

// ---- unsubscribe tokens ----------------------------------------------------------------

/** The MAC of a subscription's unsubscribe link, keyed with the instance secret. */
const macOf = (siteId: string, subscriptionId: string) =>
  pseudonymise(`email-report-unsubscribe:${siteId}:${subscriptionId}`);

/**
 * The token of a subscription's unsubscribe link: `${siteId}.${subscriptionId}.${mac}`. It
 * names the site so the lookup is by site, and never expires (old mails keep working).
 */
export async function unsubscribeToken(siteId: Types.ObjectId, subscriptionId: Types.ObjectId): Promise<string> {
  const site = siteId.toHexString();
  const subscription = subscriptionId.toHexString();
  return `${site}.${subscription}.${await macOf(site, subscription)}`;
}

const HEX_ID = /^[a-f0-9]{24}$/;

/** The ids a token signs, or 400 `invalid_token` when it is malformed or its signature does not match. */
async function verifyToken(token: string): Promise<{ siteId: Types.ObjectId; subscriptionId: Types.ObjectId }> {
  const invalid = new AppError('invalid_token', 'This unsubscribe link is not valid: it may be cut short or altered');
  const [site = '', subscription = '', mac = '', ...rest] = token.split('.');
  if (rest.length > 0 || !HEX_ID.test(site) || !HEX_ID.test(subscription)) throw invalid;
  const expected = Buffer.from(await macOf(site, subscription));
  const given = Buffer.from(mac);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw invalid;
  return { siteId: new Types.ObjectId(site), subscriptionId: new Types.ObjectId(subscription) };
}

export interface UnsubscribeState {
  subscribed: boolean;
  site: { name: string; domain: string } | null;
  frequency: Frequency | null;
  email: string | null;
}

/** `ada@example.com` → `a…@example.com`. */
const maskEmail = (address: string) => {
  const at = address.lastIndexOf('@');
  return at > 0 ? `${address[0]}…${address.slice(at)}` : '…';
};

async function stateOf(siteId: Types.ObjectId, subscriptionId: Types.ObjectId): Promise<UnsubscribeState> {
  const doc = await EmailReportSubscription.findOne({ _id: subscriptionId, siteId }).lean<SubscriptionDoc>();
  const site = doc ? await getSite(siteId) : null;
  if (!doc || !site) return { subscribed: false, site: null, frequency: null, email: null };
  return {
    subscribed: true,
    site: { name: site.name, domain: site.domain },
    frequency: doc.frequency,
    email: maskEmail(doc.email),
  };
}

/** What an unsubscribe link is about, without changing anything (mail scanners open links). */
export async function unsubscribeState(token: string): Promise<UnsubscribeState> {
  const { siteId, subscriptionId } = await verifyToken(token);
  return stateOf(siteId, subscriptionId);
}

/** Removes the subscription a link names; a second time (or after the site removed it) is no error. */
export async function unsubscribe(token: string): Promise<UnsubscribeState> {
  const { siteId, subscriptionId } = await verifyToken(token);
  const state = await stateOf(siteId, subscriptionId);
  await EmailReportSubscription.deleteOne({ _id: subscriptionId, siteId });
  return { ...state, subscribed: false };
}

// ---- schedule --------------------------------------------------------------------------

export interface ReportPeriod {
  /** `weekly:<from>` or `monthly:<yyyy-mm>`: what is sent once per subscription. */
  key: string;
  frequency: Frequency;
  from: string;
  to: string;
  /** The period the change is measured against: the week, or the calendar month, before. */
  compareFrom: string;
  compareTo: string;
  timezone: string;
  /** When the report is due: 08:00 site-local on the weekday, or on the 1st. */
  scheduledAt: Date;
}

/**
 * The latest period of a subscription whose report was due by `now`: a weekly one on the
 * chosen weekday at 08:00 site-local covers the 7 complete days before it; a monthly one on
 * the 1st at 08:00 covers the calendar month before.
 */
export function latestPeriod(
  sub: { frequency: Frequency; weekday?: number | null },
  timezone: string,
  now: Date,
): ReportPeriod {
  const local = DateTime.fromJSDate(now, { zone: timezone });
  const at = (day: DateTime) => day.set({ hour: SEND_HOUR, minute: 0, second: 0, millisecond: 0 });
  const iso = (day: DateTime) => day.toISODate()!;
  if (sub.frequency === 'weekly') {
    const weekday = sub.weekday ?? 1;
    let day = local.startOf('day').minus({ days: (local.weekday - weekday + 7) % 7 });
    if (at(day) > local) day = day.minus({ weeks: 1 });
    const from = day.minus({ days: 7 });
    return {
      key: `weekly:${iso(from)}`,
      frequency: 'weekly',
      from: iso(from),
      to: iso(day.minus({ days: 1 })),
      compareFrom: iso(from.minus({ days: 7 })),
      compareTo: iso(from.minus({ days: 1 })),
      timezone,
      scheduledAt: at(day).toJSDate(),
    };
  }
  let first = local.startOf('month');
  if (at(first) > local) first = first.minus({ months: 1 });
  const from = first.minus({ months: 1 });
  return {
    key: `monthly:${from.toFormat('yyyy-LL')}`,
    frequency: 'monthly',
    from: iso(from),
    to: iso(first.minus({ days: 1 })),
    compareFrom: iso(from.minus({ months: 1 })),
    compareTo: iso(from.minus({ days: 1 })),
    timezone,
    scheduledAt: at(first).toJSDate(),
  };
}

// ---- content ---------------------------------------------------------------------------

/**
 * A period's numbers from the report service the dashboard reads: the overview with its change
 * against the period before, the top pages and sources, and the goals' conversions. The same
 * shape as the `summary.weekly` webhook's data (plus the goals).
 */
export async function reportNumbers(
  site: SiteDoc,
  period: Pick<ReportPeriod, 'from' | 'to' | 'compareFrom' | 'compareTo'>,
) {
  const range = { from: period.from, to: period.to };
  const top = { ...range, sort: 'visitors', order: 'desc' as const, limit: TOP, page: 1 };
  const [totals, pages, sources, goals] = await Promise.all([
    overview(site, { ...range, compare: 'custom', compareFrom: period.compareFrom, compareTo: period.compareTo }),
    breakdown(site, 'page', top),
    breakdown(site, 'source', top),
    goalConversions(site, range),
  ]);
  return {
    period: totals.range,
    comparedWith: totals.compareRange,
    metrics: totals.metrics,
    previous: totals.previous,
    change: totals.change,
    topPages: pages.rows.map((r) => ({ path: r.key, visitors: r.visitors, pageviews: r.pageviews })),
    topSources: sources.rows.map((r) => ({ source: r.key, visitors: r.visitors, visits: r.visits })),
    goals: [...goals.goals]
      .sort((a, b) => b.visits - a.visits || a.name.localeCompare(b.name))
      .slice(0, TOP_GOALS)
      .map((g) => ({ name: g.name, conversions: g.visits, conversionRate: g.conversionRate })),
  };
}
export type ReportNumbers = Awaited<ReturnType<typeof reportNumbers>>;

export interface EmailReportDeps {
  mailer: Mailer;
  /** The public base URL (PUBLIC_URL) for links in mail. */
  appUrl: string;
  logger?: Logger;
}

async function composeReport(
  site: SiteDoc,
  sub: SubscriptionDoc,
  period: ReportPeriod,
  numbers: ReportNumbers,
  deps: EmailReportDeps,
  preview = false,
) {
  const token = await unsubscribeToken(site._id, sub._id);
  const view = { id: site._id.toHexString(), name: site.name, domain: site.domain };
  return reportMail({ appUrl: deps.appUrl, to: sub.email, site: view, period, numbers, token, preview });
}

/**
 * Sends the report for the last complete period now, outside the schedule (not recorded as
 * its scheduled send). Composed and sent in the background: the answer does not wait for SMTP.
 */
export async function sendPreview(
  siteId: Types.ObjectId,
  subscriptionId: string,
  deps: EmailReportDeps,
  now = new Date(),
): Promise<void> {
  const sub = await findSubscription(siteId, subscriptionId);
  const site = await getSite(siteId);
  if (!site) throw new AppError('not_found', 'Site not found');
  const period = latestPeriod(sub, site.timezone, now);
  deps.mailer.queue(async () => composeReport(site, sub, period, await reportNumbers(site, period), deps, true));
}

/** Subscriptions of every site, for the scheduled run (a query across sites: at most 50 small documents per site). */
async function allSubscriptions(): Promise<SubscriptionDoc[]> {
  const subscriptions = await EmailReportSubscription.find({}).lean<SubscriptionDoc[]>();
  return subscriptions;
}

type Outcome = 'sent' | 'failed' | 'skipped';

/**
 * Claims, sends and records one subscription's period. The record doubles as a lease rather
 * than a plain once-only mark, so a failed send (SMTP down) is retried on a later run instead
 * of being lost: the first claim is the record's unique insert; a later attempt, once the lease
 * passed, claims its number by a unique insert too (racing conditional updates all succeed on
 * FerretDB), so each attempt has one sender.
 */
async function sendScheduled(
  site: SiteDoc,
  sub: SubscriptionDoc,
  period: ReportPeriod,
  numbers: () => Promise<ReportNumbers>,
  deps: EmailReportDeps,
  clock: () => Date,
): Promise<Outcome> {
  const siteId = site._id;
  const id = `${siteId.toHexString()}:${sub._id.toHexString()}:${period.key}`;
  const now = clock();
  const leaseUntil = new Date(now.getTime() + LEASE_MS);
  const expiresAt = new Date(now.getTime() + KEPT_MS);
  let attempt = 1;
  try {
    await EmailReportSend.create({
      _id: id,
      siteId,
      subscriptionId: sub._id,
      period: period.key,
      attempts: 1,
      leaseUntil,
      expiresAt,
    });
  } catch (error) {
    if (!isDuplicateKey(error)) throw error;
    const record = await EmailReportSend.findOne({ _id: id, siteId }).lean<SendDoc>();
    if (!record || record.sentAt || record.leaseUntil > now || record.attempts >= MAX_ATTEMPTS) return 'skipped';
    attempt = record.attempts + 1;
    if (!(await spendOnce(`email-report:${id}:${attempt}`, { until: expiresAt }))) return 'skipped';
    await EmailReportSend.updateOne({ _id: id, siteId }, { $set: { attempts: attempt, leaseUntil } });
  }
  try {
    await deps.mailer.send(await composeReport(site, sub, period, await numbers(), deps));
  } catch (error) {
    const retryAt = new Date(clock().getTime() + RETRY_MS);
    await EmailReportSend.updateOne(
      { _id: id, siteId },
      { $set: { leaseUntil: retryAt, lastError: String((error as Error).message ?? error).slice(0, 300) } },
    );
    deps.logger?.warn(
      { err: error, siteId: siteId.toHexString(), period: period.key, attempt, givingUp: attempt >= MAX_ATTEMPTS },
      'email report not sent; tried again later',
    );
    return 'failed';
  }
  // A crash between the mail and these writes sends the period again after the lease: at least once.
  const sentAt = clock();
  await EmailReportSend.updateOne({ _id: id, siteId }, { $set: { sentAt, lastError: null } });
  await EmailReportSubscription.updateOne(
    { _id: sub._id, siteId },
    { $set: { lastPeriod: period.key }, $max: { lastSentAt: sentAt } },
  );
  return 'sent';
}

export interface ScheduledSend {
  siteId: string;
  subscriptionId: string;
  period: string;
  outcome: Outcome;
}

/**
 * The scheduled run, every few minutes in every process: each subscription whose latest
 * period is due (08:00 site-local passed, after it was created) and not yet sent gets its
 * report, once whichever process sees it first. Returns what it sent or tried. `now` (tests)
 * fixes the clock; otherwise each claim reads it afresh, so a long run never sends on a stale lease.
 */
export async function sendDueReports(deps: EmailReportDeps, now?: Date): Promise<ScheduledSend[]> {
  const clock = () => now ?? new Date();
  const subscriptions = await allSubscriptions();
  if (subscriptions.length === 0) return [];
  const siteIds = [...new Map(subscriptions.map((s) => [s.siteId.toHexString(), s.siteId])).values()];
  const zones = new Map((await siteConfigurations(siteIds)).map((c) => [c.siteId.toHexString(), c.timezone]));
  const done: ScheduledSend[] = [];
  const sites = new Map<string, SiteDoc | null>();
  const numbersCache = new Map<string, Promise<ReportNumbers>>();
  for (const sub of subscriptions) {
    const siteId = sub.siteId.toHexString();
    const zone = zones.get(siteId);
    if (!zone) continue;
    const period = latestPeriod(sub, zone, clock());
    // Keys of one frequency sort by date: a period is never sent after a later one was.
    if (period.scheduledAt < sub.createdAt || (sub.lastPeriod && period.key <= sub.lastPeriod)) continue;
    try {
      if (!sites.has(siteId)) sites.set(siteId, await getSite(sub.siteId));
      const site = sites.get(siteId);
      if (!site) continue;
      // One site's period is read once, however many subscribers it has.
      const numbers = () => {
        const key = `${siteId}:${period.key}`;
        if (!numbersCache.has(key)) numbersCache.set(key, reportNumbers(site, period));
        return numbersCache.get(key)!;
      };
      const outcome = await sendScheduled(site, sub, period, numbers, deps, clock);
      if (outcome !== 'skipped')
        done.push({ siteId, subscriptionId: sub._id.toHexString(), period: period.key, outcome });
    } catch (error) {
      // One site's failure (its zone, its reports) does not keep the others from their reports.
      deps.logger?.warn({ err: error, siteId }, 'email report run failed for a site');
    }
  }
  return done;
}

/** Deletes send records past KEPT_MS; run by the scheduler. */
export async function pruneEmailReportSends(now = new Date()): Promise<number> {
  return (await EmailReportSend.deleteMany({ expiresAt: trusted({ $lte: now }) })).deletedCount;
}
