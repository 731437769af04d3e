import { Schema, model, type InferSchemaType, type Types } from 'mongoose';

/**
 * Mail kept on this instance because no SMTP server is configured: the operator reads it in
 * the dashboard (`GET /admin/outbox`). It holds live links, so it is pruned after a week.
 */
const outboxSchema = new Schema(
  {
    to: { type: String, required: true },
    subject: { type: String, required: true },
    /** Which message this is (`verify-email`, `password-reset`, …). */
    kind: { type: String, required: true },
    text: { type: String, required: true },
    html: { type: String, required: true },
  },
  { timestamps: { createdAt: true, updatedAt: false }, strict: 'throw' },
);
outboxSchema.index({ createdAt: -1 });

export type OutboxDoc = InferSchemaType<typeof outboxSchema> & { _id: Types.ObjectId; createdAt: Date };
export const OutboxMessage = model('OutboxMessage', outboxSchema, 'outbox');
