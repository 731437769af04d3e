import { fireEvent, render, screen } from '@testing-library/react';
import { createElement } from '@wordpress/element';

import { apiError, fakeBackend, metrics, withReport } from '../../testing/fake-backend';
import { BreakdownTable, columnsFor } from './breakdown-table';

const query = { from: '2026-01-01', to: '2026-01-31', filters: [] };
const row = (key: string, visitors: number) => ({
  ...metrics({ visitors, pageviews: visitors * 2, bounceRate: 50 }),
  key,
  share: visitors,
});
const page = (n: number, rows: unknown[], total = 12) => ({ dimension: 'page', rows, total, page: n, limit: 10 });

describe('BreakdownTable', () => {
  it('shows only the counters a dimension has: no bounce rate for pages and events', () => {
    expect(columnsFor('page')).toEqual(['visitors', 'pageviews']);
    expect(columnsFor('exit_page')).toEqual(['visitors', 'visits', 'bounceRate']);
    expect(columnsFor('event')).toEqual(['visitors', 'events']);
    expect(columnsFor('country')).toEqual(['visitors', 'visits', 'bounceRate']);
  });

  it('when loading, then it shows a spinner', async () => {
    const { source } = fakeBackend({ 'stats/breakdown': () => ({ body: page(1, []) }) });
    render(withReport(source, <BreakdownTable dim="page" query={query} onFilter={jest.fn()} />));
    expect(screen.getByRole('status')).toHaveTextContent('Loading Page…');
    expect(await screen.findByText('No data in this range.')).toBeInTheDocument();
  });

  it('when there are no rows, then it says so', async () => {
    const { source } = fakeBackend({ 'stats/breakdown': { body: page(1, [], 0) } });
    render(withReport(source, <BreakdownTable dim="page" query={query} onFilter={jest.fn()} />));
    expect(await screen.findByText('No data in this range.')).toBeInTheDocument();
  });

  it('when the request fails, then it explains the error', async () => {
    const { source } = fakeBackend({
      'stats/breakdown': apiError(400, 'validation_failed', 'filter[0] names an unknown dimension'),
    });
    render(withReport(source, <BreakdownTable dim="country" query={query} onFilter={jest.fn()} />));
    expect(await screen.findByText('Could not load the Country breakdown.')).toBeInTheDocument();
    expect(screen.getByText(/filter\[0\] names an unknown dimension/, { selector: 'p' })).toBeInTheDocument();
    expect(screen.getByText('Check the date range and filters, or remove the filters.')).toBeInTheDocument();
  });

  it('shows rows, pages with "show more", sorts by a column and filters on click', async () => {
    const rows1 = Array.from({ length: 10 }, (_, i) => row(`/p${i}`, 100 - i));
    const { source, calls } = fakeBackend({
      'stats/breakdown': (url) =>
        url.searchParams.get('page') === '2'
          ? { body: page(2, [row('/p10', 5), row('', 4)]) }
          : { body: page(1, rows1) },
    });
    const onFilter = jest.fn();
    render(withReport(source, <BreakdownTable dim="page" query={query} onFilter={onFilter} />));
    expect(await screen.findByText('/p0')).toBeInTheDocument();
    expect(screen.getAllByRole('row')).toHaveLength(11);
    expect(screen.getByRole('columnheader', { name: /Visitors/ })).toHaveAttribute('aria-sort', 'descending');

    expect(screen.getByTitle('100% of all visitors in the range and filters')).toHaveTextContent('100%');

    fireEvent.click(screen.getByRole('button', { name: 'Show more (10 of 12)' }));
    expect(await screen.findByText('/p10')).toBeInTheDocument();
    expect(screen.getByText('(none)')).toBeInTheDocument();
    expect(screen.getAllByRole('row')).toHaveLength(13);
    expect(screen.queryByRole('button', { name: /Show more/ })).toBeNull();

    fireEvent.click(screen.getByRole('button', { name: /Pageviews/ }));
    await screen.findByText('/p0');
    const last = calls[calls.length - 1]!.url.searchParams;
    expect(last.get('sort')).toBe('pageviews');
    expect(last.get('page')).toBe('1');
    expect(screen.getByRole('columnheader', { name: /Pageviews/ })).toHaveAttribute('aria-sort', 'descending');

    fireEvent.click(screen.getByRole('button', { name: '/p3' }));
    expect(onFilter).toHaveBeenCalledWith({ dim: 'page', op: 'is', value: '/p3' });
  });
});
