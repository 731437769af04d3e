/**
 * What the self-test reads in the front page a visitor gets: the tracker's tag as it survived
 * caching and optimisation plugins, and the Content Security Policy the page runs under.
 * Pure functions of the HTML and headers, so they are tested without a browser.
 */

/** The tracker's `<script>` tag as the page carries it. */
export interface TrackerTag {
  /** The script's absolute URL ('' when an optimisation plugin moved it out of `src`). */
  src: string;
  /** `data-site`, `data-api` (null when absent). */
  site: string | null;
  api: string | null;
  /** `data-localhost`: the tracker counts on a local address too. */
  localhost: boolean;
  /** The `type`, `nonce`, `integrity` and `crossorigin` attributes ('' / null when absent). */
  type: string;
  nonce: string;
  integrity: string;
  crossOrigin: string | null;
}

export type TagFinding =
  | { kind: 'ok'; tag: TrackerTag }
  /** The tag is there, but rewritten so browsers do not run it as the page loads (`how` says what changed). */
  | { kind: 'rewritten'; tag: TrackerTag; how: string; module: boolean }
  | { kind: 'other-site'; tag: TrackerTag }
  | { kind: 'no-site'; tag: TrackerTag }
  | { kind: 'missing' };

const CLASSIC_TYPES = /^((text|application)\/(x-)?(java|ecma)script|text\/jscript|text\/livescript)$/;

function resolve(url: string, base: string): string {
  try {
    return new URL(url, base).href;
  } catch {
    return '';
  }
}

const isTrackerUrl = (url: string, base: string, expected: string): boolean => {
  const href = resolve(url, base);
  if (!href) return false;
  const path = new URL(href).pathname;
  return path.endsWith('/clickpath.js') || path === new URL(expected).pathname;
};

function tagOf(script: Element, base: string, movedTo: string | null): TrackerTag {
  const src = script.getAttribute('src');
  return {
    src: src ? resolve(src, base) : movedTo ? resolve(script.getAttribute(movedTo) ?? '', base) : '',
    site: script.getAttribute('data-site'),
    api: script.getAttribute('data-api'),
    localhost: script.hasAttribute('data-localhost'),
    type: (script.getAttribute('type') ?? '').trim(),
    nonce: script.getAttribute('nonce') ?? '',
    integrity: script.getAttribute('integrity') ?? '',
    crossOrigin: script.getAttribute('crossorigin'),
  };
}

/**
 * Finds the tracker's tag in a page: a script loading `…/clickpath.js` (or the expected URL), or
 * carrying the expected `data-site`, also when a "delay JavaScript" option moved its URL into a
 * `data-*` attribute or changed its type. The tag with the expected site id wins over others.
 */
export function findTag(doc: Document, pageUrl: string, expected: { site: string; src: string }): TagFinding {
  const candidates: Array<{ script: Element; movedTo: string | null }> = [];
  for (const script of Array.from(doc.querySelectorAll('script'))) {
    const src = script.getAttribute('src');
    const movedTo =
      Array.from(script.attributes).find(
        (a) =>
          a.name.startsWith('data-') &&
          !['data-site', 'data-api'].includes(a.name) &&
          isTrackerUrl(a.value, pageUrl, expected.src),
      )?.name ?? null;
    const loadsTracker = src ? isTrackerUrl(src, pageUrl, expected.src) : movedTo !== null;
    if (loadsTracker || script.getAttribute('data-site') === expected.site) candidates.push({ script, movedTo });
  }
  const best = candidates.find((c) => c.script.getAttribute('data-site') === expected.site) ?? candidates[0];
  if (!best) return { kind: 'missing' };
  const tag = tagOf(best.script, pageUrl, best.movedTo);
  if (tag.site === null) return { kind: 'no-site', tag };
  if (tag.site !== expected.site) return { kind: 'other-site', tag };
  if (!best.script.getAttribute('src') && best.movedTo) {
    return { kind: 'rewritten', tag, how: `${best.movedTo}="${tag.src}"`, module: false };
  }
  const type = tag.type.toLowerCase().split(';')[0]!.trim();
  if (type !== '' && !CLASSIC_TYPES.test(type)) {
    return { kind: 'rewritten', tag, how: `type="${tag.type}"`, module: type === 'module' };
  }
  return { kind: 'ok', tag };
}

/** Where the tracker of this tag sends its events, computed as the tracker does. */
export function eventEndpoint(tag: Pick<TrackerTag, 'api' | 'src'>, pageUrl: string): string {
  if (tag.api) return resolve(tag.api, pageUrl);
  return resolve('/api/event', tag.src || pageUrl);
}

/** True on hosts where the tracker counts nothing unless the tag has `data-localhost` (its own rule). */
export const isLocalHost = (host: string): boolean => /^(localhost|127\.|.::1)/.test(host);

/** Directives a `<meta>` policy cannot carry: browsers ignore them there, with a console warning. */
const NOT_IN_META = new Set(['frame-ancestors', 'report-uri', 'report-to', 'sandbox']);

/**
 * The enforced Content Security Policies of a page: each policy of the header (comma-separated
 * when several were sent) and of `<meta http-equiv>` tags in its head, without the directives a
 * `<meta>` cannot carry, ready to be put in `<meta>` tags of a test frame.
 */
export function policiesOf(header: string | null, doc: Document): string[] {
  const fromMeta = Array.from(doc.head?.querySelectorAll('meta[http-equiv]') ?? [])
    .filter((m) => m.getAttribute('http-equiv')!.trim().toLowerCase() === 'content-security-policy')
    .map((m) => m.getAttribute('content') ?? '');
  return [...(header ?? '').split(','), ...fromMeta]
    .map((policy) =>
      policy
        .split(';')
        .map((d) => d.trim())
        .filter((d) => d && !NOT_IN_META.has(d.split(/\s+/)[0]!.toLowerCase()))
        .join('; '),
    )
    .filter(Boolean);
}

/** The directive of `policy` that decides a fetch of kind `effective` (script-src-elem, connect-src…). */
export function governingDirective(policy: string, effective: string): string {
  const names = new Set(policy.split(';').map((d) => d.trim().split(/\s+/)[0]!.toLowerCase()));
  const chain =
    effective === 'script-src-elem' ? ['script-src-elem', 'script-src', 'default-src'] : [effective, 'default-src'];
  return chain.find((name) => names.has(name)) ?? effective;
}

/** `url` with `name=value` added to its query, e.g. to get past a page cache. */
export function withQuery(url: string, name: string, value: string): string {
  const next = new URL(url);
  next.searchParams.set(name, value);
  return next.href;
}
