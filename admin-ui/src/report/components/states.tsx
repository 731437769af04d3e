/**
 * WordPress dependencies
 */
import { Button, Notice, Spinner } from '@wordpress/components';
import { createElement } from '@wordpress/element';
import { __, sprintf } from '@wordpress/i18n';

/**
 * Internal dependencies
 */
import type { ApiError } from '../../data/errors';
import { useReport } from '../context';

/** A form's failure, announced to screen readers as it appears. */
export function FormError({ message }: { message: string | null }) {
  if (!message) return null;
  return (
    <p className="clickpath-report__form-error" role="alert">
      {message}
    </p>
  );
}

export function Loading({ label }: { label: string }) {
  return (
    <div className="clickpath-state clickpath-state--loading" role="status">
      <Spinner />
      <span>{label}</span>
    </div>
  );
}

/** What to do about an error, in one sentence. */
export function errorHint(error: ApiError, host: 'wordpress' | 'standalone'): string {
  switch (error.code) {
    case 'network_error':
      return host === 'wordpress'
        ? __(
            'Check your connection; if it is fine, check that the Clickpath server in Settings → Clickpath is running.',
            'clickpath',
          )
        : __('Check your connection and that the Clickpath server is running, then try again.', 'clickpath');
    case 'clickpath_unreachable':
    case 'clickpath_backend_error':
      return __(
        'Check that the Clickpath server in Settings → Clickpath is running and reachable from this WordPress server.',
        'clickpath',
      );
    case 'clickpath_redirect_refused':
      return __('Enter the server’s final address (after any redirect) in Settings → Clickpath.', 'clickpath');
    case 'clickpath_key_rejected':
      return __('The API key was refused: enter a valid key in Settings → Clickpath.', 'clickpath');
    case 'unauthenticated':
      return host === 'wordpress'
        ? __('The API key was refused: enter a valid key in Settings → Clickpath.', 'clickpath')
        : __('Your session has ended: sign in again.', 'clickpath');
    case 'forbidden':
    case 'rest_forbidden':
      return __('Your account may not see this site; ask its owner for access.', 'clickpath');
    case 'two_factor_required':
      return host === 'wordpress'
        ? __(
            'The site requires two-factor sign-in: whoever created the API key in Settings → Clickpath must turn it on in their Clickpath account.',
            'clickpath',
          )
        : __('The site requires two-factor sign-in: turn it on under Your account, then try again.', 'clickpath');
    case 'rest_cookie_invalid_nonce':
    case 'csrf_rejected':
      return __('The page’s security token has expired: reload the page.', 'clickpath');
    case 'clickpath_not_connected':
      return __('Connect the plugin to your Clickpath server in Settings → Clickpath.', 'clickpath');
    case 'not_found':
      return __('It may have been deleted; go back and pick another.', 'clickpath');
    case 'validation_failed':
    case 'bad_request':
      return __('Check the date range and filters, or remove the filters.', 'clickpath');
    case 'rate_limited':
      return __('Too many requests: wait a minute, then try again.', 'clickpath');
    case 'service_unavailable':
      return __('The server is busy or its database is unavailable; try again shortly.', 'clickpath');
    default:
      return __('Try again; if it keeps failing, the server’s log has the details.', 'clickpath');
  }
}

interface ErrorStateProps {
  /** What failed to load, e.g. "the visitor count". */
  what: string;
  error: ApiError;
  onRetry?: () => void;
}

export function ErrorState({ what, error, onRetry }: ErrorStateProps) {
  const { host } = useReport();
  return (
    <div className="clickpath-state clickpath-state--error">
      <Notice status="error" isDismissible={false}>
        <p>
          <strong>
            {sprintf(
              /* translators: %s: what failed, e.g. "the time series" */ __('Could not load %s.', 'clickpath'),
              what,
            )}
          </strong>{' '}
          {error.message}
        </p>
        <p>{errorHint(error, host)}</p>
        {onRetry && (
          <Button variant="secondary" onClick={onRetry}>
            {__('Try again', 'clickpath')}
          </Button>
        )}
      </Notice>
    </div>
  );
}

export function EmptyState({ title, children }: { title: string; children?: React.ReactNode }) {
  return (
    <div className="clickpath-state clickpath-state--empty">
      <p className="clickpath-state__title">{title}</p>
      {children}
    </div>
  );
}

/** "No data yet — is the tracker installed?" with how to install it on this host. */
export function NoDataYet() {
  const { snippetHint } = useReport();
  return (
    <EmptyState title={__('No data yet — is the tracker installed?', 'clickpath')}>
      <p>{snippetHint}</p>
    </EmptyState>
  );
}
