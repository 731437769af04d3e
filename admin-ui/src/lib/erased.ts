import { __, _n, sprintf } from '@wordpress/i18n';

import type { Erased } from '../data/types';

/** What an erasure removed, as one sentence; says so when events still in aggregation need a second run. */
export function erasedSummary(erased: Erased): string {
  const counts = [
    sprintf(_n('%d visitor', '%d visitors', erased.visitors, 'clickpath'), erased.visitors),
    sprintf(_n('%d visit', '%d visits', erased.visits, 'clickpath'), erased.visits),
    sprintf(_n('%d event', '%d events', erased.events, 'clickpath'), erased.events),
  ].join(', ');
  const done = sprintf(
    /* translators: %s: e.g. "1 visitor, 3 visits, 12 events" */ __('Erased %s.', 'clickpath'),
    counts,
  );
  return erased.complete
    ? done
    : `${done} ${__('Some recent events were still being counted: erase again in a minute to remove them too.', 'clickpath')}`;
}
