import { DateTime } from 'luxon';

import { localHourKey } from './local-hour';

describe('localHourKey', () => {
  it.each([
    ['UTC', '2026-03-10T10:59:59.999Z', '2026-03-10T10'],
    ['Europe/Berlin', '2026-01-15T23:30:00Z', '2026-01-15T23'],
    // Summer time begins at 02:00 local: 01:30 and 03:30 are an hour apart.
    ['Europe/Berlin', '2026-03-29T00:30:00Z', '2026-03-29T00'],
    ['Europe/Berlin', '2026-03-29T01:30:00Z', '2026-03-29T01'],
    // Summer time ends at 03:00 local: 02:30 happens twice, in two hours with keys of their own.
    ['Europe/Berlin', '2026-10-25T00:30:00Z', '2026-10-25T00'],
    ['Europe/Berlin', '2026-10-25T01:30:00Z', '2026-10-25T01'],
    ['America/New_York', '2026-03-08T06:59:00Z', '2026-03-08T06'],
    ['America/New_York', '2026-03-08T07:00:00Z', '2026-03-08T07'],
    ['America/New_York', '2026-11-01T05:30:00Z', '2026-11-01T05'],
    ['America/New_York', '2026-11-01T06:30:00Z', '2026-11-01T06'],
    // Zones whose offset is not whole hours: the local hour starts at :30 or :45 UTC.
    ['Asia/Kolkata', '2026-03-10T14:43:00Z', '2026-03-10T14:30'],
    ['Asia/Kolkata', '2026-03-10T14:29:59Z', '2026-03-10T13:30'],
    ['Asia/Kathmandu', '2026-03-10T14:20:00Z', '2026-03-10T14:15'],
    ['America/St_Johns', '2026-01-10T12:00:00Z', '2026-01-10T11:30'],
    ['America/St_Johns', '2026-07-10T12:00:00Z', '2026-07-10T11:30'],
  ])('when an event in %s happens at %s, then its hour key is %s', (zone, instant, key) => {
    expect(localHourKey(new Date(instant), zone)).toBe(key);
    expect(localHourKey(DateTime.fromISO(instant), zone)).toBe(key);
  });
});
