import { ApiError } from './errors';
import type { RouteRequest } from './routes';
import { createDataSource, createDirectWrites } from './source';
import type { DataSource, RequestOptions } from './types';

export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

export interface RequestInitLike {
  method?: string;
  body?: unknown;
  signal?: AbortSignal | undefined;
}

/**
 * One call to the backend's JSON API with the session cookie. Resolves with the parsed
 * body (undefined for 204) and rejects with an `ApiError` carrying the backend's
 * `{ error: { code, message, details } }`, or `network_error` / `http_<status>`.
 */
export async function requestJson<T>(fetchImpl: FetchLike, url: string, init: RequestInitLike = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  const hasBody = init.body !== undefined;
  if (hasBody) headers['Content-Type'] = 'application/json';
  let response: Response;
  try {
    response = await fetchImpl(url, {
      method: init.method ?? 'GET',
      headers,
      credentials: 'same-origin',
      ...(hasBody ? { body: JSON.stringify(init.body) } : {}),
      ...(init.signal ? { signal: init.signal } : {}),
    });
  } catch (error) {
    if ((error as { name?: string }).name === 'AbortError') throw error;
    throw new ApiError('network_error', 'The Clickpath server could not be reached.');
  }
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  if (!response.ok) {
    const error = (body as { error?: { code?: unknown; message?: unknown; details?: unknown } } | undefined)?.error;
    if (error && typeof error.code === 'string') {
      throw new ApiError(
        error.code,
        typeof error.message === 'string' ? error.message : error.code,
        response.status,
        error.details,
      );
    }
    throw new ApiError(
      `http_${response.status}`,
      `The server answered ${response.status} ${response.statusText}`.trim(),
      response.status,
    );
  }
  if (body === undefined && text)
    throw new ApiError('invalid_json', 'The server sent a response that is not JSON.', response.status);
  return body as T;
}

export interface StandaloneOptions {
  siteId: string;
  /** Where the API lives; the dashboard is served by the backend itself, so the default is same-origin. */
  base?: string;
  fetch?: FetchLike;
}

/** The report data source of the backend's own dashboard: `/api/v1/sites/:siteId/…` with the session cookie. */
export function createStandaloneSource({ siteId, base = '/api/v1', fetch: fetchImpl }: StandaloneOptions): DataSource {
  const doFetch: FetchLike = fetchImpl ?? ((input, init) => window.fetch(input, init));
  const prefix = `${base}/sites/${encodeURIComponent(siteId)}/`;
  const call = <T>(route: RouteRequest, options?: RequestOptions): Promise<T> =>
    requestJson<T>(doFetch, prefix + route.path, { method: route.method, body: route.body, signal: options?.signal });

  return { ...createDataSource(call, (route) => prefix + route.path), ...createDirectWrites(call) };
}
