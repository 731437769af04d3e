import { browserZone, canonicalZone, zoneLabel, zoneNames, zoneNow } from './timezones';

describe('time zones', () => {
  it('when ICU spells a zone by its old name, then the current IANA name is used', () => {
    expect(canonicalZone('Asia/Calcutta')).toBe('Asia/Kolkata');
    expect(canonicalZone('Europe/Kiev')).toBe('Europe/Kyiv');
    expect(canonicalZone('Asia/Katmandu')).toBe('Asia/Kathmandu');
    expect(canonicalZone('Etc/UTC')).toBe('UTC');
    expect(canonicalZone('Europe/Amsterdam')).toBe('Europe/Amsterdam');
    // A country's own name is a real IANA name, not a legacy spelling.
    expect(canonicalZone('Europe/Bratislava')).toBe('Europe/Bratislava');
  });

  it('when the list is built, then it has current names only, once each, with UTC first', () => {
    const names = zoneNames();

    expect(names[0]).toBe('UTC');
    expect(names).toEqual(expect.arrayContaining(['Asia/Kolkata', 'Europe/Kyiv', 'America/Argentina/Buenos_Aires']));
    expect(names).not.toEqual(expect.arrayContaining(['Asia/Calcutta']));
    expect(names.filter((n) => n === 'Europe/Kiev' || n === 'Asia/Saigon')).toEqual([]);
    expect(new Set(names).size).toBe(names.length);
    expect(names.length).toBeGreaterThan(300);
  });

  it("when a site's stored zone is not in the browser's list, then it is still offered", () => {
    expect(zoneNames(['Etc/GMT+5'])).toContain('Etc/GMT+5');
  });

  it("when the browser reports a legacy name, then the picker's default is the current one", () => {
    const resolved = jest
      .spyOn(Intl.DateTimeFormat.prototype, 'resolvedOptions')
      .mockReturnValue({ timeZone: 'Asia/Calcutta' } as Intl.ResolvedDateTimeFormatOptions);
    try {
      expect(browserZone()).toBe('Asia/Kolkata');
    } finally {
      resolved.mockRestore();
    }
  });

  it('when labelled, then underscores become spaces (people search "new york"), and the time there is shown', () => {
    expect(zoneLabel('America/New_York')).toBe('America/New York');
    expect(zoneNow('Asia/Kolkata', new Date('2026-03-01T12:00:00Z'), 'en-GB')).toBe('17:30 GMT+5:30');
    expect(zoneNow('Mars/Olympus')).toBe('');
  });
});
