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
    // Lord Howe Island moves its clocks by 30 minutes. In April 02:00 (+11) becomes 01:30 (+10:30):
    // 01:30-02:00 happens twice, and its second time is a local hour of its own, from 15:00 UTC.
    ['Australia/Lord_Howe', '2026-04-04T13:59:59Z', '2026-04-04T13'],
    ['Australia/Lord_Howe', '2026-04-04T14:00:00Z', '2026-04-04T14'],
    ['Australia/Lord_Howe', '2026-04-04T14:59:59Z', '2026-04-04T14'],
    ['Australia/Lord_Howe', '2026-04-04T15:00:00Z', '2026-04-04T15'],
    ['Australia/Lord_Howe', '2026-04-04T15:29:59Z', '2026-04-04T15'],
    ['Australia/Lord_Howe', '2026-04-04T15:30:00Z', '2026-04-04T15:30'],
    ['Australia/Lord_Howe', '2026-04-04T16:29:59Z', '2026-04-04T15:30'],
    ['Australia/Lord_Howe', '2026-04-04T16:30:00Z', '2026-04-04T16:30'],
    // In October 02:00 (+10:30) becomes 02:30 (+11): local 02:00 is half an hour long.
    ['Australia/Lord_Howe', '2026-10-03T14:29:59Z', '2026-10-03T13:30'],
    ['Australia/Lord_Howe', '2026-10-03T14:30:00Z', '2026-10-03T14:30'],
    ['Australia/Lord_Howe', '2026-10-03T15:29:59Z', '2026-10-03T14:30'],
    ['Australia/Lord_Howe', '2026-10-03T15:30:00Z', '2026-10-03T15:30'],
    ['Australia/Lord_Howe', '2026-10-03T15:59:59Z', '2026-10-03T15:30'],
    ['Australia/Lord_Howe', '2026-10-03T16:00:00Z', '2026-10-03T16'],
  ])('when an event in %s happens at %s, then its hour key is %s', (zone, instant, key) => {
    expect(localHourKey(new Date(instant), zone)).toBe(key);
    expect(localHourKey(DateTime.fromISO(instant), zone)).toBe(key);
  });
});

describe('localHourKey across DST changes, minute by minute', () => {
  const MINUTE = 60_000;
  it.each([
    ['Australia/Lord_Howe', '2026-04-04T12:00:00Z'],
    ['Australia/Lord_Howe', '2026-10-03T12:00:00Z'],
    ['Europe/Berlin', '2026-03-28T22:00:00Z'],
    ['Europe/Berlin', '2026-10-24T22:00:00Z'],
    ['America/New_York', '2026-11-01T03:00:00Z'],
    ['America/St_Johns', '2026-11-01T02:00:00Z'],
  ])(
    'when the minutes of six hours in %s from %s are keyed, then two share a key exactly when they share a local hour and offset, and the key is the UTC instant that hour began',
    (zone, from) => {
      const problems: string[] = [];
      const byKey = new Map<string, string>();
      let previous = '';
      for (let t = Date.parse(from); t < Date.parse(from) + 6 * 3_600_000; t += MINUTE) {
        const key = localHourKey(new Date(t), zone);
        const local = DateTime.fromMillis(t, { zone });
        const hour = `${local.toFormat("yyyy-MM-dd'T'HH")}${local.toFormat('ZZ')}`;
        if ((byKey.get(key) ?? hour) !== hour) problems.push(`${key}: ${byKey.get(key)!} and ${hour}`);
        byKey.set(key, hour);
        const start = DateTime.fromISO(key.length === 13 ? `${key}:00Z` : `${key}Z`).toMillis();
        // The key's instant starts this hour: it is in it, at most an hour before, and a new key starts there.
        if (start > t || t - start >= 3_600_000) problems.push(`${new Date(t).toISOString()} → ${key}`);
        if (previous && key !== previous && start !== t) problems.push(`${new Date(t).toISOString()} starts ${key}`);
        previous = key;
      }
      expect(problems).toEqual([]);
      expect(new Set(byKey.values()).size).toBe(byKey.size);
    },
  );
});
