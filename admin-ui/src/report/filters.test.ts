import {
  addFilter,
  parseFilter,
  parseUrlState,
  removeFilter,
  serializeFilter,
  serializeUrlState,
  withView,
  type UrlState,
} from './filters';

describe('filters', () => {
  it('parses dim:op:value, keeping colons in the value', () => {
    expect(parseFilter('page:is:/a:b')).toEqual({ dim: 'page', op: 'is', value: '/a:b' });
    expect(parseFilter('country:is_not:NL')).toEqual({ dim: 'country', op: 'is_not', value: 'NL' });
  });

  it('rejects what the backend would refuse', () => {
    expect(parseFilter('nope:is:x')).toBeNull();
    expect(parseFilter('page:equals:x')).toBeNull();
    expect(parseFilter('page')).toBeNull();
    expect(parseFilter('goal:contains:x')).toBeNull();
  });

  it('round-trips through serializeFilter', () => {
    const f = { dim: 'source', op: 'contains', value: 'goo:gle' } as const;
    expect(parseFilter(serializeFilter(f))).toEqual(f);
  });

  it('replaces a filter on the same dimension and operator, and removes exactly one', () => {
    const one = addFilter([], { dim: 'country', op: 'is', value: 'NL' });
    const two = addFilter(one, { dim: 'country', op: 'is', value: 'DE' });
    expect(two).toEqual([{ dim: 'country', op: 'is', value: 'DE' }]);
    const three = addFilter(two, { dim: 'page', op: 'is', value: '/' });
    expect(removeFilter(three, { dim: 'country', op: 'is', value: 'DE' })).toEqual([
      { dim: 'page', op: 'is', value: '/' },
    ]);
  });
});

describe('URL state', () => {
  it('reads a custom range, comparison and repeated filters', () => {
    const state = parseUrlState(
      '?page=clickpath&from=2026-01-01&to=2026-01-31&compare=none&filter=country%3Ais%3ANL&filter=bad',
    );
    expect(state).toEqual({
      period: 'custom',
      from: '2026-01-01',
      to: '2026-01-31',
      compare: 'none',
      filters: [{ dim: 'country', op: 'is', value: 'NL' }],
      view: 'overview',
    });
  });

  it('falls back to the default preset for broken dates', () => {
    expect(parseUrlState('?from=2026-02-30&to=2026-03-01')).toEqual({
      period: '30d',
      compare: 'previous',
      filters: [],
      view: 'overview',
    });
    expect(parseUrlState('?period=7d')).toEqual({ period: '7d', compare: 'previous', filters: [], view: 'overview' });
  });

  it('writes its own keys and keeps the others (wp-admin needs page=clickpath)', () => {
    const search = serializeUrlState('?page=clickpath&filter=old%3Ais%3Ax', {
      period: 'custom',
      from: '2026-01-01',
      to: '2026-01-31',
      compare: 'previous',
      filters: [{ dim: 'page', op: 'contains', value: '/blog' }],
      view: 'overview',
    });
    const params = new URLSearchParams(search);
    expect(params.get('page')).toBe('clickpath');
    expect(params.getAll('filter')).toEqual(['page:contains:/blog']);
    expect(params.get('from')).toBe('2026-01-01');
    expect(params.has('compare')).toBe(false);
    expect(parseUrlState(search).filters).toEqual([{ dim: 'page', op: 'contains', value: '/blog' }]);
  });

  it('keeps the open view and visitor, and drops a visitor outside the Visitors view', () => {
    const state: UrlState = { period: '7d', compare: 'previous', filters: [], view: 'visitors', visitor: 'c:10Wut' };
    const search = serializeUrlState('?page=clickpath', state);
    expect(new URLSearchParams(search).get('visitor')).toBe('c:10Wut');
    expect(parseUrlState(search)).toEqual(state);
    expect(parseUrlState('?view=goals&visitor=c:1')).toEqual({
      period: '30d',
      compare: 'previous',
      filters: [],
      view: 'goals',
    });
    expect(parseUrlState('?view=nope').view).toBe('overview');
    expect(new URLSearchParams(serializeUrlState('?view=goals', { ...state, view: 'overview' })).has('view')).toBe(
      false,
    );
  });

  it('withView switches the view and closes or opens a visitor, keeping range and filters', () => {
    const open = withView(parseUrlState('?period=7d&filter=country%3Ais%3ANL'), 'visitors', 'v1');
    expect(open).toMatchObject({ period: '7d', view: 'visitors', visitor: 'v1' });
    expect(withView(open, 'goals')).toEqual({
      period: '7d',
      compare: 'previous',
      filters: [{ dim: 'country', op: 'is', value: 'NL' }],
      view: 'goals',
    });
  });
});
