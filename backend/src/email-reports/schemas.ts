import { email, objectId } from '../lib/validate';
import { z } from '../lib/zod';
import { FREQUENCIES } from './model';

export const SubscriptionParams = z.strictObject({ siteId: objectId(), subscriptionId: objectId() });

const Weekday = z
  .number()
  .int()
  .min(1)
  .max(7)
  .openapi({ description: 'The day weekly reports go out: 1 = Monday … 7 = Sunday (ISO)' });

export const CreateSubscriptionBody = z
  .strictObject({
    email: email().openapi({ description: 'Where the report goes; the recipient needs no account' }),
    frequency: z.enum(FREQUENCIES).openapi({
      description:
        'weekly: at 08:00 site-local on `weekday`, the 7 days before; monthly: at 08:00 on the 1st, the month before',
    }),
    weekday: Weekday.optional().openapi({ description: 'Weekly reports only (default 1, Monday)' }),
  })
  .superRefine((body, ctx) => {
    if (body.frequency === 'monthly' && body.weekday !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['weekday'], message: 'applies to weekly reports only' });
    }
  })
  .openapi('CreateEmailReportSubscription');

export const SubscriptionView = z
  .object({
    id: z.string(),
    email: z.string(),
    frequency: z.enum(FREQUENCIES),
    weekday: Weekday.nullable(),
    createdAt: z.string(),
    lastSentAt: z.string().nullable().openapi({ description: 'When the last scheduled report went out' }),
  })
  .openapi('EmailReportSubscription');

export const SubscriptionList = z
  .object({ subscriptions: z.array(SubscriptionView) })
  .openapi('EmailReportSubscriptionList');

// Not strict: a mail client or link checker may add parameters of its own.
export const UnsubscribeQuery = z.object({
  token: z
    .string()
    .regex(/^[a-f0-9]{24}\.[a-f0-9]{24}\.[A-Za-z0-9_-]{43}$/, 'is not an unsubscribe token')
    .openapi({ description: 'The signed token of the link in a report mail: `<siteId>.<subscriptionId>.<signature>`' }),
});

export const UnsubscribeView = z
  .object({
    /** False once the subscription is gone (already unsubscribed, or removed by the site). */
    subscribed: z.boolean(),
    site: z.object({ name: z.string(), domain: z.string() }).nullable(),
    frequency: z.enum(FREQUENCIES).nullable(),
    /** The address, partly hidden: a forwarded mail's link shows little. */
    email: z.string().nullable(),
  })
  .openapi('EmailReportUnsubscribe');
