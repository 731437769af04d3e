/**
 * What the self-test does in the administrator's browser: load pages and scripts as a logged-out
 * visitor (no cookies, past the browser's cache), and load the tracker and send an event from a
 * hidden frame that runs under the front page's Content Security Policy.
 */
import { __ } from '@wordpress/i18n';

import { governingDirective } from './inspect';

export type PageLoad =
  { kind: 'page'; status: number; url: string; html: string; csp: string | null } | { kind: 'network-error' };

export type ScriptLoad =
  | { kind: 'response'; status: number; type: string; body: string }
  /** Fetched without CORS (the server sends no Access-Control-Allow-Origin): it answered, status unknown. */
  | { kind: 'opaque' }
  | { kind: 'network-error' };

export type FrameOutcome = { kind: 'ok' } | { kind: 'csp'; directive: string } | { kind: 'error' };

export type SendOutcome =
  { kind: 'response'; status: number; body: unknown } | { kind: 'csp'; directive: string } | { kind: 'network-error' };

/** A hidden frame with the front page's policies: what a visitor's browser allows that page. */
export interface VisitorFrame {
  /** Loads the script the way the tag does (its URL, nonce, integrity, crossorigin), without `data-site`, so it counts nothing. */
  loadScript(tag: { src: string; nonce: string; integrity: string; crossOrigin: string | null }): Promise<FrameOutcome>;
  /** POSTs `body` as text/plain, as the tracker's beacon does. */
  send(url: string, body: string): Promise<SendOutcome>;
  close(): void;
}

const VISITOR: RequestInit = { credentials: 'omit', cache: 'no-store' };

/** A page as a logged-out visitor gets it: no cookies, and not from this browser's cache (a page cache still answers). */
export async function fetchPage(url: string): Promise<PageLoad> {
  try {
    const response = await fetch(url, VISITOR);
    return {
      kind: 'page',
      status: response.status,
      url: response.url || url,
      html: await response.text(),
      csp: response.headers.get('content-security-policy'),
    };
  } catch {
    return { kind: 'network-error' };
  }
}

export async function fetchScript(url: string): Promise<ScriptLoad> {
  try {
    const response = await fetch(url, VISITOR);
    return {
      kind: 'response',
      status: response.status,
      type: response.headers.get('content-type') ?? '',
      body: await response.text(),
    };
  } catch {
    // A CORS refusal looks like a network error: without CORS the request tells them apart.
    try {
      await fetch(url, { ...VISITOR, mode: 'no-cors' });
      return { kind: 'opaque' };
    } catch {
      return { kind: 'network-error' };
    }
  }
}

const escapeAttribute = (value: string) =>
  value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** A violation report is queued as a task; give it one before deciding there was none. */
const nextTask = () => new Promise((resolve) => setTimeout(resolve, 50));

/**
 * Opens a hidden same-origin frame whose `<meta>` tags carry the page's policies. Its address is
 * about:srcdoc, where the tracker finds no host and sends nothing even if it ran with a site id.
 */
export async function openVisitorFrame(policies: string[], timeoutMs = 10_000): Promise<VisitorFrame> {
  const frame = document.createElement('iframe');
  frame.title = __('Clickpath self-test', 'clickpath');
  frame.setAttribute('aria-hidden', 'true');
  frame.tabIndex = -1;
  frame.style.cssText = 'position:absolute;width:1px;height:1px;border:0;left:-9999px;top:0';
  frame.srcdoc = `<!doctype html><html><head>${policies
    .map((p) => `<meta http-equiv="Content-Security-Policy" content="${escapeAttribute(p)}">`)
    .join('')}</head><body></body></html>`;
  const loaded = new Promise((resolve) => frame.addEventListener('load', resolve, { once: true }));
  document.body.appendChild(frame);
  await loaded;
  const win = frame.contentWindow as (Window & typeof globalThis) | null;
  const doc = frame.contentDocument;
  if (!win || !doc) throw new Error('The self-test frame did not open.');
  const violations: SecurityPolicyViolationEvent[] = [];
  doc.addEventListener('securitypolicyviolation', (event) => violations.push(event));
  // Browsers may shorten a cross-origin blocked URL to its origin; the directive tells the rest.
  const blocked = (url: string, directives: string[]): { kind: 'csp'; directive: string } | null => {
    const found =
      violations.find((v) => v.blockedURI && url.startsWith(v.blockedURI.replace(/\/$/, ''))) ??
      violations.find((v) => directives.includes(v.effectiveDirective));
    return found
      ? { kind: 'csp', directive: governingDirective(found.originalPolicy, found.effectiveDirective) }
      : null;
  };

  return {
    loadScript: (tag) =>
      new Promise<FrameOutcome>((resolve) => {
        const script = doc.createElement('script');
        if (tag.nonce) script.setAttribute('nonce', tag.nonce);
        if (tag.integrity) script.setAttribute('integrity', tag.integrity);
        if (tag.crossOrigin !== null) script.setAttribute('crossorigin', tag.crossOrigin);
        const timer = setTimeout(() => resolve({ kind: 'error' }), timeoutMs);
        script.onload = () => {
          clearTimeout(timer);
          resolve({ kind: 'ok' });
        };
        script.onerror = () => {
          clearTimeout(timer);
          void nextTask().then(() => resolve(blocked(tag.src, ['script-src-elem', 'script-src']) ?? { kind: 'error' }));
        };
        script.src = tag.src;
        doc.head.appendChild(script);
      }),
    send: async (url, body) => {
      try {
        // The frame's own fetch: its policy's connect-src applies, as on the front page.
        const response = await win.fetch(url, { method: 'POST', body, ...VISITOR });
        const text = await response.text();
        let json: unknown = null;
        try {
          json = JSON.parse(text);
        } catch {
          // Not JSON: the status says enough.
        }
        return { kind: 'response', status: response.status, body: json };
      } catch {
        await nextTask();
        return blocked(url, ['connect-src']) ?? { kind: 'network-error' };
      }
    },
    close: () => frame.remove(),
  };
}
