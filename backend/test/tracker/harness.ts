import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

export const BACKEND_DIR = join(__dirname, '../..');
export const TRACKER_FILE = join(BACKEND_DIR, 'tracker/dist/clickpath.js');
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * Runs tracker/build.mjs and returns the built file's text with the build's exit status and
 * output. The build writes the file before failing on the size budget, so behaviour tests
 * can still run while the size test reports the overrun.
 */
export function buildTracker(): { code: string; status: number | null; output: string } {
  const run = spawnSync(process.execPath, [join(BACKEND_DIR, 'tracker/build.mjs')], { encoding: 'utf8' });
  if (run.error) throw run.error;
  if (run.status !== 0 && !/exceeds/.test(run.stderr))
    throw new Error(`tracker build failed:\n${run.stdout}${run.stderr}`);
  return { code: readFileSync(TRACKER_FILE, 'utf8'), status: run.status, output: run.stdout + run.stderr };
}

/** Headless, offline-quiet Chromium: no background updates, sync or QUIC. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * Starts headless Debian Chromium; playwright gives each launch a fresh temporary profile. Fails (never skips) when the
 * browser is missing, so a CI machine without it cannot pass silently.
 */
export async function launchBrowser(): Promise<{ context: () => Promise<BrowserContext>; close: () => Promise<void> }> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium not found at ${CHROMIUM}: install Debian's chromium package or set CHROMIUM_PATH. Browser tests do not skip.`,
    );
  }
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  return {
    context: () => browser.newContext(),
    close: () => browser.close(),
  };
}

export interface Captured {
  /** The path it was posted to: `/api/event`, or one under a prefix. */
  path: string;
  body: unknown;
  contentType: string | undefined;
  headers: IncomingHttpHeaders;
}

export interface PageServer {
  origin: string;
  /** Every POST to a path ending in /api/event, parsed, in arrival order. */
  captured: Captured[];
  /** Registers an HTML page at `path` and returns its absolute URL. */
  page: (path: string, html: string) => string;
  /** Resolves with the events matching `match` once there are at least `count`; rejects after `timeoutMs`. */
  waitFor: (
    match: (e: Record<string, unknown>) => boolean,
    count: number,
    timeoutMs?: number,
  ) => Promise<Record<string, unknown>[]>;
  /** Flattened events (a batch body counts as its items). */
  events: () => Record<string, unknown>[];
  close: () => Promise<void>;
}

/**
 * Serves registered pages and the built tracker (at /clickpath.js, and at `<base>/js/clickpath.js`
 * as a backend served under a path has it) from 127.0.0.1 on a random port, and captures POSTs to
 * any path ending in /api/event. Collector tests point the tracker at the real backend instead,
 * with `trackerPage({ attrs: { api } })` (collect-browser.test.ts).
 */
export async function servePages(): Promise<PageServer> {
  const pages = new Map<string, string>();
  const captured: Captured[] = [];
  const waiters = new Set<() => void>();
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    if (req.method === 'POST' && path.endsWith('/api/event')) {
      let raw = '';
      req.setEncoding('utf8');
      req.on('data', (c: string) => (raw += c));
      req.on('end', () => {
        let body: unknown;
        try {
          body = JSON.parse(raw);
        } catch {
          body = { unparsable: raw };
        }
        captured.push({ path, body, contentType: req.headers['content-type'], headers: req.headers });
        res.writeHead(202).end();
        for (const w of waiters) w();
      });
      return;
    }
    // At the root, or as a backend hosted under a path serves it (`<base>/js/clickpath.js`).
    if (path === '/clickpath.js' || path.endsWith('/js/clickpath.js')) {
      res.writeHead(200, { 'content-type': 'text/javascript' }).end(readFileSync(TRACKER_FILE));
      return;
    }
    const html = pages.get(path);
    if (html === undefined) {
      res.writeHead(404, { 'content-type': 'text/html' }).end('<title>Not found</title>');
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const events = () =>
    captured.flatMap((c) => (Array.isArray(c.body) ? c.body : [c.body])) as Record<string, unknown>[];

  return {
    origin,
    captured,
    events,
    page: (path, html) => {
      pages.set(path, html);
      return origin + path;
    },
    waitFor: (match, count, timeoutMs = 5000) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const found = events().filter(match);
          if (found.length >= count) {
            waiters.delete(check);
            clearTimeout(timer);
            resolve(found);
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`timed out waiting for ${count} event(s); have ${JSON.stringify(events().filter(match))}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      }),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** An HTML page carrying the tracker tag; `attrs` become data-* attributes (true = present and empty, false = absent). */
export function trackerPage(opts: {
  site?: string;
  attrs?: Record<string, string | boolean>;
  head?: string;
  body?: string;
  title?: string;
  src?: string;
}): string {
  const attrs = Object.entries({ site: opts.site ?? 'site_test_01', localhost: true, ...opts.attrs })
    .filter(([, v]) => v !== false)
    .map(([k, v]) => (v === true ? ` data-${k}` : ` data-${k}="${v}"`))
    .join('');
  return `<!doctype html><html><head><meta charset="utf-8"><title>${opts.title ?? 'Test page'}</title>${opts.head ?? ''}</head>
<body>${opts.body ?? ''}<script src="${opts.src ?? '/clickpath.js'}"${attrs}></script></body></html>`;
}
