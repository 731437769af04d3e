import { __ } from '@wordpress/i18n';

import type { Dimension, FilterOperator, Metrics } from '../data/types';

export const dimensionLabel = (dim: Dimension | 'goal'): string => {
  const labels: Record<Dimension | 'goal', string> = {
    page: __('Page', 'clickpath'),
    entry_page: __('Entry page', 'clickpath'),
    exit_page: __('Exit page', 'clickpath'),
    source: __('Source', 'clickpath'),
    channel: __('Channel', 'clickpath'),
    referrer: __('Referrer', 'clickpath'),
    utm_source: __('UTM source', 'clickpath'),
    utm_medium: __('UTM medium', 'clickpath'),
    utm_campaign: __('UTM campaign', 'clickpath'),
    utm_term: __('UTM term', 'clickpath'),
    utm_content: __('UTM content', 'clickpath'),
    country: __('Country', 'clickpath'),
    region: __('Region', 'clickpath'),
    city: __('City', 'clickpath'),
    browser: __('Browser', 'clickpath'),
    browser_version: __('Browser version', 'clickpath'),
    os: __('Operating system', 'clickpath'),
    os_version: __('OS version', 'clickpath'),
    device: __('Device', 'clickpath'),
    screen: __('Screen size', 'clickpath'),
    language: __('Language', 'clickpath'),
    event: __('Event', 'clickpath'),
    event_prop: __('Event property', 'clickpath'),
    goal: __('Goal', 'clickpath'),
  };
  return labels[dim];
};

export const operatorLabel = (op: FilterOperator): string =>
  ({ is: __('is', 'clickpath'), is_not: __('is not', 'clickpath'), contains: __('contains', 'clickpath') })[op];

export type MetricKey = keyof Metrics | 'conversions';

export const metricLabel = (metric: MetricKey): string =>
  ({
    visitors: __('Visitors', 'clickpath'),
    visits: __('Visits', 'clickpath'),
    pageviews: __('Pageviews', 'clickpath'),
    viewsPerVisit: __('Views per visit', 'clickpath'),
    bounceRate: __('Bounce rate', 'clickpath'),
    avgVisitDuration: __('Visit duration', 'clickpath'),
    events: __('Events', 'clickpath'),
    conversions: __('Conversions', 'clickpath'),
  })[metric];

/** The key as shown: empty keys are "(none)" (direct traffic, unknown country…). */
export const keyLabel = (key: string): string => (key === '' ? __('(none)', 'clickpath') : key);

type Names = { of(code: string): string | undefined };
const displayNames = new Map<string, Names | null>();

/** Intl.DisplayNames of one kind in the browser's language, or null where the browser lacks it. */
function namesOf(type: 'region' | 'language'): Names | null {
  if (!displayNames.has(type)) {
    let names: Names | null = null;
    try {
      // "English (United States)", not "American English": the region reads the same way for every language.
      names = new Intl.DisplayNames(undefined, { type, fallback: 'none', languageDisplay: 'standard' });
    } catch {
      // no Intl.DisplayNames (old browsers): codes are shown as they are
    }
    displayNames.set(type, names);
  }
  return displayNames.get(type) ?? null;
}

/** "NL" → "Netherlands"; "" → "Unknown". */
export function countryName(code: string): string {
  if (!code) return __('Unknown', 'clickpath');
  try {
    return namesOf('region')?.of(code.toUpperCase()) ?? code;
  } catch {
    return code;
  }
}

/** "de-DE" → "German (Germany)"; "" → "Unknown". */
export function languageName(tag: string): string {
  if (!tag) return __('Unknown', 'clickpath');
  try {
    return namesOf('language')?.of(tag) ?? tag;
  } catch {
    return tag;
  }
}

/** "desktop" → "Desktop". */
export function deviceName(device: string): string {
  const names: Record<string, string> = {
    desktop: __('Desktop', 'clickpath'),
    mobile: __('Mobile', 'clickpath'),
    tablet: __('Tablet', 'clickpath'),
  };
  if (!device) return __('Unknown', 'clickpath');
  return names[device.toLowerCase()] ?? device.charAt(0).toUpperCase() + device.slice(1);
}

/** The tracker's screen classes (by width, not exact sizes) with the widths they stand for. */
export function screenName(screen: string): string {
  const names: Record<string, string> = {
    mobile: __('Mobile (under 576 px)', 'clickpath'),
    tablet: __('Tablet (576–991 px)', 'clickpath'),
    laptop: __('Laptop (992–1439 px)', 'clickpath'),
    desktop: __('Desktop (1440 px and wider)', 'clickpath'),
  };
  if (!screen) return __('Unknown', 'clickpath');
  return names[screen] ?? screen;
}

/**
 * A breakdown key or visitor attribute as a person reads it: country and language names,
 * capitalised devices; other keys as they are ("(none)" when empty). Filters keep the raw key.
 */
export function valueLabel(dim: Dimension | 'goal', key: string): string {
  switch (dim) {
    case 'country':
      return countryName(key);
    case 'language':
      return languageName(key);
    case 'device':
      return deviceName(key);
    case 'screen':
      return screenName(key);
    default:
      return keyLabel(key);
  }
}

const COLOURS = [
  'Amber',
  'Azure',
  'Coral',
  'Cobalt',
  'Ivory',
  'Jade',
  'Lilac',
  'Olive',
  'Ruby',
  'Sage',
  'Teal',
  'Umber',
];
const ANIMALS = [
  'Badger',
  'Crane',
  'Falcon',
  'Gecko',
  'Heron',
  'Ibis',
  'Koala',
  'Lynx',
  'Marten',
  'Otter',
  'Panda',
  'Wren',
];

/**
 * A visitor as a person can tell them apart: their user ID when the site identified them, else
 * a short name derived from the visitor id ("Teal Otter 3f9a"), always the same for one id.
 * The id itself ("c:10WutXaAMZ…") means nothing to a reader.
 */
export function visitorLabel(visitor: { id: string; userId?: string | null }): string {
  if (visitor.userId) return visitor.userId;
  let hash = 2166136261;
  for (let i = 0; i < visitor.id.length; i += 1) hash = Math.imul(hash ^ visitor.id.charCodeAt(i), 16777619) >>> 0;
  const colour = COLOURS[hash % COLOURS.length]!;
  const animal = ANIMALS[Math.floor(hash / COLOURS.length) % ANIMALS.length]!;
  const tag = (hash >>> 16).toString(16).padStart(4, '0');
  return `${colour} ${animal} ${tag}`;
}
