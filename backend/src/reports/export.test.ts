import { defuse } from './export';

/**
 * CSV cells that a spreadsheet would run as a formula start with a quote. Excel and
 * LibreOffice skip leading control characters and read fullwidth signs as their ASCII
 * forms, so those count as formula starts too.
 */
describe('defuse', () => {
  it.each([
    ['=HYPERLINK("http://x")', `'=HYPERLINK("http://x")`],
    ['+1+1', `'+1+1`],
    ['-1+1', `'-1+1`],
    ['@SUM(A1)', `'@SUM(A1)`],
    ['\t=1+1', `'\t=1+1`],
    ['\r=1+1', `'\r=1+1`],
    ['\u0000=cmd|calc', `'\u0000=cmd|calc`],
    ['\u001f=1+1', `'\u001f=1+1`],
    ['\u0085=1+1', `'\u0085=1+1`],
    ['\u0001plain', `'\u0001plain`],
    ['＝HYPERLINK("http://x")', `'＝HYPERLINK("http://x")`],
    ['＋1', `'＋1`],
    ['－1', `'－1`],
    ['＠SUM(A1)', `'＠SUM(A1)`],
    ['  =1+1', `'  =1+1`],
  ])('when a cell is %j, then it is exported as %j', (cell, expected) => {
    expect(defuse(cell)).toBe(expected);
  });

  it.each(['/pricing', 'Hello = world', 'a-b', '42', '', 'e-mail@example.com', '日本語'])(
    'when a cell is %j, then it is left as it is',
    (cell) => {
      expect(defuse(cell)).toBe(cell);
    },
  );

  it('when a cell is a number or an object, then it is written as text without a quote', () => {
    expect(defuse(-3)).toBe('-3');
    expect(defuse({ a: '=1' })).toBe('{"a":"=1"}');
  });
});
