import { z } from '../lib/zod';
import { objectId } from '../lib/validate';

/**
 * The user id a site passed to `clickpath('identify', …)` — for the WordPress
 * plugin, a keyed hash of the WordPress user id. Only sites in first-party mode store it.
 */
export const PersonParams = z.strictObject({
  siteId: objectId(),
  userId: z
    .string()
    .min(1)
    .max(128)
    .regex(/^[\w.@:+-]+$/, 'must be the user id the site passed to identify'),
});

export const ErasedResponse = z
  .object({
    visitors: z.number().int(),
    visits: z.number().int(),
    events: z.number().int(),
    complete: z.boolean().openapi({
      description: 'False when events accepted before the request were still being aggregated: erase again shortly',
    }),
  })
  .openapi('Erased');
