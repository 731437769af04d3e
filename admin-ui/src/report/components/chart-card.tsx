/**
 * WordPress dependencies
 */
import { Button, Card, CardBody, CardHeader, TextControl } from '@wordpress/components';
import { createElement, useMemo, useState } from '@wordpress/element';
import { __, sprintf } from '@wordpress/i18n';

/**
 * Internal dependencies
 */
import { fieldSize } from '../../lib/field-size';
import type { Annotation, Metrics, Timeseries, TimeseriesQuery } from '../../data/types';
import { formatPeriod } from '../../lib/format';
import { useRequest } from '../../lib/use-request';
import { useReport } from '../context';
import { fieldProps } from '../../lib/field-errors';
import { useSubmit } from '../../lib/use-submit';
import { metricLabel } from '../labels';
import { formatMetric } from '../metrics';
import { Chart } from './chart';
import { EmptyState, ErrorState, FormError, Loading } from './states';

export const CHART_METRICS = [
  'visitors',
  'visits',
  'pageviews',
  'viewsPerVisit',
  'bounceRate',
  'avgVisitDuration',
  'events',
] as const;
export type ChartMetric = (typeof CHART_METRICS)[number];

/** Metrics that count things: their axis has whole-number ticks only (no "0.2 visitors"). */
export const COUNT_METRICS: ReadonlySet<ChartMetric> = new Set(['visitors', 'visits', 'pageviews', 'events']);

export const isChartMetric = (metric: string): metric is ChartMetric =>
  (CHART_METRICS as readonly string[]).includes(metric);

/** One sentence that says what the chart shows, for screen readers and the table caption. */
export function summarize(series: Timeseries, metric: keyof Metrics): string {
  const { points } = series;
  const first = points[0];
  const last = points[points.length - 1];
  if (!first || !last) return __('There is no data in this range.', 'clickpath');
  let peak = first;
  for (const p of points) if (p[metric] > peak[metric]) peak = p;
  const additive = metric === 'visits' || metric === 'pageviews' || metric === 'events';
  const total = points.reduce((sum, p) => sum + p[metric], 0);
  const lead = sprintf(
    /* translators: 1: metric, 2: first period, 3: last period */
    __('%1$s from %2$s to %3$s', 'clickpath'),
    metricLabel(metric),
    formatPeriod(first.period),
    formatPeriod(last.period),
  );
  const totalPart = additive
    ? sprintf(/* translators: %s: total */ __(': %s in total', 'clickpath'), formatMetric(metric, total))
    : '';
  return (
    lead +
    totalPart +
    sprintf(
      /* translators: 1: period, 2: value */
      __(', highest in %1$s (%2$s).', 'clickpath'),
      formatPeriod(peak.period),
      formatMetric(metric, peak[metric]),
    )
  );
}

interface ChartCardProps {
  query: TimeseriesQuery;
  /** The metric shown, when the report chooses it (its KPI cards switch it too). */
  metric?: ChartMetric;
  onMetric?: (metric: ChartMetric) => void;
  /** Adding notes needs the site's admin role; the backend refuses others anyway. */
  canAnnotate?: boolean;
}

export function ChartCard({ query, canAnnotate = true, metric: chosen, onMetric }: ChartCardProps) {
  const { source } = useReport();
  const [own, setOwn] = useState<ChartMetric>('visitors');
  const metric = chosen ?? own;
  const setMetric = (m: ChartMetric) => {
    setOwn(m);
    onMetric?.(m);
  };
  const [showTable, setShowTable] = useState(false);
  const key = JSON.stringify(query);
  const state = useRequest((signal) => source.timeseries(query, { signal }), key);
  const [noteError, setNoteError] = useState<string | null>(null);
  const removeNote = async (note: Annotation) => {
    if (!source.deleteAnnotation) return;
    if (!window.confirm(sprintf(__('Delete the note “%s”?', 'clickpath'), note.text))) return;
    setNoteError(null);
    try {
      await source.deleteAnnotation(note.id);
      state.reload();
    } catch (e) {
      setNoteError(sprintf(__('Could not delete the note: %s', 'clickpath'), (e as Error).message));
    }
  };

  const periods = useMemo(() => state.data?.points.map((p) => p.period) ?? [], [state.data]);
  const values = useMemo(() => state.data?.points.map((p) => p[metric]) ?? [], [state.data, metric]);
  const format = useMemo(() => (v: number) => formatMetric(metric, v, true), [metric]);

  let body;
  if (state.status === 'loading') body = <Loading label={__('Loading the chart…', 'clickpath')} />;
  else if (state.status === 'error')
    body = <ErrorState what={__('the time series', 'clickpath')} error={state.error} onRetry={state.reload} />;
  else if (state.data.points.length === 0)
    body = <EmptyState title={__('There is no data in this range.', 'clickpath')} />;
  else {
    const summary = summarize(state.data, metric);
    body = (
      <div className="clickpath-report__chart">
        <p className="clickpath-report__chart-summary">{summary}</p>
        <Chart
          periods={periods}
          values={values}
          label={metricLabel(metric)}
          interval={state.data.interval}
          annotations={state.data.annotations}
          format={format}
          integer={COUNT_METRICS.has(metric)}
        />
        {state.data.annotations.length > 0 && (
          <ul className="clickpath-report__annotations" aria-label={__('Notes', 'clickpath')}>
            {state.data.annotations.map((a) => (
              <li key={a.id}>
                <span className="clickpath-report__annotation-day">{a.day}</span> {a.text}
                {canAnnotate && source.deleteAnnotation && (
                  <Button
                    variant="link"
                    isDestructive
                    className="clickpath-report__annotation-delete"
                    onClick={() => void removeNote(a)}
                    aria-label={sprintf(__('Delete the note “%s”', 'clickpath'), a.text)}
                  >
                    {__('Delete', 'clickpath')}
                  </Button>
                )}
              </li>
            ))}
          </ul>
        )}
        <FormError message={noteError} />
        <Button
          variant="link"
          className="clickpath-report__table-toggle"
          aria-expanded={showTable}
          onClick={() => setShowTable(!showTable)}
        >
          {showTable ? __('Hide the data table', 'clickpath') : __('Show the data as a table', 'clickpath')}
        </Button>
        <div className={showTable ? 'clickpath-report__chart-table' : 'clickpath-visually-hidden'}>
          <table className="clickpath-report__table">
            <caption>{summary}</caption>
            <thead>
              <tr>
                <th scope="col">{__('Period', 'clickpath')}</th>
                <th scope="col">{metricLabel(metric)}</th>
              </tr>
            </thead>
            <tbody>
              {state.data.points.map((p) => (
                <tr key={p.period}>
                  <th scope="row">{formatPeriod(p.period)}</th>
                  <td>{formatMetric(metric, p[metric])}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        {canAnnotate && <AnnotationForm from={query.from} to={query.to} onAdded={state.reload} />}
      </div>
    );
  }

  return (
    <Card className="clickpath-report__card clickpath-report__card--chart">
      <CardHeader>
        <h2 className="clickpath-report__card-title">{__('Over time', 'clickpath')}</h2>
        <div className="clickpath-report__segmented" role="group" aria-label={__('Metric shown', 'clickpath')}>
          {CHART_METRICS.map((m) => (
            <Button
              key={m}
              variant={m === metric ? 'primary' : 'tertiary'}
              isPressed={m === metric}
              onClick={() => setMetric(m)}
            >
              {metricLabel(m)}
            </Button>
          ))}
        </div>
      </CardHeader>
      <CardBody>{body}</CardBody>
    </Card>
  );
}

function AnnotationForm({ from, to, onAdded }: { from: string; to: string; onAdded: () => void }) {
  const { source } = useReport();
  const [open, setOpen] = useState(false);
  const [day, setDay] = useState(to);
  const [text, setText] = useState('');
  const { busy, error, submit, fieldError } = useSubmit(
    async () => {
      await source.createAnnotation({ day, text: text.trim() });
      setText('');
      setOpen(false);
      onAdded();
    },
    { fields: ['day', 'text'] },
  );
  if (!open) {
    return (
      <Button variant="link" onClick={() => setOpen(true)}>
        {__('Add a note to the chart', 'clickpath')}
      </Button>
    );
  }
  return (
    <form className="clickpath-report__annotation-form" onSubmit={submit}>
      <TextControl
        __nextHasNoMarginBottom
        {...fieldSize()}
        {...fieldProps(__('Day', 'clickpath'), fieldError('day'))}
        type="date"
        min={from}
        max={to}
        value={day}
        onChange={setDay}
        required
      />
      <TextControl
        __nextHasNoMarginBottom
        {...fieldSize()}
        {...fieldProps(__('Note', 'clickpath'), fieldError('text'))}
        value={text}
        onChange={setText}
        maxLength={500}
        required
      />
      <Button variant="primary" type="submit" isBusy={busy} disabled={busy || !text.trim()}>
        {__('Add note', 'clickpath')}
      </Button>
      <Button variant="tertiary" onClick={() => setOpen(false)}>
        {__('Cancel', 'clickpath')}
      </Button>
      <FormError message={error} />
    </form>
  );
}
