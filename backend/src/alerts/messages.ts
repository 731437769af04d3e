import { DateTime, FixedOffsetZone } from 'luxon';

import { localHourStart } from '../lib/local-hour';
import type { OutgoingMail } from '../mail/mailer';
import { renderMessage } from '../mail/template';

export interface SpikeData {
  /** The site-local hour, ISO with its offset. */
  hour: string;
  timezone: string;
  visitors: number;
  threshold: number;
}

export interface DropData {
  day: string;
  timezone: string;
  visitors: number;
  /** The median of the same weekday over the four weeks before. */
  usual: number;
  percent: number;
  sameWeekdays: Array<{ day: string; visitors: number }>;
}

interface AlertSite {
  id: string;
  name: string;
  domain: string;
}

const number = (n: number) => n.toLocaleString('en');

const why = (appUrl: string, site: AlertSite) =>
  `You get this as a member of ${site.name} on Clickpath. Its owner and admins change alerts, and who gets them, in the site's settings: ${appUrl}/#/sites/${site.id}/settings`;

export function spikeMail(appUrl: string, to: string, site: AlertSite, data: SpikeData): OutgoingMail {
  const start = DateTime.fromISO(data.hour, { setZone: true });
  // A local hour ends where the next begins: where the clocks change it can be 30 minutes
  // (Lord Howe Island) or start at :30. Its end is read on the clock as it stood during it.
  const end = localHourStart(start.plus({ hours: 1 }), data.timezone).setZone(FixedOffsetZone.instance(start.offset));
  const minutes = Math.round(end.diff(start).as('minutes'));
  const span = minutes === 60 ? 'the hour' : `the ${minutes} minutes`;
  const hour = `${span} ${start.toFormat('HH:mm')}–${end.toFormat('HH:mm')} on ${start.toFormat('cccc d LLLL')}`;
  return {
    to,
    kind: 'alert-spike',
    ...renderMessage({
      subject: `Traffic spike on ${site.name}: ${number(data.visitors)} visitors in an hour`,
      greeting: 'Hello,',
      intro: [
        `${number(data.visitors)} people visited ${site.domain} in ${hour} (${data.timezone}): more than the ${number(data.threshold)} the alert is set at.`,
      ],
      action: { label: 'Open the report', url: `${appUrl}/#/sites/${site.id}` },
      outro: ['This alert fires at most once an hour.', why(appUrl, site)],
    }),
  };
}

export function dropMail(appUrl: string, to: string, site: AlertSite, data: DropData): OutgoingMail {
  const day = DateTime.fromISO(data.day);
  const share = data.usual > 0 ? Math.round((100 * data.visitors) / data.usual) : 0;
  return {
    to,
    kind: 'alert-drop',
    ...renderMessage({
      subject: `Traffic drop on ${site.name}: ${number(data.visitors)} visitors on ${day.toFormat('cccc d LLLL')}`,
      greeting: 'Hello,',
      intro: [
        `${site.domain} had ${number(data.visitors)} visitors on ${day.toFormat('cccc d LLLL')} (${data.timezone}): ${share}% of a usual ${day.toFormat('cccc')}, below the ${data.percent}% the alert is set at.`,
        `A usual ${day.toFormat('cccc')} is the median of the four before: ${data.sameWeekdays
          .map((d) => `${number(d.visitors)} on ${DateTime.fromISO(d.day).toFormat('d LLLL')}`)
          .join(', ')}.`,
        'A sudden drop can mean the tracking snippet went missing from some pages.',
      ],
      action: { label: 'Open the report', url: `${appUrl}/#/sites/${site.id}` },
      outro: ['This alert fires at most once a day.', why(appUrl, site)],
    }),
  };
}
