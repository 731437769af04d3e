/**
 * WordPress dependencies
 */
import { Button, Card, CardBody, CardHeader } from '@wordpress/components';
import { createElement, Fragment, useState } from '@wordpress/element';
import { __, _n, sprintf } from '@wordpress/i18n';

/**
 * Internal dependencies
 */
import type { Erased, Visit } from '../../data/types';
import { erasedSummary } from '../../lib/erased';
import { formatDateTime, formatDuration, formatNumber, formatTime } from '../../lib/format';
import { useRequest } from '../../lib/use-request';
import { useReport } from '../context';
import { countryName, deviceName, languageName, screenName, visitorLabel } from '../labels';
import { describeEvent } from './realtime-card';
import { ErrorState, FormError, Loading } from './states';

interface VisitorProfileProps {
  visitorId: string;
  /** The report range's last day: the profile covers the 90 days up to it. */
  to: string;
  onBack: () => void;
}

/** One visitor's clickpath: every visit in order, each with its ordered pages and events and the time between them. */
export function VisitorProfile({ visitorId, to, onBack }: VisitorProfileProps) {
  const { source, timeZone } = useReport();
  const state = useRequest((signal) => source.visitor(visitorId, to, { signal }), `${visitorId}|${to}`);
  const [erasing, setErasing] = useState(false);
  const [eraseError, setEraseError] = useState<string | null>(null);
  const [erased, setErased] = useState<string | null>(null);
  /** Runs one erasure once the user confirms it; the profile then only says what was erased. */
  const erase = async (question: string, action: () => Promise<Erased>) => {
    if (!window.confirm(question)) return;
    setErasing(true);
    setEraseError(null);
    try {
      setErased(erasedSummary(await action()));
    } catch (e) {
      setEraseError(sprintf(__('Could not erase: %s', 'clickpath'), (e as Error).message));
    } finally {
      setErasing(false);
    }
  };

  let body;
  if (erased !== null)
    body = (
      <p className="clickpath-report__erased" role="status">
        {erased}
      </p>
    );
  else if (state.status === 'loading') body = <Loading label={__('Loading the visitor…', 'clickpath')} />;
  else if (state.status === 'error')
    body = <ErrorState what={__('this visitor', 'clickpath')} error={state.error} onRetry={state.reload} />;
  else {
    const { visitor, visits } = state.data;
    // The latest visit tells what they use now; the first one where they came from.
    const latest = visits[visits.length - 1];
    const first = visits[0];
    const facts: Array<[string, string]> = [
      // Identified visitors are named by their user ID below.
      ...(visitor.userId ? [] : [[__('Visitor', 'clickpath'), visitorLabel(visitor)] as [string, string]]),
      [__('First seen', 'clickpath'), formatDateTime(visitor.firstSeen, timeZone)],
      [__('Last seen', 'clickpath'), formatDateTime(visitor.lastSeen, timeZone)],
      [
        __('Visits', 'clickpath'),
        sprintf(
          /* translators: 1: visits, 2: pageviews */ __('%1$s, %2$s', 'clickpath'),
          sprintf(_n('%s visit', '%s visits', visitor.visits, 'clickpath'), formatNumber(visitor.visits)),
          sprintf(_n('%s pageview', '%s pageviews', visitor.pageviews, 'clickpath'), formatNumber(visitor.pageviews)),
        ),
      ],
      [__('Engaged time', 'clickpath'), formatDuration(visitor.engagedSeconds)],
      [__('Location', 'clickpath'), joined([latest?.city, latest?.region, countryName(visitor.country)])],
      [__('Device', 'clickpath'), deviceName(visitor.device)],
      [__('Screen', 'clickpath'), latest?.screen ? screenName(latest.screen) : '—'],
      [__('Browser', 'clickpath'), joined([visitor.browser, latest?.browserVersion], ' ')],
      [__('Operating system', 'clickpath'), joined([latest?.os, latest?.osVersion], ' ')],
      [__('Language', 'clickpath'), latest?.language ? languageName(latest.language) : '—'],
      [__('First came from', 'clickpath'), first ? visitOrigin(first) : '—'],
    ];
    body = (
      <div className="clickpath-report__profile">
        <dl className="clickpath-report__facts">
          {facts.map(([term, value]) => (
            <Fragment key={term}>
              <dt>{term}</dt>
              <dd>{value || '—'}</dd>
            </Fragment>
          ))}
          {visitor.userId && (
            <>
              <dt>{__('User ID', 'clickpath')}</dt>
              <dd>{visitor.userId}</dd>
            </>
          )}
        </dl>
        {!visitor.lifetime && (
          <p className="clickpath-report__muted">
            {__('Cookieless visitor: visits can only be linked within one day.', 'clickpath')}
          </p>
        )}
        {(source.eraseVisitor || source.erasePerson) && (
          <div className="clickpath-report__erase">
            <FormError message={eraseError} />
            {source.eraseVisitor && (
              <Button
                variant="secondary"
                isDestructive
                isBusy={erasing}
                disabled={erasing}
                onClick={() => {
                  const { eraseVisitor } = source;
                  if (eraseVisitor)
                    void erase(
                      __(
                        'Erase this visitor: their profile, visits and raw events? Totals already counted stay. This cannot be undone.',
                        'clickpath',
                      ),
                      () => eraseVisitor(visitor.id),
                    );
                }}
              >
                {__('Erase this visitor', 'clickpath')}
              </Button>
            )}
            {source.erasePerson && visitor.userId && (
              <Button
                variant="tertiary"
                isDestructive
                disabled={erasing}
                onClick={() => {
                  const { erasePerson } = source;
                  const { userId } = visitor;
                  if (erasePerson && userId)
                    void erase(
                      sprintf(
                        __(
                          'Erase every visitor with the user ID “%s”, with their visits and raw events? This cannot be undone.',
                          'clickpath',
                        ),
                        userId,
                      ),
                      () => erasePerson(userId),
                    );
                }}
              >
                {__('Erase everyone with this user ID', 'clickpath')}
              </Button>
            )}
          </div>
        )}
        <ol className="clickpath-report__visits">
          {visits.map((visit, i) => (
            <VisitItem key={visit.id} visit={visit} number={i + 1} timeZone={timeZone} />
          ))}
        </ol>
      </div>
    );
  }

  return (
    <Card className="clickpath-report__card clickpath-report__card--profile">
      <CardHeader>
        <h2 className="clickpath-report__card-title">{__('Visitor profile', 'clickpath')}</h2>
        <Button variant="secondary" onClick={onBack}>
          {__('Back to visitors', 'clickpath')}
        </Button>
      </CardHeader>
      <CardBody>{body}</CardBody>
    </Card>
  );
}

/** Parts joined with " · " (or `separator`), the empty ones left out. */
const joined = (parts: Array<string | undefined | false>, separator = ' · '): string =>
  parts.filter(Boolean).join(separator);

/** Where a visit came from: its source, referring page and campaign tags. */
export function visitOrigin(visit: Visit): string {
  const utm = visit.utm
    ? joined(
        [
          visit.utm.source && `utm_source=${visit.utm.source}`,
          visit.utm.medium && `utm_medium=${visit.utm.medium}`,
          visit.utm.campaign && `utm_campaign=${visit.utm.campaign}`,
          visit.utm.term && `utm_term=${visit.utm.term}`,
          visit.utm.content && `utm_content=${visit.utm.content}`,
        ],
        ', ',
      )
    : '';
  return joined([visit.source || __('Direct', 'clickpath'), visit.referrerUrl || visit.referrer, utm]);
}

function VisitItem({ visit, number, timeZone }: { visit: Visit; number: number; timeZone: string | undefined }) {
  return (
    <li className="clickpath-report__visit">
      <h3 className="clickpath-report__visit-title">
        {sprintf(
          /* translators: 1: visit number, 2: date and time */ __('Visit %1$d — %2$s', 'clickpath'),
          number,
          formatDateTime(visit.start, timeZone),
        )}
      </h3>
      <p className="clickpath-report__muted">
        {[
          formatDuration(visit.durationSeconds),
          sprintf(_n('%d pageview', '%d pageviews', visit.pageviews, 'clickpath'), visit.pageviews),
          visitOrigin(visit),
          [visit.city, visit.country && countryName(visit.country)].filter(Boolean).join(', '),
          joined([visit.browser, visit.os], ' · '),
          visit.bounce ? __('bounced', 'clickpath') : '',
        ]
          .filter(Boolean)
          .join(' · ')}
      </p>
      <ol
        className="clickpath-report__clickstream"
        aria-label={sprintf(
          /* translators: %d: visit number */ __('Pages and events of visit %d, in order', 'clickpath'),
          number,
        )}
      >
        {visit.clickstream.map((e, i) => (
          <li key={e.id} className={`clickpath-report__step is-${e.kind}`}>
            <time dateTime={e.ts}>{formatTime(e.ts, timeZone)}</time>{' '}
            {i > 0 && (
              <span className="clickpath-report__gap">
                {sprintf(
                  /* translators: %s: duration */ __('+%s', 'clickpath'),
                  formatDuration(e.sincePreviousSeconds),
                )}
              </span>
            )}{' '}
            <span>{describeEvent(e)}</span>
            {e.kind === 'pv' && e.title && <span className="clickpath-report__muted"> — {e.title}</span>}
          </li>
        ))}
      </ol>
    </li>
  );
}
