import { z } from '../lib/zod';

export const OutboxList = z
  .object({
    mode: z
      .enum(['smtp', 'outbox'])
      .openapi({ description: '`smtp` when SMTP_URL is set: new mail leaves the instance' }),
    messages: z.array(
      z.object({
        id: z.string(),
        to: z.string(),
        subject: z.string(),
        kind: z.string(),
        text: z.string(),
        html: z.string(),
        createdAt: z.string(),
      }),
    ),
  })
  .openapi('Outbox');
