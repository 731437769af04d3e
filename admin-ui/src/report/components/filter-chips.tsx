/**
 * WordPress dependencies
 */
import { Button } from '@wordpress/components';
import { createElement } from '@wordpress/element';
import { __, sprintf } from '@wordpress/i18n';

/**
 * Internal dependencies
 */
import type { Filter, Goal } from '../../data/types';
import { dimensionLabel, operatorLabel, valueLabel } from '../labels';

interface FilterChipsProps {
  filters: readonly Filter[];
  goals?: Goal[];
  onRemove: (filter: Filter) => void;
  onClear: () => void;
}

export const describeFilter = (f: Filter, goals: Goal[] = []): string =>
  `${dimensionLabel(f.dim)} ${operatorLabel(f.op)} ${f.dim === 'goal' ? (goals.find((g) => g.id === f.value)?.name ?? f.value) : f.op === 'contains' ? f.value : valueLabel(f.dim, f.value)}`;

/** The active filters as removable chips. */
export function FilterChips({ filters, goals, onRemove, onClear }: FilterChipsProps) {
  if (filters.length === 0) return null;
  return (
    <div className="clickpath-report__filters" role="group" aria-label={__('Active filters', 'clickpath')}>
      <ul className="clickpath-report__chips">
        {filters.map((f) => {
          const text = describeFilter(f, goals);
          return (
            <li key={`${f.dim}:${f.op}:${f.value}`} className="clickpath-report__chip">
              <span>{text}</span>
              <button
                type="button"
                className="clickpath-report__chip-remove"
                onClick={() => onRemove(f)}
                aria-label={sprintf(
                  /* translators: %s: filter description */ __('Remove filter: %s', 'clickpath'),
                  text,
                )}
              >
                ×
              </button>
            </li>
          );
        })}
      </ul>
      {filters.length > 1 && (
        <Button variant="link" onClick={onClear}>
          {__('Clear all filters', 'clickpath')}
        </Button>
      )}
    </div>
  );
}
