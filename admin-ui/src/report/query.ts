import { useCallback, useEffect, useState } from '@wordpress/element';

import type { Preset } from '../lib/dates';
import { parseUrlState, serializeUrlState, type UrlState } from './filters';

/** The report's range, comparison and filters, kept in the page URL (back/forward work). */
export function useUrlState(fallback: Preset = '30d'): [UrlState, (next: UrlState) => void] {
  const [state, setState] = useState<UrlState>(() => parseUrlState(window.location.search, fallback));
  useEffect(() => {
    const onPop = () => setState(parseUrlState(window.location.search, fallback));
    window.addEventListener('popstate', onPop);
    return () => window.removeEventListener('popstate', onPop);
  }, [fallback]);
  const update = useCallback((next: UrlState) => {
    const search = serializeUrlState(window.location.search, next);
    window.history.pushState(null, '', `${window.location.pathname}${search}${window.location.hash}`);
    setState(next);
  }, []);
  return [state, update];
}
