import type { Filter } from './types';

type Value = string | number | undefined | null | readonly string[];

/** `<dim>:<op>:<value>`, the backend's filter syntax (the value may contain colons). */
export const serializeFilter = (f: Filter): string => `${f.dim}:${f.op}:${f.value}`;

/** Builds a query string (without `?`); arrays repeat the key, empty values are left out. */
export function toQueryString(params: Record<string, Value>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined || value === null || value === '') continue;
    if (typeof value === 'object') for (const item of value) search.append(key, item);
    else search.append(key, String(value));
  }
  return search.toString();
}

/** The query parameters of a report request: range, filters and whatever else is given. */
export const reportParams = (
  q: { from: string; to: string; filters?: readonly Filter[] },
  extra: Record<string, Value> = {},
): Record<string, Value> => ({ from: q.from, to: q.to, filter: (q.filters ?? []).map(serializeFilter), ...extra });

/** Appends a query string to a path. */
export const withQuery = (path: string, params: Record<string, Value>): string => {
  const qs = toQueryString(params);
  return qs ? `${path}${path.includes('?') ? '&' : '?'}${qs}` : path;
};
