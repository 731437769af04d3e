/**
 * Clickpath tracker. Written for size: the minified build must stay within
 * 800 bytes gzipped (tracker/build.mjs enforces it), so helpers are shared and
 * the shape of the code follows what gzip compresses best (measured, not guessed:
 * e.g. `document.`/`navigator.`/`Date.now()` spelled out repeat better than aliases).
 * Protocol: backend/src/collect/event-schema.ts.
 */
import type { TrackerEvent } from '../../src/collect/event-schema';

/** An event before send() stamps site, id, URL and visitor on it. */
type Ev = { [K in keyof TrackerEvent]?: TrackerEvent[K] | undefined };
type Api = ((cmd: string, a?: unknown, b?: unknown) => void) & { q?: IArguments[] };
type Nav = Navigator & { globalPrivacyControl?: boolean };

declare global {
  interface Window {
    clickpath?: Api;
  }
}

const L = location;
let site: string | undefined;
// Also the on/off switch: unset or 0 while tracking is off.
let api: string | URL | 0 | undefined;
let vid: string | undefined;
let nf: 1 | undefined;
let path: string | undefined;
let href = L.href;
// Start of the current visible stretch; 0 or unset while hidden.
let t0: number | undefined;

/**
 * The one state machine for pageviews and engaged time. Called with an event (pagehide,
 * visibilitychange) it always settles the engaged time; called without one (history
 * wrappers, popstate, start-up) only when the path changed, so hash-only changes and
 * same-URL replaceState send nothing. Hidden pages (prerendered, background tabs) get
 * their pageview once shown.
 */
const tick = (x?: unknown) => {
  const p = L.pathname + L.search;
  if (x || p != path) {
    if (t0) send({ k: 'en', e: Date.now() - t0 });
    t0 = document.hidden ? 0 : Date.now();
    if (t0 && p != path) {
      path = p;
      href = L.href;
      send({ k: 'pv', r: document.referrer, t: document.title, w: screen.width, l: navigator.language, nf });
    }
  }
};

const clickpath: Api = (c, a, b) => {
  // The name check also drops the click handler's `false` (a same-site, non-file link).
  if (c == 'event' && a) send({ k: 'ev', n: a as string, p: b as Ev['p'] });
  if (c == 'identify' && vid) send({ k: 'id', uid: a as string, tr: b as Ev['tr'] });
};

const send = (o: Ev) => {
  if (api)
    try {
      const b = JSON.stringify({ ...o, s: site, i: uid(), u: href, v: vid });
      // A string body goes out as text/plain, so there is no CORS preflight. fetch()
      // upper-cases "post" itself. No credentials option on the fallback: sendBeacon
      // itself sends cookies, so omitting them buys nothing.
      (navigator as Nav).sendBeacon?.(api as string, b) ||
        fetch(api, { method: 'post', body: b, keepalive: true }).catch(uid);
    } catch {}
};

// ~52 random bits plus the time in ms: unique enough for ids, 14 to 35 characters of
// [0-9e-], and far smaller than crypto.getRandomValues.
const uid = () => ('' + Math.random() + Date.now()).slice(2);

try {
  const hist = history as unknown as Record<string, (...a: unknown[]) => void>;
  ['pushState', 'replaceState'].map((m) => {
    const orig = hist[m]!.bind(hist);
    // orig's result (undefined) is tick's "no event" argument.
    hist[m] = (...a) => tick(orig(...a));
  });
  // popstate hands tick an event, so a hash-only back/forward also settles engaged time:
  // the time is split into two engagement events, never counted twice.
  addEventListener('popstate', tick);
  addEventListener('pagehide', tick);
  addEventListener('visibilitychange', tick);
  // Capture phase: a page's stopPropagation() must not hide the click.
  addEventListener(
    'click',
    (e) => {
      const a = (e.target as Element).closest?.('a');
      // mailto:, tel: and javascript: links have no host.
      if (a?.host)
        clickpath(
          'event',
          a.host != L.host
            ? 'outbound'
            : /\.(pdf|zip|(doc|xls|ppt)x?|csv|mp[34]|dmg|exe)$/i.test(a.pathname) && 'download',
          { url: a.href },
        );
    },
    true,
  );
  // Last, because it may throw (no currentScript; localStorage blocked): listeners are set by then.
  const sc = document.currentScript as HTMLScriptElement;
  const D = sc.dataset;
  site = D.site;
  if ('404' in D) nf = 1;
  // The backend serves the script at <base>/js/clickpath.js and collects at <base>/api/event, under a path too.
  api = D.api || new URL('../api/event', sc.src);
  if (
    !site ||
    // No host: file:, data: and other pages the collector would reject.
    !L.host ||
    // data-localhost is "" when present, which the test rejects. `.` stands for the "[" of "[::1]".
    /^(localhost|127\.|.::1)/.test(D.localhost ?? L.host) ||
    ('dnt' in D && ((navigator as Nav).doNotTrack == (1 as unknown) || (navigator as Nav).globalPrivacyControl)) ||
    // Throws where storage is blocked: api stays set and tracking goes on cookieless.
    localStorage.clickpath_ignore
  )
    api = 0;
  else if (D.mode == 'first-party') vid = localStorage.clickpath_vid ||= uid();
} catch {}
tick();
// Replay the pre-load queue, then take over the global.
self.clickpath?.q?.map((q) => clickpath(...(q as unknown as Parameters<Api>)));
self.clickpath = clickpath;
