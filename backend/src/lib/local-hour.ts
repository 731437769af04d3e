import { DateTime } from 'luxon';

/**
 * The key of the site-local hour that holds `instant`: the UTC time at which that
 * local hour starts, `YYYY-MM-DDTHH`, with `:mm` added where the zone's offset is
 * not whole hours (20:00 in India starts at 14:30 UTC: `…T14:30`). The collector
 * stamps it on each event and reports enumerate the same keys, so an hour is a
 * local hour in every zone. It differs for the two hours of an autumn DST change,
 * and in whole-hour zones it equals the UTC hour, the key stored before.
 */
export function localHourKey(instant: Date | DateTime, zone: string): string {
  const local = instant instanceof Date ? DateTime.fromJSDate(instant, { zone }) : instant.setZone(zone);
  const start = local.startOf('hour').toUTC();
  return start.toFormat(start.minute === 0 ? "yyyy-MM-dd'T'HH" : "yyyy-MM-dd'T'HH:mm");
}
