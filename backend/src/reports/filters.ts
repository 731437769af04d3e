import { AppError } from '../lib/errors';
import { BREAKDOWN_DIMENSIONS, type BreakdownDimension } from './dimensions';

export const FILTER_OPERATORS = ['is', 'is_not', 'contains'] as const;
export type FilterOperator = (typeof FILTER_OPERATORS)[number];

export interface Filter {
  dim: BreakdownDimension | 'goal';
  op: FilterOperator;
  value: string;
}

const FILTER_DIMENSIONS = new Set<string>([...BREAKDOWN_DIMENSIONS, 'goal']);

/**
 * Parses `filter=<dimension>:<operator>:<value>` query values (repeatable,
 * combined with AND). The value is everything after the second colon, so it may
 * itself contain colons.
 */
export function parseFilters(raw: string | string[] | undefined): Filter[] {
  const values = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  if (values.length > 10) throw new AppError('validation_failed', 'At most 10 filters');
  return values.map((value, index) => {
    const first = value.indexOf(':');
    const second = first < 0 ? -1 : value.indexOf(':', first + 1);
    const dim = value.slice(0, first);
    const op = value.slice(first + 1, second);
    const operand = value.slice(second + 1);
    const problem = (message: string) =>
      new AppError('validation_failed', `filter[${index}] ${message}`, [
        { path: `query.filter.${index}`, message: 'expected <dimension>:<is|is_not|contains>:<value>' },
      ]);
    if (first < 0 || second < 0) throw problem('is malformed');
    if (!FILTER_DIMENSIONS.has(dim)) throw problem(`names an unknown dimension "${dim.slice(0, 40)}"`);
    if (!(FILTER_OPERATORS as readonly string[]).includes(op))
      throw problem(`has an unknown operator "${op.slice(0, 20)}"`);
    if (operand.length > 500) throw problem('value is longer than 500 characters');
    if (dim === 'goal' && op === 'contains') throw problem('goal filters take is or is_not');
    return { dim: dim as Filter['dim'], op: op as FilterOperator, value: operand };
  });
}

/** Case-insensitive substring match, the same in every engine. */
export function matches(filter: Pick<Filter, 'op' | 'value'>, candidate: string): boolean {
  switch (filter.op) {
    case 'is':
      return candidate === filter.value;
    case 'is_not':
      return candidate !== filter.value;
    case 'contains':
      return candidate.toLowerCase().includes(filter.value.toLowerCase());
  }
}
