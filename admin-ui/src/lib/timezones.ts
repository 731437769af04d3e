/**
 * ICU (Chrome, Node, Safari) still spells these zones by their old IANA names, in
 * `Intl.supportedValuesOf('timeZone')` and in a browser's own zone: their current names.
 * Country links (Europe/Bratislava) are real IANA names and stay.
 */
const RENAMED: Record<string, string> = {
  'Africa/Asmera': 'Africa/Asmara',
  'America/Buenos_Aires': 'America/Argentina/Buenos_Aires',
  'America/Catamarca': 'America/Argentina/Catamarca',
  'America/Coral_Harbour': 'America/Atikokan',
  'America/Cordoba': 'America/Argentina/Cordoba',
  'America/Godthab': 'America/Nuuk',
  'America/Indianapolis': 'America/Indiana/Indianapolis',
  'America/Jujuy': 'America/Argentina/Jujuy',
  'America/Louisville': 'America/Kentucky/Louisville',
  'America/Mendoza': 'America/Argentina/Mendoza',
  'Asia/Calcutta': 'Asia/Kolkata',
  'Asia/Katmandu': 'Asia/Kathmandu',
  'Asia/Rangoon': 'Asia/Yangon',
  'Asia/Saigon': 'Asia/Ho_Chi_Minh',
  'Atlantic/Faeroe': 'Atlantic/Faroe',
  'Europe/Kiev': 'Europe/Kyiv',
  'Pacific/Enderbury': 'Pacific/Kanton',
  'Pacific/Ponape': 'Pacific/Pohnpei',
  'Pacific/Truk': 'Pacific/Chuuk',
  'Etc/UTC': 'UTC',
  'Etc/GMT': 'UTC',
  GMT: 'UTC',
};

const knows = (zone: string): boolean => {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
};

/** The current IANA name of `zone`, when this browser knows it by that name (else `zone` itself). */
export function canonicalZone(zone: string): string {
  const renamed = RENAMED[zone];
  return renamed !== undefined && knows(renamed) ? renamed : zone;
}

/** The browser's own zone by its current name; UTC when it has none. */
export function browserZone(): string {
  try {
    return canonicalZone(Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC');
  } catch {
    return 'UTC';
  }
}

let cached: string[] | undefined;

/** Every zone the browser knows, by current names, sorted, UTC first; `extra` (e.g. a site's stored zone) included. */
export function zoneNames(extra: readonly string[] = []): string[] {
  cached ??= (() => {
    const listed =
      typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone').map(canonicalZone) : [];
    return [...new Set(listed)].filter((zone) => zone !== 'UTC').sort();
  })();
  const more = extra.filter((zone) => zone && zone !== 'UTC' && !cached!.includes(zone));
  return ['UTC', ...[...cached, ...more].sort()];
}

/** "America/New York": what people type when they search; the value stays the IANA name. */
export const zoneLabel = (zone: string): string => zone.replace(/_/g, ' ');

/** The time now in `zone` with its offset, e.g. "14:05 (GMT+1)"; empty for an unknown zone. */
export function zoneNow(zone: string, now = new Date(), locale?: string): string {
  try {
    return new Intl.DateTimeFormat(locale, {
      timeZone: zone,
      hour: '2-digit',
      minute: '2-digit',
      timeZoneName: 'shortOffset',
    }).format(now);
  } catch {
    return '';
  }
}
