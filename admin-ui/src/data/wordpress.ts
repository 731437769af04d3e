/**
 * The report data source inside wp-admin: the plugin's REST proxy via `@wordpress/api-fetch`.
 *
 * The plugin's proxy mirrors the backend's site routes one to one under the `clickpath/v1`
 * namespace, forwarding the query string and JSON body, adding the connected site id and
 * API key. PHP keeps only the last of repeated `filter=` values, so filters travel as
 * `filter[]=` here and the proxy sends them on as repeated `filter=`:
 *
 *   GET    clickpath/v1/stats/overview?from&to&filter…&compare   → GET    /api/v1/sites/:siteId/stats/overview
 *   GET    clickpath/v1/stats/timeseries?…&interval              → GET    /api/v1/sites/:siteId/stats/timeseries
 *   GET    clickpath/v1/stats/breakdown/<dimension>?…            → GET    /api/v1/sites/:siteId/stats/breakdown/<dimension>
 *   GET    clickpath/v1/stats/realtime?after                     → GET    /api/v1/sites/:siteId/stats/realtime
 *   GET    clickpath/v1/stats/goals?from&to&filter…              → GET    /api/v1/sites/:siteId/stats/goals
 *   GET    clickpath/v1/visitors?…  |  visitors/<visitorId>      → GET    /api/v1/sites/:siteId/visitors[/<visitorId>]
 *   GET    clickpath/v1/goals  |  POST goals  |  PATCH goals/<id>  |  DELETE goals/<id>
 *   GET    clickpath/v1/funnels  |  POST funnels  |  DELETE funnels/<id>  |  GET funnels/<id>/report?from&to&filter…
 *   GET    clickpath/v1/annotations?from&to  |  POST annotations  |  DELETE annotations/<id>
 *   GET    clickpath/v1/export/breakdown/<dimension>?…&format=csv|json  (streams the file; opened as a
 *          plain link, so it must accept the `_wpnonce` query parameter)
 *
 * Errors: a `WP_Error` (`{ code, message, data: { status } }`) or the backend's own
 * `{ error: { code, message, details } }` passed through are both understood; send the
 * backend's status code and its own error code. Plugin errors: `clickpath_not_connected`,
 * `clickpath_unreachable`, `clickpath_key_rejected`, `clickpath_redirect_refused`, `clickpath_backend_error`.
 * Settings screen: GET/POST `clickpath/v1/settings`, POST `clickpath/v1/connect` (see src/settings).
 */
import apiFetch from '@wordpress/api-fetch';

import { ApiError } from './errors';
import type { RouteRequest } from './routes';
import { createDataSource, createDirectWrites } from './source';
import type { DataSource, RequestOptions } from './types';

export const NAMESPACE = 'clickpath/v1';

export interface RestSettings {
  /** `wpApiSettings.root`, e.g. https://example.com/wp-json/ (or …/?rest_route=/ without pretty permalinks). */
  root: string;
  nonce: string;
}

interface WpErrorShape {
  code?: unknown;
  message?: unknown;
  data?: { status?: unknown; details?: unknown } | null;
  error?: { code?: unknown; message?: unknown; details?: unknown };
}

/** Maps what api-fetch rejects with (a parsed error body, or its own `fetch_error`) to an ApiError. */
export function toApiError(error: unknown): unknown {
  if (error instanceof ApiError) return error;
  if ((error as { name?: string } | null)?.name === 'AbortError') return error;
  const e = (error ?? {}) as WpErrorShape;
  if (e.error && typeof e.error.code === 'string') {
    const status = typeof e.data?.status === 'number' ? e.data.status : 0;
    return new ApiError(e.error.code, String(e.error.message ?? e.error.code), status, e.error.details);
  }
  if (typeof e.code === 'string') {
    const status = typeof e.data?.status === 'number' ? e.data.status : 0;
    const code = e.code === 'fetch_error' ? 'network_error' : e.code;
    return new ApiError(code, String(e.message ?? e.code), status, e.data?.details);
  }
  return new ApiError('unknown_error', 'The request failed for an unknown reason.');
}

let middlewareFor: string | null = null;

/** Registers the root URL and nonce middlewares once per page (WordPress may have added its own already). */
export function configureApiFetch(rest: RestSettings | undefined): void {
  if (!rest || middlewareFor === rest.nonce) return;
  middlewareFor = rest.nonce;
  if (rest.root) apiFetch.use(apiFetch.createRootURLMiddleware(rest.root));
  if (rest.nonce) apiFetch.use(apiFetch.createNonceMiddleware(rest.nonce));
}

/** `filter=a&filter=b` → `filter[]=a&filter[]=b`, the form PHP reads as a list. */
export function withPhpLists(path: string): string {
  const [pathname = '', query] = path.split('?', 2);
  if (query === undefined) return path;
  const params = new URLSearchParams(query);
  const filters = params.getAll('filter');
  params.delete('filter');
  for (const filter of filters) params.append('filter[]', filter);
  return `${pathname}?${params.toString()}`;
}

/** Sends one request to the plugin; resolves with the parsed JSON body. */
export async function wpRequest<T>(route: RouteRequest, options?: RequestOptions): Promise<T> {
  try {
    return await apiFetch<T>({
      path: `${NAMESPACE}/${withPhpLists(route.path)}`,
      method: route.method,
      ...(route.body !== undefined ? { data: route.body as Record<string, unknown> } : {}),
      ...(options?.signal ? { signal: options.signal } : {}),
    });
  } catch (error) {
    throw toApiError(error);
  }
}

/** An absolute REST URL for a plain link (downloads), authenticated by `_wpnonce`. */
export function restUrl(rest: RestSettings, path: string): string {
  const [pathname = '', query = ''] = withPhpLists(path).split('?', 2);
  const params = new URLSearchParams(query);
  if (rest.nonce) params.set('_wpnonce', rest.nonce);
  const joiner = rest.root.includes('?') ? '&' : '?';
  const qs = params.toString();
  return `${rest.root}${NAMESPACE}/${pathname}${qs ? joiner + qs : ''}`;
}

/**
 * The wp-admin data source. Goals, funnels and notes are edited and deleted through the proxy too;
 * visitors are erased with WordPress's own privacy tools (Tools → Erase Personal Data), so the
 * panel offers no erase buttons here.
 */
export function createWordPressSource(rest: RestSettings): DataSource {
  configureApiFetch(rest);
  const { updateGoal, deleteFunnel, deleteAnnotation } = createDirectWrites(wpRequest);
  return {
    ...createDataSource(wpRequest, (route) => restUrl(rest, route.path)),
    updateGoal,
    deleteFunnel,
    deleteAnnotation,
  };
}
