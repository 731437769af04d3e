import type { Site } from '../dashboard/types';
import { fakeResponse, SITE } from './fake-backend';

export type Route = (init: RequestInit) => { status?: number; body?: unknown };

/** Stubs window.fetch for the dashboard's `api`: answers by `METHOD /path`, records each call's body. */
export function dashboardBackend(routes: Record<string, Route>) {
  const calls: Array<{ key: string; body: unknown }> = [];
  window.fetch = jest.fn(async (input: RequestInfo | URL, init: RequestInit = {}) => {
    const path = new URL(String(input), 'https://stats.example.com').pathname;
    const key = `${init.method ?? 'GET'} ${path}`;
    calls.push({ key, body: init.body ? JSON.parse(String(init.body)) : undefined });
    const route = routes[key];
    const { status = 200, body } = route
      ? route(init)
      : { status: 404, body: { error: { code: 'not_found', message: 'Not found' } } };
    return fakeResponse(status, body);
  }) as typeof window.fetch;
  return calls;
}

/** A 400 with the API's field messages. */
export const invalid = (details: Array<{ path: string; message: string }>) => () => ({
  status: 400,
  body: { error: { code: 'validation_failed', message: 'Invalid request body', details } },
});

export const siteFixture = (over: Partial<Site> = {}): Site => ({
  id: SITE,
  name: 'Shop',
  domain: 'shop.example',
  timezone: 'Europe/Amsterdam',
  publicId: 'pub_shop_0001',
  role: 'owner',
  settings: {
    identityMode: 'cookieless',
    honorDoNotTrack: false,
    visitTimeoutMinutes: 30,
    rawEventRetentionDays: 760,
    excludedIps: [],
    trackOutbound: true,
    trackDownloads: true,
    trackEngagement: true,
  },
  requireTwoFactor: false,
  createdAt: '2026-03-01T10:00:00.000Z',
  updatedAt: '2026-03-01T10:00:00.000Z',
  ...over,
});

/** The text a screen reader reads after the field's label (its aria-describedby targets). */
export const description = (field: HTMLElement) =>
  (field.getAttribute('aria-describedby') ?? '')
    .split(/\s+/)
    .filter(Boolean)
    .map((id) => document.getElementById(id)?.textContent ?? '')
    .join(' ');
