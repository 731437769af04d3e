/**
 * WordPress dependencies
 */
import { Button } from '@wordpress/components';
import { createElement, useMemo, useRef, useState } from '@wordpress/element';
import { __ } from '@wordpress/i18n';

/**
 * Internal dependencies
 */
import type { DataSource, RangeQuery } from '../data/types';
import { intervalFor, rangeForPreset, type Preset } from '../lib/dates';
import { todayIn } from '../lib/format';
import { useRequest } from '../lib/use-request';
import { BREAKDOWN_CARDS, BreakdownCard } from './components/breakdown-card';
import { ChartCard, type ChartMetric } from './components/chart-card';
import { FilterChips } from './components/filter-chips';
import { FunnelsView } from './components/funnels-view';
import { GoalsView } from './components/goals-view';
import { KpiCards } from './components/kpi-cards';
import { RangePicker, RangeSummary } from './components/range-picker';
import { RealtimeCard } from './components/realtime-card';
import { NoDataYet } from './components/states';
import { VisitorProfile } from './components/visitor-profile';
import { VisitorsList } from './components/visitors-list';
import { ReportContext, useReport, type ReportHost } from './context';
import { addFilter, removeFilter, withView, type ReportView, type UrlState } from './filters';
import { useUrlState, type UrlPlace } from './query';
import './report.scss';

export type { ReportView };

export interface ReportPanelProps {
  source: DataSource;
  host: ReportHost['host'];
  snippetHint: string;
  defaultPeriod?: Preset;
  /** Today's date in the site's view (tests pass a fixed one). */
  today?: Date;
  /** The site's time zone: presets count days in it, and times are shown in it. */
  timeZone?: string | undefined;
}

/** The whole report: range, filters, totals, chart, breakdowns, live view, visitors, goals and funnels. */
export function ReportPanel({ source, host, snippetHint, defaultPeriod = '30d', today, timeZone }: ReportPanelProps) {
  const context = useMemo(() => ({ source, host, snippetHint, timeZone }), [source, host, snippetHint, timeZone]);
  return (
    <ReportContext.Provider value={context}>
      <Report
        defaultPeriod={defaultPeriod}
        today={today ?? todayIn(timeZone)}
        urlPlace={host === 'standalone' ? 'hash' : 'search'}
      />
    </ReportContext.Provider>
  );
}

interface ReportProps {
  defaultPeriod: Preset;
  today: Date | undefined;
  urlPlace: UrlPlace;
}

function Report({ defaultPeriod, today, urlPlace }: ReportProps) {
  const { source } = useReport();
  const [url, setUrl] = useUrlState(defaultPeriod, urlPlace);
  const { view, visitor: visitorId } = url;
  const [goalsVersion, setGoalsVersion] = useState(0);
  const [chartMetric, setChartMetric] = useState<ChartMetric>('visitors');
  const rangeFields = useRef<HTMLDivElement>(null);

  const range =
    url.period === 'custom' && url.from && url.to
      ? { from: url.from, to: url.to }
      : rangeForPreset(
          url.period !== 'custom' ? url.period : defaultPeriod !== 'custom' ? defaultPeriod : '30d',
          today,
        );
  const query: RangeQuery = { from: range.from, to: range.to, filters: url.filters };
  const key = JSON.stringify([query, url.compare]);

  const overview = useRequest((signal) => source.overview({ ...query, compare: url.compare }, { signal }), key);
  const goals = useRequest((signal) => source.goals({ signal }), String(goalsVersion));
  const goalList = goals.status === 'success' ? goals.data : [];
  const empty =
    overview.status === 'success' &&
    url.filters.length === 0 &&
    overview.data.metrics.pageviews === 0 &&
    overview.data.metrics.events === 0 &&
    overview.data.metrics.visitors === 0;

  const views: Array<{ id: ReportView; label: string }> = [
    { id: 'overview', label: __('Overview', 'clickpath') },
    { id: 'visitors', label: __('Visitors', 'clickpath') },
    { id: 'goals', label: __('Goals', 'clickpath') },
    { id: 'funnels', label: __('Funnels', 'clickpath') },
  ];

  return (
    <div className="clickpath-report">
      <nav className="clickpath-report__views" aria-label={__('Report sections', 'clickpath')}>
        {views.map((v) => (
          <Button
            key={v.id}
            variant={v.id === view ? 'primary' : 'secondary'}
            aria-current={v.id === view ? 'page' : undefined}
            onClick={() => setUrl(withView(url, v.id))}
          >
            {v.label}
          </Button>
        ))}
      </nav>
      {/* The range and the filters stay on screen while the report scrolls: a filter added from a table lower down shows at once. */}
      <div className="clickpath-report__sticky">
        <div className="clickpath-report__range-fields" ref={rangeFields}>
          <RangePicker
            // Back/Forward can change the range under it: start over from the URL's.
            key={url.period === 'custom' ? `${range.from}/${range.to}` : url.period}
            period={url.period}
            range={range}
            compare={url.compare}
            onChange={({ period, range: custom, compare }) => {
              const { from: _from, to: _to, ...rest } = url;
              const next: UrlState = { ...rest, period, compare: compare ?? url.compare };
              if (period === 'custom') {
                const chosen = custom ?? range;
                next.from = chosen.from;
                next.to = chosen.to;
              }
              setUrl(next);
            }}
          />
        </div>
        {/* On a phone only this row stays (the fields scroll away); on a wider screen it is just the chips. */}
        <div className="clickpath-report__sticky-row">
          <RangeSummary
            period={url.period}
            range={range}
            onEdit={() => rangeFields.current?.querySelector('select')?.focus()}
          />
          <FilterChips
            filters={url.filters}
            goals={goalList}
            onRemove={(f) => setUrl({ ...url, filters: removeFilter(url.filters, f) })}
            onClear={() => setUrl({ ...url, filters: [] })}
          />
        </div>
      </div>

      {view === 'overview' && (
        <div className="clickpath-report__overview">
          <KpiCards
            state={overview}
            hasGoals={goalList.length > 0}
            onRetry={overview.reload}
            chartMetric={chartMetric}
            onChartMetric={setChartMetric}
          />
          {empty ? (
            <div className="clickpath-report__card clickpath-report__card--empty">
              <NoDataYet />
            </div>
          ) : (
            <ChartCard
              query={{ ...query, interval: intervalFor(range) }}
              metric={chartMetric}
              onMetric={setChartMetric}
            />
          )}
          <div className="clickpath-report__grid">
            <RealtimeCard />
            {!empty &&
              BREAKDOWN_CARDS().map((card) => (
                <BreakdownCard
                  key={card.id}
                  title={card.title}
                  tabs={card.tabs}
                  query={query}
                  onFilter={(f) => setUrl({ ...url, filters: addFilter(url.filters, f) })}
                />
              ))}
          </div>
        </div>
      )}
      {view === 'visitors' &&
        (visitorId ? (
          <VisitorProfile
            key={visitorId}
            visitorId={visitorId}
            to={query.to}
            onBack={() => setUrl(withView(url, 'visitors'))}
          />
        ) : (
          <VisitorsList query={query} onOpen={(id) => setUrl(withView(url, 'visitors', id))} />
        ))}
      {view === 'goals' && <GoalsView query={query} onChange={() => setGoalsVersion(goalsVersion + 1)} />}
      {view === 'funnels' && <FunnelsView query={query} />}
    </div>
  );
}
