/**
 * WordPress dependencies
 */
import { createElement } from '@wordpress/element';
import { __, sprintf } from '@wordpress/i18n';

/**
 * Internal dependencies
 */
import type { BreakdownQuery, Dimension, RangeQuery } from '../../data/types';
import { useReport } from '../context';
import { dimensionLabel } from '../labels';

interface ExportButtonsProps {
  dim: Dimension;
  query: RangeQuery & Partial<Pick<BreakdownQuery, 'sort' | 'order'>>;
}

/** Download links for the breakdown shown (plain links: the browser streams the file). */
export function ExportButtons({ dim, query }: ExportButtonsProps) {
  const { source } = useReport();
  const label = dimensionLabel(dim);
  return (
    <div className="clickpath-report__export">
      <span>{__('Export:', 'clickpath')}</span>
      <a
        className="components-button is-secondary"
        href={source.exportUrl(dim, query, 'csv')}
        download
        aria-label={sprintf(/* translators: %s: dimension */ __('Export %s as CSV', 'clickpath'), label)}
      >
        CSV
      </a>
      <a
        className="components-button is-secondary"
        href={source.exportUrl(dim, query, 'json')}
        download
        aria-label={sprintf(/* translators: %s: dimension */ __('Export %s as JSON', 'clickpath'), label)}
      >
        JSON
      </a>
    </div>
  );
}
