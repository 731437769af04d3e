import { DateTime } from 'luxon';
import { trusted, Types } from 'mongoose';
import type { Logger } from 'pino';

import type { Actor } from '../audit/actor';
import { recordAudit, type DetailValue } from '../audit/service';
import { isDuplicateKey } from '../lib/db-errors';
import { localHourStart } from '../lib/local-hour';
import { spendOnce } from '../lib/spend-once';
import { AppError } from '../lib/errors';
import type { Mailer } from '../mail/mailer';
import { timeseries } from '../reports/service';
import { getSite, listMembers, type SiteDoc } from '../sites/service';
import { queueEvent } from '../webhooks/service';
import { dropMail, spikeMail, type DropData, type SpikeData } from './messages';
import {
  AlertEvent,
  AlertMail,
  AlertSettings,
  type AlertEventDoc,
  type AlertKind,
  type AlertMailDoc,
  type AlertSettingsDoc,
} from './model';

export interface AlertSettingsInput {
  spike: { enabled: boolean; threshold: number };
  drop: { enabled: boolean; percent: number };
  email: boolean;
  recipients: string[];
}

/** What a site has before anyone saved its alerts: both off. */
const DEFAULTS: AlertSettingsInput = {
  spike: { enabled: false, threshold: 100 },
  drop: { enabled: false, percent: 50 },
  email: true,
  recipients: [],
};

/** Alerts are kept this long as the site's recent alerts, then pruned. */
const KEPT_MS = 30 * 86_400_000;
/** Recent alerts the settings show. */
const RECENT = 20;
/** Attempts at an alert mail before it is given up (the first when the alert fires, then one per check). */
export const MAX_MAIL_ATTEMPTS = 5;
/** The wait after a failed attempt: about the next check of any process. */
const MAIL_RETRY_MS = 5 * 60_000;
/** Mail one check sends at most. */
const MAIL_BATCH = 50;
/** A drop is looked for once the site-local day after is this many hours old (late events have arrived). */
const DROP_CHECK_HOUR = 1;

const toInput = (doc: AlertSettingsDoc): AlertSettingsInput => ({
  spike: { enabled: doc.spike.enabled, threshold: doc.spike.threshold },
  drop: { enabled: doc.drop.enabled, percent: doc.drop.percent },
  email: doc.email,
  recipients: doc.recipients.map((id) => id.toHexString()),
});

export async function getAlertSettings(siteId: Types.ObjectId): Promise<AlertSettingsInput> {
  const doc = await AlertSettings.findOne({ _id: siteId.toHexString() }).lean<AlertSettingsDoc>();
  return doc ? toInput(doc) : structuredClone(DEFAULTS);
}

/**
 * The audit entry's changes: each setting that differs, recipients by address (an account
 * that is no longer a member shows by its id).
 */
function settingChanges(
  before: AlertSettingsInput,
  after: AlertSettingsInput,
  emailOf: ReadonlyMap<string, string>,
): Array<{ field: string; from: DetailValue; to: DetailValue }> {
  const named = (ids: readonly string[]) => ids.map((id) => emailOf.get(id) ?? id);
  const fields: Array<[string, DetailValue, DetailValue]> = [
    ['spike.enabled', before.spike.enabled, after.spike.enabled],
    ['spike.threshold', before.spike.threshold, after.spike.threshold],
    ['drop.enabled', before.drop.enabled, after.drop.enabled],
    ['drop.percent', before.drop.percent, after.drop.percent],
    ['email', before.email, after.email],
  ];
  const changes = fields.filter(([, from, to]) => from !== to).map(([field, from, to]) => ({ field, from, to }));
  if ([...before.recipients].sort().join() !== [...after.recipients].sort().join()) {
    changes.push({ field: 'recipients', from: named(before.recipients), to: named(after.recipients) });
  }
  return changes;
}

/**
 * Saves a site's alerts; recipients must be members of the site (400 naming each one that is
 * not). A change is recorded in the audit log.
 */
export async function saveAlertSettings(
  siteId: Types.ObjectId,
  input: AlertSettingsInput,
  actor: Actor,
): Promise<AlertSettingsInput> {
  const recipients = [...new Set(input.recipients.map((id) => id.toLowerCase()))];
  const memberList = await listMembers(siteId);
  const members = new Set(memberList.map((m) => m.accountId));
  const strangers = input.recipients
    .map((id, index) => ({ id, index }))
    .filter(({ id }) => !members.has(id.toLowerCase()));
  if (strangers.length > 0) {
    throw new AppError(
      'validation_failed',
      'Alerts go to members of the site only; invite someone first',
      strangers.map(({ index }) => ({ path: `body.recipients.${index}`, message: 'is not a member of this site' })),
    );
  }
  const doc = {
    siteId,
    active: input.spike.enabled || input.drop.enabled,
    spike: input.spike,
    drop: input.drop,
    email: input.email,
    recipients: recipients.map((id) => new Types.ObjectId(id)),
  };
  const before = await getAlertSettings(siteId);
  await AlertSettings.updateOne({ _id: siteId.toHexString() }, { $set: doc }, { upsert: true });
  const after = await getAlertSettings(siteId);
  const changes = settingChanges(before, after, new Map(memberList.map((m) => [m.accountId, m.email])));
  if (changes.length > 0) await recordAudit(siteId, actor, 'alerts.updated', { changes });
  return after;
}

export async function recentAlerts(siteId: Types.ObjectId) {
  const events = await AlertEvent.find({ siteId }).sort({ at: -1 }).limit(RECENT).lean<AlertEventDoc[]>();
  return events.map((e) => ({
    kind: e.kind,
    period: e.period,
    at: e.at.toISOString(),
    data: e.data as Record<string, unknown>,
  }));
}

export async function deleteAlertsForSite(siteId: Types.ObjectId): Promise<void> {
  await AlertSettings.deleteMany({ _id: siteId.toHexString() });
  await AlertEvent.deleteMany({ siteId });
  await AlertMail.deleteMany({ siteId });
}

/** Sites with an alert on, for the scheduled check (a query across sites: one small document per site). */
async function sitesWithAlerts(): Promise<AlertSettingsDoc[]> {
  const active = await AlertSettings.find({ active: true }).lean<AlertSettingsDoc[]>();
  return active;
}

export interface AlertDeps {
  mailer: Mailer;
  appUrl: string;
  logger?: Logger;
}

export interface FiredAlert {
  siteId: string;
  kind: AlertKind;
  period: string;
}

/** The members an alert is mailed to: those the settings name, else the owner and the admins. */
async function recipientsOf(
  siteId: Types.ObjectId,
  settings: AlertSettingsDoc,
): Promise<Array<{ accountId: string; email: string }>> {
  const members = await listMembers(siteId);
  const named = new Set(settings.recipients.map((id) => id.toHexString()));
  return members
    .filter((m) => (named.size > 0 ? named.has(m.accountId) : m.role === 'owner' || m.role === 'admin'))
    .map((m) => ({ accountId: m.accountId, email: m.email }));
}

/**
 * Fires an alert for its period unless it already fired: the insert of `${site}:${kind}:${period}`
 * succeeds once, whichever process checks. Then the subscribed webhooks get it (queued, with
 * retries) and a mail to each recipient is queued (sent by sendAlertMails, retried on later checks).
 */
async function fire(
  site: SiteDoc,
  settings: AlertSettingsDoc,
  kind: AlertKind,
  period: string,
  data: SpikeData | DropData,
  now: Date,
  deps: AlertDeps,
): Promise<boolean> {
  const alertId = `${site._id.toHexString()}:${kind}:${period}`;
  try {
    await AlertEvent.create({
      _id: alertId,
      siteId: site._id,
      kind,
      period,
      at: now,
      data,
      expiresAt: new Date(now.getTime() + KEPT_MS),
    });
  } catch (error) {
    if (isDuplicateKey(error)) return false;
    throw error;
  }
  await queueEvent(site, kind === 'spike' ? 'alert.traffic_spike' : 'alert.traffic_drop', data, now);
  if (settings.email) {
    const recipients = await recipientsOf(site._id, settings);
    if (recipients.length > 0) {
      await AlertMail.insertMany(
        recipients.map(({ accountId, email }) => ({
          _id: `${alertId}:${accountId}`,
          siteId: site._id,
          alertId,
          to: email,
          attempts: 0,
          nextAttemptAt: now,
          expiresAt: new Date(now.getTime() + KEPT_MS),
        })),
      );
    }
  }
  deps.logger?.info({ siteId: site._id.toHexString(), kind, period }, 'alert fired');
  return true;
}

export interface MailRun {
  sent: number;
  failed: number;
  gaveUp: number;
}

/**
 * One attempt at one alert mail. The attempt is claimed first by a unique insert of
 * `alert-mail:<id>:<attempt>`: of processes racing for it one sends, and an attempt
 * already made (sent, or failed and recorded) is never made again. A process that dies
 * between its claim and its record leaves that mail unsent rather than risk sending it twice.
 */
async function attemptMail(mail: AlertMailDoc, now: Date, deps: AlertDeps, run: MailRun): Promise<void> {
  if (!(await spendOnce(`alert-mail:${mail._id}:${mail.attempts}`, { until: mail.expiresAt }))) return;
  // Read again under the claim: a process that read the queue long ago may hold an attempt already made.
  const current = await AlertMail.findOne({ _id: mail._id, siteId: mail.siteId }).lean<AlertMailDoc>();
  if (current?.attempts !== mail.attempts) return;
  const [alert, site] = await Promise.all([
    AlertEvent.findOne({ _id: mail.alertId, siteId: mail.siteId }).lean<AlertEventDoc>(),
    getSite(mail.siteId),
  ]);
  if (!alert || !site) {
    // The site (or its alert) was deleted meanwhile: nobody to tell about it.
    await AlertMail.deleteOne({ _id: mail._id, siteId: mail.siteId });
    return;
  }
  const view = { id: site._id.toHexString(), name: site.name, domain: site.domain };
  const message =
    alert.kind === 'spike'
      ? spikeMail(deps.appUrl, mail.to, view, alert.data as SpikeData)
      : dropMail(deps.appUrl, mail.to, view, alert.data as DropData);
  const attempts = mail.attempts + 1;
  try {
    await deps.mailer.send(message);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    const context = { siteId: view.id, alertId: mail.alertId, attempts };
    if (attempts >= MAX_MAIL_ATTEMPTS) {
      run.gaveUp += 1;
      deps.logger?.error({ ...context, reason }, 'alert mail given up');
      await AlertMail.deleteOne({ _id: mail._id, siteId: mail.siteId });
    } else {
      run.failed += 1;
      deps.logger?.warn({ ...context, reason }, 'alert mail failed; tried again at a later check');
      await AlertMail.updateOne(
        { _id: mail._id, siteId: mail.siteId },
        { $set: { attempts, nextAttemptAt: new Date(now.getTime() + MAIL_RETRY_MS), lastError: reason.slice(0, 500) } },
      );
    }
    return;
  }
  run.sent += 1;
  await AlertMail.deleteOne({ _id: mail._id, siteId: mail.siteId });
}

/**
 * Sends the alert mail that is due: new alerts' mail, and mail whose last attempt failed
 * (at most MAX_MAIL_ATTEMPTS in all). Run by every check, in every process.
 */
export async function sendAlertMails(deps: AlertDeps, now = new Date()): Promise<MailRun> {
  const run: MailRun = { sent: 0, failed: 0, gaveUp: 0 };
  for (const mail of await dueAlertMails(now)) await attemptMail(mail, now, deps, run);
  return run;
}

/** Alert mail due now, across sites (only unsent mail stays, so the collection stays small). */
async function dueAlertMails(now: Date): Promise<AlertMailDoc[]> {
  const due = await AlertMail.find({ nextAttemptAt: trusted({ $lte: now }) })
    .sort({ nextAttemptAt: 1 })
    .limit(MAIL_BATCH)
    .lean<AlertMailDoc[]>();
  return due;
}

/**
 * Spikes: the visitors of the current site-local clock hour, and of the one before (whose last
 * minutes the previous check may not have seen), from the hourly rollups. Each hour over the
 * threshold fires once.
 */
async function checkSpike(site: SiteDoc, settings: AlertSettingsDoc, now: Date, deps: AlertDeps) {
  // Local hours as the rollups key them: Lord Howe Island's repeated half hour is an hour of its own.
  const current = localHourStart(now, site.timezone);
  const previous = localHourStart(current.minus({ milliseconds: 1 }), site.timezone);
  const series = await timeseries(site, { from: previous.toISODate()!, to: current.toISODate()!, interval: 'hour' });
  const visitorsBy = new Map(series.points.map((p) => [p.period, p.visitors]));
  const fired: string[] = [];
  for (const hour of [previous, current]) {
    const label = hour.toISO({ suppressMilliseconds: true })!;
    const visitors = visitorsBy.get(label) ?? 0;
    if (visitors <= settings.spike.threshold) continue;
    const data: SpikeData = { hour: label, timezone: site.timezone, visitors, threshold: settings.spike.threshold };
    if (await fire(site, settings, 'spike', label, data, now, deps)) fired.push(label);
  }
  return fired;
}

/** The median of a few numbers: the middle one, or the mean of the middle two. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  if (sorted.length === 0) return 0;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * Drops: yesterday's visitors (site-local) against the median of the same weekday in the four
 * weeks before, from the daily rollups; looked for from DROP_CHECK_HOUR on the day after.
 * Days before the site had traffic count as 0, so a new site alerts less readily, never more.
 */
async function checkDrop(site: SiteDoc, settings: AlertSettingsDoc, now: Date, deps: AlertDeps) {
  const local = DateTime.fromJSDate(now, { zone: site.timezone });
  if (local.hour < DROP_CHECK_HOUR) return [];
  const yesterday = local.startOf('day').minus({ days: 1 });
  const weeks = [1, 2, 3, 4].map((w) => yesterday.minus({ weeks: w }).toISODate()!);
  const day = yesterday.toISODate()!;
  const series = await timeseries(site, { from: weeks[3]!, to: day, interval: 'day' });
  const visitorsOn = new Map(series.points.map((p) => [p.period, p.visitors]));
  const sameWeekdays = weeks.map((d) => ({ day: d, visitors: visitorsOn.get(d) ?? 0 }));
  const usual = median(sameWeekdays.map((d) => d.visitors));
  const visitors = visitorsOn.get(day) ?? 0;
  if (usual <= 0 || visitors * 100 >= usual * settings.drop.percent) return [];
  const data: DropData = {
    day,
    timezone: site.timezone,
    visitors,
    usual,
    percent: settings.drop.percent,
    sameWeekdays,
  };
  return (await fire(site, settings, 'drop', day, data, now, deps)) ? [day] : [];
}

/**
 * The alert check, run every few minutes by every process: for each site with an alert on, the
 * spike and drop rules against the report service's numbers. Returns the alerts that fired.
 */
export async function checkAlerts(deps: AlertDeps, now = new Date()): Promise<FiredAlert[]> {
  const fired: FiredAlert[] = [];
  for (const settings of await sitesWithAlerts()) {
    const site = await getSite(settings.siteId);
    if (!site) continue;
    const siteId = site._id.toHexString();
    try {
      if (settings.spike.enabled) {
        for (const period of await checkSpike(site, settings, now, deps)) fired.push({ siteId, kind: 'spike', period });
      }
      if (settings.drop.enabled) {
        for (const period of await checkDrop(site, settings, now, deps)) fired.push({ siteId, kind: 'drop', period });
      }
    } catch (error) {
      // One site's failure (its zone, its rollups) does not keep the others from their alerts.
      deps.logger?.warn({ err: error, siteId }, 'alert check failed');
    }
  }
  await sendAlertMails(deps, now);
  return fired;
}

/** Deletes alerts older than KEPT_MS, and mail about them still unsent; run by the scheduler. */
export async function pruneAlertEvents(now = new Date()): Promise<number> {
  await AlertMail.deleteMany({ expiresAt: trusted({ $lte: now }) });
  return (await AlertEvent.deleteMany({ expiresAt: trusted({ $lte: now }) })).deletedCount;
}
