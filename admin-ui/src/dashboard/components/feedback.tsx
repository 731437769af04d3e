/**
 * WordPress dependencies
 */
import { Notice } from '@wordpress/components';
import { createElement } from '@wordpress/element';

/** A form's outcome: its error, else the success it last had (nothing before the first submit). */
export function Feedback({
  error,
  success,
  onRemove,
}: {
  error: string | null;
  success: string;
  onRemove: () => void;
}) {
  if (!error && !success) return null;
  return (
    <Notice status={error ? 'error' : 'success'} onRemove={onRemove}>
      {error ?? success}
    </Notice>
  );
}
