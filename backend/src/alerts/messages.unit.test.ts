import { spikeMail } from './messages';

const SITE = { id: '65a1b2c3d4e5f60718293a01', name: 'Howe', domain: 'howe.example.com' };

describe('spikeMail, the hour it names', () => {
  it.each<[string, string, string, string]>([
    [
      'an ordinary hour',
      'Europe/Amsterdam',
      '2026-03-10T14:00:00+01:00',
      'in the hour 14:00–15:00 on Tuesday 10 March',
    ],
    [
      'the hour before Lord Howe Island sets its clocks back half an hour',
      'Australia/Lord_Howe',
      '2026-04-05T01:00:00+11:00',
      'in the hour 01:00–02:00 on Sunday 5 April',
    ],
    [
      'the repeated half hour after it',
      'Australia/Lord_Howe',
      '2026-04-05T01:30:00+10:30',
      'in the 30 minutes 01:30–02:00 on Sunday 5 April',
    ],
    [
      'the hour before Lord Howe Island sets its clocks forward half an hour',
      'Australia/Lord_Howe',
      '2026-10-04T01:00:00+10:30',
      'in the hour 01:00–02:00 on Sunday 4 October',
    ],
    [
      'the half hour left of the hour the clocks skip into',
      'Australia/Lord_Howe',
      '2026-10-04T02:30:00+11:00',
      'in the 30 minutes 02:30–03:00 on Sunday 4 October',
    ],
  ])('when the spike is in %s, then the mail says so', (_label, timezone, hour, says) => {
    const mail = spikeMail('https://clickpath.example', 'owner@example.com', SITE, {
      hour,
      timezone,
      visitors: 4,
      threshold: 3,
    });
    expect(mail.text).toContain(`4 people visited howe.example.com ${says} (${timezone})`);
  });
});
