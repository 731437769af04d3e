import { z } from '../lib/zod';

import { AUDIT_ACTIONS } from './model';

export const MAX_PAGE_SIZE = 100;

const Action = z.enum(AUDIT_ACTIONS);

export const AuditQuery = z.strictObject({
  cursor: z
    .string()
    .max(40)
    .regex(/^\d{13}-[0-9a-f]{24}$/, 'must be the nextCursor of a previous page')
    .optional()
    .openapi({ description: 'The nextCursor of the previous page: only older entries are returned' }),
  action: z
    .union([Action, z.array(Action).min(1).max(AUDIT_ACTIONS.length)])
    .optional()
    .transform((value) => (value === undefined ? undefined : [value].flat()))
    .openapi({ description: 'Only these actions (repeat the parameter for several)' }),
  limit: z.coerce.number().int().min(1).max(MAX_PAGE_SIZE).default(50),
});

const Actor = z
  .discriminatedUnion('type', [
    z.object({
      type: z.literal('account'),
      id: z.string(),
      email: z.string().openapi({ description: 'The address at the time; empty if the account was gone by then' }),
    }),
    z.object({
      type: z.literal('key'),
      id: z.string(),
      name: z.string(),
      prefix: z.string(),
      createdBy: z.string().openapi({ description: 'The account that created the key' }),
    }),
  ])
  .openapi('AuditActor');

export const AuditEntry = z
  .object({
    id: z.string(),
    at: z.string(),
    action: Action,
    actor: Actor,
    details: z.record(z.string(), z.unknown()),
  })
  .openapi('AuditEntry');

export const AuditPageResponse = z
  .object({
    entries: z.array(AuditEntry),
    nextCursor: z.string().nullable(),
    retentionDays: z.number().int().openapi({ description: 'How many days entries are kept' }),
  })
  .openapi('AuditPage');
