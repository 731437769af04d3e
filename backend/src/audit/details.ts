import type { AuditDetails, DetailValue } from './model';

/** Longest text kept in an entry's details; longer text is cut and ends with `…`. */
export const MAX_DETAIL_TEXT = 200;
/** Items kept of a list in the details; the rest are counted in a last `"… N more"` item. */
export const MAX_DETAIL_ITEMS = 20;
/** Nesting kept; deeper values become `"…"`. */
const MAX_DEPTH = 4;
/** Bytes of JSON an entry's details may take; details past it are replaced by `{ truncated: true }`. */
export const MAX_DETAIL_BYTES = 4096;

const cut = (text: string) => (text.length > MAX_DETAIL_TEXT ? `${text.slice(0, MAX_DETAIL_TEXT - 1)}…` : text);

function bound(value: DetailValue, depth: number): DetailValue {
  if (typeof value === 'string') return cut(value);
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (value === null || typeof value === 'boolean') return value;
  if (depth >= MAX_DEPTH) return '…';
  if (Array.isArray(value)) {
    const kept = value.slice(0, MAX_DETAIL_ITEMS).map((item) => bound(item, depth + 1));
    return value.length > MAX_DETAIL_ITEMS ? [...kept, `… ${value.length - MAX_DETAIL_ITEMS} more`] : kept;
  }
  const entries = Object.entries(value);
  const kept = entries.slice(0, MAX_DETAIL_ITEMS).map(([key, item]) => [cut(key), bound(item, depth + 1)] as const);
  return Object.fromEntries(kept);
}

/**
 * An entry's details as stored: text cut at MAX_DETAIL_TEXT, lists and objects at
 * MAX_DETAIL_ITEMS, nesting at MAX_DEPTH, the whole at MAX_DETAIL_BYTES of JSON, so no
 * input (a goal's 500-character pattern, a long site name) makes an entry large.
 */
export function boundDetails(details: AuditDetails): AuditDetails {
  const bounded = bound(details, 0) as AuditDetails;
  return Buffer.byteLength(JSON.stringify(bounded)) > MAX_DETAIL_BYTES ? { truncated: true } : bounded;
}
