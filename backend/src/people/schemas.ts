import { z } from '../lib/zod';
import { UserId, USER_ID_MAX } from '../collect/event-schema';
import { objectId } from '../lib/validate';
import { VisitorProfileResponse } from '../reports/schemas';

/**
 * The user id a site passed to `clickpath('identify', …)` — for the WordPress plugin, a
 * keyed hash of the WordPress user id — percent-encoded in the path. The same schema
 * validates identify, so every stored id can be named here. Only first-party sites store it.
 */
export const PersonParams = z.strictObject({
  siteId: objectId(),
  userId: UserId.openapi({
    description: `The id given to identify: 1 to ${USER_ID_MAX} characters, no control characters, percent-encoded`,
  }),
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

export const PersonExport = z
  .object({ userId: z.string(), visitors: z.array(VisitorProfileResponse) })
  .openapi('PersonExport');
