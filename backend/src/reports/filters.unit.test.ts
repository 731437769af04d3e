import { AppError } from '../lib/errors';
import { matches, parseFilters, type Filter } from './filters';

/** The error `parseFilters` throws for `raw`, or undefined. */
function errorOf(raw: string | string[]): AppError | undefined {
  try {
    parseFilters(raw);
    return undefined;
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
}

const EXPECTED_FORM = 'expected <dimension>:<is|is_not|contains>:<value>';

describe('parseFilters', () => {
  it.each<[string, string | string[] | undefined, Filter[]]>([
    ['no filter', undefined, []],
    ['one filter', 'country:is:NL', [{ dim: 'country', op: 'is', value: 'NL' }]],
    [
      'repeated filters, in order',
      ['country:is:NL', 'source:is_not:Google'],
      [
        { dim: 'country', op: 'is', value: 'NL' },
        { dim: 'source', op: 'is_not', value: 'Google' },
      ],
    ],
    ['contains', 'page:contains:/blog/', [{ dim: 'page', op: 'contains', value: '/blog/' }]],
    [
      'a value with colons',
      'referrer:is:https://x.example:8080/a',
      [{ dim: 'referrer', op: 'is', value: 'https://x.example:8080/a' }],
    ],
    ['an empty value (visits without a campaign)', 'utm_campaign:is:', [{ dim: 'utm_campaign', op: 'is', value: '' }]],
    ['a value with spaces, kept as given', 'city:is: Den Haag ', [{ dim: 'city', op: 'is', value: ' Den Haag ' }]],
    [
      'a goal',
      'goal:is_not:65f000000000000000000001',
      [{ dim: 'goal', op: 'is_not', value: '65f000000000000000000001' }],
    ],
    ['a value of 500 characters', `page:is:${'a'.repeat(500)}`, [{ dim: 'page', op: 'is', value: 'a'.repeat(500) }]],
    [
      'ten filters',
      Array.from({ length: 10 }, () => 'device:is:mobile'),
      Array.from({ length: 10 }, () => ({ dim: 'device', op: 'is', value: 'mobile' })),
    ],
  ])('when given %s, then it parses', (_label, raw, expected) => {
    expect(parseFilters(raw)).toEqual(expected);
  });

  it.each<[string, string | string[], string, string | undefined]>([
    ['no colon', 'country', 'filter[0] is malformed', 'query.filter.0'],
    ['one colon', 'country:is', 'filter[0] is malformed', 'query.filter.0'],
    ['an empty string', '', 'filter[0] is malformed', 'query.filter.0'],
    ['an unknown dimension', 'planet:is:Mars', 'filter[0] names an unknown dimension "planet"', 'query.filter.0'],
    ['a dimension in capitals', 'Country:is:NL', 'filter[0] names an unknown dimension "Country"', 'query.filter.0'],
    ['the totals "dimension"', 'all:is:x', 'filter[0] names an unknown dimension "all"', 'query.filter.0'],
    ['no dimension', ':is:NL', 'filter[0] names an unknown dimension ""', 'query.filter.0'],
    [
      'a long unknown dimension, quoted in part',
      `${'d'.repeat(100)}:is:x`,
      `filter[0] names an unknown dimension "${'d'.repeat(40)}"`,
      'query.filter.0',
    ],
    ['an unknown operator', 'country:equals:NL', 'filter[0] has an unknown operator "equals"', 'query.filter.0'],
    ['an operator in capitals', 'country:IS:NL', 'filter[0] has an unknown operator "IS"', 'query.filter.0'],
    ['no operator', 'country::NL', 'filter[0] has an unknown operator ""', 'query.filter.0'],
    [
      'a value over 500 characters',
      `page:is:${'a'.repeat(501)}`,
      'filter[0] value is longer than 500 characters',
      'query.filter.0',
    ],
    [
      'a goal filter with contains',
      'goal:contains:signup',
      'filter[0] goal filters take is or is_not',
      'query.filter.0',
    ],
    [
      'a bad second filter',
      ['country:is:NL', 'country:like:DE'],
      'filter[1] has an unknown operator "like"',
      'query.filter.1',
    ],
    ['eleven filters', Array.from({ length: 11 }, () => 'device:is:mobile'), 'At most 10 filters', undefined],
  ])('when given %s, then it is refused with a 400 that says so', (_label, raw, message, path) => {
    const error = errorOf(raw);
    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({ code: 'validation_failed', status: 400, message });
    expect(error?.details).toEqual(path === undefined ? undefined : [{ path, message: EXPECTED_FORM }]);
  });
});

describe('matches', () => {
  it.each<[Filter['op'], string, string, boolean]>([
    ['is', 'NL', 'NL', true],
    ['is', 'NL', 'nl', false],
    ['is', '', '', true],
    ['is_not', 'NL', 'DE', true],
    ['is_not', 'NL', 'NL', false],
    ['contains', '/blog', '/BLOG/post', true],
    ['contains', 'Blog', '/blog/post', true],
    ['contains', '/blog', '/about', false],
    ['contains', '', '/anything', true],
  ])('when the filter is %s %j and the key %j, then it matches: %s', (op, value, candidate, expected) => {
    expect(matches({ op, value }, candidate)).toBe(expected);
  });
});
