import { acquisition } from './enrich';

const SITE_DOMAIN = 'site.example';

/** The acquisition of a hit on `page` (a path on site.example, or a whole URL) coming from `referrer`. */
const acquire = (page: string, referrer = '') =>
  acquisition(new URL(page, `https://${SITE_DOMAIN}`), referrer, SITE_DOMAIN);

describe('acquisition: channel and source rules (docs/metrics.md)', () => {
  it.each([
    // Direct
    ['no referrer and no tag', 'Direct', 'Direct', '/', ''],
    ['a referrer that is not http(s)', 'Direct', 'Direct', '/', 'android-app://com.google.android.gm/'],
    ['a referrer that is no URL', 'Direct', 'Direct', '/', 'not a url'],
    // Self-referral counts as no referrer.
    ['a referrer on the site itself', 'Direct', 'Direct', '/', 'https://site.example/pricing'],
    ['a referrer on www. of the site', 'Direct', 'Direct', '/', 'https://www.site.example/'],
    ['a referrer on a subdomain of the site', 'Direct', 'Direct', '/', 'https://blog.site.example/post'],
    [
      'a page on www. referred from the bare domain',
      'Direct',
      'Direct',
      'https://www.site.example/',
      'https://site.example/',
    ],
    [
      'a tagged page referred from the site',
      'Newsletter',
      'Email',
      '/?utm_source=Newsletter&utm_medium=email',
      'https://site.example/',
    ],
    // Organic Search
    ['a Google search', 'Google', 'Organic Search', '/', 'https://www.google.com/search?q=analytics'],
    ['a Google search in another country', 'Google', 'Organic Search', '/', 'https://www.google.de/'],
    ['a DuckDuckGo search', 'DuckDuckGo', 'Organic Search', '/', 'https://duckduckgo.com/'],
    ['a Bing search', 'Bing', 'Organic Search', '/', 'https://www.bing.com/search?q=analytics'],
    // Organic Social
    ['a Facebook link shim', 'Facebook', 'Organic Social', '/', 'https://l.facebook.com/l.php?u=x'],
    ['a t.co link', 'Twitter', 'Organic Social', '/', 'https://t.co/abc'],
    ['Hacker News', 'Hacker News', 'Organic Social', '/', 'https://news.ycombinator.com/item?id=1'],
    ['utm_medium=social', 'Mastodon', 'Organic Social', '/?utm_source=mastodon&utm_medium=social', ''],
    ['utm_medium=social-network', 'Mastodon', 'Organic Social', '/?utm_source=mastodon&utm_medium=social-network', ''],
    ['fbclid from Facebook', 'Facebook', 'Organic Social', '/?fbclid=IwAR0', 'https://m.facebook.com/'],
    ['fbclid without a referrer', 'Direct', 'Organic Social', '/?fbclid=IwAR0', ''],
    ['ttclid', 'Direct', 'Organic Social', '/?ttclid=x', ''],
    // Email
    ['utm_medium=email', 'Newsletter', 'Email', '/?utm_source=Newsletter&utm_medium=email', ''],
    ['utm_medium=E-Mail', 'crm', 'Email', '/?utm_source=crm&utm_medium=E-Mail', ''],
    ['utm_medium=newsletter', 'weekly', 'Email', '/?utm_source=weekly&utm_medium=newsletter', ''],
    ['a webmail referrer', 'Gmail', 'Email', '/', 'https://mail.google.com/'],
    // Paid
    ['utm_medium=cpc from Google', 'Google', 'Paid', '/?utm_source=google&utm_medium=cpc', 'https://www.google.com/'],
    ['utm_medium=CPC in capitals', 'Google', 'Paid', '/?utm_source=google&utm_medium=CPC', ''],
    ['utm_medium=paid_social', 'Facebook', 'Paid', '/?utm_source=facebook&utm_medium=paid_social', ''],
    ['utm_medium=display', 'partner', 'Paid', '/?utm_source=partner&utm_medium=display', ''],
    ['gclid without a referrer', 'Google', 'Paid', '/?gclid=Cj0K', ''],
    ['gbraid without a referrer', 'Google', 'Paid', '/?gbraid=0AAA', ''],
    ['gclid with a Google referrer', 'Google', 'Paid', '/?gclid=Cj0K', 'https://www.google.com/'],
    ['msclkid from Bing', 'Bing', 'Paid', '/?msclkid=abc', 'https://www.bing.com/'],
    ['gclid from an unknown referrer', 'blog.example', 'Paid', '/?gclid=Cj0K', 'https://blog.example/'],
    ['msclkid without a referrer', 'Direct', 'Paid', '/?msclkid=abc', ''],
    // Ad networks: the click on an ad is the referrer, so the channel is Paid, not Referral.
    ['a Google Ads click', 'Google', 'Paid', '/', 'https://googleads.g.doubleclick.net/pagead/ads'],
    ['a Google display ad frame', 'Google', 'Paid', '/', 'https://tpc.googlesyndication.com/'],
    ['an AdSense click', 'Google', 'Paid', '/', 'https://adservice.google.com/ddm/fls/'],
    ['an AdSense click on a country domain', 'Google', 'Paid', '/', 'https://adservice.google.de/'],
    ['an AdSense for Search ad', 'Google', 'Paid', '/', 'https://syndicatedsearch.goog/afs/ads'],
    ['a doubleclick host the database lacks', 'Google', 'Paid', '/', 'https://securepubads.g.doubleclick.net/'],
    ['a Campaign Manager click', 'Doubleclick', 'Paid', '/', 'https://ad.doubleclick.net/ddm/clk/1'],
    ['an ad network of the referrer database', 'AdRoll', 'Paid', '/', 'https://adroll.com/'],
    ['fbclid from an ad network', 'Google', 'Paid', '/?fbclid=IwAR0', 'https://googleads.g.doubleclick.net/'],
    [
      'utm_medium=email from an ad network',
      'Google',
      'Paid',
      '/?utm_medium=email',
      'https://tpc.googlesyndication.com/',
    ],
    // AI Assistants
    ['ChatGPT', 'ChatGPT', 'AI Assistants', '/', 'https://chatgpt.com/'],
    ['Perplexity with www.', 'Perplexity', 'AI Assistants', '/', 'https://www.perplexity.ai/search'],
    ['Gemini, on a google.com host', 'Gemini', 'AI Assistants', '/', 'https://gemini.google.com/app'],
    // Referral
    ['an unknown site', 'blog.example', 'Referral', '/', 'https://www.blog.example/post/1'],
    ['a host that only ends like the site', 'othersite.example', 'Referral', '/', 'https://othersite.example/'],
    ['utm_source alone', 'partner', 'Referral', '/?utm_source=partner', ''],
    ['ref= alone', 'my-partner', 'Referral', '/?ref=my-partner', ''],
    ['an unknown utm_medium', 'partner', 'Referral', '/?utm_source=partner&utm_medium=banner-ish', ''],
    // The first rule that applies wins: Paid, Email, AI Assistants, Organic Search, Organic Social, Referral.
    ['utm_medium=cpc from ChatGPT', 'ChatGPT', 'Paid', '/?utm_medium=cpc', 'https://chatgpt.com/'],
    ['utm_medium=email from Facebook', 'Facebook', 'Email', '/?utm_medium=email', 'https://www.facebook.com/'],
    ['utm_medium=social from webmail', 'Gmail', 'Email', '/?utm_medium=social', 'https://mail.google.com/'],
    [
      'a Google search tagged utm_source=google',
      'Google',
      'Organic Search',
      '/?utm_source=google',
      'https://www.google.com/',
    ],
    [
      'a Facebook link tagged utm_source=newsletter',
      'newsletter',
      'Organic Social',
      '/?utm_source=newsletter',
      'https://l.facebook.com/',
    ],
  ])('when a hit has %s, then the source is %s and the channel %s', (_label, source, channel, page, referrer) => {
    expect(acquire(page, referrer)).toMatchObject({ source, channel });
  });

  it.each([
    ['a search with a query', 'https://www.google.com/search?q=secret', 'google.com', 'https://www.google.com/search'],
    ['a link with a fragment', 'https://blog.example/post#comments', 'blog.example', 'https://blog.example/post'],
    ['the site itself', 'https://www.site.example/a?b=c', '', ''],
    ['an ftp URL', 'ftp://files.example/pub', '', ''],
  ])(
    'when the referrer is %s, then the referrer host is %j and only scheme, host and path are kept: %j',
    (_label, referrer, referrerHost, kept) => {
      expect(acquire('/', referrer)).toMatchObject({ referrerHost, referrer: kept });
    },
  );

  it('when tags are long or padded, then they are trimmed and cut at 200 characters; utm_source keeps what was tagged', () => {
    const long = 'x'.repeat(250);
    const got = acquire(`/?utm_source=%20GOOGLE%20&utm_campaign=${long}&utm_term=%20a%20&utm_content=b&utm_medium=cpc`);
    expect(got).toMatchObject({
      source: 'Google',
      utmSource: 'GOOGLE',
      utmMedium: 'cpc',
      utmCampaign: 'x'.repeat(200),
      utmTerm: 'a',
      utmContent: 'b',
    });
  });

  it.each([
    ['gclid', '/?gclid=1&fbclid=2'],
    ['msclkid', '/?msclkid=1'],
    ['', '/?utm_source=x'],
  ])('when the page carries click id %j, then it is recorded', (clickId, page) => {
    expect(acquire(page).clickId).toBe(clickId);
  });
});
