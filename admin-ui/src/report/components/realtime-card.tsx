/**
 * WordPress dependencies
 */
import { Card, CardBody, CardHeader } from '@wordpress/components';
import { createElement, useEffect, useRef, useState } from '@wordpress/element';
import { __, _n, sprintf } from '@wordpress/i18n';

/**
 * Internal dependencies
 */
import { ApiError, isAbort } from '../../data/errors';
import type { LiveEvent, Realtime } from '../../data/types';
import { daysBefore, formatDateTime, formatDayTime, formatNumber, formatTime } from '../../lib/format';
import { useReport } from '../context';
import { countryName, deviceName } from '../labels';
import { ErrorState, Loading } from './states';

export const POLL_MS = 10_000;
const MAX_EVENTS = 50;

/** "Viewed /pricing", "signup (plan: pro)", … */
export function describeEvent(e: Pick<LiveEvent, 'kind' | 'path' | 'name' | 'props'>): string {
  switch (e.kind) {
    case 'pv':
      return sprintf(/* translators: %s: page path */ __('Viewed %s', 'clickpath'), e.path);
    case 'en':
      return sprintf(/* translators: %s: page path */ __('Engaged with %s', 'clickpath'), e.path);
    case 'id':
      return __('Identified', 'clickpath');
    default: {
      const props = Object.entries(e.props ?? {})
        .map(([k, v]) => `${k}: ${String(v)}`)
        .join(', ');
      return props ? `${e.name} (${props})` : e.name;
    }
  }
}

/**
 * When an event happened, on the site's clock: "14:05:09" today, "Yesterday 23:58" the day before,
 * "Mar 5, 23:58" earlier (a page left open past midnight keeps older events), so the list reads
 * in order across days.
 */
export function eventTime(iso: string, timeZone?: string, now: Date = new Date()): string {
  const days = daysBefore(iso, timeZone, now);
  if (days === null || days <= 0) return formatTime(iso, timeZone);
  if (days === 1)
    return sprintf(
      /* translators: %s: time of day on the site's clock, e.g. 23:58 */ __('Yesterday %s', 'clickpath'),
      formatTime(iso, timeZone, undefined, false),
    );
  return formatDayTime(iso, timeZone);
}

interface LiveState {
  visitorsNow: number;
  pages: Realtime['pages'];
  events: LiveEvent[];
}

/** Visitors right now and the live event stream, polled every 10 s with the server's cursor. */
export function RealtimeCard({ pollMs = POLL_MS }: { pollMs?: number }) {
  const { source, timeZone } = useReport();
  const [live, setLive] = useState<LiveState | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [attempt, setAttempt] = useState(0);
  const cursor = useRef<string | null>(null);

  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    let controller: AbortController | undefined;
    let stopped = false;
    const poll = async () => {
      controller = new AbortController();
      try {
        const data = await source.realtime(cursor.current, { signal: controller.signal });
        if (stopped) return;
        cursor.current = data.cursor;
        setError(null);
        setLive((previous) => ({
          visitorsNow: data.visitorsNow,
          pages: data.pages,
          events: [...data.events, ...(previous?.events ?? [])].slice(0, MAX_EVENTS),
        }));
      } catch (e) {
        if (stopped || isAbort(e)) return;
        setError(e instanceof ApiError ? e : new ApiError('unknown_error', String(e)));
      }
      if (!stopped) timer = setTimeout(poll, pollMs);
    };
    void poll();
    return () => {
      stopped = true;
      if (timer) clearTimeout(timer);
      controller?.abort();
    };
  }, [source, pollMs, attempt]);

  let body;
  if (!live && error)
    body = <ErrorState what={__('the live view', 'clickpath')} error={error} onRetry={() => setAttempt(attempt + 1)} />;
  else if (!live) body = <Loading label={__('Loading live visitors…', 'clickpath')} />;
  else
    body = (
      <div className="clickpath-report__realtime">
        <p className="clickpath-report__now" aria-live="polite">
          <span className="clickpath-report__now-count">{formatNumber(live.visitorsNow)}</span>{' '}
          {_n('visitor in the last 5 minutes', 'visitors in the last 5 minutes', live.visitorsNow, 'clickpath')}
        </p>
        {error && (
          <p className="clickpath-report__stale" role="status">
            {sprintf(
              /* translators: %s: error message */ __('Live updates paused: %s. Retrying…', 'clickpath'),
              error.message,
            )}
          </p>
        )}
        {live.pages.length > 0 && (
          <ul className="clickpath-report__now-pages" aria-label={__('Pages being viewed now', 'clickpath')}>
            {live.pages.slice(0, 5).map((p) => (
              <li key={p.path}>
                <span className="clickpath-report__path">{p.path}</span> <span>{formatNumber(p.visitors)}</span>
              </li>
            ))}
          </ul>
        )}
        {live.events.length === 0 ? (
          <p className="clickpath-state clickpath-state--empty">
            {__('No events yet. New ones appear here as they arrive.', 'clickpath')}
          </p>
        ) : (
          <ol
            className="clickpath-report__live"
            aria-label={__('Latest events, newest first', 'clickpath')}
            // The list scrolls, so it takes focus: keyboard users scroll it with the arrow keys.
            tabIndex={0}
          >
            {live.events.map((e) => (
              <li key={e.id} className={`clickpath-report__live-event is-${e.kind}`}>
                <time dateTime={e.ts} title={formatDateTime(e.ts, timeZone)}>
                  {eventTime(e.ts, timeZone)}
                </time>{' '}
                <span>{describeEvent(e)}</span>{' '}
                <span className="clickpath-report__muted">
                  {[e.country && countryName(e.country), e.device && deviceName(e.device), e.source]
                    .filter(Boolean)
                    .join(' · ')}
                </span>
              </li>
            ))}
          </ol>
        )}
      </div>
    );

  return (
    <Card className="clickpath-report__card clickpath-report__card--realtime">
      <CardHeader>
        <h2 className="clickpath-report__card-title">{__('Right now', 'clickpath')}</h2>
      </CardHeader>
      <CardBody>{body}</CardBody>
    </Card>
  );
}
