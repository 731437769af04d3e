/**
 * Bounds on what one site's input can make the aggregator store (docs/limits.md).
 * Past them a key counts under OTHER_KEY, the way the big hosted peers bucket
 * high cardinality, so no document grows without limit.
 */

/** Distinct keys a dimension keeps per site and day. */
export const MAX_KEYS_PER_DAY = 1000;
/** Distinct keys a dimension keeps per site and month (one month document's key list). */
export const MAX_KEYS_PER_MONTH = 5000;
/** Longer keys (a path, a property value) are cut to this many characters. */
export const MAX_KEY_LENGTH = 300;
/** Rollup keys one visitor is remembered under per day, for exact daily uniques; later ones are not counted as new visitors. */
export const MAX_KEYS_PER_VISITOR_DAY = 500;
export const OTHER_KEY = '(other)';

/** A key cut to MAX_KEY_LENGTH characters. */
export const cutKey = (key: string) => (key.length > MAX_KEY_LENGTH ? `${key.slice(0, MAX_KEY_LENGTH - 1)}…` : key);
