import { useCallback, useEffect, useState } from '@wordpress/element';

import type { Preset } from '../lib/dates';
import { parseUrlState, serializeUrlState, type UrlState } from './filters';

/**
 * Where the report keeps its state: the page's query string (wp-admin, beside `page=clickpath`)
 * or the query of the hash route (the dashboard, `#/sites/1?view=visitors`), so that a link to
 * another site starts from that site's defaults.
 */
export type UrlPlace = 'search' | 'hash';

/** The hash route without its query: `#/sites/1`. */
const hashRoute = (hash: string): string => hash.split('?')[0] ?? '';

function readQuery(place: UrlPlace): string {
  if (place === 'search') return window.location.search;
  const { hash } = window.location;
  const at = hash.indexOf('?');
  return at < 0 ? '' : hash.slice(at);
}

/** The current URL with `query` in `place` ('' or '?…'). */
function urlWith(place: UrlPlace, query: string): string {
  const { pathname, search, hash } = window.location;
  if (place === 'search') return `${pathname}${query}${hash}`;
  return `${pathname}${search}${hashRoute(hash)}${query}`;
}

/** The report's view, visitor, range, comparison and filters, kept in the page URL (back/forward work). */
export function useUrlState(
  fallback: Preset = '30d',
  place: UrlPlace = 'search',
): [UrlState, (next: UrlState) => void] {
  const [state, setState] = useState<UrlState>(() => parseUrlState(readQuery(place), fallback));
  useEffect(() => {
    const route = hashRoute(window.location.hash);
    const onPop = () => {
      // Leaving for another hash route (logout, another site) unmounts the report: fetch nothing for it.
      if (place === 'hash' && hashRoute(window.location.hash) !== route) return;
      setState(parseUrlState(readQuery(place), fallback));
    };
    window.addEventListener('popstate', onPop);
    // A link to the same route without the query changes only the hash.
    if (place === 'hash') window.addEventListener('hashchange', onPop);
    return () => {
      window.removeEventListener('popstate', onPop);
      window.removeEventListener('hashchange', onPop);
    };
  }, [fallback, place]);
  const update = useCallback(
    (next: UrlState) => {
      const url = urlWith(place, serializeUrlState(readQuery(place), next));
      const { pathname, search, hash } = window.location;
      if (url !== `${pathname}${search}${hash}`) window.history.pushState(null, '', url);
      setState(next);
    },
    [place],
  );
  return [state, update];
}
