import { objectId } from '../lib/validate';
import { z } from '../lib/zod';
import { ALERT_KINDS } from './model';

/** Most members one alert setting may name (docs/limits.md). */
export const MAX_RECIPIENTS = 20;

export const AlertSettingsBody = z
  .strictObject({
    spike: z.strictObject({
      enabled: z.boolean(),
      threshold: z
        .number()
        .int()
        .min(1)
        .max(10_000_000)
        .openapi({ description: 'Fires when more visitors than this come in one clock hour (site-local)' }),
    }),
    drop: z.strictObject({
      enabled: z.boolean(),
      percent: z.number().int().min(1).max(99).openapi({
        description:
          'Fires when a day has fewer visitors than this percentage of the usual day (the median of the same weekday over the four weeks before)',
      }),
    }),
    email: z.boolean().openapi({ description: 'Whether alerts are mailed; subscribed webhooks get them either way' }),
    recipients: z
      .array(objectId())
      .max(MAX_RECIPIENTS)
      .openapi({ description: "Account ids of the site's members to mail; empty: the owner and the admins" }),
  })
  .openapi('AlertSettingsInput');

export const AlertEventView = z
  .object({
    kind: z.enum(ALERT_KINDS),
    /** The site-local hour (spike) or day (drop). */
    period: z.string(),
    at: z.string(),
    data: z.record(z.string(), z.unknown()),
  })
  .openapi('AlertEvent');

export const AlertSettingsResponse = AlertSettingsBody.extend({
  recent: z.array(AlertEventView).openapi({ description: 'The latest alerts that fired, newest first (at most 20)' }),
}).openapi('AlertSettings');
