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
  const { source } = useReport();
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
    body = (
      <div className="clickpath-report__profile">
        <dl className="clickpath-report__facts">
          <dt>{__('First seen', 'clickpath')}</dt>
          <dd>{formatDateTime(visitor.firstSeen)}</dd>
          <dt>{__('Last seen', 'clickpath')}</dt>
          <dd>{formatDateTime(visitor.lastSeen)}</dd>
          <dt>{__('Visits', 'clickpath')}</dt>
          <dd>{formatNumber(visitor.visits)}</dd>
          <dt>{__('Pageviews', 'clickpath')}</dt>
          <dd>{formatNumber(visitor.pageviews)}</dd>
          <dt>{__('Engaged time', 'clickpath')}</dt>
          <dd>{formatDuration(visitor.engagedSeconds)}</dd>
          <dt>{__('Location and device', 'clickpath')}</dt>
          <dd>{[visitor.country, visitor.device, visitor.browser].filter(Boolean).join(' · ') || '—'}</dd>
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
            <VisitItem key={visit.id} visit={visit} number={i + 1} />
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

function VisitItem({ visit, number }: { visit: Visit; number: number }) {
  return (
    <li className="clickpath-report__visit">
      <h3 className="clickpath-report__visit-title">
        {sprintf(
          /* translators: 1: visit number, 2: date and time */ __('Visit %1$d — %2$s', 'clickpath'),
          number,
          formatDateTime(visit.start),
        )}
      </h3>
      <p className="clickpath-report__muted">
        {[
          formatDuration(visit.durationSeconds),
          sprintf(_n('%d pageview', '%d pageviews', visit.pageviews, 'clickpath'), visit.pageviews),
          visit.source || __('Direct', 'clickpath'),
          [visit.city, visit.country].filter(Boolean).join(', '),
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
            <time dateTime={e.ts}>{formatTime(e.ts)}</time>{' '}
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
