import { boundDetails, MAX_DETAIL_BYTES, MAX_DETAIL_ITEMS, MAX_DETAIL_TEXT } from './details';

describe('boundDetails', () => {
  it.each([
    ['short text', { name: 'Pricing' }, { name: 'Pricing' }],
    ['numbers, booleans and null', { n: 3, on: false, none: null }, { n: 3, on: false, none: null }],
    ['nothing', {}, {}],
  ])('when the details hold %s, then they are stored as given', (_label, details, expected) => {
    expect(boundDetails(details)).toEqual(expected);
  });

  it('when a number is not finite, then null is stored: JSON has no infinity', () => {
    expect(boundDetails({ n: Number.POSITIVE_INFINITY })).toEqual({ n: null });
  });

  it('when a text is longer than the bound, then it is cut and ends with an ellipsis', () => {
    const { match } = boundDetails({ match: 'x'.repeat(5_000) }) as { match: string };
    expect(match).toHaveLength(MAX_DETAIL_TEXT);
    expect(match.endsWith('…')).toBe(true);
  });

  it('when a list is longer than the bound, then the rest is counted in a last item', () => {
    const { steps } = boundDetails({ steps: Array.from({ length: 50 }, (_, i) => `s${i}`) }) as { steps: string[] };
    expect(steps).toHaveLength(MAX_DETAIL_ITEMS + 1);
    expect(steps.at(-1)).toBe(`… ${50 - MAX_DETAIL_ITEMS} more`);
  });

  it('when an object has too many keys or nests too deep, then the extra keys and depth are dropped', () => {
    const wide = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`k${i}`, i]));
    expect(Object.keys(boundDetails(wide))).toHaveLength(MAX_DETAIL_ITEMS);
    expect(boundDetails({ a: { b: { c: { d: { e: 1 } } } } })).toEqual({ a: { b: { c: { d: '…' } } } });
  });

  it('when the bounded details are still too large, then only the fact that they were is kept', () => {
    const big = Object.fromEntries(
      Array.from({ length: MAX_DETAIL_ITEMS }, (_, i) => [`k${i}`, 'x'.repeat(MAX_DETAIL_TEXT)]),
    );
    expect(Buffer.byteLength(JSON.stringify(big))).toBeGreaterThan(MAX_DETAIL_BYTES);
    expect(boundDetails(big)).toEqual({ truncated: true });
  });
});
