import { objectId, text } from '../lib/validate';
import { z } from '../lib/zod';
import { OUTCOMES, WEBHOOK_EVENTS } from './model';
import { MAX_URL_LENGTH, malformedTarget } from './target';

export const WebhookEventSchema = z.enum(WEBHOOK_EVENTS);

export const WebhookParams = z.strictObject({ siteId: objectId(), webhookId: objectId() });

/** The URL's form; where it resolves to is checked by the service (a 400 naming the address). */
const TargetUrl = z
  .string()
  .trim()
  .max(MAX_URL_LENGTH)
  .superRefine((value, ctx) => {
    const problem = malformedTarget(value);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  })
  .openapi({
    description:
      'An https:// (or http://) URL whose host resolves to public addresses only, unless the operator allows private ones',
    example: 'https://example.com/hooks/clickpath',
  });

export const CreateWebhookBody = z
  .strictObject({
    url: TargetUrl,
    events: z.array(WebhookEventSchema).min(1).max(WEBHOOK_EVENTS.length),
    description: text(200, 0).default(''),
  })
  .openapi('CreateWebhook');

export const WebhookResponse = z
  .object({
    id: z.string(),
    url: z.string(),
    description: z.string(),
    events: z.array(WebhookEventSchema),
    /** The secret's first characters, to tell secrets apart. */
    secretHint: z.string(),
    createdAt: z.string(),
  })
  .openapi('Webhook');

export const WebhookWithSecret = WebhookResponse.extend({
  secret: z.string().openapi({
    description:
      'Signs every delivery (Clickpath-Signature). Shown only in this response; store it with the receiver now.',
  }),
}).openapi('WebhookWithSecret');

export const WebhookList = z.object({ webhooks: z.array(WebhookResponse) }).openapi('WebhookList');

export const DeliveryAttempt = z
  .object({
    id: z.string(),
    deliveryId: z.string(),
    event: z.string(),
    attempt: z.number().int(),
    at: z.string(),
    statusCode: z.number().int().nullable(),
    error: z.string().nullable(),
    durationMs: z.number().int(),
    outcome: z.enum(OUTCOMES),
    nextAttemptAt: z.string().nullable(),
    response: z.string(),
  })
  .openapi('WebhookDeliveryAttempt');

export const PendingDelivery = z
  .object({
    deliveryId: z.string(),
    event: z.string(),
    attempts: z.number().int(),
    nextAttemptAt: z.string(),
  })
  .openapi('WebhookPendingDelivery');

export const DeliveryLog = z
  .object({
    /** Newest first, at most 100. */
    attempts: z.array(DeliveryAttempt),
    pending: z.array(PendingDelivery),
  })
  .openapi('WebhookDeliveryLog');
