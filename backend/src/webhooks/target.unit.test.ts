import { createHmac } from 'node:crypto';

import { signatureHeader, verifySignature } from './signature';
import { malformedTarget, refusedAddress } from './target';

describe('refusedAddress', () => {
  it.each([
    ['127.0.0.1', 'a loopback address'],
    ['127.255.0.9', 'a loopback address'],
    ['::1', 'a loopback address'],
    ['::ffff:127.0.0.1', '127.0.0.1 is a loopback address'],
    ['::ffff:7f00:1', '127.0.0.1 is a loopback address'],
    ['10.1.2.3', 'a private network address'],
    ['172.16.0.1', 'a private network address'],
    ['192.168.1.1', 'a private network address'],
    ['::ffff:192.168.1.1', '192.168.1.1 is a private network address'],
    ['169.254.169.254', 'a link-local address'],
    ['fe80::1', 'a link-local address'],
    ['100.64.0.1', 'carrier-grade NAT'],
    ['fd12:3456::1', 'unique local'],
    ['fc00::1', 'unique local'],
    ['224.0.0.1', 'a multicast address'],
    ['ff02::1', 'a multicast address'],
    ['0.0.0.0', 'the unspecified address'],
    ['::', 'the unspecified address'],
    ['255.255.255.255', 'the broadcast address'],
    ['192.0.2.10', 'a reserved address'],
    ['64:ff9b::7f00:1', 'special-purpose address (rfc6052)'],
    ['2002:7f00:1::', 'special-purpose address (6to4)'],
    ['2001:0:4136:e378::1', 'special-purpose address (teredo)'],
  ])('when a webhook would go to %s, then it is refused as %s', (address, words) => {
    expect(refusedAddress(address, false)).toContain(words);
  });

  it.each(['93.184.215.14', '8.8.8.8', '2606:4700:4700::1111', '::ffff:8.8.8.8'])(
    'when a webhook goes to the public address %s, then it may',
    (address) => {
      expect(refusedAddress(address, false)).toBeNull();
    },
  );

  it('when the operator allows private targets, then private and loopback pass, and nothing answers a POST at multicast, broadcast or 0.0.0.0', () => {
    for (const address of ['127.0.0.1', '::1', '10.0.0.1', '192.168.0.5', 'fd00::5', '169.254.1.1', '100.64.0.1']) {
      expect(refusedAddress(address, true)).toBeNull();
    }
    for (const address of ['0.0.0.0', '::', '224.0.0.1', '255.255.255.255']) {
      expect(refusedAddress(address, true)).not.toBeNull();
    }
  });

  it('when an address is refused, then the reason says how the operator could allow private targets', () => {
    expect(refusedAddress('127.0.0.1', false)).toBe(
      '127.0.0.1 is a loopback address; webhooks go to public addresses unless the operator sets WEBHOOKS_ALLOW_PRIVATE=true',
    );
  });
});

describe('malformedTarget', () => {
  it.each([
    ['ftp://example.com/hook', 'ftp://example.com/hook', 'must start with https:// or http://'],
    ['javascript:alert(1)', 'javascript:alert(1)', 'must start with https:// or http://'],
    ['file:///etc/passwd', 'file:///etc/passwd', 'must start with https:// or http://'],
    ['example.com/hook', 'example.com/hook', 'must be an absolute URL'],
    ['one with a password', 'https://user:secret@example.com/hook', 'must not carry a user name or password'],
    ['2,069 characters long', `https://example.com/${'a'.repeat(2049)}`, 'must be at most 2048 characters'],
  ])('when the URL is %s, then it is refused', (_label, url, words) => {
    expect(malformedTarget(url)).toContain(words);
  });

  it.each([
    'https://example.com/hooks/clickpath?x=1',
    'http://hooks.example.org:8080/in',
    'https://[2606:4700::1111]/',
  ])('when the URL is %s, then its form is fine', (url) => {
    expect(malformedTarget(url)).toBeNull();
  });
});

describe('webhook signatures', () => {
  const secret = 'whsec_test';
  const body = '{"type":"webhook.test"}';
  const at = new Date('2026-03-10T12:00:00Z');

  it('when a body is signed, then the header is t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body">', () => {
    const t = at.getTime() / 1000;
    const v1 = createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');
    expect(signatureHeader(secret, body, at)).toBe(`t=${t},v1=${v1}`);
  });

  it('when a receiver verifies, then only the same secret, body and a fresh timestamp pass', () => {
    const header = signatureHeader(secret, body, at);
    expect(verifySignature(secret, body, header, at)).toBe(true);
    expect(verifySignature(secret, body, header, new Date(at.getTime() + 299_000))).toBe(true);
    expect(verifySignature('whsec_other', body, header, at)).toBe(false);
    expect(verifySignature(secret, `${body} `, header, at)).toBe(false);
    expect(verifySignature(secret, body, header, new Date(at.getTime() + 301_000))).toBe(false);
    expect(verifySignature(secret, body, 't=abc,v1=00', at)).toBe(false);
    expect(verifySignature(secret, body, '', at)).toBe(false);
  });
});
