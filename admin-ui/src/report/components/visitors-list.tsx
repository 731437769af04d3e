/**
 * WordPress dependencies
 */
import { Button, Card, CardBody, CardHeader } from '@wordpress/components';
import { createElement, Fragment, useState } from '@wordpress/element';
import { __, _n, sprintf } from '@wordpress/i18n';

/**
 * Internal dependencies
 */
import type { RangeQuery } from '../../data/types';
import { formatDateTime, formatNumber } from '../../lib/format';
import { useRequest } from '../../lib/use-request';
import { useReport } from '../context';
import { countryName, deviceName, visitorLabel } from '../labels';
import { TableScroll } from './table-scroll';
import { EmptyState, ErrorState, Loading } from './states';

/** The filters the visitors list understands (the others apply to visits, not visitors). */
export const VISITOR_FILTER_DIMS = ['country', 'device', 'browser', 'source'];
const LIMIT = 25;

interface VisitorsListProps {
  query: RangeQuery;
  onOpen: (visitorId: string) => void;
}

/**
 * A count as the table shows it under its column ("2"), and as the stacked rows of a phone show
 * it without the column's header ("2 visits"); CSS shows one of the two.
 */
function Count({ value, text }: { value: number; text: string }) {
  return (
    <>
      <span className="clickpath-report__in-table">{formatNumber(value)}</span>
      <span className="clickpath-report__in-stack">{text}</span>
    </>
  );
}

/**
 * The site's visitors, most recently seen first: a table on wide screens, a stack of rows on a
 * phone (who and when, visits and pageviews, country, device and source), so nothing needs
 * scrolling sideways.
 */
export function VisitorsList({ query, onOpen }: VisitorsListProps) {
  const { source, timeZone } = useReport();
  const [page, setPage] = useState(1);
  const filters = query.filters.filter((f) => VISITOR_FILTER_DIMS.includes(f.dim));
  const ignored = query.filters.length - filters.length;
  const q = { from: query.from, to: query.to, filters, limit: LIMIT, page };
  const state = useRequest((signal) => source.visitors(q, { signal }), JSON.stringify(q));

  let body;
  if (state.status === 'loading') body = <Loading label={__('Loading visitors…', 'clickpath')} />;
  else if (state.status === 'error')
    body = <ErrorState what={__('the visitors', 'clickpath')} error={state.error} onRetry={state.reload} />;
  else if (state.data.visitors.length === 0)
    body = <EmptyState title={__('No visitors in this range.', 'clickpath')} />;
  else {
    const { visitors, total } = state.data;
    const pages = Math.max(1, Math.ceil(total / LIMIT));
    body = (
      <div>
        <TableScroll label={__('Visitors', 'clickpath')}>
          <table className="clickpath-report__table clickpath-report__table--visitors">
            <caption className="clickpath-visually-hidden">
              {__('Visitors, most recently seen first', 'clickpath')}
            </caption>
            <thead>
              <tr>
                <th scope="col">{__('Visitor', 'clickpath')}</th>
                <th scope="col">{__('Last seen', 'clickpath')}</th>
                <th scope="col">{__('Visits', 'clickpath')}</th>
                <th scope="col">{__('Pageviews', 'clickpath')}</th>
                <th scope="col">{__('Country', 'clickpath')}</th>
                <th scope="col">{__('Device', 'clickpath')}</th>
                <th scope="col">{__('Source', 'clickpath')}</th>
              </tr>
            </thead>
            <tbody>
              {visitors.map((v) => (
                <tr key={v.id} className="clickpath-report__visitor">
                  <th scope="row" className="clickpath-report__visitor-who">
                    <button
                      type="button"
                      className="clickpath-report__filter-link"
                      onClick={() => onOpen(v.id)}
                      title={v.id}
                    >
                      {visitorLabel(v)}
                    </button>
                  </th>
                  <td className="clickpath-report__visitor-when">{formatDateTime(v.lastSeen, timeZone)}</td>
                  <td className="clickpath-report__visitor-visits">
                    <Count
                      value={v.visits}
                      text={sprintf(_n('%s visit', '%s visits', v.visits, 'clickpath'), formatNumber(v.visits))}
                    />
                  </td>
                  <td className="clickpath-report__visitor-pageviews">
                    <Count
                      value={v.pageviews}
                      text={sprintf(
                        _n('%s pageview', '%s pageviews', v.pageviews, 'clickpath'),
                        formatNumber(v.pageviews),
                      )}
                    />
                  </td>
                  <td className="clickpath-report__visitor-country" data-label={__('Country', 'clickpath')}>
                    {countryName(v.country)}
                  </td>
                  <td className="clickpath-report__visitor-device" data-label={__('Device', 'clickpath')}>
                    {deviceName(v.device)}
                  </td>
                  <td className="clickpath-report__visitor-source" data-label={__('Source', 'clickpath')}>
                    {v.source || __('Direct', 'clickpath')}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableScroll>
        {pages > 1 && (
          <div className="clickpath-report__pager">
            <Button variant="secondary" disabled={page <= 1} onClick={() => setPage(page - 1)}>
              {__('Previous', 'clickpath')}
            </Button>
            <span>
              {sprintf(/* translators: 1: page, 2: pages */ __('Page %1$d of %2$d', 'clickpath'), page, pages)}
            </span>
            <Button variant="secondary" disabled={page >= pages} onClick={() => setPage(page + 1)}>
              {__('Next', 'clickpath')}
            </Button>
          </div>
        )}
      </div>
    );
  }
  return (
    <Card className="clickpath-report__card">
      <CardHeader>
        <h2 className="clickpath-report__card-title">{__('Visitors', 'clickpath')}</h2>
      </CardHeader>
      <CardBody>
        {ignored > 0 && (
          <p className="clickpath-report__muted">
            {__('Only country, device, browser and source filters apply to this list.', 'clickpath')}
          </p>
        )}
        {body}
      </CardBody>
    </Card>
  );
}
