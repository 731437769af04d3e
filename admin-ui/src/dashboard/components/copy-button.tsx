/**
 * WordPress dependencies
 */
import { Button } from '@wordpress/components';
import { createElement, useEffect, useState } from '@wordpress/element';
import { __ } from '@wordpress/i18n';

/** How long the confirmation stays beside the button. */
const SHOWN_MS = 5000;

/** Copies with the Clipboard API, or the older command where it is missing (plain http on a LAN address). */
async function copyText(text: string): Promise<void> {
  if (navigator.clipboard) return navigator.clipboard.writeText(text);
  const area = document.createElement('textarea');
  area.value = text;
  area.setAttribute('readonly', '');
  area.style.position = 'fixed';
  area.style.opacity = '0';
  document.body.appendChild(area);
  area.select();
  try {
    if (!document.execCommand('copy')) throw new Error('copy refused');
  } finally {
    area.remove();
  }
}

/** A Copy button that says, beside itself and to screen readers, whether the text is on the clipboard. */
export function CopyButton({ text, label }: { text: string; label: string }) {
  const [outcome, setOutcome] = useState<'copied' | 'failed' | null>(null);
  useEffect(() => {
    if (!outcome) return undefined;
    const timer = window.setTimeout(() => setOutcome(null), SHOWN_MS);
    return () => window.clearTimeout(timer);
  }, [outcome]);
  const copy = async () => {
    try {
      await copyText(text);
      setOutcome('copied');
    } catch {
      setOutcome('failed');
    }
  };
  return (
    <span className="clickpath-dashboard__copy">
      <Button variant="secondary" onClick={() => void copy()}>
        {label}
      </Button>
      <span role="status" className={`clickpath-dashboard__copy-status${outcome === 'failed' ? ' is-failed' : ''}`}>
        {outcome === 'copied' && __('Copied to the clipboard.', 'clickpath')}
        {outcome === 'failed' && __('Copy failed: select the text and copy it by hand.', 'clickpath')}
      </span>
    </span>
  );
}
