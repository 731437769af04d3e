import { clientAddress, identifyClient } from './identity';

const UA = 'Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0';
const SITE = '5f0000000000000000000001';

describe('cookieless visitor ids', () => {
  const id = (ip: string, userAgent = UA, site = SITE, salt = 'salt-of-monday') =>
    identifyClient(ip, userAgent, site, salt, []).cookielessId;

  it.each([
    ['the same address, browser, site and day', () => id('203.0.113.7'), true],
    ['the same address written as IPv4-mapped IPv6', () => id('::ffff:203.0.113.7'), true],
    ['another address in the same /24', () => id('203.0.113.8'), false],
    ['another browser', () => id('203.0.113.7', `${UA} extra`), false],
    ['another site', () => id('203.0.113.7', UA, '5f0000000000000000000002'), false],
    ['the next day (a new salt)', () => id('203.0.113.7', UA, SITE, 'salt-of-tuesday'), false],
  ])('when a hit comes from %s, then the id is the same: %s', (_label, other, same) => {
    expect(other() === id('203.0.113.7')).toBe(same);
  });

  it('when the id is made, then it is 22 url-safe characters and holds no part of the address', () => {
    const cookieless = id('203.0.113.7');
    expect(cookieless).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(cookieless).not.toContain('203');
  });
});

describe('identifyClient: anonymised address and exclusions', () => {
  it.each([
    ['203.0.113.7', '203.0.113.0'],
    ['::ffff:203.0.113.7', '203.0.113.0'],
    ['2001:db8:1234:5678::1', '2001:db8:1234::'],
    ['not an address', ''],
    ['', ''],
  ])('when the address is %j, then it is kept as %j', (ip, anonymised) => {
    expect(identifyClient(ip, UA, SITE, 'salt', []).anonymisedIp).toBe(anonymised);
  });

  it.each([
    ['203.0.113.7', ['203.0.113.0/24'], true],
    ['203.0.113.7', ['203.0.113.7'], true],
    ['203.0.114.7', ['203.0.113.0/24'], false],
    ['2001:db8::1', ['2001:db8::/32'], true],
    ['2001:db8::1', ['203.0.113.0/24'], false],
    ['203.0.113.7', ['not a range', '203.0.113.0/24'], true],
    ['not an address', ['0.0.0.0/0'], false],
  ])('when %s meets the excluded ranges %j, then it is excluded: %s', (ip, ranges, excluded) => {
    expect(identifyClient(ip, UA, SITE, 'salt', ranges).excluded).toBe(excluded);
  });
});

describe('clientAddress', () => {
  it.each<[string | undefined, string | undefined, number, string]>([
    ['10.0.0.1', '198.51.100.1', 0, '10.0.0.1'],
    ['10.0.0.1', '198.51.100.1', 1, '198.51.100.1'],
    ['10.0.0.1', '203.0.113.9, 198.51.100.1', 1, '198.51.100.1'],
    ['10.0.0.1', '203.0.113.9, 198.51.100.1', 2, '203.0.113.9'],
    ['10.0.0.1', '198.51.100.1', 3, '198.51.100.1'],
    ['10.0.0.1', undefined, 1, '10.0.0.1'],
    [undefined, undefined, 0, ''],
  ])(
    'when the socket is %s, X-Forwarded-For %j and %i proxy hops are trusted, then the client is %j',
    (socket, forwarded, hops, client) => {
      expect(clientAddress(socket, forwarded, hops)).toBe(client);
    },
  );
});
