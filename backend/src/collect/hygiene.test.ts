import { acquisition } from './enrich';

/**
 * Lookups keyed by visitor data must not reach Object.prototype: a referrer whose host
 * is `constructor` or `__proto__` is an ordinary referral, not an "AI assistant" whose
 * source is a function (which JSON then drops from the stored event).
 */
describe('acquisition with prototype-named hosts', () => {
  it.each(['constructor', '__proto__', 'tostring', 'hasownproperty', 'valueof'])(
    'when the referrer host is %s, then it is a referral from that host',
    (host) => {
      const result = acquisition(new URL('https://blog.example.com/'), `https://${host}/page`, 'blog.example.com');
      expect(result).toMatchObject({ referrerHost: host, source: host, channel: 'Referral' });
      expect(typeof result.source).toBe('string');
    },
  );
});
