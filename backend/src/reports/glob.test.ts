import { globMatcher } from './glob';

const matches = (pattern: string, text: string) => globMatcher(pattern)(text);

describe('globMatcher', () => {
  it('when the pattern has no star, then only the same text matches, case-sensitively', () => {
    expect(matches('/pricing', '/pricing')).toBe(true);
    expect(matches('/pricing', '/pricing/')).toBe(false);
    expect(matches('/pricing', '/Pricing')).toBe(false);
    expect(matches('/pricing', 'x/pricing')).toBe(false);
  });

  it('when the pattern ends with a star, then it matches every text with that prefix, the prefix alone included', () => {
    expect(matches('/blog/*', '/blog/')).toBe(true);
    expect(matches('/blog/*', '/blog/a/b?c')).toBe(true);
    expect(matches('/blog/*', '/blog')).toBe(false);
    expect(matches('/blog/*', '/about/blog/x')).toBe(false);
  });

  it('when the pattern starts with a star, then it matches every text with that suffix', () => {
    expect(matches('*/thanks', '/shop/thanks')).toBe(true);
    expect(matches('*/thanks', '/thanks')).toBe(true);
    expect(matches('*/thanks', '/thanks/again')).toBe(false);
  });

  it('when stars are in the middle, then each matches any run of characters, none and slashes included', () => {
    expect(matches('/shop/*/buy', '/shop/shoes/buy')).toBe(true);
    expect(matches('/shop/*/buy', '/shop/a/b/c/buy')).toBe(true);
    expect(matches('/shop/*/buy', '/shop//buy')).toBe(true);
    expect(matches('/shop/*/buy', '/shop/buy')).toBe(false);
    expect(matches('/a*b*c', '/abc')).toBe(true);
    expect(matches('/a*b*c', '/a-c-b')).toBe(false);
    // A later part must start after the earlier one ends: "aba" has only one "ab" before "a".
    expect(matches('*ab*ba*', 'aba')).toBe(false);
    expect(matches('*ab*ba*', 'abba')).toBe(true);
    // Prefix and suffix may not share characters.
    expect(matches('ab*ba', 'aba')).toBe(false);
    expect(matches('ab*ba', 'abba')).toBe(true);
  });

  it('when stars repeat, then they act as one', () => {
    expect(matches('/a**b', '/ab')).toBe(true);
    expect(matches('***', '')).toBe(true);
    expect(matches('*', '/anything at all')).toBe(true);
  });

  it('when the pattern or text is empty, then only the empty text matches an empty pattern', () => {
    expect(matches('', '')).toBe(true);
    expect(matches('', '/')).toBe(false);
    expect(matches('/', '')).toBe(false);
    expect(matches('*', '')).toBe(true);
  });

  it('when characters are special in regular expressions, then they match only themselves', () => {
    expect(matches('/a.b', '/a.b')).toBe(true);
    expect(matches('/a.b', '/axb')).toBe(false);
    expect(matches('/search?q=(x)+[y]|{z}^$\\', '/search?q=(x)+[y]|{z}^$\\')).toBe(true);
    expect(matches('/a?', '/ab')).toBe(false);
  });

  it('when the text holds line separators, then a star matches across them too', () => {
    expect(matches('/a*b', '/a\nx\u2028b')).toBe(true);
  });

  it('when the pattern and text are unicode, then whole characters match, astral ones included', () => {
    expect(matches('/café/*', '/café/menü')).toBe(true);
    expect(matches('/café/*', '/cafe/menü')).toBe(false);
    expect(matches('/*/🎉', '/日本語/🎉')).toBe(true);
    expect(matches('/🎉*🎈', '/🎉🎈')).toBe(true);
    expect(matches('/🎉*🎈', '/🎉')).toBe(false);
  });

  it('when a goal of 249 star-a pairs and a b (499 characters) meets paths of 1,024 characters, then it answers in milliseconds', () => {
    const goal = globMatcher('*a'.repeat(249) + 'b');
    const middle = globMatcher('*' + 'a'.repeat(400) + 'b*');
    const miss = '/' + 'a'.repeat(1023);
    const hit = '/' + 'a'.repeat(1022) + 'b';
    const late = '/' + 'ab'.repeat(200) + 'a'.repeat(100);
    const answers: boolean[] = [];
    const started = performance.now();
    for (let i = 0; i < 100; i += 1) answers.push(goal(miss), goal(hit), goal(late), middle(miss));
    const elapsed = performance.now() - started;
    expect(answers).toEqual(Array.from({ length: 100 }, () => [false, true, false, false]).flat());
    // 400 matches; the backtracking regular expression took minutes for one.
    expect(elapsed).toBeLessThan(50);
  });
});
