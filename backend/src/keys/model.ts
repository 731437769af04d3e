import { Schema, model, type InferSchemaType, type Types } from 'mongoose';

export const SCOPES = ['stats:read', 'sites:manage', 'events:write'] as const;
export type Scope = (typeof SCOPES)[number];

const apiKeySchema = new Schema(
  {
    siteId: { type: Schema.Types.ObjectId, required: true, index: true },
    name: { type: String, required: true },
    // Only a SHA-256 of the secret is kept; the secret itself is shown once at creation.
    hash: { type: String, required: true, unique: true },
    prefix: { type: String, required: true },
    scopes: { type: [String], enum: SCOPES, required: true },
    createdBy: { type: Schema.Types.ObjectId, required: true },
    rotatedFrom: { type: Schema.Types.ObjectId, default: null },
    lastUsedAt: { type: Date, default: null },
    revokedAt: { type: Date, default: null },
  },
  { timestamps: { createdAt: true, updatedAt: false }, strict: 'throw' },
);

export type ApiKeyDoc = InferSchemaType<typeof apiKeySchema> & { _id: Types.ObjectId; scopes: Scope[] };
export const ApiKey = model('ApiKey', apiKeySchema, 'apikeys');
