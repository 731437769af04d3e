/**
 * WordPress dependencies
 */
import { createElement } from '@wordpress/element';
import type { ReactNode } from 'react';

/**
 * A table that scrolls sideways inside its card when it is wider than the screen (a phone),
 * instead of widening the page or dropping columns. The region takes focus so keyboard users
 * can scroll it too.
 */
export function TableScroll({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="clickpath-report__table-scroll" role="region" aria-label={label} tabIndex={0}>
      {children}
    </div>
  );
}
