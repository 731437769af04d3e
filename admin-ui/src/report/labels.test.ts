import { countryName, deviceName, languageName, screenName, valueLabel, visitorLabel } from './labels';

describe('labels people read', () => {
  it('names countries and languages with Intl.DisplayNames, and says "Unknown" for none', () => {
    expect(countryName('NL')).toBe('Netherlands');
    expect(countryName('')).toBe('Unknown');
    expect(languageName('de-DE')).toBe('German (Germany)');
    expect(languageName('fr')).toBe('French');
    expect(languageName('en-US')).toBe('English (United States)');
    expect(languageName('')).toBe('Unknown');
    // A code that is no region (geolocation databases' "A1" for anonymous proxies) is shown as it is.
    expect(countryName('A1')).toBe('A1');
  });

  it('capitalises devices and spells out screen classes', () => {
    expect(deviceName('desktop')).toBe('Desktop');
    expect(deviceName('smart-tv')).toBe('Smart-tv');
    expect(screenName('laptop')).toBe('Laptop (992–1439 px)');
    expect(valueLabel('device', 'mobile')).toBe('Mobile');
    expect(valueLabel('country', '')).toBe('Unknown');
    expect(valueLabel('page', '')).toBe('(none)');
    expect(valueLabel('page', '/de-DE')).toBe('/de-DE');
  });

  it('gives a visitor a short, stable name instead of their id; identified ones by user ID', () => {
    const label = visitorLabel({ id: 'c:10WutXaAMZ' });
    expect(label).toMatch(/^[A-Z][a-z]+ [A-Z][a-z]+ [0-9a-f]{4}$/);
    expect(visitorLabel({ id: 'c:10WutXaAMZ' })).toBe(label);
    expect(visitorLabel({ id: 'c:10WutXaAMY' })).not.toBe(label);
    expect(visitorLabel({ id: 'f:abc', userId: 'ada@example.com' })).toBe('ada@example.com');
  });
});
