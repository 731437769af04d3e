import { z } from '../lib/zod';

/**
 * The collector's wire protocol, shared by the tracker (type-only import, so it
 * costs the tracker no bytes) and the collector (runtime validation). Keys are
 * short because every byte of the tracker counts.
 */

/** C0 and C1 control characters and DEL: never stored, they corrupt reports, logs and exports. */
export const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/g;

/** Control characters become spaces, and the ends are trimmed. */
export const scrubControl = (s: string): string => s.replace(CONTROL_CHARACTERS, ' ').trim();

// Real pages produce long titles and URLs and put tabs and newlines in titles: strip
// control characters and truncate rather than lose the event. The hard cap on the
// input keeps hostile payloads from costing memory.
const clean = (max: number) =>
  z
    .string()
    .max(max * 20)
    .transform((s) => scrubControl(s).slice(0, max));

const PropValue = z.union([clean(500), z.number().finite(), z.boolean()]);

// Keys become field names in the stored event: the database refuses `$`-prefixed and
// dotted names (one such key failed the whole group commit), and prototype names invite pollution.
const PropKey = clean(60).pipe(
  z
    .string()
    .regex(/^(?!\$)[^.]+$/, 'must not be empty, start with $ or contain a dot')
    .refine((k) => k !== '__proto__' && k !== 'constructor' && k !== 'prototype', 'reserved name'),
);

/** The longest user id `identify` and the people API accept, in characters (Unicode code points). */
export const USER_ID_MAX = 128;

/**
 * A person's id as a site passes it to `identify` and names it in the people API: the
 * one schema both use, so every id that can be stored can also be exported and erased.
 * Any text of 1 to 128 characters without control characters, NFC-normalised (an "é"
 * typed into a URL and one built by a script are the same person).
 */
export const UserId = z
  .string()
  .max(USER_ID_MAX * 2, `must be at most ${USER_ID_MAX} characters`)
  .transform((id) => id.normalize('NFC'))
  .pipe(
    z
      .string()
      .refine((id) => id.length > 0, 'must not be empty')
      .refine((id) => [...id].length <= USER_ID_MAX, `must be at most ${USER_ID_MAX} characters`)
      .refine((id) => !/[\u0000-\u001f\u007f-\u009f]/.test(id), 'must not contain control characters'),
  );

export const EventKind = z.enum(['pv', 'ev', 'en', 'id']);

export const TrackerEvent = z
  .strictObject({
    /** Site public id (from the script tag's data-site). */
    s: z.string().regex(/^[A-Za-z0-9_-]{8,32}$/),
    /** Client-generated unique event id: a retried send is stored once. */
    i: z.string().regex(/^[A-Za-z0-9_-]{10,40}$/),
    /** pv = pageview, ev = custom event (outbound/download clicks too), en = engaged time, id = identify. */
    k: EventKind,
    /** Full page URL (location.href). */
    u: z
      .string()
      .max(16_384)
      .transform((u) => u.slice(0, 2048))
      .pipe(z.url({ protocol: /^https?$/ })),
    /** Referrer URL (pageviews). */
    r: z
      .string()
      .max(16_384)
      .transform((r) => r.slice(0, 2048))
      .optional(),
    /** Page title. */
    t: clean(300).optional(),
    /** Screen width in CSS pixels. */
    w: z.number().int().min(0).max(100_000).optional(),
    /** Browser language (navigator.language). */
    l: z
      .string()
      .max(35)
      .regex(/^[A-Za-z0-9-]*$/)
      .optional(),
    /** Event name (custom events, `outbound`, `download`). */
    n: clean(120).optional(),
    /** Event properties: at most 30 flat key → value pairs. */
    p: z
      .record(PropKey, PropValue)
      .refine((p) => Object.keys(p).length <= 30, 'at most 30 properties')
      .optional(),
    /** Engaged time on the page in milliseconds (kind en). */
    e: z
      .number()
      .int()
      .min(0)
      .transform((ms) => Math.min(ms, 86_400_000))
      .optional(),
    /** First-party visitor id kept by the tracker (first-party mode only). */
    v: z
      .string()
      .regex(/^[A-Za-z0-9_-]{10,40}$/)
      .optional(),
    /** User id passed to clickpath('identify', ...) (first-party mode only). */
    uid: UserId.optional(),
    /** Traits passed to identify. */
    tr: z
      .record(PropKey, PropValue)
      .refine((p) => Object.keys(p).length <= 30, 'at most 30 traits')
      .optional(),
    /** 1 when the page is a "not found" page. */
    nf: z.literal(1).optional(),
  })
  .openapi('TrackerEvent');

export type TrackerEvent = z.input<typeof TrackerEvent>;

/** One request carries one event or a batch of up to 50. */
export const EventBatch = z.array(TrackerEvent).min(1).max(50);
export const CollectBody = z.union([TrackerEvent, EventBatch]);
