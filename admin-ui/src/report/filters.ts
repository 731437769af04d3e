import { parseDay } from '../lib/dates';
import { PRESETS, type Preset } from '../lib/dates';
import { DIMENSIONS, FILTER_OPERATORS, type Compare, type Filter, type FilterOperator } from '../data/types';
import { serializeFilter } from '../data/query-string';

export { serializeFilter };

const FILTER_DIMS = new Set<string>([...DIMENSIONS, 'goal']);
export const MAX_FILTERS = 10;

/** `country:is:NL` → a Filter; null for anything the backend would refuse. */
export function parseFilter(raw: string): Filter | null {
  const first = raw.indexOf(':');
  const second = first < 0 ? -1 : raw.indexOf(':', first + 1);
  if (first < 0 || second < 0) return null;
  const dim = raw.slice(0, first);
  const op = raw.slice(first + 1, second);
  const value = raw.slice(second + 1);
  if (!FILTER_DIMS.has(dim) || !(FILTER_OPERATORS as readonly string[]).includes(op)) return null;
  if (value.length > 500 || (dim === 'goal' && op === 'contains')) return null;
  return { dim: dim as Filter['dim'], op: op as FilterOperator, value };
}

/** Adds a filter, replacing one on the same dimension and operator; at most ten. */
export function addFilter(filters: readonly Filter[], filter: Filter): Filter[] {
  const rest = filters.filter((f) => !(f.dim === filter.dim && f.op === filter.op));
  return [...rest, filter].slice(-MAX_FILTERS);
}

export const removeFilter = (filters: readonly Filter[], filter: Filter): Filter[] =>
  filters.filter((f) => !(f.dim === filter.dim && f.op === filter.op && f.value === filter.value));

export const REPORT_VIEWS = ['overview', 'visitors', 'goals', 'funnels'] as const;
export type ReportView = (typeof REPORT_VIEWS)[number];

/** The report state kept in the page's URL. */
export interface UrlState {
  period: Preset;
  from?: string;
  to?: string;
  compare: Compare;
  filters: Filter[];
  view: ReportView;
  /** The visitor whose profile is open (Visitors view only). */
  visitor?: string;
}

const KEYS = ['period', 'from', 'to', 'compare', 'filter', 'view', 'visitor'] as const;
const MAX_VISITOR_ID = 200;

/** Reads the report state from a query string; unknown or broken values fall back to defaults. */
export function parseUrlState(search: string, fallback: Preset = '30d'): UrlState {
  const params = new URLSearchParams(search);
  const filters = params
    .getAll('filter')
    .map(parseFilter)
    .filter((f): f is Filter => f !== null)
    .slice(0, MAX_FILTERS);
  const compare: Compare = params.get('compare') === 'none' ? 'none' : 'previous';
  const from = params.get('from') ?? '';
  const to = params.get('to') ?? '';
  const periodParam = params.get('period') ?? '';
  const viewParam = params.get('view') ?? '';
  const view = (REPORT_VIEWS as readonly string[]).includes(viewParam) ? (viewParam as ReportView) : 'overview';
  const visitor = params.get('visitor') ?? '';
  const shown = view === 'visitors' && visitor && visitor.length <= MAX_VISITOR_ID ? { view, visitor } : { view };
  if (parseDay(from) && parseDay(to) && from <= to && (periodParam === 'custom' || !periodParam)) {
    return { period: 'custom', from, to, compare, filters, ...shown };
  }
  const period =
    (PRESETS as readonly string[]).includes(periodParam) && periodParam !== 'custom'
      ? (periodParam as Preset)
      : fallback;
  return { period, compare, filters, ...shown };
}

/** The state showing another view (or visitor) with the same range and filters. */
export function withView(state: UrlState, view: ReportView, visitor?: string): UrlState {
  const { visitor: _open, ...rest } = state;
  return visitor === undefined ? { ...rest, view } : { ...rest, view, visitor };
}

/** Writes the report state into a query string, keeping parameters that are not ours (`page=clickpath`). */
export function serializeUrlState(search: string, state: UrlState): string {
  const params = new URLSearchParams(search);
  for (const key of KEYS) params.delete(key);
  params.set('period', state.period);
  if (state.period === 'custom' && state.from && state.to) {
    params.set('from', state.from);
    params.set('to', state.to);
  }
  if (state.compare === 'none') params.set('compare', 'none');
  for (const f of state.filters) params.append('filter', serializeFilter(f));
  if (state.view !== 'overview') params.set('view', state.view);
  if (state.view === 'visitors' && state.visitor) params.set('visitor', state.visitor);
  const qs = params.toString();
  return qs ? `?${qs}` : '';
}
