import { DateTime } from 'luxon';

/**
 * The instant at which the site-local hour that holds `instant` began, in the site's zone:
 * its wall-clock hour start at the instant's own offset, or, where the offset changed
 * within that hour, the change. So the second 01:30-02:00 of Lord Howe Island's April
 * change (clocks go back 30 minutes) is an hour of its own that begins at the change,
 * and an hour that repeats in the autumn begins twice.
 */
export function localHourStart(instant: Date | DateTime, zone: string): DateTime {
  const local = instant instanceof Date ? DateTime.fromJSDate(instant, { zone }) : instant.setZone(zone);
  const at = local.toMillis();
  const wallClockStart = at - (local.minute * 60_000 + local.second * 1000 + local.millisecond);
  if (local.zone.offset(wallClockStart) === local.offset) return DateTime.fromMillis(wallClockStart, { zone });
  // The offset changed since the wall-clock hour began: find the change (rare, so a plain bisection).
  let before = wallClockStart;
  let since = at;
  while (since - before > 1) {
    const mid = Math.floor((before + since) / 2);
    if (local.zone.offset(mid) === local.offset) since = mid;
    else before = mid;
  }
  return DateTime.fromMillis(since, { zone });
}

/**
 * The key of the site-local hour that holds `instant`: the UTC time at which that
 * local hour began (localHourStart), `YYYY-MM-DDTHH`, with `:mm` added where it is
 * not a whole UTC hour (20:00 in India starts at 14:30 UTC: `…T14:30`). The collector
 * stamps it on each event and reports enumerate the same keys, so an hour is a
 * local hour in every zone, and two local hours never share a key. In whole-hour
 * zones it equals the UTC hour, the key stored before.
 */
export function localHourKey(instant: Date | DateTime, zone: string): string {
  const start = localHourStart(instant, zone).toUTC();
  return start.toFormat(start.minute === 0 ? "yyyy-MM-dd'T'HH" : "yyyy-MM-dd'T'HH:mm");
}
