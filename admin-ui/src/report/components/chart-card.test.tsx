import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import { createElement } from '@wordpress/element';

import { apiError, fakeBackend, metrics, withReport } from '../../testing/fake-backend';
import { annotationIndex } from './chart';
import { ChartCard } from './chart-card';

// jsdom has no canvas: stand in for uPlot and record what it was given.
const plots: Array<{ opts: { series: Array<{ label?: string }> }; data: number[][]; destroy: jest.Mock }> = [];
jest.mock('uplot', () =>
  jest.fn().mockImplementation((opts: never, data: never) => {
    const plot = { opts, data, setSize: jest.fn(), destroy: jest.fn() };
    plots.push(plot as never);
    return plot;
  }),
);

const query = { from: '2026-01-01', to: '2026-01-03', filters: [], interval: 'day' as const };
const series = {
  interval: 'day',
  points: [
    { ...metrics({ visitors: 10, pageviews: 30 }), period: '2026-01-01' },
    { ...metrics({ visitors: 25, pageviews: 40 }), period: '2026-01-02' },
    { ...metrics({ visitors: 5, pageviews: 8 }), period: '2026-01-03' },
  ],
  annotations: [{ id: 'a1', day: '2026-01-02', text: 'Launched the blog', author: '', createdAt: '' }],
};

describe('ChartCard', () => {
  beforeEach(() => (plots.length = 0));

  it('when loading, then a spinner; when loaded, then the chart, summary, table and notes', async () => {
    const { source } = fakeBackend({ 'stats/timeseries': { body: series } });
    const { unmount } = render(withReport(source, <ChartCard query={query} />));
    expect(screen.getByRole('status')).toHaveTextContent('Loading the chart…');
    const summary = 'Visitors from Jan 1 to Jan 3, highest in Jan 2 (25).';
    expect(await screen.findByText(summary, { selector: 'p' })).toBeInTheDocument();
    expect(plots).toHaveLength(1);
    expect(plots[0]!.data).toEqual([
      [0, 1, 2],
      [10, 25, 5],
    ]);
    const table = screen.getByRole('table', { name: summary });
    expect(table).toHaveTextContent('Jan 2');
    expect(screen.getByRole('list', { name: 'Notes' })).toHaveTextContent('2026-01-02 Launched the blog');

    fireEvent.click(screen.getByRole('button', { name: 'Pageviews' }));
    expect(
      await screen.findByText('Pageviews from Jan 1 to Jan 3: 78 in total, highest in Jan 2 (40).', { selector: 'p' }),
    ).toBeInTheDocument();
    expect(plots[plots.length - 1]!.data[1]).toEqual([30, 40, 8]);
    expect(plots[0]!.destroy).toHaveBeenCalled();
    unmount();
  });

  it('when the range has no points, then it says there is no data', async () => {
    const { source } = fakeBackend({ 'stats/timeseries': { body: { ...series, points: [], annotations: [] } } });
    render(withReport(source, <ChartCard query={query} />));
    expect(await screen.findByText('There is no data in this range.')).toBeInTheDocument();
    expect(plots).toHaveLength(0);
  });

  it('when the request fails, then it names the time series and offers a retry that works', async () => {
    const { source, fetch } = fakeBackend({
      'stats/timeseries': [apiError(503, 'service_unavailable', 'Database unavailable'), { body: series }],
    });
    render(withReport(source, <ChartCard query={query} />));
    expect(await screen.findByText('Could not load the time series.')).toBeInTheDocument();
    expect(
      screen.getByText('The server is busy or its database is unavailable; try again shortly.', { selector: 'p' }),
    ).toBeInTheDocument();
    fireEvent.click(screen.getByRole('button', { name: 'Try again' }));
    expect(await screen.findByRole('table')).toBeInTheDocument();
    expect(fetch).toHaveBeenCalledTimes(2);
  });

  it('places annotations on the matching day, hour or month', () => {
    expect(annotationIndex(['2026-01-01', '2026-01-02'], '2026-01-02')).toBe(1);
    expect(annotationIndex(['2026-01-02T00', '2026-01-02T01'], '2026-01-02')).toBe(0);
    expect(annotationIndex(['2025-12', '2026-01'], '2026-01-15')).toBe(1);
    expect(annotationIndex(['2026-01-05', '2026-01-12'], '2026-01-14')).toBe(1);
    expect(annotationIndex(['2026-01-05'], '2026-01-01')).toBe(-1);
  });
});

describe('ChartCard notes', () => {
  afterEach(() => jest.restoreAllMocks());

  it('when deleting a note is confirmed, then it is deleted and the chart reloads without it', async () => {
    let deleted = false;
    const { source, calls } = fakeBackend({
      'stats/timeseries': () => ({ body: deleted ? { ...series, annotations: [] } : series }),
      annotations: (_url, init) => {
        deleted = init.method === 'DELETE';
        return { status: 204 };
      },
    });
    jest.spyOn(window, 'confirm').mockReturnValue(true);
    render(withReport(source, <ChartCard query={query} />));
    fireEvent.click(await screen.findByRole('button', { name: 'Delete the note “Launched the blog”' }));
    await waitFor(() => expect(screen.queryByText('Launched the blog')).not.toBeInTheDocument());
    const del = calls.find((c) => c.init.method === 'DELETE')!;
    expect(del.url.pathname).toBe('/api/v1/sites/0123456789abcdef01234567/annotations/a1');
  });

  it('when deleting a note fails, then it says why and keeps the note', async () => {
    const { source } = fakeBackend({
      'stats/timeseries': { body: series },
      annotations: apiError(404, 'not_found', 'Annotation not found'),
    });
    jest.spyOn(window, 'confirm').mockReturnValue(true);
    render(withReport(source, <ChartCard query={query} />));
    fireEvent.click(await screen.findByRole('button', { name: 'Delete the note “Launched the blog”' }));
    expect((await screen.findByRole('alert')).textContent).toBe('Could not delete the note: Annotation not found');
    expect(screen.getByText('Launched the blog')).toBeInTheDocument();
  });

  it('when notes cannot be added here, then they cannot be deleted either', async () => {
    const { source } = fakeBackend({ 'stats/timeseries': { body: series } });
    render(withReport(source, <ChartCard query={query} canAnnotate={false} />));
    expect(await screen.findByText('Launched the blog')).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: /Delete the note/ })).not.toBeInTheDocument();
  });

  it('when a count is charted, then its axis has whole-number ticks only; a rate keeps its fractions', async () => {
    const { source } = fakeBackend({ 'stats/timeseries': { body: series } });
    const { rerender } = render(withReport(source, <ChartCard query={query} metric="visitors" />));
    await screen.findByText(/^Visitors from/, { selector: 'p' });
    type Axis = { incrs?: number[]; values: (u: unknown, splits: number[]) => string[] };
    const yAxis = () => (plots[plots.length - 1]!.opts as unknown as { axes: Axis[] }).axes[1]!;
    expect(yAxis().incrs?.every(Number.isInteger)).toBe(true);
    expect(yAxis().values(null, [0, 0.5, 1])).toEqual(['0', '', '1']);
    rerender(withReport(source, <ChartCard query={query} metric="viewsPerVisit" />));
    await screen.findByText(/^Views per visit from/, { selector: 'p' });
    expect(yAxis().incrs).toBeUndefined();
    expect(yAxis().values(null, [0, 0.5])).toEqual(['0', '0.5']);
  });
});
