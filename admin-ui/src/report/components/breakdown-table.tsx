/**
 * WordPress dependencies
 */
import { Button } from '@wordpress/components';
import { createElement, useState } from '@wordpress/element';
import { __, sprintf } from '@wordpress/i18n';

/**
 * Internal dependencies
 */
import type { BreakdownRow, Dimension, Filter, RangeQuery, SortKey } from '../../data/types';
import { formatPercent } from '../../lib/format';
import { useRequest } from '../../lib/use-request';
import { useReport } from '../context';
import { dimensionLabel, metricLabel, valueLabel } from '../labels';
import { formatMetric } from '../metrics';
import { EmptyState, ErrorState, Loading } from './states';
import { TableScroll } from './table-scroll';

export const PAGE_SIZE = 10;

type Column = Exclude<SortKey, 'key'>;

/**
 * The counters each kind of dimension has: pages count views, events count events;
 * everything else (entry and exit pages too) counts visitors and visits.
 */
export const columnsFor = (dim: Dimension): Column[] => {
  switch (dim) {
    case 'page':
      return ['visitors', 'pageviews'];
    case 'event':
    case 'event_prop':
      return ['visitors', 'events'];
    default:
      return ['visitors', 'visits', 'bounceRate'];
  }
};

interface BreakdownTableProps {
  dim: Dimension;
  query: RangeQuery;
  onFilter: (filter: Filter) => void;
  /** Reports the sort in use so the export matches what is shown. */
  onSortChange?: (sort: SortKey, order: 'asc' | 'desc') => void;
}

/** One dimension's top keys: sortable columns, "show more" paging, and click-a-row-to-filter. */
export function BreakdownTable({ dim, query, onFilter, onSortChange }: BreakdownTableProps) {
  const { source } = useReport();
  const [sort, setSort] = useState<SortKey>(columnsFor(dim)[0]!);
  const [order, setOrder] = useState<'asc' | 'desc'>('desc');
  const base = JSON.stringify([dim, query, sort, order]);
  // Rows of the pages before the one being loaded; reset whenever the query or sort changes.
  const [more, setMore] = useState<{ base: string; page: number; rows: BreakdownRow[]; total: number }>({
    base,
    page: 1,
    rows: [],
    total: 0,
  });
  const page = more.base === base ? more.page : 1;
  const earlier = more.base === base ? more.rows : [];

  const state = useRequest(
    (signal) => source.breakdown(dim, { ...query, limit: PAGE_SIZE, page, sort, order }, { signal }),
    `${base}|${page}`,
  );
  const rows = state.status === 'success' ? [...earlier, ...state.data.rows] : earlier;

  const changeSort = (column: SortKey) => {
    const nextOrder = column === sort ? (order === 'desc' ? 'asc' : 'desc') : column === 'key' ? 'asc' : 'desc';
    setSort(column);
    setOrder(nextOrder);
    onSortChange?.(column, nextOrder);
  };

  const firstLoad = page === 1 && state.status === 'loading';
  if (firstLoad)
    return (
      <Loading label={sprintf(/* translators: %s: dimension */ __('Loading %s…', 'clickpath'), dimensionLabel(dim))} />
    );
  if (state.status === 'error' && page === 1)
    return (
      <ErrorState
        what={sprintf(/* translators: %s: dimension */ __('the %s breakdown', 'clickpath'), dimensionLabel(dim))}
        error={state.error}
        onRetry={state.reload}
      />
    );
  const total = state.status === 'success' ? state.data.total : more.base === base ? more.total : 0;
  if (rows.length === 0 && state.status === 'success') {
    return (
      <EmptyState
        title={
          query.filters.length
            ? __('Nothing matches these filters.', 'clickpath')
            : __('No data in this range.', 'clickpath')
        }
      />
    );
  }

  const columns = columnsFor(dim);
  const header = (column: SortKey, label: string) => {
    const active = sort === column;
    return (
      <th
        scope="col"
        key={column}
        aria-sort={active ? (order === 'asc' ? 'ascending' : 'descending') : 'none'}
        className={`clickpath-report__col--${column}`}
      >
        <button type="button" className="clickpath-report__sort" onClick={() => changeSort(column)}>
          {label}
          <span aria-hidden="true">{active ? (order === 'asc' ? ' ▲' : ' ▼') : ''}</span>
        </button>
      </th>
    );
  };

  return (
    <div className="clickpath-report__breakdown">
      <TableScroll label={dimensionLabel(dim)}>
        <table className="clickpath-report__table clickpath-report__table--breakdown">
          <caption className="clickpath-visually-hidden">
            {sprintf(
              /* translators: %s: dimension */ __('Top %s; choose one to filter the report by it', 'clickpath'),
              dimensionLabel(dim),
            )}
          </caption>
          <thead>
            <tr>
              {header('key', dimensionLabel(dim))}
              {columns.map((c) => header(c, metricLabel(c)))}
            </tr>
          </thead>
          <tbody>
            {rows.map((row) => (
              <tr key={row.key}>
                <th scope="row" className="clickpath-report__key">
                  <span
                    className="clickpath-report__bar"
                    style={{ width: `${Math.min(100, Math.max(0, row.share))}%` }}
                    aria-hidden="true"
                  />
                  <button
                    type="button"
                    className="clickpath-report__filter-link"
                    onClick={() => onFilter({ dim, op: 'is', value: row.key })}
                    title={sprintf(
                      /* translators: 1: dimension, 2: value */ __('Filter by %1$s: %2$s', 'clickpath'),
                      dimensionLabel(dim),
                      valueLabel(dim, row.key),
                    )}
                  >
                    {valueLabel(dim, row.key)}
                  </button>
                </th>
                {columns.map((c) => (
                  <td key={c} className={`clickpath-report__col--${c}`}>
                    {formatMetric(c, row[c])}
                    {c === 'visitors' && (
                      <span
                        className="clickpath-report__share"
                        title={sprintf(
                          /* translators: %s: percent */ __('%s of all visitors in the range and filters', 'clickpath'),
                          formatPercent(row.share),
                        )}
                      >
                        {' '}
                        {formatPercent(row.share)}
                      </span>
                    )}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </TableScroll>
      {state.status === 'error' && (
        <ErrorState what={__('more rows', 'clickpath')} error={state.error} onRetry={state.reload} />
      )}
      {rows.length < total && (
        <Button
          variant="secondary"
          isBusy={state.status === 'loading'}
          disabled={state.status === 'loading'}
          onClick={() => setMore({ base, page: page + 1, rows, total })}
        >
          {sprintf(
            /* translators: 1: shown, 2: total */ __('Show more (%1$d of %2$d)', 'clickpath'),
            rows.length,
            total,
          )}
        </Button>
      )}
    </div>
  );
}
