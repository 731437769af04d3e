/**
 * WordPress dependencies
 */
import { Card, CardBody, CardHeader, Notice, Spinner } from '@wordpress/components';
import { createElement, Fragment } from '@wordpress/element';
import { __, sprintf } from '@wordpress/i18n';

/**
 * Internal dependencies
 */
import { formatDateTime } from '../../lib/format';
import { useRequest } from '../../lib/use-request';
import { api } from '../query';

const LINK = /(https?:\/\/[^\s]+)/;

/** Plain text with its URLs as links; nothing else is interpreted. */
function TextWithLinks({ text }: { text: string }) {
  return (
    <Fragment>
      {text.split(LINK).map((part, i) =>
        i % 2 === 1 ? (
          <a key={i} href={part}>
            {part}
          </a>
        ) : (
          part
        ),
      )}
    </Fragment>
  );
}

/** The mail this instance kept instead of sending (no SMTP_URL), for its operator. */
export function OutboxPage() {
  const outbox = useRequest(() => api.outbox(), 'outbox');
  return (
    <div className="clickpath-dashboard__outbox">
      <h1>{__('Outbox', 'clickpath')}</h1>
      {outbox.status === 'loading' && (
        <div className="clickpath-state clickpath-state--loading" role="status">
          <Spinner /> {__('Loading…', 'clickpath')}
        </div>
      )}
      {outbox.status === 'error' && (
        <Notice status="error" isDismissible={false}>
          {outbox.error.message}
        </Notice>
      )}
      {outbox.status === 'success' && (
        <Fragment>
          <p>
            {outbox.data.mode === 'outbox'
              ? __(
                  'No SMTP server is configured (SMTP_URL), so mail is kept here instead of being sent. Messages are deleted after a week.',
                  'clickpath',
                )
              : __('Mail is sent through SMTP_URL; these are messages kept before it was set.', 'clickpath')}
          </p>
          {outbox.data.messages.length === 0 && <p>{__('No messages.', 'clickpath')}</p>}
          {outbox.data.messages.map((m) => (
            <Card key={m.id} className="clickpath-report__card">
              <CardHeader>
                <h2 className="clickpath-report__card-title">{m.subject}</h2>
              </CardHeader>
              <CardBody>
                <p className="clickpath-report__muted">
                  {sprintf(
                    /* translators: 1: recipient address, 2: date and time */
                    __('To %1$s, %2$s', 'clickpath'),
                    m.to,
                    formatDateTime(m.createdAt),
                  )}
                </p>
                <pre className="clickpath-dashboard__mail">
                  <TextWithLinks text={m.text} />
                </pre>
              </CardBody>
            </Card>
          ))}
        </Fragment>
      )}
    </div>
  );
}
