import { DateTime } from 'luxon';

import type { OutgoingMail } from '../mail/mailer';
import { renderMessage, type MessageTable } from '../mail/template';
import type { ReportNumbers, ReportPeriod } from './service';

/** The API's root under the public URL (app.ts API_PREFIX; not imported, app.ts imports this domain). */
const API_ROOT = '/api/v1';

interface ReportSite {
  id: string;
  name: string;
  domain: string;
}

export interface ReportMailInput {
  appUrl: string;
  to: string;
  site: ReportSite;
  period: ReportPeriod;
  numbers: ReportNumbers;
  /** The subscription's signed unsubscribe token. */
  token: string;
  /** A preview sent from the settings, outside the schedule. */
  preview?: boolean;
}

const number = (n: number) => n.toLocaleString('en');

/** A change in percent as the dashboard shows it: `+12%`, `−5%`, `±0%`; `new` when there was nothing before. */
export function formatChange(change: number | null | undefined): string {
  if (change === null || change === undefined) return 'new';
  if (change === 0) return '±0%';
  return `${change > 0 ? '+' : '−'}${number(Math.abs(change))}%`;
}

/** Seconds as `1m 05s` (or `42s`). */
export function formatDuration(seconds: number): string {
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  const hours = Math.floor(s / 3600);
  const minutes = Math.floor((s % 3600) / 60);
  const rest = String(s % 60).padStart(2, '0');
  return hours > 0 ? `${hours}h ${String(minutes).padStart(2, '0')}m` : `${minutes}m ${rest}s`;
}

/** `2 – 8 March 2026`, `February 2026`. */
function periodLabel(period: ReportPeriod): string {
  const from = DateTime.fromISO(period.from);
  const to = DateTime.fromISO(period.to);
  if (period.frequency === 'monthly') return from.toFormat('LLLL yyyy');
  return from.month === to.month
    ? `${from.toFormat('d')}–${to.toFormat('d LLLL yyyy')}`
    : `${from.toFormat('d LLLL')} – ${to.toFormat('d LLLL yyyy')}`;
}

/** The link that unsubscribes (GET shows a confirmation; POST, one click, unsubscribes). */
export const unsubscribeUrl = (appUrl: string, token: string) =>
  `${appUrl}${API_ROOT}/email-reports/unsubscribe?token=${encodeURIComponent(token)}`;

/** A scheduled (or preview) report: the main numbers with their change, top pages, sources and goals. */
export function reportMail(input: ReportMailInput): OutgoingMail {
  const { appUrl, to, site, period, numbers, token, preview = false } = input;
  const { metrics, change } = numbers;
  const against = period.frequency === 'weekly' ? 'the week before' : 'the month before';
  const withChange = (value: string, key: keyof typeof metrics) => `${value} (${formatChange(change?.[key])})`;
  const label = periodLabel(period);
  const kind = period.frequency === 'weekly' ? 'Weekly' : 'Monthly';

  const tables: MessageTable[] = [
    {
      heading: `The numbers, with their change on ${against}`,
      rows: [
        ['Visitors', withChange(number(metrics.visitors), 'visitors')],
        ['Pageviews', withChange(number(metrics.pageviews), 'pageviews')],
        ['Bounce rate', withChange(`${metrics.bounceRate}%`, 'bounceRate')],
        ['Visit duration', withChange(formatDuration(metrics.avgVisitDuration), 'avgVisitDuration')],
        ...(numbers.goals.length > 0
          ? [['Conversions', withChange(number(metrics.conversions), 'conversions')] as [string, string]]
          : []),
      ],
    },
  ];
  if (numbers.topPages.length > 0) {
    tables.push({
      heading: 'Top pages',
      rows: numbers.topPages.map((p) => [p.path, `${number(p.visitors)} visitors`]),
    });
  }
  if (numbers.topSources.length > 0) {
    tables.push({
      heading: 'Top sources',
      rows: numbers.topSources.map((s) => [s.source || 'Direct', `${number(s.visitors)} visitors`]),
    });
  }
  if (numbers.goals.length > 0) {
    tables.push({
      heading: 'Goals',
      rows: numbers.goals.map((g) => [g.name, `${number(g.conversions)} conversions (${g.conversionRate}%)`]),
    });
  }

  const unsubscribe = unsubscribeUrl(appUrl, token);
  const rendered = renderMessage({
    subject: `${preview ? 'Preview: ' : ''}${kind} report for ${site.name}: ${label}`,
    greeting: 'Hello,',
    intro: [
      `${site.domain} had ${number(metrics.visitors)} visitors ${period.frequency === 'weekly' ? `from ${DateTime.fromISO(period.from).toFormat('cccc d LLLL')} to ${DateTime.fromISO(period.to).toFormat('cccc d LLLL')}` : `in ${label}`} (${period.timezone}).`,
      ...(preview ? ['This is a preview, sent from the site’s settings; scheduled reports go out at 08:00.'] : []),
    ],
    tables,
    action: { label: 'Open the full report', url: `${appUrl}/#/sites/${site.id}` },
    outro: [
      `You get this because someone who manages ${site.name} on Clickpath subscribed ${to} to its ${period.frequency} report. The link below stops it with one click.`,
    ],
    unsubscribeUrl: unsubscribe,
  });
  return {
    to,
    kind: `email-report-${period.frequency}`,
    ...rendered,
    // RFC 8058: mail clients show an Unsubscribe button that POSTs to the link, without opening it.
    headers: {
      'List-Unsubscribe': `<${unsubscribe}>`,
      'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
    },
  };
}
