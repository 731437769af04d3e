import { createElement } from '@wordpress/element';
import type { ReactNode } from 'react';

import { createStandaloneSource } from '../data/standalone';
import type { DataSource } from '../data/types';
import { ReportContext } from '../report/context';

export const SITE = '0123456789abcdef01234567';

type Answer =
  { status?: number; body?: unknown } | ((url: URL, init: RequestInit) => { status?: number; body?: unknown });

/**
 * A fetch stand-in for the backend: answers by path (after `/api/v1/sites/:site/`),
 * longest match first, and records every call. Unknown paths answer 404.
 */
export function fakeBackend(routes: Record<string, Answer | Answer[]>) {
  const calls: Array<{ url: URL; init: RequestInit }> = [];
  const used: Record<string, number> = {};
  const fetch = jest.fn(async (input: string, init: RequestInit = {}) => {
    const url = new URL(input, 'https://stats.example.com');
    calls.push({ url, init });
    const rel = url.pathname.replace(`/api/v1/sites/${SITE}/`, '');
    const key = Object.keys(routes)
      .sort((a, b) => b.length - a.length)
      .find((k) => rel === k || rel.startsWith(`${k}/`) || rel.startsWith(k));
    let answer: Answer | undefined;
    if (key !== undefined) {
      const entry = routes[key]!;
      if (Array.isArray(entry)) {
        const n = used[key] ?? 0;
        used[key] = n + 1;
        answer = entry[Math.min(n, entry.length - 1)];
      } else answer = entry;
    }
    const { status = 200, body } =
      typeof answer === 'function'
        ? answer(url, init)
        : (answer ?? { status: 404, body: { error: { code: 'not_found', message: 'Not found' } } });
    return fakeResponse(status, body);
  });
  const source = createStandaloneSource({ siteId: SITE, fetch });
  return { fetch, calls, source };
}

/** Just the parts of a fetch Response the data sources read (jsdom has no Response). */
export const fakeResponse = (status: number, body?: unknown, raw?: string): Response =>
  ({
    ok: status >= 200 && status < 300,
    status,
    statusText: status === 200 ? 'OK' : '',
    headers: { get: (name: string) => (name.toLowerCase() === 'content-type' ? 'application/json' : null) },
    json: async () => body,
    text: async () => raw ?? (body === undefined ? '' : JSON.stringify(body)),
  }) as unknown as Response;

export function withReport(source: DataSource, node: ReactNode, host: 'wordpress' | 'standalone' = 'standalone') {
  return (
    <ReportContext.Provider
      value={{ source, host, snippetHint: 'Paste the snippet into your pages.', timeZone: 'UTC' }}
    >
      {node}
    </ReportContext.Provider>
  );
}

export const metrics = (over: Partial<Record<string, number>> = {}) => ({
  visitors: 0,
  visits: 0,
  pageviews: 0,
  viewsPerVisit: 0,
  bounceRate: 0,
  avgVisitDuration: 0,
  events: 0,
  ...over,
});

export const apiError = (status: number, code: string, message: string) => ({
  status,
  body: { error: { code, message } },
});
