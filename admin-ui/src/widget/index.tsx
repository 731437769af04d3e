/**
 * WordPress dependencies
 */
import domReady from '@wordpress/dom-ready';
import { createElement } from '@wordpress/element';
import { __, _n, sprintf } from '@wordpress/i18n';

/**
 * Internal dependencies
 */
import { configureApiFetch } from '../data/wordpress';
import { formatChange, formatNumber } from '../lib/format';
import { mount } from '../lib/mount';
import { useRequest } from '../lib/use-request';
import { Sparkline } from './components/sparkline';
import { loadWidget } from './query';
import type { WidgetInitialState } from './types';
import './widget.scss';

/** The dashboard widget: visitors today vs yesterday, a 30-day sparkline, today's top pages. */
export function Widget({ statsUrl }: { statsUrl: string }) {
  const state = useRequest((signal) => loadWidget(new Date(), signal), 'widget');
  let body;
  if (state.status === 'loading') body = <p className="clickpath-widget__muted">{__('Loading…', 'clickpath')}</p>;
  else if (state.status === 'error')
    body = (
      <p className="clickpath-widget__error" role="alert">
        {sprintf(
          /* translators: %s: error message */ __('Could not load today’s visitors: %s', 'clickpath'),
          state.error.message,
        )}{' '}
        <button type="button" className="button-link" onClick={state.reload}>
          {__('Try again', 'clickpath')}
        </button>
      </p>
    );
  else {
    const { today, trend, pages } = state.data;
    const visitors = today.metrics.visitors;
    const yesterday = today.previous?.visitors ?? 0;
    const change = formatChange(today.change?.['visitors'], visitors);
    body = (
      <div>
        <p className="clickpath-widget__headline">
          <span className="clickpath-widget__count">{formatNumber(visitors)}</span>{' '}
          {_n('visitor today', 'visitors today', visitors, 'clickpath')}{' '}
          <span className={`clickpath-widget__change is-${change.trend}`}>
            {sprintf(
              /* translators: 1: change, 2: visitors yesterday */ __('%1$s vs %2$s yesterday', 'clickpath'),
              change.text,
              formatNumber(yesterday),
            )}
          </span>
        </p>
        <Sparkline
          values={trend.points.map((p) => p.visitors)}
          label={__('Visitors per day over the last 30 days', 'clickpath')}
        />
        {pages.rows.length > 0 ? (
          <table className="clickpath-widget__pages">
            <caption>{__('Top pages today', 'clickpath')}</caption>
            <tbody>
              {pages.rows.map((row) => (
                <tr key={row.key}>
                  <th scope="row">{row.key}</th>
                  <td>{formatNumber(row.visitors)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : (
          <p className="clickpath-widget__muted">{__('No pageviews yet today.', 'clickpath')}</p>
        )}
      </div>
    );
  }
  return (
    <div className="clickpath-widget">
      {body}
      <p>
        <a href={statsUrl}>{__('View all stats', 'clickpath')} →</a>
      </p>
    </div>
  );
}

domReady(() => {
  const container = document.getElementById('clickpath-widget');
  const config = window.clickpathAdmin;
  if (!container || !config) return;
  configureApiFetch(config.rest);
  const state = (config.initialState ?? {}) as WidgetInitialState;
  mount(container, <Widget statsUrl={state.statsUrl ?? 'admin.php?page=clickpath'} />);
});
