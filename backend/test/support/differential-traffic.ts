import { DateTime } from 'luxon';

import { prng } from './reports';

/**
 * Random traffic for the differential report test (reports-differential.test.ts):
 * people on several sites in awkward time zones, each with a few visits made of
 * the requests a browser's tracker would send, with the instant each one reaches
 * the collector. Everything the oracle needs to know about a request (its
 * expected source, channel, country, browser…) is written down here by hand, so
 * the oracle never calls the enrichment code it checks.
 */

export type Rng = ReturnType<typeof prng>;

/** The seed of this run: DIFF_SEED when set, else one per UTC day, so each CI day runs another. */
export function runSeed(env = process.env, now = new Date()): number {
  if (env.DIFF_SEED !== undefined && env.DIFF_SEED !== '') {
    const seed = Number(env.DIFF_SEED);
    if (!Number.isSafeInteger(seed) || seed < 0) throw new Error(`DIFF_SEED must be a non-negative integer`);
    return seed;
  }
  return Number(now.toISOString().slice(0, 10).replace(/-/g, ''));
}

export interface SiteSpec {
  index: number;
  zone: string;
  /** The zone's older name the server accepts today when it refuses the canonical one (issue 12, item 3). */
  alias?: string;
  domain: string;
  identityMode: 'cookieless' | 'first-party';
  timeoutMinutes: number;
}

/** What the collector derives from a request, as a person reads the rules (docs/metrics.md). */
export interface Acquired {
  source: string;
  channel: string;
  /** The referrer dimension's key: the referring host without "www.". */
  referrerHost: string;
  utmSource: string;
  utmMedium: string;
  utmCampaign: string;
  utmTerm: string;
  utmContent: string;
}

export interface Device {
  ua: string;
  browser: string;
  browserVersion: string;
  os: string;
  osVersion: string;
  device: string;
}

export interface Place {
  prefix: string;
  country: string;
  region: string;
  city: string;
}

export interface Person {
  id: number;
  site: number;
  ip: string;
  place: Place;
  device: Device;
  /** Screen width sent by the tracker and the class it falls in. */
  width: number;
  screen: string;
  /** navigator.language as sent and as stored. */
  lang: string;
  language: string;
  /** The tracker's first-party id (first-party sites). */
  fpId: string;
  bot: boolean;
}

export interface TrackerHit {
  /** When the request reaches the collector (ms). */
  at: number;
  person: number;
  site: number;
  kind: 'pv' | 'ev' | 'en' | 'id';
  eventId: string;
  url: string;
  referrer: string;
  name?: string;
  props?: Record<string, string | number>;
  engagedMs?: number;
  /** An identify call's user id (first-party sites). */
  userId?: string;
  /** A retry of an earlier hit (same event id). */
  resend?: boolean;
  /** Sent with `Sec-Purpose: prefetch`: a prefetching browser the collector drops. */
  prefetch?: boolean;
  /** What the collector should derive from the URL and referrer (pageviews) or the URL alone (the rest). */
  acquired: Acquired;
  /** The path the collector should store. */
  path: string;
}

export interface Traffic {
  seed: number;
  window: { from: string; to: string };
  sites: SiteSpec[];
  persons: Person[];
  /** In the order they reach the collector. */
  hits: TrackerHit[];
}

// ---- vocabularies, labelled by hand -------------------------------------------

/** Zones with half-hour and 45-minute offsets, and DST changes inside the window. */
const ZONES: Array<{ zone: string; alias?: string }> = [
  { zone: 'Asia/Kolkata', alias: 'Asia/Calcutta' },
  { zone: 'Asia/Kathmandu', alias: 'Asia/Katmandu' },
  { zone: 'America/St_Johns' },
  { zone: 'Australia/Adelaide' },
];
const EXTRA_ZONES = ['Pacific/Chatham', 'Europe/Amsterdam', 'America/Los_Angeles', 'UTC', 'Pacific/Kiritimati'];

/**
 * The window: spring-forward in Chatham (27 Sep) and Adelaide (4 Oct), fall-back in
 * Europe (25 Oct) and Newfoundland and the US (1 Nov), and the end of a month.
 */
export const WINDOW = { from: '2026-09-25T00:00:00Z', to: '2026-11-04T00:00:00Z' };
const DST_CHANGES = [
  '2026-09-26T14:00:00Z',
  '2026-10-03T16:30:00Z',
  '2026-10-25T01:00:00Z',
  '2026-11-01T03:30:00Z',
  '2026-11-01T09:00:00Z',
];

const DEVICES: Device[] = [
  {
    ua: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36',
    browser: 'Chrome',
    browserVersion: '126',
    os: 'Windows',
    osVersion: '10',
    device: 'desktop',
  },
  {
    ua: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15',
    browser: 'Safari',
    browserVersion: '17',
    os: 'Mac OS',
    osVersion: '10.15',
    device: 'desktop',
  },
  {
    ua: 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
    browser: 'Mobile Safari',
    browserVersion: '17',
    os: 'iOS',
    osVersion: '17.5',
    device: 'mobile',
  },
  {
    ua: 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36',
    browser: 'Chrome',
    browserVersion: '126',
    os: 'Android',
    osVersion: '14',
    device: 'mobile',
  },
  {
    ua: 'Mozilla/5.0 (X11; Linux x86_64; rv:127.0) Gecko/20100101 Firefox/127.0',
    browser: 'Firefox',
    browserVersion: '127',
    os: 'Linux',
    osVersion: '',
    device: 'desktop',
  },
  {
    ua: 'Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
    browser: 'Mobile Safari',
    browserVersion: '17',
    os: 'iOS',
    osVersion: '17.5',
    device: 'tablet',
  },
  {
    ua: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0',
    browser: 'Edge',
    browserVersion: '126',
    os: 'Windows',
    osVersion: '10',
    device: 'desktop',
  },
];

const BOT_AGENTS = [
  'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)',
  'Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)',
  'curl/8.5.0',
  'Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.1; +https://openai.com/gptbot)',
];

/** Address blocks (the /24 or /48 geolocation sees) and where DB-IP Lite puts them. */
const PLACES: Place[] = [
  { prefix: '8.8.8.', country: 'US', region: 'California', city: 'Mountain View' },
  { prefix: '81.2.69.', country: 'GB', region: 'England', city: 'London' },
  { prefix: '1.1.1.', country: 'AU', region: 'New South Wales', city: 'Sydney' },
  { prefix: '145.97.39.', country: 'NL', region: 'South Holland', city: 'Zoetermeer' },
  { prefix: '49.36.0.', country: 'IN', region: 'Maharashtra', city: 'Navi Mumbai (Ghansoli)' },
  { prefix: '110.44.112.', country: 'NP', region: 'Bagmati Province', city: 'Patan (Jawalakhel)' },
  { prefix: '142.166.0.', country: 'CA', region: 'Newfoundland and Labrador', city: 'St. Anthony' },
  { prefix: '198.51.100.', country: '', region: '', city: '' },
  { prefix: '2a00:1450:4001::', country: 'DE', region: 'Hesse', city: 'Frankfurt am Main' },
  { prefix: '2001:67c:2e8::', country: 'NL', region: 'North Holland', city: 'Amsterdam' },
];

const SCREENS: Array<[number, string]> = [
  [390, 'mobile'],
  [820, 'tablet'],
  [1280, 'laptop'],
  [1920, 'desktop'],
];
const LANGUAGES: Array<[string, string]> = [
  ['en-US', 'en-US'],
  ['de-de', 'de-DE'],
  ['hi', 'hi'],
  ['ne-NP', 'ne-NP'],
  ['fr', 'fr'],
];

/** Paths as sent (encoded where a browser encodes) and as stored. */
const PAGES: Array<[string, string]> = [
  ['/', '/'],
  ['/blog', '/blog'],
  ['/blog/hello-world', '/blog/hello-world'],
  ['/blog/dst-and-you', '/blog/dst-and-you'],
  ['/Blog/Caps', '/Blog/Caps'],
  ['/pricing', '/pricing'],
  ['/signup', '/signup'],
  ['/signup/thanks', '/signup/thanks'],
  ['/docs', '/docs'],
  ['/docs/api', '/docs/api'],
  ['/about', '/about'],
  ['/caf%C3%A9', '/café'],
];

const empty = { utmSource: '', utmMedium: '', utmCampaign: '', utmTerm: '', utmContent: '' };
const direct: Acquired = { source: 'Direct', channel: 'Direct', referrerHost: '', ...empty };

interface Arrival {
  referrer: string;
  query: string;
  acquired: Acquired;
  /** What the landing URL alone says: custom events and engagement pings carry no referrer. */
  fromQuery?: Acquired;
}

/** Ways into a site: referrers (the same host with different paths among them), UTM tags and click ids. */
const ARRIVALS: Arrival[] = [
  { referrer: '', query: '', acquired: direct },
  {
    referrer: 'https://www.google.com/search?q=analytics',
    query: '',
    acquired: { ...direct, source: 'Google', channel: 'Organic Search', referrerHost: 'google.com' },
  },
  {
    referrer: 'https://google.com/',
    query: '',
    acquired: { ...direct, source: 'Google', channel: 'Organic Search', referrerHost: 'google.com' },
  },
  {
    referrer: 'https://www.bing.com/images/search?q=cat',
    query: '',
    acquired: { ...direct, source: 'Bing Images', channel: 'Organic Search', referrerHost: 'bing.com' },
  },
  {
    referrer: 'https://www.bing.com/search?q=analytics',
    query: '',
    acquired: { ...direct, source: 'Bing', channel: 'Organic Search', referrerHost: 'bing.com' },
  },
  {
    referrer: 'https://t.co/x1y2z3',
    query: '',
    acquired: { ...direct, source: 'Twitter', channel: 'Organic Social', referrerHost: 't.co' },
  },
  {
    referrer: 'https://news.ycombinator.com/item?id=1',
    query: '',
    acquired: { ...direct, source: 'Hacker News', channel: 'Organic Social', referrerHost: 'news.ycombinator.com' },
  },
  {
    referrer: 'https://mail.google.com/mail/u/0/',
    query: '',
    acquired: { ...direct, source: 'Gmail', channel: 'Email', referrerHost: 'mail.google.com' },
  },
  {
    referrer: 'https://www.partner-blog.net/review',
    query: '',
    acquired: { ...direct, source: 'partner-blog.net', channel: 'Referral', referrerHost: 'partner-blog.net' },
  },
  {
    referrer: 'https://partner-blog.net/another/post',
    query: '',
    acquired: { ...direct, source: 'partner-blog.net', channel: 'Referral', referrerHost: 'partner-blog.net' },
  },
  {
    referrer: 'https://chatgpt.com/',
    query: '',
    acquired: { ...direct, source: 'ChatGPT', channel: 'AI Assistants', referrerHost: 'chatgpt.com' },
  },
  {
    referrer: '',
    query: '?utm_source=newsletter&utm_medium=email&utm_campaign=launch',
    acquired: {
      ...direct,
      source: 'newsletter',
      channel: 'Email',
      utmSource: 'newsletter',
      utmMedium: 'email',
      utmCampaign: 'launch',
    },
    fromQuery: {
      ...direct,
      source: 'newsletter',
      channel: 'Email',
      utmSource: 'newsletter',
      utmMedium: 'email',
      utmCampaign: 'launch',
    },
  },
  {
    referrer: 'https://www.google.com/',
    query: '?gclid=abc123&utm_campaign=brand&utm_term=web+analytics',
    acquired: {
      ...direct,
      source: 'Google',
      channel: 'Paid',
      referrerHost: 'google.com',
      utmCampaign: 'brand',
      utmTerm: 'web analytics',
    },
    fromQuery: { ...direct, source: 'Google', channel: 'Paid', utmCampaign: 'brand', utmTerm: 'web analytics' },
  },
  {
    referrer: 'https://www.google.com/',
    query: '?utm_source=google&utm_medium=cpc&utm_campaign=brand',
    acquired: {
      ...direct,
      source: 'Google',
      channel: 'Paid',
      referrerHost: 'google.com',
      utmSource: 'google',
      utmMedium: 'cpc',
      utmCampaign: 'brand',
    },
    fromQuery: {
      ...direct,
      source: 'Google',
      channel: 'Paid',
      utmSource: 'google',
      utmMedium: 'cpc',
      utmCampaign: 'brand',
    },
  },
  {
    referrer: '',
    query: '?utm_source=Twitter&utm_medium=social',
    acquired: { ...direct, source: 'Twitter', channel: 'Organic Social', utmSource: 'Twitter', utmMedium: 'social' },
    fromQuery: { ...direct, source: 'Twitter', channel: 'Organic Social', utmSource: 'Twitter', utmMedium: 'social' },
  },
  {
    referrer: '',
    query: '?ref=producthunt',
    acquired: { ...direct, source: 'producthunt', channel: 'Referral', utmSource: 'producthunt' },
    fromQuery: { ...direct, source: 'producthunt', channel: 'Referral', utmSource: 'producthunt' },
  },
  {
    referrer: 'https://partner-blog.net/deal',
    query: '?utm_source=partner&utm_medium=affiliate&utm_content=banner-a',
    acquired: {
      ...direct,
      source: 'partner',
      channel: 'Paid',
      referrerHost: 'partner-blog.net',
      utmSource: 'partner',
      utmMedium: 'affiliate',
      utmContent: 'banner-a',
    },
    fromQuery: {
      ...direct,
      source: 'partner',
      channel: 'Paid',
      utmSource: 'partner',
      utmMedium: 'affiliate',
      utmContent: 'banner-a',
    },
  },
];

const CUSTOM: Array<{ name: string; props: () => Record<string, string | number> }> = [
  { name: 'signup', props: () => ({ plan: 'pro' }) },
  { name: 'signup', props: () => ({ plan: 'free' }) },
  { name: 'download', props: () => ({ file: 'guide.pdf' }) },
  { name: 'play', props: () => ({ seconds: 30 }) },
  { name: 'outbound', props: () => ({ url: 'https://github.com' }) },
];

// ---- generation ---------------------------------------------------------------------

/** Number of people per site, at most; a few are bots. */
export interface GenerateOptions {
  personsPerSite: number;
  extraSites: number;
}

let eventCounter = 0;
const newEventId = (r: Rng) =>
  `d${(eventCounter++).toString(36).padStart(5, '0')}x${Math.floor(r.next() * 1e12)
    .toString(36)
    .padStart(8, '0')}`;

/** An instant worth probing for a site: around local or UTC midnight, a DST change, or anywhere. */
function interestingInstant(r: Rng, site: SiteSpec): number {
  const from = Date.parse(WINDOW.from) + 86_400_000;
  const to = Date.parse(WINDOW.to) - 2 * 86_400_000;
  const day = from + r.int(0, Math.floor((to - from) / 86_400_000)) * 86_400_000;
  const jitter = () => r.int(-90, 30) * 60_000 + r.int(0, 59) * 1000;
  switch (r.int(0, 4)) {
    case 0: {
      const local = DateTime.fromMillis(day, { zone: site.zone }).startOf('day');
      return local.toMillis() + jitter();
    }
    case 1:
      return day + jitter();
    case 2:
      return Date.parse(r.pick(DST_CHANGES)) + r.int(-180, 120) * 60_000 + r.int(0, 59) * 1000;
    default:
      return day + r.int(0, 86_399) * 1000;
  }
}

/** Sites, people and their hits, all from `seed`. */
export function generateTraffic(seed: number, options: GenerateOptions): Traffic {
  const r = prng(seed);
  eventCounter = 0;
  const extras = [...EXTRA_ZONES].sort(() => r.next() - 0.5).slice(0, options.extraSites);
  const sites: SiteSpec[] = [...ZONES, ...extras.map((zone) => ({ zone }))].map((z, index) => ({
    index,
    ...z,
    domain: `site${index}.example`,
    identityMode: r.chance(0.5) ? 'first-party' : 'cookieless',
    timeoutMinutes: r.pick([30, 30, 15, 60]),
  }));
  const persons: Person[] = [];
  const hits: TrackerHit[] = [];
  let hostByte = 1;
  for (const site of sites) {
    const count = r.int(Math.ceil(options.personsPerSite / 2), options.personsPerSite);
    for (let p = 0; p < count; p++) {
      const place = r.pick(PLACES);
      const [width, screen] = r.pick(SCREENS);
      const [lang, language] = r.pick(LANGUAGES);
      hostByte = (hostByte % 250) + 1;
      const person: Person = {
        id: persons.length,
        site: site.index,
        ip: place.prefix.endsWith('::') ? `${place.prefix}${hostByte.toString(16)}` : `${place.prefix}${hostByte}`,
        place,
        device: r.pick(DEVICES),
        width,
        screen,
        lang,
        language,
        fpId: `fp${seed.toString(36)}x${persons.length.toString(36)}xxxxxx`.slice(0, 40),
        bot: r.chance(0.06),
      };
      persons.push(person);
      hits.push(...visitsOf(r, site, person));
    }
  }
  hits.sort((a, b) => a.at - b.at || a.person - b.person);
  return { seed, window: WINDOW, sites, persons, hits };
}

function visitsOf(r: Rng, site: SiteSpec, person: Person): TrackerHit[] {
  const out: TrackerHit[] = [];
  const timeout = site.timeoutMinutes * 60_000;
  let t = interestingInstant(r, site);
  const visits = person.bot ? r.int(1, 3) : r.chance(0.35) ? r.int(2, 4) : 1;
  const www = r.chance(0.3) ? 'www.' : '';
  for (let v = 0; v < visits; v++) {
    const arrival = v === 0 || r.chance(0.5) ? r.pick(ARRIVALS) : ARRIVALS[0]!;
    let previousUrl = '';
    const pages = r.chance(0.4) ? 1 : r.int(2, 7);
    for (let n = 0; n < pages; n++) {
      const [sent, path] = r.zipf(PAGES);
      const first = n === 0;
      const url = `https://${www}${site.domain}${sent}${first ? arrival.query : ''}`;
      const referrer = first ? arrival.referrer : previousUrl;
      const hit = (at: number, kind: TrackerHit['kind'], extra: Partial<TrackerHit> = {}): TrackerHit => ({
        at,
        person: person.id,
        site: site.index,
        kind,
        eventId: newEventId(r),
        url,
        referrer,
        acquired: !first ? direct : kind === 'pv' ? arrival.acquired : (arrival.fromQuery ?? direct),
        path,
        ...extra,
      });
      const pv = hit(t, 'pv', person.bot && r.chance(0.3) ? { prefetch: true } : {});
      out.push(pv);
      if (r.chance(0.06)) out.push({ ...pv, at: t + r.int(1, 900) * 1000, resend: true });
      let cursor = t;
      if (r.chance(0.25)) {
        const c = r.pick(CUSTOM);
        cursor += r.int(2, 90) * 1000;
        const ev = hit(cursor, 'ev', { name: c.name, props: c.props() });
        out.push(ev);
        if (r.chance(0.08)) out.push({ ...ev, at: cursor + r.int(1, 600) * 1000, resend: true });
      }
      if (first && site.identityMode === 'first-party' && r.chance(0.15)) {
        cursor += r.int(2, 60) * 1000;
        out.push(hit(cursor, 'id', { userId: `user-${person.id}` }));
      }
      if (r.chance(0.35)) {
        cursor += r.int(5, 120) * 1000;
        // Now and then a residue under a second, which the collector drops.
        out.push(hit(cursor, 'en', { engagedMs: r.chance(0.1) ? r.int(1, 999) : r.int(1, 120) * 1000 }));
      }
      previousUrl = url;
      // Mostly short gaps; sometimes exactly the timeout (the visit goes on) or a second past it (a new visit).
      const gap = r.chance(0.05) ? timeout : r.chance(0.05) ? timeout + 1000 : r.int(10, 900) * 1000;
      t = Math.max(cursor + 1000, t + gap);
    }
    // The page of the visit's last hit, without what belonged to that hit.
    const { name: _n, props: _p, engagedMs: _e, userId: _u, resend: _r, prefetch: _f, ...page } = out[out.length - 1]!;
    page.acquired = page.url.includes('?') ? (arrival.fromQuery ?? direct) : direct;
    let late = t;
    if (r.chance(0.2)) {
      // A tab left open: its engagement ping arrives long after the last page, perhaps after midnight UTC.
      late = t + r.int(20, 180) * 60_000;
      out.push({ ...page, kind: 'en', eventId: newEventId(r), at: late, engagedMs: r.int(5, 600) * 1000 });
    }
    if (site.identityMode === 'first-party' && r.chance(0.08)) {
      // A late identify call (a login in a tab left open): it may open a visit with no pageview.
      late += r.int(1, 60) * 1000;
      out.push({ ...page, kind: 'id', eventId: newEventId(r), at: late, userId: `user-${person.id}` });
    }
    if (r.chance(0.08)) {
      // A click in that tab later on: a custom event that opens a visit with no pageview.
      late += r.int(1, 60) * 1000;
      out.push({
        ...page,
        kind: 'ev',
        eventId: newEventId(r),
        at: late,
        name: 'outbound',
        props: { url: 'https://github.com' },
      });
    }
    // The next visit: soon after (a new visit), later that day, or days later.
    t += r.pick([timeout + r.int(2, 60) * 60_000, r.int(2, 20) * 3_600_000, r.int(1, 12) * 86_400_000]);
  }
  const end = Date.parse(WINDOW.to) - 3_600_000;
  return out.filter((h) => h.at < end);
}

/** The tracker's JSON body for a hit. */
export function bodyOf(hit: TrackerHit, publicId: string, person: Person, site: SiteSpec): Record<string, unknown> {
  return {
    s: publicId,
    i: hit.eventId,
    k: hit.kind,
    u: hit.url,
    ...(hit.kind === 'pv' ? { r: hit.referrer, t: 'A page', w: person.width, l: person.lang } : {}),
    ...(hit.kind === 'ev' ? { n: hit.name, ...(hit.props ? { p: hit.props } : {}) } : {}),
    ...(hit.kind === 'en' ? { e: hit.engagedMs } : {}),
    ...(hit.kind === 'id' ? { uid: hit.userId } : {}),
    ...(site.identityMode === 'first-party' ? { v: person.fpId } : {}),
  };
}

/** The request headers a hit is sent with. */
export function headersOf(hit: TrackerHit, person: Person, seed: number): Record<string, string> {
  return {
    'Content-Type': 'text/plain',
    'User-Agent': person.bot && !hit.prefetch ? BOT_AGENTS[(person.id + seed) % BOT_AGENTS.length]! : person.device.ua,
    'X-Forwarded-For': person.ip,
    ...(hit.prefetch ? { 'Sec-Purpose': 'prefetch' } : {}),
  };
}
